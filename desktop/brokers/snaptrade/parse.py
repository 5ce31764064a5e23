"""SnapTrade payloads read into domain objects, totally (specs/snaptrade/api.yaml).

Every reader is decorated with :data:`PAYLOADS` (the kit's
:class:`~desktop.brokers.transport.payloads.PayloadLog`): one unreadable row (an
order whose quantity is "1O0", a position without a symbol) is logged once and
skipped, the rest of the answer still applies. Numbers are decimal strings or JSON
numbers (:func:`~desktop.brokers.transport.decimals.read_decimal`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from desktop.brokers.transport.decimals import read_decimal
from desktop.brokers.transport.payloads import PayloadLog
from desktop.domain import Account, AssetClass, Balance, Instrument, Order, OrderPreview, OrderStatus, Position, Quote
from desktop.domain.occ import OccSymbolError, parse_occ
from desktop.domain.options import OptionContract

from .statuses import ACTIONS, ORDER_TYPES, STATUS, STATUS_WORDS, TIFS

log = logging.getLogger("desktop.brokers.snaptrade")
PAYLOADS = PayloadLog(log, "SnapTrade")
BROKER = "snaptrade"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time ("2024-07-30T22:51:49.746Z") as aware UTC, or None."""
    text = _text(value)
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        PAYLOADS.problem(f"time {text[:40]!r} unreadable")
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Authorization:
    """A brokerage connection of the user (``BrokerageAuthorization``): ``id``,
    ``brokerage`` (name), ``slug``, ``type`` ("read"/"trade"), ``disabled``,
    ``allows_trading`` and ``fractional`` of its brokerage."""

    id: str
    brokerage: str
    slug: str
    type: str
    disabled: bool
    allows_trading: bool
    fractional: bool

    @property
    def read_only(self) -> bool:
        return self.type != "trade"


@PAYLOADS.item("authorization")
def parse_authorization(row: Any) -> Authorization | None:
    brokerage = row.get("brokerage") or {}
    if not _text(row.get("id")):
        PAYLOADS.skip("no id")
        return None
    return Authorization(id=row["id"], brokerage=_text(brokerage.get("display_name")) or _text(brokerage.get("name")),
                         slug=_text(brokerage.get("slug")), type=_text(row.get("type")) or "read",
                         disabled=row.get("disabled") is True, allows_trading=brokerage.get("allows_trading") is True,
                         fractional=brokerage.get("allows_fractional_units") is True)


@dataclass(frozen=True)
class AccountInfo:
    """An account with what SnapTrade says of it: ``account`` (domain),
    ``authorization_id``, ``institution``, ``number``, ``status``."""

    account: Account
    authorization_id: str
    institution: str
    number: str
    status: str


@PAYLOADS.item("account")
def parse_account(row: Any, connection_id: str) -> AccountInfo | None:
    account_id = _text(row.get("id"))
    if not account_id:
        PAYLOADS.skip("no id")
        return None
    institution, number = _text(row.get("institution_name")), _text(row.get("number"))
    total = (row.get("balance") or {}).get("total") or {}
    name = _text(row.get("name")) or institution
    label = f"{institution} {number}".strip() if number else name
    account = Account(broker=BROKER, connection_id=connection_id, account_id=account_id,
                      name=f"{label} · {name}" if name and name != institution else label,
                      currency=_text(total.get("currency")) or "USD", kind=(_text(row.get("raw_type")) or "cash").lower(),
                      is_paper=row.get("is_paper") is True, raw=row)
    return AccountInfo(account, _text(row.get("brokerage_authorization")), institution, number,
                       _text(row.get("status")) or "open")


