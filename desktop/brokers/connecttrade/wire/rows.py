"""Connect Trade's wire format, answers: GET /accounts, /connections, /balances,
/positions and /orders rows read into domain models, and fills from an order's
``fills`` array. Source: NOTES.md section 3.2."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop.domain import Account, Balance, Fill, Instrument, Order, OrderSide, OrderStatus, Position, TimeInForce
from desktop.domain.occ import OccSymbolError, parse_occ

from .values import BROKER, PAYLOADS, shorten, number, text, timestamp
from .requests import ORDER_TYPES_IN, STATUSES


# -- rows -> domain ---------------------------------------------------------------------
class AccountBook:
    """What GET /accounts and GET /connections say about the linked accounts:
    ``accounts`` (Account models), and per account id its ``broker`` code, its
    ``connection_id`` and whether it is ``read_only`` (connection_type readonly);
    ``by_number`` maps account numbers to ids (balances rows carry the number)."""

    def __init__(self) -> None:
        self.accounts: list[Account] = []
        self.broker: dict[str, str] = {}
        self.connection: dict[str, str] = {}
        self.read_only: dict[str, bool] = {}
        self.by_number: dict[str, str] = {}

    def account_of(self, row: Mapping[str, Any]) -> str | None:
        """The account id a balances/positions row belongs to (``account_id``, else
        its ``account_number``), or None when it names no known account."""
        account_id = text(row, "account_id")
        if account_id in self.broker:
            return account_id
        return self.by_number.get(text(row, "account_number"))

    @property
    def trade_connections(self) -> list[str]:
        """Connection ids that can trade, in the order listed."""
        return list(dict.fromkeys(c for a, c in self.connection.items() if not self.read_only.get(a)))


@PAYLOADS.payload("accounts and connections", raw_arg=(0, 1))
def read_accounts(accounts: Any, connections: Any, connection_id: str) -> AccountBook:
    """GET /accounts (institution_name, account_number, account_id) with GET
    /connections (connection_id, broker, connection_type, accounts[]) -> AccountBook."""
    book = AccountBook()
    kinds: dict[str, tuple[str, str, str]] = {}
    for conn in connections if isinstance(connections, list) else []:
        if not isinstance(conn, Mapping):
            continue
        for acct in conn.get("accounts") or []:
            if isinstance(acct, Mapping) and text(acct, "account_id"):
                kinds[text(acct, "account_id")] = (text(conn, "connection_id"), text(conn, "broker").upper(),
                                                   text(conn, "connection_type").lower())
    for row in accounts if isinstance(accounts, list) else []:
        account = _account(row, connection_id, kinds)
        if account is None:
            continue
        conn_id, broker, kind = kinds.get(account.account_id, (text(row, "connection_id"),
                                                               text(row, "broker").upper(),
                                                               text(row, "connection_type").lower()))
        book.accounts.append(account)
        book.broker[account.account_id] = broker
        book.connection[account.account_id] = conn_id
        book.read_only[account.account_id] = kind == "readonly"
        number_text = text(row, "account_number")
        if number_text:
            book.by_number[number_text] = account.account_id
    return book


def read_linked(connections: Any) -> list[tuple[str, str]]:
    """GET /connections -> ``[(connection_id, label)]``, the label in a trader's words:
    "Alpaca (trade): PA3X9Q2L7M" (institution, connection_type, account numbers).
    Rows without a connection_id are skipped."""
    out: list[tuple[str, str]] = []
    for conn in connections if isinstance(connections, list) else []:
        if not isinstance(conn, Mapping) or not text(conn, "connection_id"):
            continue
        accounts = [a for a in conn.get("accounts") or [] if isinstance(a, Mapping)]
        names = {text(a, "institution_name") for a in accounts} - {""}
        who = ", ".join(sorted(names)) or text(conn, "broker").title() or "Brokerage"
        numbers = ", ".join(n for a in accounts if (n := text(a, "account_number")))
        kind = text(conn, "connection_type").lower() or "?"
        out.append((text(conn, "connection_id"), f"{who} ({kind})" + (f": {numbers}" if numbers else "")))
    return out


@PAYLOADS.item("account")
def _account(row: Any, connection_id: str, kinds: Mapping[str, tuple[str, str, str]]) -> Account | None:
    account_id = text(row, "account_id", required=True)
    kind = kinds.get(account_id, ("", "", text(row, "connection_type").lower()))[2]
    name = f"{text(row, 'institution_name')} {text(row, 'account_number')}".strip()
    return Account(broker=BROKER, connection_id=connection_id, account_id=account_id, name=name,
                   kind="read-only" if kind == "readonly" else "brokerage", raw=row)


@PAYLOADS.item("balance")
def read_balance(row: Any, account_id: str, connection_id: str) -> Balance | None:
    """A GET /balances row (cash, buying_power; ``equity`` when given) -> Balance."""
    cash = number(row, "cash", required=True)
    buying = number(row, "buying_power")
    return Balance(broker=BROKER, connection_id=connection_id, account_id=account_id,
                   currency=text(row, "currency") or "USD", cash=cash, buying_power=buying if buying is not None else cash,
                   net_liquidation=number(row, "equity"), raw=row)


@PAYLOADS.item("position")
def read_position(row: Any, account_id: str, connection_id: str) -> Position | None:
    """A GET /positions row (symbol, quantity, last_price, unrealized_pl possibly null)
    -> Position, or None for quantity 0. The average price is derived (last -
    unrealized_pl / quantity); without unrealized_pl the average is not known
    (``average_price_known`` False) and the unrealized P&L stays None (unknown,
    never 0), also when a quote marks the position later."""
    symbol = text(row, "symbol", required=True)
    qty = number(row, "quantity", required=True)
    if qty == 0:
        return None
    last = number(row, "last_price")
    upl = number(row, "unrealized_pl")
    instrument = instrument_of(symbol)
    mult = instrument.multiplier
    known = last is not None and upl is not None
    avg = (last - upl / (qty * mult)) if known else (last or Decimal(0))
    return Position(broker=BROKER, connection_id=connection_id, account_id=account_id, instrument=instrument,
                    quantity=qty, average_price=avg, average_price_known=known, last_price=last,
                    market_value=qty * last * mult if last is not None else None, unrealized_pnl=upl, raw=row)


def instrument_of(symbol: str, kind: str = "") -> Instrument:
    """STK symbol -> an equity; an OCC symbol (``instrument`` OPT, or one that parses)
    -> the option. Raises ValueError for an unreadable OPT symbol."""
    if kind == "OPT" or (len(symbol) >= 15 and any(c.isdigit() for c in symbol)):
        try:
            return Instrument.for_option(parse_occ(symbol))
        except OccSymbolError:
            if kind == "OPT":
                raise
    return Instrument.equity(symbol)


def status_of(row: Mapping[str, Any]) -> OrderStatus:
    """``normalized_status`` -> OrderStatus; ValueError (noted) when unknown."""
    raw = text(row, "normalized_status").upper().replace(" ", "_").replace("-", "_")
    if raw not in STATUSES:
        PAYLOADS.problem(f"normalized_status={shorten(row.get('normalized_status'))} unknown")
        raise ValueError("unknown status")
    return STATUSES[raw]


@PAYLOADS.item("order")
def read_order(row: Any, connection_id: str, client_ids: Mapping[str, str]) -> Order | None:
    """A GET /orders row -> Order: ``order_qty`` -> amount, the ``fills`` quantities'
    sum -> filled, their VWAP -> average, ``normalized_status`` -> status (a FILLED
    order whose fills are missing counts as fully filled). ``client_ids`` maps a sent
    ``cl_order_id`` back to the request's full client order id."""
    order_id = text(row, "order_id", required=True)
    account_id = text(row, "account_id", required=True)
    amount = number(row, "order_qty", required=True)
    order_type = ORDER_TYPES_IN.get(text(row, "order_type").upper().replace("_", " ")) or ORDER_TYPES_IN.get(
        text(row, "order_type").upper())
    if order_type is None:
        PAYLOADS.problem(f"order_type={shorten(row.get('order_type'))} unknown")
        raise ValueError("order_type")
    status = status_of(row)
    fills = [f for f in (read_fill_parts(f) for f in (row.get("fills") or []) if isinstance(row.get("fills"), list))
             if f is not None]
    filled = sum((q for q, _p, _t in fills), Decimal(0))
    notional = sum((q * p for q, p, _t in fills), Decimal(0))
    if filled == 0 and status is OrderStatus.FILLED:
        filled = number(row, "filled_qty") or amount
    filled = min(filled, amount)
    average = notional / sum((q for q, _p, _t in fills), Decimal(0)) if fills else number(row, "avg_fill_price")
    if status is OrderStatus.ACCEPTED and 0 < filled < amount:
        status = OrderStatus.PARTIALLY_FILLED
    sent_id = text(row, "cl_order_id")
    created = timestamp(row, "created_time") or timestamp(row, "last_exec_time")
    updated = timestamp(row, "last_exec_time") or created
    tif = text(row, "order_tif").upper()
    extra = {"created_at": created, "updated_at": max(updated, created) if updated and created else updated}
    return Order(broker=BROKER, connection_id=connection_id, account_id=account_id, order_id=order_id,
                 client_order_id=client_ids.get(sent_id, sent_id),
                 instrument=instrument_of(text(row, "symbol", required=True), text(row, "instrument").upper()),
                 side=OrderSide(text(row, "side", required=True).upper()), type=order_type,
                 time_in_force=TimeInForce(tif) if tif in TimeInForce.__members__ else TimeInForce.DAY,
                 amount=amount, filled=filled, average=average,
                 limit_price=number(row, "limit_price") if order_type.needs_limit_price else None,
                 stop_price=number(row, "stop_price") if order_type.needs_stop_price else None,
                 status=status, message=text(row, "status_message") or text(row, "message"),
                 **{k: v for k, v in extra.items() if v is not None}, raw=row)


