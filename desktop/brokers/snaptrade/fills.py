"""Fills of SnapTrade accounts. SnapTrade reports no fills as such: they are derived
from executed orders (each order, or each leg of a multi-leg order, with a filled
quantity and an execution price is one fill at that price: ``fill_id`` = the leg's
``brokerage_order_id``, ``order_id`` = the order's id).
"""

from __future__ import annotations

from decimal import Decimal

from desktop.domain import Fill, Order

from .parse import parse_order


def order_fills(order: Order, broker: str, connection_id: str) -> list[Fill]:
    """The fills of ``order`` (a plain order: one when it has fills and an average
    price; a multi-leg order: one per leg with fills, read from its raw legs)."""
    raw = order.raw if isinstance(order.raw, dict) else {}
    legs = raw.get("legs") if "leg_orders" in raw else None
    if legs:
        found = []
        for row in legs:
            leg = parse_order(row, order.account_id, connection_id) if isinstance(row, dict) else None
            if leg is not None:
                found += [f.model_copy(update={"order_id": order.order_id,
                                               "client_order_id": order.client_order_id})
                          for f in order_fills(leg, broker, connection_id)]
        return found
    if order.filled <= 0 or order.average is None or order.average <= Decimal(0):
        return []
    return [Fill(broker=broker, connection_id=connection_id, account_id=order.account_id, fill_id=order.order_id,
                 order_id=order.order_id, client_order_id=order.client_order_id, instrument=order.instrument,
                 side=order.side, amount=order.filled, price=order.average, timestamp=order.updated_at,
                 raw=order.raw)]
