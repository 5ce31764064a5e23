"""Multi-leg orders: SnapTrade reports each leg of a multi-leg or complex order as its
own ``AccountOrderRecord`` (api.yaml: "Each record here represents a single order
leg. For multi-leg orders, there will be multiple records"); the legs share
``brokerage_group_order_id``. :func:`group_legs` makes one Order of each group.

The grouped order: ``order_id`` = the group id, the first leg's instrument, side,
type, prices and time in force; ``raw`` = ``{"brokerage_group_order_id", "legs":
[each leg's record], "leg_orders": [{brokerage_order_id, symbol, action, status,
total, filled, remaining}]}`` (per-leg quantities always there). Quantities: an
OCO/OTO group (legs with ``order_role``) is as big as its largest leg; legs of the
same instrument (one order worked in parts) are summed; legs of different
instruments (an option spread) are counted in units of the spread: the smallest
leg's quantity, filled as far as the least-filled leg is. Status: see
:func:`group_status`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from desktop.domain import Order, OrderStatus

from .statuses import STATUS

_WORKING_ORDER = (OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_UPDATE, OrderStatus.SUBMITTED,
                  OrderStatus.INITIALIZED, OrderStatus.TRIGGERED, OrderStatus.ACCEPTED)
"""Working statuses from the one that says most about the whole order to the least."""
_COMPLEX_ROLES = frozenset({"TRIGGER", "CONDITIONAL", "PEER"})


def group_id(order: Order) -> str:
    """The ``brokerage_group_order_id`` of a leg's record ("" for a plain order)."""
    raw = order.raw if isinstance(order.raw, dict) else {}
    value = raw.get("brokerage_group_order_id")
    return value.strip() if isinstance(value, str) else ""


def _complex(legs: list[Order]) -> bool:
    """An OCO/OTO/OTOCO group (legs carry ``order_role``), where legs are alternatives
    or follow-ups rather than parts traded together."""
    return any(isinstance(leg.raw, dict) and leg.raw.get("order_role") in _COMPLEX_ROLES for leg in legs)


def group_status(legs: list[Order]) -> OrderStatus:
    """The status of a multi-leg order from its legs' statuses.

    Some leg working: PARTIALLY_FILLED if any leg has fills, else the working status
    that says most (a pending cancel or replace, then submitted, triggered,
    accepted). All legs done: FILLED when every leg filled (for an OCO/OTO group:
    when any leg filled, the others being canceled alternatives); else REJECTED when
    every leg was rejected or denied, EXPIRED when every leg expired, otherwise
    CANCELED (the order's ``message`` says it was partly filled)."""
    statuses = [leg.status for leg in legs]
    working = [s for s in statuses if s.is_working]
    if working:
        if any(leg.filled > 0 for leg in legs):
            return OrderStatus.PARTIALLY_FILLED
        return next(s for s in _WORKING_ORDER if s in working)
    if all(s is OrderStatus.FILLED for s in statuses):
        return OrderStatus.FILLED
    if _complex(legs) and any(s is OrderStatus.FILLED for s in statuses):
        return OrderStatus.FILLED
    if all(s in (OrderStatus.REJECTED, OrderStatus.DENIED) for s in statuses):
        return OrderStatus.REJECTED
    if all(s is OrderStatus.EXPIRED for s in statuses):
        return OrderStatus.EXPIRED
    return OrderStatus.CANCELED


def _leg_summary(leg: Order) -> dict:
    raw = leg.raw if isinstance(leg.raw, dict) else {}
    return {"brokerage_order_id": leg.order_id, "symbol": leg.symbol, "action": raw.get("action"),
            "status": raw.get("status"), "total": str(leg.amount), "filled": str(leg.filled),
            "remaining": str(leg.amount - leg.filled)}


