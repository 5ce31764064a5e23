"""Domain objects -> Client Portal JSON, shaped as the OpenAPI v2.29 schemas say.

Numbers go out as strings where the spec declares strings (order sizes and prices,
snapshot fields, allocation values, trade price and commission) and as JSON numbers
where it declares numbers (positions, ledger, history bars, trade size). Pure
functions; the conid table is the fake's own contract list (AAPL 265598, MSFT 272093,
IBM 8314, GOOG 208813720; FB 107113386 for the paper market's fifth symbol).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from desktop.domain import Balance, Bar, Fill, Order, OrderSide, OrderStatus, OrderType, Position, Quote


@dataclass(frozen=True)
class Contract:
    """One stock the fake knows: IBKR conid, listing exchange and company name."""

    symbol: str
    conid: int
    exchange: str
    company: str


CONTRACTS: tuple[Contract, ...] = (
    Contract("AAPL", 265598, "NASDAQ", "APPLE INC"),
    Contract("MSFT", 272093, "NASDAQ", "MICROSOFT CORP"),
    Contract("IBM", 8314, "NYSE", "INTL BUSINESS MACHINES CORP"),
    Contract("GOOG", 208813720, "NASDAQ", "ALPHABET INC-CL C"),
    Contract("FB", 107113386, "NASDAQ", "META PLATFORMS INC-CLASS A"),
)
BY_SYMBOL = {c.symbol: c for c in CONTRACTS}
BY_CONID = {c.conid: c for c in CONTRACTS}

ORDER_TYPES: dict[OrderType, tuple[str, str, str]] = {
    # domain type -> (request orderType, live-orders orderType, origOrderType)
    OrderType.LIMIT: ("LMT", "Limit", "LIMIT"),
    OrderType.MARKET: ("MKT", "Market", "MARKET"),
    OrderType.STOP: ("STP", "Stop", "STOP"),
    OrderType.STOP_LIMIT: ("STOP_LIMIT", "Stop Limit", "STOP_LIMIT"),
}
REQUEST_TYPES = {v[0]: k for k, v in ORDER_TYPES.items()} | {"STPLMT": OrderType.STOP_LIMIT, "STP LMT": OrderType.STOP_LIMIT}

STATUS: dict[OrderStatus, str] = {
    OrderStatus.INITIALIZED: "PendingSubmit",
    OrderStatus.SUBMITTED: "PendingSubmit",
    OrderStatus.ACCEPTED: "Submitted",
    OrderStatus.TRIGGERED: "Submitted",
    OrderStatus.PENDING_UPDATE: "Submitted",
    OrderStatus.PARTIALLY_FILLED: "Submitted",
    OrderStatus.PENDING_CANCEL: "PendingCancel",
    OrderStatus.FILLED: "Filled",
    OrderStatus.CANCELED: "Cancelled",
    OrderStatus.EXPIRED: "Cancelled",
    OrderStatus.REJECTED: "Inactive",
    OrderStatus.DENIED: "Inactive",
}
"""Paper order status -> CPAPI order status (enum of the live-orders schema)."""


def contract_of(symbol: str) -> Contract:
    """The contract of ``symbol``; an ad-hoc one (conid from a hash) for unknown symbols."""
    found = BY_SYMBOL.get(symbol.upper())
    return found or Contract(symbol.upper(), 900_000 + sum(map(ord, symbol)) % 99_999, "SMART", symbol.upper())


def money(value: Decimal | None, places: int = 2) -> str:
    """A price as the gateway writes it: ``"190.00"`` (empty string for None)."""
    return "" if value is None else f"{Decimal(value):.{places}f}"


def price_text(value: Decimal) -> str:
    """A fill price: two decimals, more only when the price has them (``"190.00"``, ``"190.1234"``)."""
    value = Decimal(value)
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else format(value.normalize(), "f")


def qty(value: Decimal | None) -> str:
    """A quantity as live orders write it: ``"100.0"``."""
    return "0.0" if value is None else f"{Decimal(value):.1f}"


def size(value: Decimal | None) -> str:
    """A snapshot size with thousands separators: ``"1,300"``."""
    return "" if value is None else f"{int(value):,}"


def ms(ts: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(ts.timestamp() * 1000)


def ibkr_time(ts: datetime) -> str:
    """``YYYYMMDD-hh:mm:ss`` in UTC (trades, history startTime)."""
    return ts.astimezone(timezone.utc).strftime("%Y%m%d-%H:%M:%S")


def short_time(ts: datetime) -> str:
    """``YYMMDDhhmmss`` in UTC (live orders ``lastExecutionTime``)."""
    return ts.astimezone(timezone.utc).strftime("%y%m%d%H%M%S")


def order_desc(order: Order) -> str:
    """E.g. "Buy 100 Limit 190.00, Day" (the gateway's ``orderDesc`` style)."""
    verb = ("Bought" if order.side is OrderSide.BUY else "Sold") if order.status is OrderStatus.FILLED else (
        "Buy" if order.side is OrderSide.BUY else "Sell")
    words = ORDER_TYPES[order.type][1]
    price = order.limit_price if order.limit_price is not None else order.stop_price
    tail = f" {money(price)}" if price is not None else ""
    return f"{verb} {qty(order.amount).removesuffix('.0')} {words}{tail}, {order.time_in_force.value.title()}"


def order_price_fields(order: Order) -> dict[str, str]:
    """``price`` (limit, or the stop for STP) and ``auxPrice`` (stop of a stop-limit)."""
    out: dict[str, str] = {}
    if order.type is OrderType.STOP:
        out["price"] = money(order.stop_price)
    elif order.limit_price is not None:
        out["price"] = money(order.limit_price)
    if order.type is OrderType.STOP_LIMIT:
        out["auxPrice"] = money(order.stop_price)
    return out


def live_order(order: Order, ibkr_id: int, account: str) -> dict:
    """One row of ``GET /iserver/account/orders`` (schema: strings except orderId)."""
    c = contract_of(order.symbol)
    _req, word, orig = ORDER_TYPES[order.type]
    row = {
        "acct": account, "account": account, "conidex": str(c.conid), "conid": str(c.conid), "orderId": ibkr_id,
        "cashCcy": order.instrument.currency, "sizeAndFills": f"{qty(order.filled)}/{qty(order.amount)}",
        "orderDesc": order_desc(order), "description1": c.symbol, "ticker": c.symbol, "secType": "STK",
        "listingExchange": c.exchange, "remainingQuantity": qty(order.amount - order.filled),
        "filledQuantity": qty(order.filled), "totalSize": qty(order.amount), "companyName": c.company,
        "status": STATUS[order.status], "order_ccp_status": STATUS[order.status], "origOrderType": orig,
        "supportsTaxOpt": "1", "lastExecutionTime": short_time(order.updated_at),
        "lastExecutionTime_r": str(ms(order.updated_at)), "orderType": word, "bgColor": "#FFFFFF",
        "fgColor": "#000000", "order_ref": order.client_order_id, "timeInForce": order.time_in_force.value,
        "side": order.side.value, "exchange": "SMART",
    }
    if order.average is not None:
        row["avgPrice"] = money(order.average)
    if order.status in (OrderStatus.REJECTED, OrderStatus.DENIED, OrderStatus.EXPIRED) and order.message:
        row["order_cancellation_by_system_reason"] = order.message
    row.update(order_price_fields(order))
    return row


def order_status(order: Order, ibkr_id: int, account: str) -> dict:
    """``GET /iserver/account/order/status/{orderId}`` (conid and order_id integers)."""
    c = contract_of(order.symbol)
    status = STATUS[order.status]
    out = {
        "sub_type": None, "request_id": "209", "server_id": "0", "order_id": ibkr_id, "conidex": str(c.conid),
        "conid": c.conid, "symbol": c.symbol, "side": order.side.value, "contract_description_1": c.symbol,
        "listing_exchange": c.exchange, "option_acct": "c", "company_name": c.company, "size": qty(order.remaining),
        "total_size": qty(order.amount), "currency": order.instrument.currency, "account": account,
        "order_type": ORDER_TYPES[order.type][2], "cum_fill": qty(order.filled), "order_status": status,
        "order_ccp_status": status, "order_status_description": f"Order {status}",
        "tif": order.time_in_force.value if order.time_in_force.value in ("DAY", "IOC", "GTC") else "DAY",
        "fgColor": "#000000", "bgColor": "#FFFFFF", "order_not_editable": not order.is_open,
        "editable_fields": "", "cannot_cancel_order": not order.is_open, "deactivate_order": False,
        "sec_type": "STK", "available_chart_periods": "#R|1", "order_description": order_desc(order),
        "order_description_with_contract": f"{order_desc(order)} {c.symbol}", "alert_active": 1,
        "child_order_type": "0", "order_clearing_account": account, "size_and_fills": f"{qty(order.filled)}/{qty(order.amount)}",
        "exit_strategy_display_price": "", "exit_strategy_chart_description": "", "exit_strategy_tool_availability": "1",
        "allowed_duplicate_opposite": True, "order_time": short_time(order.created_at),
        "average_price": money(order.average) if order.average is not None else "",
    }
    out.update({k: v for k, v in order_price_fields(order).items()})
    return out


def trade(fill: Fill, ibkr_order_id: int, allocation_name: str) -> dict:
    """One row of ``GET /iserver/account/trades`` (price/commission strings, size number)."""
    c = contract_of(fill.symbol)
    sign = -1 if fill.side is OrderSide.BUY else 1
    return {
        "execution_id": f"0000e0d5.{fill.fill_id}", "symbol": c.symbol, "supports_tax_opt": "1",
        "side": "B" if fill.side is OrderSide.BUY else "S",
        "order_description": f"{'Bot' if fill.side is OrderSide.BUY else 'Sold'} {fill.amount} @ {money(fill.price)} on ISLAND",
        "trade_time": ibkr_time(fill.timestamp), "trade_time_r": ms(fill.timestamp), "size": float(fill.amount),
        "price": price_text(fill.price),
        "order_ref": fill.client_order_id, "submitter": "fakeadvisor", "exchange": "ISLAND",
        "commission": money(fill.commission), "net_amount": float(sign * fill.amount * fill.price),
        "account": fill.account_id, "accountCode": fill.account_id, "account_allocation_name": allocation_name,
        "company_name": c.company, "contract_description_1": c.symbol, "sec_type": "STK",
        "listing_exchange": c.exchange, "conid": str(c.conid), "conidEx": str(c.conid), "clearing_id": "IB",
        "clearing_name": "IB", "liquidation_trade": "0", "is_event_trading": "0", "order_id": ibkr_order_id,
    }


def position(p: Position) -> dict:
    """One row of ``GET /portfolio/{accountId}/positions/{pageId}`` (numbers)."""
    c = contract_of(p.symbol)
    last = float(p.last_price) if p.last_price is not None else 0.0
    mv = float(p.market_value) if p.market_value is not None else 0.0
    upl = float(p.unrealized_pnl) if p.unrealized_pnl is not None else 0.0
    return {
        "acctId": p.account_id, "conid": c.conid, "contractDesc": c.symbol, "position": float(p.quantity),
        "mktPrice": last, "mktValue": mv, "currency": p.instrument.currency, "avgCost": float(p.average_price),
        "avgPrice": float(p.average_price), "realizedPnl": float(p.realized_pnl), "unrealizedPnl": upl,
        "exchs": None, "expiry": None, "strike": "0",  # putOrCall, multiplier: null at runtime, not nullable in the spec: omitted
        "exerciseStyle": None, "conExchMap": [], "assetClass": "STK", "undConid": 0, "model": "",
        "baseMktValue": mv, "baseMktPrice": last, "baseAvgCost": float(p.average_price),
        "baseAvgPrice": float(p.average_price), "baseRealizedPnl": float(p.realized_pnl), "baseUnrealizedPnl": upl,
        "incrementRules": [{"lowerEdge": 0.0, "increment": 0.01}],
        "displayRule": {"magnification": 0, "displayRuleStep": [{"decimalDigits": 2, "lowerEdge": 0.0, "wholeDigits": 4}]},
        "time": 0, "chineseName": "", "allExchanges": "SMART,NASDAQ,NYSE", "listingExchange": c.exchange,
        "countryCode": "US", "name": c.company, "lastTradingDay": "", "group": "", "sector": "", "sectorGroup": "",
        "ticker": c.symbol, "type": "COMMON", "hasOptions": True, "fullName": c.symbol, "isUS": True,
        "isEventContract": False, "pageSize": 100,
    }


def summary(balance: Balance, account_id: str, now: datetime) -> dict:
    """``GET /portfolio/{accountId}/summary``: lower-case keys -> {amount, value, ...}.

    Spec conflict: the schema declares ``currency`` a *number* while the real gateway
    sends "USD"; we follow the spec and leave ``currency`` out of each entry.
    """
    ts = ms(now)
    nlv = balance.net_liquidation if balance.net_liquidation is not None else balance.cash
    gross = nlv - balance.cash

    def entry(amount: Decimal | None = None, value: str | None = None) -> dict:
        out = {"amount": float(amount) if amount is not None else 0.0, "isNull": amount is None and value is None,
               "severity": 0, "timestamp": ts}
        if value is not None:  # the runtime sends "value": null; the spec's string is not nullable
            out["value"] = value
        return out

    out = {
        "accountcode": entry(value=account_id), "accounttype": entry(value="INDIVIDUAL"),
        "accountready": entry(value="true"), "netliquidation": entry(nlv), "totalcashvalue": entry(balance.cash),
        "settledcash": entry(balance.cash), "availablefunds": entry(balance.buying_power),
        "buyingpower": entry(balance.buying_power), "excessliquidity": entry(balance.buying_power),
        "equitywithloanvalue": entry(nlv), "grosspositionvalue": entry(gross), "initmarginreq": entry(Decimal(0)),
        "maintmarginreq": entry(Decimal(0)), "accruedcash": entry(Decimal(0)), "cushion": entry(Decimal(1)),
        "sma": entry(balance.buying_power), "daytradesremaining": entry(Decimal(-1)),
    }
    for key in ("netliquidation", "availablefunds", "totalcashvalue", "equitywithloanvalue"):
        out[key + "-s"] = dict(out[key])
    return out


def ledger(balance: Balance, account_id: str, now: datetime) -> dict:
    """``GET /portfolio/{accountId}/ledger``: {"USD": {...}, "BASE": {...}} (numbers)."""
    nlv = balance.net_liquidation if balance.net_liquidation is not None else balance.cash
    row = {
        "commoditymarketvalue": 0.0, "futuremarketvalue": 0.0, "settledcash": float(balance.cash),
        "exchangerate": 1, "sessionid": 1, "cashbalance": float(balance.cash), "corporatebondsmarketvalue": 0.0,
        "warrantsmarketvalue": 0.0, "netliquidationvalue": float(nlv), "interest": 0.0,
        "unrealizedpnl": float(balance.unrealized_pnl or 0), "stockmarketvalue": float(nlv - balance.cash),
        "moneyfunds": 0.0, "currency": balance.currency, "realizedpnl": float(balance.realized_pnl or 0),
        "funds": 0.0, "acctcode": account_id, "issueroptionsmarketvalue": 0.0, "key": "LedgerList",
        "timestamp": int(now.timestamp()), "severity": 0, "stockoptionmarketvalue": 0.0,
        "futuresonlypnl": 0.0, "tbondsmarketvalue": 0.0, "futureoptionmarketvalue": 0.0,
        "cashbalancefxsegment": 0.0, "secondkey": balance.currency, "tbillsmarketvalue": 0.0, "dividends": 0.0,
    }
    return {balance.currency: row, "BASE": dict(row, currency="BASE", secondkey="BASE")}


def quote_fields(quote: Quote, contract: Contract) -> dict[str, str]:
    """Snapshot / ``smd`` field values as strings ("C" prefix on 31 when the last is
    only the previous close; commas in sizes)."""
    out: dict[str, str] = {"55": contract.symbol, "6509": "RpB", "7762": str(int(quote.volume or 0)),
                           "87": size(quote.volume), "6119": "q0"}
    if quote.last is not None:
        out["31"] = money(quote.last)
    elif quote.prev_close is not None:
        out["31"] = "C" + money(quote.prev_close)
    if quote.bid is not None:
        out["84"] = money(quote.bid)
    if quote.ask is not None:
        out["86"] = money(quote.ask)
    if quote.bid_size is not None:
        out["88"] = size(quote.bid_size)
    if quote.ask_size is not None:
        out["85"] = size(quote.ask_size)
    if quote.prev_close is not None:
        out["7741"] = money(quote.prev_close)
        out["7296"] = money(quote.prev_close)
    if quote.change is not None:
        out["82"] = ("+" if quote.change > 0 else "") + money(quote.change)
        out["83"] = money(quote.change_pct) + "%" if quote.change_pct is not None else ""
    return out


def bar_point(bar: Bar) -> dict:
    """One ``data`` point of ``/iserver/marketdata/history``: o/h/l/c/v numbers, t ms."""
    return {"o": float(bar.open), "h": float(bar.high), "l": float(bar.low), "c": float(bar.close),
            "v": float(bar.volume), "t": ms(bar.start)}
