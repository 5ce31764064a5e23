"""Connect Trade's wire format, in one place: paths, query parameters, header names,
field names, codes, and the readers and writers between its JSON and the domain.

Source: the Connect Trade API Cookbook (seeds/000_22acd433f5b2ef22.txt, tabulated in
specs/connecttrade/NOTES.md section 3) and, for users and connections, third-party
code (NOTES.md section 2). No official schema was available: re-check this module
against ``https://connecttrade.com/openapi.json`` when it can be fetched. What the
cookbook does NOT show and is assumed here (marked ASSUMED below): the names
``limit_price`` / ``stop_price`` of an order's prices, the order row's
``cl_order_id`` / ``created_time`` / ``last_exec_time`` (the sort key the cookbook
names) / ``order_tif`` / ``instrument`` and a position's or balance's
``account_id``, the ``normalized_status`` values (read tolerantly: any case,
CANCELED or CANCELLED, ...), the bar message's ``symbol`` / ``interval`` / ``t`` and
the error message of the stream.

Readers are total (:mod:`desktop.brokers.transport.payloads`): a row with an
unreadable field is logged once through :data:`PAYLOADS` and skipped, the rest of the
answer still applies. Numbers may be JSON numbers or numeric strings (the cookbook
reads every one with ``float()``); they become Decimal, never float.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.brokers.transport.payloads import PayloadLog
from desktop.domain import (Account, Balance, Bar, Fill, Instrument, Interval, Order, OrderRequest, OrderSide,
                            OrderStatus, OrderType, Position, TimeInForce)
from desktop.domain.occ import OccSymbolError, parse_occ

log = logging.getLogger("desktop.brokers.connecttrade")
PAYLOADS = PayloadLog(log, "Connect Trade")
"""The adapter's unreadable-payload log (one line per unreadable row)."""

BROKER = "connecttrade"

# -- endpoints (NOTES.md section 3.2; users/connections section 2) ----------------------
BASE_URL = "https://api.connecttrade.com"
MDSTREAM_URL = "wss://mdstream.connecttrade.com"
ACCOUNTS = "/accounts"
BALANCES = "/balances"
POSITIONS = "/positions"
ORDERS = "/orders"
TRANSACTIONS = "/transactions"
USERS = "/users"
CONNECTIONS = "/connections"


def cancel_path(account_id: str, order_id: str) -> str:
    """DELETE path of one order: ``/accounts/{account_id}/orders/{order_id}``."""
    return f"/accounts/{account_id}/orders/{order_id}"


def token_path(connection_id: str) -> str:
    """GET path of a market-data token: ``/connections/{connection_id}/token``."""
    return f"/connections/{connection_id}/token"


def connection_path(connection_id: str) -> str:
    """DELETE path unlinking a brokerage: ``/connections/{connection_id}``."""
    return f"/connections/{connection_id}"


HEADER_NAMES = ("client-id", "client-secret", "user-id", "user-secret")
"""The four headers every request carries (NOTES.md section 3.1)."""
MAX_CL_ORDER_ID = 30
"""Longest ``cl_order_id`` (the cookbook cuts a UUID4 string to 30 characters)."""
ORDERS_LIMIT = "500"
"""``limit`` of the orders snapshot (the cookbook's largest; sent as a string)."""
SORT_RECENT = "last_exec_time:desc"
SESSION = "USEqCore"
STREAM_VERSION = "v1.0"

# -- orders ---------------------------------------------------------------------------
ORDER_TYPES = {OrderType.MARKET: "MKT", OrderType.LIMIT: "LMT", OrderType.STOP: "STP", OrderType.STOP_LIMIT: "STP LMT"}
ORDER_TYPES_IN = {v: k for k, v in ORDER_TYPES.items()} | {"MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT,
                                                          "STOP": OrderType.STOP, "STOP_LIMIT": OrderType.STOP_LIMIT,
                                                          "STP_LMT": OrderType.STOP_LIMIT}