@PAYLOADS.item("balance")
def parse_balance(row: Any, account_id: str, connection_id: str) -> Balance | None:
    currency = _text((row.get("currency") or {}).get("code")) or "USD"
    cash = read_decimal(row.get("cash"), "cash", PAYLOADS)
    power = read_decimal(row.get("buying_power"), "buying_power", PAYLOADS)
    if cash is None and power is None:
        PAYLOADS.skip("neither cash nor buying_power")
        return None
    return Balance(broker=BROKER, connection_id=connection_id, account_id=account_id, currency=currency,
                   cash=cash if cash is not None else Decimal(0),
                   buying_power=power if power is not None else (cash or Decimal(0)), raw=row)


def option_instrument(symbol: str, multiplier: Decimal | None = None, broker_id: str | None = None) -> Instrument:
    """The Instrument of an OCC symbol (padded or not). Raises OccSymbolError."""
    text = symbol if isinstance(symbol, str) else ""
    compact = "".join(text.split())  # "AAPL  251114C00240000", "AAPL 131124C00240000" or unpadded
    contract = parse_occ(compact, multiplier=multiplier or Decimal(100))
    return Instrument.for_option(contract, broker_id=broker_id)


def _instrument(shape: Any) -> Instrument | None:
    """The Instrument of a position's ``instrument`` (stock/etf/adr/... by symbol,
    option by its OCC symbol, crypto in units of 1e-8)."""
    kind = _text(shape.get("kind"))
    symbol = _text(shape.get("symbol"))
    if not symbol:
        PAYLOADS.skip("instrument without a symbol")
        return None
    if kind == "option":
        multiplier = read_decimal(shape.get("multiplier"), "multiplier", PAYLOADS)
        try:
            return option_instrument(shape.get("symbol"), multiplier, _text(shape.get("id")) or None)
        except OccSymbolError as exc:
            PAYLOADS.skip(f"option symbol {symbol!r} is not OCC ({exc})")
            return None
    if kind in ("future", "cfd"):
        PAYLOADS.skip(f"{kind} positions are not shown")
        return None
    extra = {"lot_size": Decimal("0.00000001")} if kind == "crypto" else {}
    return Instrument(symbol=symbol[:32], asset_class=AssetClass.EQUITY, currency=_text(shape.get("currency")) or "USD",
                      exchange=_text(shape.get("exchange")) or None, description=_text(shape.get("description")),
                      broker_id=_text(shape.get("id")) or None, **extra)


@PAYLOADS.item("position")
def parse_position(row: Any, account_id: str, connection_id: str) -> Position | None:
    instrument = _instrument(row.get("instrument") or {})
    units = read_decimal(row.get("units"), "units", PAYLOADS)
    if instrument is None or units is None or units == 0:
        if units is None:
            PAYLOADS.skip("units unreadable")
        return None
    cost = read_decimal(row.get("cost_basis"), "cost_basis", PAYLOADS)
    price = read_decimal(row.get("price"), "price", PAYLOADS)
    position = Position(broker=BROKER, connection_id=connection_id, account_id=account_id, instrument=instrument,
                        quantity=units, average_price=cost if cost is not None else (price or Decimal(0)), raw=row)
    return position.marked(price) if price is not None else position


@PAYLOADS.payload("positions")
def parse_positions(body: Any, account_id: str, connection_id: str) -> tuple[list[Position], datetime | None]:
    """``(positions, data_freshness.as_of)`` of ``/positions/all`` (as_of None when
    missing or unreadable: logged, the positions still count)."""
    rows = body.get("results")
    if not isinstance(rows, list):
        PAYLOADS.problem("positions: results is not a list")
        rows = []
    freshness = body.get("data_freshness")
    if not isinstance(freshness, dict) or freshness.get("as_of") is None:
        PAYLOADS.problem("positions: no data_freshness.as_of")
        freshness = {}
    as_of = parse_time(freshness.get("as_of"))
    found = [parse_position(row, account_id, connection_id) for row in rows if isinstance(row, dict)]
    return [p for p in found if p is not None], as_of


NOT_AN_OPTION = object()
"""What :func:`row_option` answers for a row without an ``option_symbol``."""


