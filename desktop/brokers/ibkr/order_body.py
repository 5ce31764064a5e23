"""Pure order mapping: OrderRequest -> CPAPI order body; live orders, trades and
what-if previews -> domain models.

Sources: ``specs/ibkr-cpapi/NOTES.md`` section 4 and the v2.29 spec schemas
``singleOrderSubmissionRequest``, ``GET /iserver/account/orders``, ``GET
/iserver/account/trades`` and ``POST /iserver/account/{id}/orders/whatif``.
"""

from __future__ import annotations

import re
from collections.abc import Container
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from desktop.brokers.errors import InvalidRequestError
from desktop.domain import (
    Fill,
    Instrument,
    Order,
    OrderPreview,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)

from .accounts import BROKER
from .contracts import instrument_for
from .order_checks import check_numbers, check_order
from .parse import PAYLOADS, money_text, number_json, text, to_datetime, to_decimal, to_int

ORDER_TYPES = {OrderType.LIMIT: "LMT", OrderType.MARKET: "MKT", OrderType.STOP: "STP",
               OrderType.STOP_LIMIT: "STOP_LIMIT"}
"""Domain order type -> CPAPI ``orderType``."""

TIFS = {TimeInForce.DAY: "DAY", TimeInForce.GTC: "GTC", TimeInForce.IOC: "IOC"}
"""Domain TIF -> CPAPI ``tif`` (FOK does not exist in the CPAPI enum)."""

_TYPE_NAMES = {
    "LMT": OrderType.LIMIT, "LIMIT": OrderType.LIMIT,
    "MKT": OrderType.MARKET, "MARKET": OrderType.MARKET,
    "STP": OrderType.STOP, "STOP": OrderType.STOP,
    "STOP_LIMIT": OrderType.STOP_LIMIT, "STOPLIMIT": OrderType.STOP_LIMIT, "STP LMT": OrderType.STOP_LIMIT,
    "STP_LMT": OrderType.STOP_LIMIT, "STOP LIMIT": OrderType.STOP_LIMIT,
}

STATUS_MAP = {
    "inactive": OrderStatus.REJECTED,
    "pendingsubmit": OrderStatus.SUBMITTED,
    "presubmitted": OrderStatus.ACCEPTED,
    "submitted": OrderStatus.ACCEPTED,
    "filled": OrderStatus.FILLED,
    "pendingcancel": OrderStatus.PENDING_CANCEL,
    "cancelled": OrderStatus.CANCELED,
    "canceled": OrderStatus.CANCELED,
    "apicancelled": OrderStatus.CANCELED,
    "warnstate": OrderStatus.ACCEPTED,
}
"""CPAPI order status (case and ``_`` ignored) -> OrderStatus. Submitted/PreSubmitted
with a partial fill become PARTIALLY_FILLED (see :func:`map_status`)."""

_WARN_PREFIX = re.compile(r"^\d+/")


def order_body(request: OrderRequest, conid: int, account_id: str | None = None) -> dict[str, Any]:
    """One ``singleOrderSubmissionRequest`` for ``request`` (numbers as JSON numbers).

    ``acctId`` = ``account_id`` (the account or the allocation group, default
    ``request.account_id``), ``cOID`` = ``client_order_id`` (comes back as
    ``order_ref``). LIMIT: ``price``; STOP: trigger in ``price`` (IBKR's bracket
    example); STOP_LIMIT: ``price`` = limit, ``auxPrice`` = stop. Raises
    InvalidRequestError(field="time_in_force") for FOK, which the CPAPI lacks, and
    InvalidRequestError naming the field for a number IBKR cannot take
    (:func:`~desktop.brokers.ibkr.order_checks.check_order`: NaN, infinity, zero or
    negative zero, too large, too many digits).
    """
    check_order(request.instrument, request.type, request.amount, request.limit_price, request.stop_price)
    tif = TIFS.get(request.time_in_force)
    if tif is None:
        raise InvalidRequestError("Interactive Brokers' Client Portal does not accept fill-or-kill orders; "
                                  "use IOC (immediate or cancel) instead", field="time_in_force")
    body: dict[str, Any] = {
        "acctId": account_id or request.account_id,
        "conid": conid,
        "cOID": request.client_order_id,
        "orderType": ORDER_TYPES[request.type],
        "side": request.side.value,
        "tif": tif,
        "quantity": number_json(request.amount),
    }
    body.update(price_fields(request.type, request.limit_price, request.stop_price))
    return body