def read_fill_parts(row: Any) -> tuple[Decimal, Decimal, datetime | None] | None:
    """``(quantity, price, time)`` of one entry of an order's ``fills``; None (noted)
    when it cannot be read or is not positive."""
    if not isinstance(row, Mapping):
        PAYLOADS.problem("a fill that is not an object")
        return None
    qty, price = number(row, "quantity"), number(row, "price")
    if qty is None or price is None or qty <= 0 or price <= 0:
        PAYLOADS.problem(f"fill quantity={shorten(row.get('quantity'))} price={shorten(row.get('price'))} unusable")
        return None
    return qty, price, timestamp(row, "time")


def fills_of(order: Order) -> list[Fill]:
    """The Fill rows of ``order``'s ``fills`` array (its raw row), with the order's
    side, symbol and ids; ids ``<order_id>-<n>`` in the array's order."""
    row = order.raw if isinstance(order.raw, Mapping) else {}
    out = []
    for index, entry in enumerate(row.get("fills") or [] if isinstance(row.get("fills"), list) else []):
        parts = read_fill_parts(entry)
        if parts is None:
            continue
        qty, price, when = parts
        out.append(Fill(broker=BROKER, connection_id=order.connection_id, account_id=order.account_id,
                        fill_id=f"{order.order_id}-{index + 1}", order_id=order.order_id,
                        client_order_id=order.client_order_id, instrument=order.instrument, side=order.side,
                        amount=qty, price=price, timestamp=when or order.updated_at, raw=entry))
    return out