def row_option(row: Any) -> Instrument | None | object:
    """The option of a row's ``option_symbol`` (``ticker``: the OCC symbol; ``id``):
    the Instrument, None when the ticker is not OCC (logged and skipped), or
    :data:`NOT_AN_OPTION` when the row names no option (AccountOrderRecord and
    activity rows, api.yaml)."""
    option = row.get("option_symbol")
    if not (isinstance(option, dict) and _text(option.get("ticker"))):
        return NOT_AN_OPTION
    try:
        return option_instrument(option["ticker"], broker_id=_text(option.get("id")) or None)
    except OccSymbolError as exc:
        PAYLOADS.skip(f"option ticker {option.get('ticker')!r} is not OCC ({exc})")
        return None


def _order_instrument(row: Any) -> Instrument | None:
    option = row_option(row)
    if option is not NOT_AN_OPTION:
        return option  # type: ignore[return-value]
    universal = row.get("universal_symbol")
    if isinstance(universal, dict) and _text(universal.get("symbol")):
        return Instrument.equity(_text(universal["symbol"])[:32], description=_text(universal.get("description")),
                                 broker_id=_text(universal.get("id")) or None, lot_size=Decimal("0.0001"))
    PAYLOADS.skip("neither universal_symbol nor option_symbol")
    return None


@PAYLOADS.item("order record")
def parse_order(row: Any, account_id: str, connection_id: str, client_ids: dict[str, str] | None = None) -> Order | None:
    """An ``AccountOrderRecord`` as an Order (one leg: a multi-leg order's legs share
    ``brokerage_group_order_id``, named in ``message``; :func:`.legs.group_legs`
    makes one order of them)."""
    order_id = _text(row.get("brokerage_order_id"))
    if not order_id:
        PAYLOADS.skip("no brokerage_order_id")
        return None
    status_text = _text(row.get("status"))
    status = STATUS.get(status_text)
    if status is None:
        PAYLOADS.skip(f"status {status_text!r} unknown")
        return None
    instrument = _order_instrument(row)
    action = ACTIONS.get(_text(row.get("action")).upper())
    if instrument is None or action is None:
        if action is None:
            PAYLOADS.skip(f"action {row.get('action')!r} unknown")
        return None
    side, effect = action
    total = read_decimal(row.get("total_quantity"), "total_quantity", PAYLOADS)
    filled = read_decimal(row.get("filled_quantity"), "filled_quantity", PAYLOADS) or Decimal(0)
    if total is None or total <= 0:
        PAYLOADS.skip("total_quantity unreadable")
        return None
    kind = ORDER_TYPES.get(_text(row.get("order_type")))
    limit = read_decimal(row.get("limit_price"), "limit_price", PAYLOADS)
    stop = read_decimal(row.get("stop_price"), "stop_price", PAYLOADS)
    if kind is None:  # a brokerage's own type: the closest one its prices allow
        from desktop.domain import OrderType

        kind = (OrderType.STOP_LIMIT if limit and stop else OrderType.LIMIT if limit else
                OrderType.STOP if stop else OrderType.MARKET)
    if not kind.needs_limit_price:
        limit = None
    if not kind.needs_stop_price:
        stop = None
    if status is OrderStatus.FILLED:
        filled = total
    words = [STATUS_WORDS[status_text]] if status_text in STATUS_WORDS else []
    group = _text(row.get("brokerage_group_order_id"))
    if group:
        words.append(f"leg of multi-leg order {group}")
    placed = parse_time(row.get("time_placed"))
    updated = parse_time(row.get("time_updated")) or parse_time(row.get("time_executed")) or placed
    extra = {k: v for k, v in (("created_at", placed), ("updated_at", updated)) if v is not None}
    return Order(broker=BROKER, connection_id=connection_id, account_id=account_id, order_id=order_id,
                 client_order_id=(client_ids or {}).get(order_id, ""), instrument=instrument, side=side, type=kind,
                 time_in_force=TIFS.get(_text(row.get("time_in_force")), TIFS["Day"]), amount=total,
                 filled=min(filled, total), average=read_decimal(row.get("execution_price"), "execution_price",
                                                                 PAYLOADS) if filled else None,
                 limit_price=limit, stop_price=stop, status=status, message="; ".join(words),
                 position_effect=effect if instrument.is_option else None, raw=row, **extra)


