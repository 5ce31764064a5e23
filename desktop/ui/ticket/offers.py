"""What the ticket offers at a connection, and what it falls back to when the chosen
account moves to a connection that lacks the order type or time in force in the
ticket (no Qt). A fallback is never silent: :func:`fallback_note` says what changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import OrderType, TimeInForce

from .values import TIF_LABELS, TYPE_LABELS

T = TypeVar("T", OrderType, TimeInForce)

CLOSEST_TYPES: dict[OrderType, tuple[OrderType, ...]] = {
    OrderType.STOP_LIMIT: (OrderType.STOP, OrderType.LIMIT),  # keep the trigger first
    OrderType.STOP: (OrderType.STOP_LIMIT,),
    OrderType.LIMIT: (OrderType.MARKET,),
    OrderType.MARKET: (OrderType.LIMIT,),
}
"""For an order type a connection lacks, the nearest ones in order of preference."""

CLOSEST_TIFS: dict[TimeInForce, tuple[TimeInForce, ...]] = {
    TimeInForce.FOK: (TimeInForce.IOC, TimeInForce.DAY),
    TimeInForce.IOC: (TimeInForce.FOK, TimeInForce.DAY),
    TimeInForce.GTC: (TimeInForce.DAY,),
    TimeInForce.DAY: (TimeInForce.GTC,),
}
"""For a time in force a connection lacks, the nearest ones in order of preference."""


def offered_types(caps: BrokerCapabilities) -> list[OrderType]:
    """The order types ``caps`` declares, in the ticket's order."""
    return [t for t in OrderType if t in caps.order_types]


def offered_tifs(caps: BrokerCapabilities) -> list[TimeInForce]:
    """The times in force ``caps`` declares, in the ticket's order."""
    return [t for t in TimeInForce if t in caps.time_in_force]


def fit(current: T, offered: Sequence[T], closest: dict[T, tuple[T, ...]]) -> T | None:
    """``current`` when offered, else its nearest offered alternative, else the first
    offered (None when nothing is)."""
    if current in offered:
        return current
    for alternative in closest.get(current, ()):
        if alternative in offered:
            return alternative
    return offered[0] if offered else None


def fallback_note(name: str, changes: Iterable[tuple[OrderType | TimeInForce, OrderType | TimeInForce]]) -> str:
    """E.g. "IBKR does not offer Stop limit orders: now Stop. IBKR does not offer FOK:
    now IOC." for ``changes`` of (was, now); "" when nothing changed."""
    parts = []
    for was, now in changes:
        if was == now:
            continue
        if isinstance(was, OrderType):
            parts.append(f"{name} does not offer {TYPE_LABELS[was]} orders: the order type is now {TYPE_LABELS[now]}.")
        else:
            parts.append(f"{name} does not offer {TIF_LABELS[was]}: the time in force is now {TIF_LABELS[now]}.")
    return " ".join(parts)