TIFS = {TimeInForce.DAY: "DAY", TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC", TimeInForce.FOK: "FOK"}
STATUSES = {
    "PENDING_NEW": OrderStatus.SUBMITTED, "PENDING": OrderStatus.SUBMITTED, "SUBMITTED": OrderStatus.SUBMITTED,
    "NEW": OrderStatus.ACCEPTED, "OPEN": OrderStatus.ACCEPTED, "ACCEPTED": OrderStatus.ACCEPTED,
    "WORKING": OrderStatus.ACCEPTED, "PENDING_REPLACE": OrderStatus.PENDING_UPDATE,
    "PENDING_CANCEL": OrderStatus.PENDING_CANCEL, "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "PARTIAL": OrderStatus.PARTIALLY_FILLED, "FILLED": OrderStatus.FILLED, "CANCELLED": OrderStatus.CANCELED,
    "CANCELED": OrderStatus.CANCELED, "REJECTED": OrderStatus.REJECTED, "EXPIRED": OrderStatus.EXPIRED,
    "DONE_FOR_DAY": OrderStatus.EXPIRED,
}
"""``normalized_status`` (ASSUMED values; upper-cased, spaces and dashes as ``_``) ->
OrderStatus."""


def cl_order_id(client_order_id: str) -> str:
    """The ``cl_order_id`` sent for a request's ``client_order_id``: itself when at most
    30 characters, else its first 30 (as the cookbook cuts a UUID): deterministic, so
    a retry of the same request sends the same id."""
    return client_order_id[:MAX_CL_ORDER_ID]


def order_body(request: OrderRequest, broker_code: str) -> dict[str, Any]:
    """The POST /orders body of ``request`` for an account at ``broker_code``
    (NOTES.md section 3.2: account_id, cl_order_id, broker, side, order_qty as a
    string, order_type, order_tif, instrument STK or OPT with the OCC symbol, symbol;
    ``limit_price`` / ``stop_price`` as strings, ASSUMED names)."""
    body: dict[str, Any] = {
        "account_id": request.account_id,
        "cl_order_id": cl_order_id(request.client_order_id),
        "broker": broker_code,
        "side": request.side.value,
        "order_qty": plain(request.amount),
        "order_type": ORDER_TYPES[request.type],
        "order_tif": TIFS[request.time_in_force],
        "instrument": "OPT" if request.instrument.is_option else "STK",
        "symbol": request.instrument.symbol,
    }
    if request.limit_price is not None:
        body["limit_price"] = plain(request.limit_price)
    if request.stop_price is not None:
        body["stop_price"] = plain(request.stop_price)
    return body


def plain(value: Decimal) -> str:
    """``value`` as a plain numeric string ("10", "187.25"; never "1E+1")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def orders_params(*, status: str = "all", start_time: datetime | None = None, symbols: str | None = None,
                  limit: str = ORDERS_LIMIT) -> dict[str, str]:
    """GET /orders query: ``status`` (open/filled/all), ``sort``, ``limit`` (a string),
    ``start_time`` (``YYYY-MM-DDTHH:MM:SSZ``), ``symbols``."""
    params = {"status": status, "sort": SORT_RECENT, "limit": limit}
    if start_time is not None:
        params["start_time"] = start_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if symbols:
        params["symbols"] = symbols
    return params


def transactions_params(start: date, end: date) -> dict[str, str]:
    """GET /transactions query: ``start_date`` / ``end_date`` as ``YYYY-MM-DD``."""
    return {"start_date": start.isoformat(), "end_date": end.isoformat()}


# -- field readers ----------------------------------------------------------------------
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$", re.ASCII)
MAX_EXPONENT = 15


def number(row: Mapping[str, Any], name: str, *, required: bool = False) -> Decimal | None:
    """``row[name]`` as Decimal: a JSON number or a numeric string (ASCII digits only;
    magnitudes beyond 1e15 and non-finite values are unreadable). None when absent
    or null; an unreadable value is noted (:data:`PAYLOADS`) and gives None, and a
    ``required`` one raises ValueError (the row is skipped)."""
    value = row.get(name)
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} missing")
        return None
    result: Decimal | None = None
    if isinstance(value, bool):
        result = None
    elif isinstance(value, int):
        result = Decimal(value) if abs(value) < 10**MAX_EXPONENT else None
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str) and len(value) <= 40 and _NUMBER.match(value.strip()):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            result = None
    if result is not None and (not result.is_finite() or (result and abs(result.adjusted()) > MAX_EXPONENT)):
        result = None
    if result is None:
        PAYLOADS.problem(f"{name}={_short(value)} unreadable")
        if required:
            raise ValueError(f"{name} unreadable")
    return result


def text(row: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """``row[name]`` as stripped text ("" when absent); ``required``: ValueError when empty."""
    value = row.get(name)
    out = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if required and not out:
        PAYLOADS.problem(f"{name}={_short(value)} missing or unreadable")
        raise ValueError(f"{name} missing")
    return out


def timestamp(row: Mapping[str, Any], name: str) -> datetime | None:
    """``row[name]`` as an aware UTC datetime: ISO 8601 text (``Z`` or an offset), or
    epoch seconds / milliseconds as a number. None (noted) when unreadable."""
    value = row.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value) / (1000 if abs(value) > 1e11 else 1)
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        if isinstance(value, str) and len(value) <= 40:
            if value.strip().isascii() and value.strip().isdigit():
                return timestamp({name: int(value.strip())}, name)
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    PAYLOADS.problem(f"{name}={_short(value)} unreadable")
    return None


def _short(value: Any) -> str:
    out = repr(value) if not isinstance(value, (dict, list)) else f"<{type(value).__name__}>"
    return out if len(out) <= 40 else out[:37] + "..."


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
        PAYLOADS.problem(f"normalized_status={_short(row.get('normalized_status'))} unknown")
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
        PAYLOADS.problem(f"order_type={_short(row.get('order_type'))} unknown")
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
        PAYLOADS.problem(f"fill quantity={_short(row.get('quantity'))} price={_short(row.get('price'))} unusable")
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


# -- the stream ---------------------------------------------------------------------------
def authenticate_message(token: str, request_id: str) -> dict[str, Any]:
    """``{"action": "authenticate", "access_token", "request_id", "version": "v1.0"}``."""
    return {"action": "authenticate", "access_token": token, "request_id": request_id, "version": STREAM_VERSION}


def subscribe_message(symbol: str, interval: Interval, backfill: int, request_id: str) -> dict[str, Any]:
    """``{"action": "subscribe", "channel": "bars", "symbol", "interval", "session":
    "USEqCore", "request_id", "backfill_nbars"}``."""
    return {"action": "subscribe", "channel": "bars", "symbol": symbol, "interval": Interval(interval).value,
            "session": SESSION, "request_id": request_id, "backfill_nbars": int(backfill)}


def unsubscribe_message(symbol: str, interval: Interval, request_id: str) -> dict[str, Any]:
    """``{"action": "unsubscribe", "channel": "bars", "symbol", "interval", "request_id"}`` (ASSUMED)."""
    return {"action": "unsubscribe", "channel": "bars", "symbol": symbol, "interval": Interval(interval).value,
            "request_id": request_id}


def is_auth_success(frame: Mapping[str, Any]) -> bool:
    return frame.get("type") == "auth_success"


def is_error(frame: Mapping[str, Any]) -> bool:
    return frame.get("type") in ("error", "auth_error", "auth_failed")


def is_bar(frame: Mapping[str, Any]) -> bool:
    """A bar message: it carries ``c`` (the cookbook's test) and is no ack."""
    return "c" in frame and frame.get("type") not in ("subscribed", "unsubscribed")


@PAYLOADS.item("bar message")
def read_bar(frame: Any, default_interval: Interval | None = None) -> Bar | None:
    """A bar message (``symbol``, ``interval``, ``t`` the bar's start, ``o h l c v``,
    numbers or numeric strings) -> Bar; None (logged) when unreadable."""
    interval_text = text(frame, "interval")
    interval = Interval(interval_text) if interval_text in {i.value for i in Interval} else default_interval
    if interval is None:
        raise ValueError("interval")
    start = timestamp(frame, "t")
    if start is None:
        raise ValueError("t")
    close = number(frame, "c", required=True)
    o, h, low = (number(frame, k) for k in ("o", "h", "l"))
    o = o if o is not None else close
    h = h if h is not None else max(o, close)
    low = low if low is not None else min(o, close)
    return Bar(symbol=text(frame, "symbol", required=True).upper(), interval=interval, start=start, open=o, high=h,
               low=low, close=close, volume=number(frame, "v") or Decimal(0), raw=frame)