@PAYLOADS.item("symbol")
def parse_symbol(row: Any) -> Instrument | None:
    """A ``UniversalSymbol`` as an equity Instrument (``broker_id`` = its id; lots of
    0.0001 share: whether an account takes fractions is its brokerage's
    ``allows_fractional_units``, see the broker's account capabilities)."""
    symbol, universal_id = _text(row.get("symbol")), _text(row.get("id"))
    if not symbol or not universal_id:
        PAYLOADS.skip("no symbol or id")
        return None
    exchange = row.get("exchange") or {}
    return Instrument.equity(symbol[:32], description=_text(row.get("description")),
                             currency=_text((row.get("currency") or {}).get("code")) or "USD",
                             exchange=_text(exchange.get("code")) or None, broker_id=universal_id,
                             lot_size=Decimal("0.0001"), raw=row)


@PAYLOADS.item("quote")
def parse_quote(row: Any, connection_id: str) -> Quote | None:
    symbol = _text((row.get("symbol") or {}).get("symbol"))
    if not symbol:
        PAYLOADS.skip("no symbol")
        return None
    values = {name: read_decimal(row.get(key), key, PAYLOADS) for name, key in
              (("last", "last_trade_price"), ("bid", "bid_price"), ("ask", "ask_price"),
               ("bid_size", "bid_size"), ("ask_size", "ask_size"))}
    return Quote(symbol=symbol, connection_id=connection_id, raw=row, **values)


@dataclass(frozen=True)
class CheckedTrade:
    """A checked trade (``ManualTradeAndImpact``): ``trade_id``, ``preview``."""

    trade_id: str
    preview: OrderPreview


@PAYLOADS.payload("trade impact")
def parse_impact(body: Any, amount_hint: Decimal | None = None) -> CheckedTrade:
    """The trade id and the impact of ``/trade/impact`` as an OrderPreview (remaining
    cash, estimated commission, forex fees in ``lines``)."""
    trade = body.get("trade") or {}
    trade_id = _text(trade.get("id"))
    if not trade_id:
        raise ValueError("no trade id")
    impacts = [i for i in body.get("trade_impacts") or [] if isinstance(i, dict)]
    impact = impacts[0] if impacts else {}
    remaining = read_decimal(impact.get("remaining_cash"), "remaining_cash", PAYLOADS)
    commission = read_decimal(impact.get("estimated_commission"), "estimated_commission", PAYLOADS)
    forex = read_decimal(impact.get("forex_fees"), "forex_fees", PAYLOADS)
    price = read_decimal(trade.get("price"), "price", PAYLOADS)
    units = read_decimal(trade.get("units"), "units", PAYLOADS) or amount_hint
    combined = body.get("combined_remaining_balance") or {}
    currency = _text((combined.get("currency") or {}).get("code")) or "USD"
    amount = units * price if units is not None and price is not None else None
    total = amount + (commission or 0) + (forex or 0) if amount is not None else None
    lines = [(label, f"{value:,.2f} {currency}") for label, value in
             (("Remaining cash", remaining), ("Estimated commission", commission), ("Forex fees", forex))
             if value is not None]
    lines.append(("Checked trade", f"{trade_id} (valid for 5 minutes)"))
    return CheckedTrade(trade_id, OrderPreview(currency=currency, amount=amount, commission=commission, total=total,
                                               lines=tuple(lines), raw=body))


__all__ = ["PAYLOADS", "AccountInfo", "Authorization", "CheckedTrade", "OptionContract", "option_instrument",
           "parse_account", "parse_authorization", "parse_balance", "parse_impact", "parse_order", "parse_position",
           "parse_positions", "parse_quote", "parse_symbol", "parse_time"]