def price_fields(order_type: OrderType, limit: Decimal | None, stop: Decimal | None) -> dict[str, Any]:
    """``price``/``auxPrice`` of an order body for the domain prices (see order_body)."""
    if order_type is OrderType.LIMIT:
        return {"price": number_json(limit)}
    if order_type is OrderType.STOP:
        return {"price": number_json(stop)}
    if order_type is OrderType.STOP_LIMIT:
        return {"price": number_json(limit), "auxPrice": number_json(stop)}
    return {}


def modify_body(order: Order, conid: int, *, amount: Decimal | None = None, limit_price: Decimal | None = None,
                stop_price: Decimal | None = None) -> dict[str, Any]:
    """The single-object body of ``POST /iserver/account/{id}/order/{orderId}``: every
    original field of ``order`` (from the live orders) with the changes applied.
    Raises InvalidRequestError naming the field for a price the order type lacks, a
    number IBKR cannot take or an order the domain's rules refuse
    (:func:`~desktop.brokers.ibkr.order_checks.check_order`)."""
    check_numbers(amount=amount, limit_price=limit_price, stop_price=stop_price)
    if limit_price is not None and not order.type.needs_limit_price:
        raise InvalidRequestError(f"A {order.type.value} order has no limit price", field="limit_price")
    if stop_price is not None and not order.type.needs_stop_price:
        raise InvalidRequestError(f"A {order.type.value} order has no stop price", field="stop_price")
    check_order(order.instrument, order.type, amount if amount is not None else order.amount,
                limit_price if limit_price is not None else order.limit_price,
                stop_price if stop_price is not None else order.stop_price)
    if amount is not None and amount <= order.filled:
        raise InvalidRequestError(f"The new quantity must exceed the {order.filled} already filled", field="amount")
    body: dict[str, Any] = {
        "acctId": order.account_id,
        "conid": conid,
        "orderType": ORDER_TYPES[order.type],
        "side": order.side.value,
        "tif": TIFS.get(order.time_in_force, "DAY"),
        "quantity": number_json(amount if amount is not None else order.amount),
    }
    if order.client_order_id:
        body["cOID"] = order.client_order_id
    body.update(price_fields(order.type, limit_price if limit_price is not None else order.limit_price,
                             stop_price if stop_price is not None else order.stop_price))
    return body


def map_status(status: Any, filled: Decimal, amount: Decimal | None, raw: Any = None) -> OrderStatus:
    """CPAPI status text -> OrderStatus (unknown: SUBMITTED + WARNING with ``raw``)."""
    key = text(status).replace("_", "").replace(" ", "").lower()
    mapped = STATUS_MAP.get(key)
    if mapped is None:
        PAYLOADS.problem(f"status {text(status)[:40]!r} (unknown; taken as SUBMITTED)", raw)
        mapped = OrderStatus.SUBMITTED
    if mapped is OrderStatus.ACCEPTED and filled > 0 and (amount is None or filled < amount):
        return OrderStatus.PARTIALLY_FILLED
    return mapped


def _order_type(row: dict[str, Any]) -> OrderType | None:
    for key in ("origOrderType", "orderType", "order_type"):
        name = text(row.get(key)).upper()
        if name in _TYPE_NAMES:
            return _TYPE_NAMES[name]
    return None


