"""Websocket ``sor`` (live order) rows -> updates merged into the Orders we know.

NOTES.md section 6: after ``sor+{}`` the gateway pushes
``{"topic": "sor", "args": [{orderId, acct, conid, status, filledQuantity,
remainingQuantity, avgPrice, order_ref, ...}]}``; values may be strings or numbers and
a row may carry only some fields. A row is a *partial* update: :func:`parse_sor_row`
reads the fields it has, :func:`merge_sor` applies them to the last Order snapshot
(status, filled, remaining -> amount, average). REST (``GET /iserver/account/orders``)
stays the source of truth and corrects whatever a frame said.

Malformed rows (not an object, no readable ``orderId``, a present but unreadable
number, an impossible quantity) are logged with the raw row and skipped; nothing here
raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from desktop.domain import Order, OrderStatus

from .order_body import STATUS_MAP, map_status
from .parse import PAYLOADS, text, to_decimal, to_int


@dataclass(frozen=True)
class SorUpdate:
    """What one ``sor`` row says about an order; None = not in the row.

    ``order_id`` (the gateway's id as text), ``account`` (``acct``: an account or a
    group name, "" if absent), ``status_text`` (the CPAPI status, e.g. "Filled"),
    ``filled`` / ``remaining`` (shares), ``average`` (``avgPrice``, instrument
    currency), ``client_order_id`` (``order_ref``), ``raw`` (the row).
    """

    order_id: str
    account: str
    status_text: str | None
    filled: Decimal | None
    remaining: Decimal | None
    average: Decimal | None
    client_order_id: str
    raw: dict


def _number(row: dict, name: str) -> tuple[bool, Decimal | None]:
    """(ok, value): ok False when the field is present but unreadable."""
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return True, None
    number = to_decimal(value, name, row)
    return number is not None, number


@PAYLOADS.item("websocket order row (sor)")
def parse_sor_row(row: Any) -> SorUpdate | None:
    """One ``sor`` ``args`` element as a :class:`SorUpdate`, or None (logged once with
    the row) when it is malformed."""
    if not isinstance(row, dict):
        PAYLOADS.skip("not an object")
        return None
    order_id = to_int(row.get("orderId"), "orderId", row)
    if order_id is None:
        PAYLOADS.skip("no readable orderId")
        return None
    values: dict[str, Decimal | None] = {}
    for name in ("filledQuantity", "remainingQuantity", "avgPrice"):
        ok, values[name] = _number(row, name)
        if not ok:
            PAYLOADS.skip("a quantity or price that cannot be read")
            return None
    filled, remaining = values["filledQuantity"], values["remainingQuantity"]
    if (filled is not None and filled < 0) or (remaining is not None and remaining < 0):
        PAYLOADS.skip("a negative quantity")
        return None
    status = text(row.get("status")) or text(row.get("order_status")) or None
    if status is not None and status.replace("_", "").replace(" ", "").lower() not in STATUS_MAP:
        PAYLOADS.problem(f"status {status[:40]!r} (unknown; ignored)")
        status = None
    return SorUpdate(order_id=str(order_id), account=text(row.get("acct")) or text(row.get("account")),
                     status_text=status, filled=filled, remaining=remaining, average=values["avgPrice"],
                     client_order_id=text(row.get("order_ref")), raw=row)


@PAYLOADS.item("websocket order row (sor)", raw_arg=1)
def merge_sor(order: Order, update: SorUpdate) -> Order | None:
    """``order`` with the fields ``update`` carries; None (logged once) when the result
    would be inconsistent (e.g. filled above the order size).

    ``amount`` becomes ``filled + remaining`` when the row has both (a modified size)
    and the order is not closing (a cancelled order may say remaining 0), else stays; ``average`` is taken only once something is filled; the status is
    mapped as for REST rows (Submitted with a partial fill -> PARTIALLY_FILLED) and
    kept when the row has none. ``raw`` stays the last REST row (modify bodies and
    conid look-ups read it).
    """
    filled = update.filled if update.filled is not None else order.filled
    amount = order.amount
    closing = update.status_text is not None and map_status(update.status_text, filled, amount).is_closed
    if closing:
        pass  # a cancelled order may report remaining 0: its size stays what it was
    elif update.filled is not None and update.remaining is not None and filled + update.remaining > 0:
        amount = filled + update.remaining
    elif update.filled is None and update.remaining is not None:
        filled = amount - update.remaining
    if filled < 0 or filled > amount:
        PAYLOADS.skip(f"inconsistent with order {order.order_id} ({filled} of {amount} filled)")
        return None
    if update.status_text is not None:
        status = map_status(update.status_text, filled, amount, update.raw)
    elif order.status is OrderStatus.ACCEPTED and 0 < filled < amount:
        status = OrderStatus.PARTIALLY_FILLED
    elif order.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED) and filled == amount:
        status = OrderStatus.FILLED
    else:
        status = order.status
    average = update.average if update.average is not None and filled > 0 else order.average
    try:
        return order.model_copy(update={
            "amount": amount, "filled": filled, "remaining": amount - filled, "status": status,
            "average": average if filled > 0 else None, "updated_at": datetime.now(timezone.utc)})
    except (ValidationError, ValueError) as exc:  # pragma: no cover - guarded above
        PAYLOADS.skip(f"invalid order ({str(exc)[:160]})")
        return None
