"""AccountOrderRecord values mapped onto the domain (specs/snaptrade/api.yaml
``AccountOrderRecordStatus``, ``OrderTypeStrict``, ``TimeInForceStrict``,
``ActionStrictWithOptions``; the v2 status names too, NOTES.md section 4)."""

from __future__ import annotations

from desktop.domain import OrderSide, OrderStatus, OrderType, TimeInForce
from desktop.domain.options import PositionEffect

STATUS: dict[str, OrderStatus] = {
    "NONE": OrderStatus.SUBMITTED,              # no status from the brokerage yet
    "PENDING": OrderStatus.SUBMITTED,           # sent, not yet acknowledged as working
    "QUEUED": OrderStatus.SUBMITTED,            # waiting for the market to open
    "PENDING_RISK_REVIEW": OrderStatus.SUBMITTED,
    "ACCEPTED": OrderStatus.ACCEPTED,
    "CONTINGENT_ORDER": OrderStatus.ACCEPTED,   # waiting for its trigger order
    "ACTIVATED": OrderStatus.ACCEPTED,          # a contingent order now working
    "SUSPENDED": OrderStatus.ACCEPTED,          # held at the brokerage, still open
    "TRIGGERED": OrderStatus.TRIGGERED,         # a stop that triggered
    "STOPPED": OrderStatus.TRIGGERED,
    "PARTIAL": OrderStatus.PARTIALLY_FILLED,
    "PARTIALLY_EXECUTED": OrderStatus.PARTIALLY_FILLED,
    "EXECUTED": OrderStatus.FILLED,
    "CANCEL_PENDING": OrderStatus.PENDING_CANCEL,
    "REPLACE_PENDING": OrderStatus.PENDING_UPDATE,
    "CANCELED": OrderStatus.CANCELED,
    "PARTIAL_CANCELED": OrderStatus.CANCELED,   # part filled, the rest canceled
    "REPLACED": OrderStatus.CANCELED,           # this leg was replaced by a new order
    "EXPIRED": OrderStatus.EXPIRED,
    "REJECTED": OrderStatus.REJECTED,
    "FAILED": OrderStatus.REJECTED,             # SnapTrade or the brokerage could not place it
}
"""Every status of the spec (v1 and v2) -> OrderStatus."""

STATUS_WORDS: dict[str, str] = {
    "SUSPENDED": "suspended at the brokerage", "REPLACED": "replaced by a new order",
    "PARTIAL_CANCELED": "partly filled, the rest canceled", "FAILED": "the order could not be placed",
    "QUEUED": "queued until the market opens", "PENDING_RISK_REVIEW": "in the brokerage's risk review",
    "CONTINGENT_ORDER": "waiting for its trigger order", "STOPPED": "stopped", "NONE": "no status yet",
}
"""A few words for statuses the domain status does not say by itself (Order.message)."""

ORDER_TYPES = {"Market": OrderType.MARKET, "Limit": OrderType.LIMIT, "Stop": OrderType.STOP,
               "StopLimit": OrderType.STOP_LIMIT}
ORDER_TYPE_NAMES = {v: k for k, v in ORDER_TYPES.items()}
TIFS = {"Day": TimeInForce.DAY, "GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}
TIF_NAMES = {v: k for k, v in TIFS.items()}

ACTIONS: dict[str, tuple[OrderSide, PositionEffect | None]] = {
    "BUY": (OrderSide.BUY, None), "SELL": (OrderSide.SELL, None),
    "BUY_COVER": (OrderSide.BUY, PositionEffect.CLOSE), "SELL_SHORT": (OrderSide.SELL, PositionEffect.OPEN),
    "BUY_OPEN": (OrderSide.BUY, PositionEffect.OPEN), "BUY_CLOSE": (OrderSide.BUY, PositionEffect.CLOSE),
    "SELL_OPEN": (OrderSide.SELL, PositionEffect.OPEN), "SELL_CLOSE": (OrderSide.SELL, PositionEffect.CLOSE),
    "BUY_TO_OPEN": (OrderSide.BUY, PositionEffect.OPEN), "BUY_TO_CLOSE": (OrderSide.BUY, PositionEffect.CLOSE),
    "SELL_TO_OPEN": (OrderSide.SELL, PositionEffect.OPEN), "SELL_TO_CLOSE": (OrderSide.SELL, PositionEffect.CLOSE),
}
"""Record actions -> (side, position effect for options)."""


def option_action(side: OrderSide, effect: PositionEffect | None) -> str:
    """The place-order action of an option order: BUY_TO_OPEN, SELL_TO_CLOSE, ..."""
    return f"{side.value}_TO_{(effect or PositionEffect.OPEN).value}"