def combine(group: str, legs: list[Order]) -> Order:
    """One Order of the legs of group ``group`` (see the module docstring)."""
    first = legs[0]
    status = group_status(legs)
    same_instrument = all(leg.instrument == first.instrument for leg in legs)
    if _complex(legs):  # alternatives (OCO) or follow-ups (OTO): the order is as big as its largest leg
        amount = max(leg.amount for leg in legs)
        filled = min(sum((leg.filled for leg in legs), Decimal(0)), amount)
        priced = [(leg.filled, leg.average) for leg in legs if leg.filled > 0 and leg.average is not None]
        weight = sum((q for q, _p in priced), Decimal(0))
        average = sum((q * p for q, p in priced), Decimal(0)) / weight if weight > 0 else None
    elif same_instrument:
        amount = sum((leg.amount for leg in legs), Decimal(0))
        filled = sum((leg.filled for leg in legs), Decimal(0))
        priced = [(leg.filled, leg.average) for leg in legs if leg.filled > 0 and leg.average is not None]
        weight = sum((q for q, _p in priced), Decimal(0))
        average = sum((q * p for q, p in priced), Decimal(0)) / weight if weight > 0 else None
    else:
        amount = min(leg.amount for leg in legs)
        fraction = min(leg.filled / leg.amount for leg in legs)
        filled = amount * fraction
        if filled != filled.to_integral_value() and first.instrument.lot_size >= 1:
            filled = filled.to_integral_value(rounding="ROUND_FLOOR")
        average = None  # a net spread price is not reported per group; each leg's is in raw
    if status is OrderStatus.FILLED:
        filled = amount
    words = [f"{len(legs)}-leg order"]
    if not same_instrument:
        words.append(", ".join(f"{_leg_summary(leg)['action'] or leg.side.value} {leg.amount:f} {leg.symbol}"
                               for leg in legs))
    if status is OrderStatus.CANCELED and any(leg.filled > 0 for leg in legs):
        words.append("partly filled, the rest canceled")
    words += [leg.message for leg in legs if leg.message and "leg of multi-leg" not in leg.message][:1]
    raw = {"brokerage_group_order_id": group, "legs": [leg.raw for leg in legs],
           "leg_orders": [_leg_summary(leg) for leg in legs]}
    return first.model_copy(update={
        "order_id": group, "amount": amount, "filled": min(filled, amount), "remaining": amount - min(filled, amount),
        "average": average if filled > 0 else None, "status": status, "message": "; ".join(words), "raw": raw,
        "client_order_id": next((leg.client_order_id for leg in legs if leg.client_order_id), ""),
        "created_at": min(leg.created_at for leg in legs), "updated_at": max(leg.updated_at for leg in legs)})


def group_legs(orders: Iterable[Order]) -> list[Order]:
    """``orders`` with the legs of each multi-leg group (two or more records sharing
    ``brokerage_group_order_id``) replaced by one combined order, in the place of
    its first leg; a group of one record stays that record."""
    orders = list(orders)
    groups: dict[str, list[Order]] = {}
    for order in orders:
        gid = group_id(order)
        if gid:
            groups.setdefault(gid, []).append(order)
    out: list[Order] = []
    done: set[str] = set()
    for order in orders:
        gid = group_id(order)
        if not gid or len(groups[gid]) < 2:
            out.append(order)
        elif gid not in done:
            done.add(gid)
            out.append(combine(gid, groups[gid]))
    return out


def leg_ids(order: Order) -> list[str]:
    """The brokerage order ids of a grouped order's legs ([] for a plain order)."""
    raw = order.raw if isinstance(order.raw, dict) else {}
    legs = raw.get("leg_orders") if "legs" in raw else None
    return [leg["brokerage_order_id"] for leg in legs or [] if isinstance(leg, dict)]


def working_leg_ids(order: Order) -> list[str]:
    """The ids of a grouped order's legs that are still working (to cancel them)."""
    raw = order.raw if isinstance(order.raw, dict) else {}
    return [leg["brokerage_order_id"] for leg in raw.get("leg_orders") or []
            if isinstance(leg, dict) and STATUS.get(leg.get("status") or "", OrderStatus.CANCELED).is_working]