def _tif(value: Any) -> TimeInForce:
    name = text(value).upper()
    return {"GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC}.get(name, TimeInForce.DAY)


@PAYLOADS.item("live order")
def order_from_live(row: Any, *, account_id: str | None = None, groups: Container[str] = (),
                    instrument: Instrument | None = None) -> Order | None:
    """One ``GET /iserver/account/orders`` row as an Order; None (logged once with the
    row) when unreadable.

    ``account_id``: the account or group the list was asked for; a group order (listed
    under a group in ``groups``, or whose ``acct`` is a group) gets ``account_id`` =
    ``allocation_group`` = the group name. Sizes are strings or numbers: ``totalSize``,
    ``filledQuantity``, ``remainingQuantity``, ``avgPrice``; ``price`` is the limit
    (for STP the trigger), ``auxPrice`` the stop of a stop-limit; ``order_ref`` is our
    client order id; ``lastExecutionTime_r`` (ms) the update time.
    """
    if not isinstance(row, dict):
        PAYLOADS.skip("not an object")
        return None
    order_id = to_int(row.get("orderId"), "orderId", row)
    otype = _order_type(row)
    side = text(row.get("side")).upper()
    side = {"B": "BUY", "S": "SELL"}.get(side, side)
    filled = to_decimal(row.get("filledQuantity"), "filledQuantity", row) or Decimal(0)
    amount = to_decimal(row.get("totalSize"), "totalSize", row)
    if amount is None:
        remaining = to_decimal(row.get("remainingQuantity"), "remainingQuantity", row)
        amount = filled + remaining if remaining is not None else None
    if order_id is None or otype is None or side not in ("BUY", "SELL") or amount is None or amount <= 0:
        PAYLOADS.skip("no readable orderId, order type, side or size")
        return None
    acct = text(row.get("acct")) or text(row.get("account"))
    group = ""
    if account_id and account_id in groups:
        group = account_id
    elif acct and acct in groups:
        group = acct
    owner = group or acct or account_id or ""
    price = to_decimal(row.get("price"), "price", row)
    aux = to_decimal(row.get("auxPrice"), "auxPrice", row)
    limit = price if otype.needs_limit_price else None
    stop = aux if otype is OrderType.STOP_LIMIT else price if otype is OrderType.STOP else None
    if otype is OrderType.STOP_LIMIT and stop is None:
        stop = to_decimal(row.get("stop_price"), "stop_price", row)
    avg = to_decimal(row.get("avgPrice"), "avgPrice", row)
    updated = to_datetime(row.get("lastExecutionTime_r") or row.get("lastExecutionTime"), "lastExecutionTime", row)
    conid = to_int(row.get("conid"), "conid", row)
    try:
        inst = instrument or instrument_for(text(row.get("ticker")) or text(row.get("description1")), conid,
                                            description=text(row.get("companyName")))
        stamps = {"created_at": updated, "updated_at": updated} if updated else {}
        status = map_status(row.get("status"), min(filled, amount), amount, row)
        return Order(
            broker=BROKER, account_id=owner, order_id=str(order_id), client_order_id=text(row.get("order_ref")),
            instrument=inst, side=OrderSide(side), type=otype, time_in_force=_tif(row.get("timeInForce")),
            amount=amount, filled=min(filled, amount), average=avg if avg and filled > 0 else None,
            limit_price=limit, stop_price=stop, status=status,
            message=text(row.get("order_cancellation_by_system_reason")) or "",
            allocation_group=group, raw=row, **stamps)
    except (ValidationError, ValueError) as exc:
        PAYLOADS.skip(f"invalid order ({str(exc)[:160]})")
        return None


@PAYLOADS.payload("live orders")
def orders_from_live(payload: Any, *, account_id: str | None = None, groups: Container[str] = ()) -> list[Order]:
    """Every readable order of a ``{"orders": [...], "snapshot": true}`` payload (a bare
    list too); unreadable rows are logged once each and skipped."""
    rows = payload.get("orders") if isinstance(payload, dict) else payload if isinstance(payload, list) else None
    if not isinstance(rows, list):
        if payload not in (None, {}, []):
            PAYLOADS.skip("no orders list")
        return []
    return [o for o in (order_from_live(r, account_id=account_id, groups=groups) for r in rows) if o]


@PAYLOADS.item("trade")
def fill_from_trade(row: Any, *, accounts: Container[str] = ()) -> Fill | None:
    """One ``GET /iserver/account/trades`` row as a Fill; None (logged once) if unreadable.

    ``side`` B/S, ``size``, ``price`` (string), ``commission`` (string),
    ``trade_time_r`` (ms) or ``trade_time`` (``YYYYMMDD-hh:mm:ss`` UTC), ``account`` ->
    ``account_id``, ``order_ref`` -> ``client_order_id``, ``execution_id`` -> ``fill_id``.
    ``account_allocation_name`` -> ``allocation_group`` unless it is just the account
    itself (the spec's example of an ordinary trade) or another account in ``accounts``.
    """
    if not isinstance(row, dict):
        PAYLOADS.skip("not an object")
        return None
    account = text(row.get("account")) or text(row.get("accountCode"))
    side = {"B": "BUY", "S": "SELL", "BUY": "BUY", "SELL": "SELL", "BOT": "BUY", "SLD": "SELL"}.get(
        text(row.get("side")).upper())
    size = to_decimal(row.get("size"), "size", row)
    price = to_decimal(row.get("price"), "price", row)
    fill_id = text(row.get("execution_id"))
    order_id = to_int(row.get("order_id"), "order_id", row)
    if not account or side is None or size is None or size <= 0 or price is None or not fill_id:
        PAYLOADS.skip("no readable account, side, size, price or execution_id")
        return None
    alloc = text(row.get("account_allocation_name"))
    if alloc == account or alloc in accounts:
        alloc = ""
    when = to_datetime(row.get("trade_time_r"), "trade_time_r", row) if row.get("trade_time_r") else None
    when = when or to_datetime(row.get("trade_time"), "trade_time", row)
    commission = to_decimal(row.get("commission"), "commission", row)
    symbol = text(row.get("symbol")) or text(row.get("contract_description_1"))
    try:
        inst = instrument_for(symbol, to_int(row.get("conid"), "conid", row), description=text(row.get("company_name")))
        return Fill(broker=BROKER, account_id=account, fill_id=fill_id,
                    order_id=str(order_id) if order_id is not None else "", client_order_id=text(row.get("order_ref")),
                    instrument=inst, side=OrderSide(side), amount=size, price=price,
                    commission=abs(commission) if commission is not None else Decimal(0),
                    allocation_group=alloc, raw=row, **({"timestamp": when} if when else {}))
    except (ValidationError, ValueError) as exc:
        PAYLOADS.skip(f"invalid fill ({str(exc)[:160]})")
        return None


_PREVIEW_LABELS = (("amount", "Amount"), ("equity", "Equity with loan"), ("initial", "Initial margin"),
                   ("maintenance", "Maintenance margin"), ("position", "Position"))


def _unreadable_preview() -> OrderPreview:
    return OrderPreview(error="The gateway's preview could not be read (see the log)")


@PAYLOADS.item("what-if preview", default=_unreadable_preview)
def preview_from_whatif(payload: Any) -> OrderPreview:
    """``POST .../orders/whatif`` -> OrderPreview. All values there are strings such as
    ``"1,977.60 USD (10 Shares)"``; ``warn`` loses its ``"21/"`` code prefix; ``error``
    (or an ``{"error": ...}`` body) goes to ``error``. ``lines`` keeps the labelled
    strings for display. Unreadable numbers are None (logged)."""
    if not isinstance(payload, dict):
        PAYLOADS.skip("not an object")
        return OrderPreview(error="The gateway returned no preview")
    amount_block = payload.get("amount") if isinstance(payload.get("amount"), dict) else {}
    amount, ccy = money_text(amount_block.get("amount"), "amount", payload)
    commission, ccy2 = money_text(amount_block.get("commission"), "commission", payload)
    total, ccy3 = money_text(amount_block.get("total"), "total", payload)

    def pair(block: str) -> tuple[Decimal | None, Decimal | None]:
        b = payload.get(block) if isinstance(payload.get(block), dict) else {}
        return money_text(b.get("current"), f"{block}.current", payload)[0], money_text(b.get("after"), f"{block}.after",
                                                                                      payload)[0]

    eq_before, eq_after = pair("equity")
    im_before, im_after = pair("initial")
    mm_before, mm_after = pair("maintenance")
    lines: list[tuple[str, str]] = []
    if amount_block:
        for key, label in (("amount", "Amount"), ("commission", "Commission"), ("total", "Total")):
            if amount_block.get(key) not in (None, ""):
                lines.append((label, text(amount_block[key])))
    for key, label in _PREVIEW_LABELS[1:]:
        b = payload.get(key)
        if isinstance(b, dict):
            parts = [f"{name} {text(b[name])}" for name in ("current", "change", "after") if b.get(name) not in (None, "")]
            if parts:
                lines.append((label, ", ".join(parts)))
    return OrderPreview(
        currency=ccy or ccy3 or ccy2 or "USD", amount=amount, commission=commission, total=total,
        equity_before=eq_before, equity_after=eq_after, initial_margin_before=im_before,
        initial_margin_after=im_after, maintenance_margin_before=mm_before, maintenance_margin_after=mm_after,
        warning=_WARN_PREFIX.sub("", text(payload.get("warn"))), error=text(payload.get("error")),
        lines=tuple(lines), raw=payload)
