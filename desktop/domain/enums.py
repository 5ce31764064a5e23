"""Enumerations of the trading domain.

Names follow NautilusTrader's model enums (``nautilus_model::enums``); values are
English SCREAMING_SNAKE_CASE strings, display labels live in the UI.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum


class OrderSide(str, Enum):
    """Side of an order or fill."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL: the sign of the position change."""
        return 1 if self is OrderSide.BUY else -1


class OrderType(str, Enum):
    """Order type. STOP is a stop-market order."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"

    @property
    def needs_limit_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        return self in (OrderType.STOP, OrderType.STOP_LIMIT)


class TimeInForce(str, Enum):
    """How long an order stays working."""

    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(str, Enum):
    """Order lifecycle status, with NautilusTrader's open / in-flight / closed sets.

    open:      ACCEPTED, TRIGGERED, PENDING_UPDATE, PENDING_CANCEL, PARTIALLY_FILLED
    in-flight: SUBMITTED, PENDING_UPDATE, PENDING_CANCEL
    closed:    DENIED, REJECTED, CANCELED, EXPIRED, FILLED
    """

    INITIALIZED = "INITIALIZED"
    DENIED = "DENIED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    TRIGGERED = "TRIGGERED"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_CANCEL = "PENDING_CANCEL"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"

    @property
    def is_open(self) -> bool:
        return self in _OPEN

    @property
    def is_inflight(self) -> bool:
        return self in _INFLIGHT

    @property
    def is_closed(self) -> bool:
        return self in _CLOSED

    @property
    def is_working(self) -> bool:
        """Open or in flight: the order may still trade or change."""
        return self in _OPEN or self in _INFLIGHT


_OPEN = frozenset(
    {
        OrderStatus.ACCEPTED,
        OrderStatus.TRIGGERED,
        OrderStatus.PENDING_UPDATE,
        OrderStatus.PENDING_CANCEL,
        OrderStatus.PARTIALLY_FILLED,
    }
)
_INFLIGHT = frozenset({OrderStatus.SUBMITTED, OrderStatus.PENDING_UPDATE, OrderStatus.PENDING_CANCEL})
_CLOSED = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.FILLED,
    }
)


class AssetClass(str, Enum):
    """What kind of instrument. OPTION is reserved for listed equity options; FOREX is
    a currency pair ("EURUSD"), CFD a contract for difference on another asset (a
    stock or index CFD of a forex/CFD broker such as TradeLocker)."""

    EQUITY = "EQUITY"
    OPTION = "OPTION"
    FOREX = "FOREX"
    CFD = "CFD"


class QuantityUnit(str, Enum):
    """What an order's ``amount`` counts: SHARES (stocks), CONTRACTS (options), or
    LOTS (forex/CFD: one lot is the instrument's ``multiplier`` units, its contract
    size, e.g. 100,000 EUR for EURUSD)."""

    SHARES = "SHARES"
    CONTRACTS = "CONTRACTS"
    LOTS = "LOTS"


class ProtectionType(str, Enum):
    """How an attached stop-loss or take-profit price is given (TradeLocker's
    ``stopLossType`` / ``takeProfitType``, specs/tradelocker/NOTES.md section 5):
    ABSOLUTE a price; OFFSET a distance from the entry price (in price units);
    TRAILING_OFFSET (stop-loss only) a distance that follows the market."""

    ABSOLUTE = "ABSOLUTE"
    OFFSET = "OFFSET"
    TRAILING_OFFSET = "TRAILING_OFFSET"


class Interval(str, Enum):
    """Bar interval, written as chart users write it (1m, 5m, 15m, 1h, 1d)."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"

    @property
    def duration(self) -> timedelta:
        return _DURATIONS[self]

    @property
    def minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)

    @property
    def is_intraday(self) -> bool:
        return self is not Interval.D1


_DURATIONS = {
    Interval.M1: timedelta(minutes=1),
    Interval.M5: timedelta(minutes=5),
    Interval.M15: timedelta(minutes=15),
    Interval.H1: timedelta(hours=1),
    Interval.D1: timedelta(days=1),
}
