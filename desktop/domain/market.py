"""Market data: bars and quotes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field, field_validator, model_validator

from .base import BrokerModel, field_error, require_utc, utc_now
from .enums import Interval


class Bar(BrokerModel):
    """One OHLCV bar.

    ``start`` is the bar's opening time in UTC (for 1d bars, midnight UTC of the
    trading date); prices in the instrument currency, ``volume`` in shares.
    ``synthetic`` marks bars that were generated (the paper broker's intraday path)
    rather than traded.
    """

    symbol: str
    interval: Interval
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)
    synthetic: bool = False

    @field_validator("start")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        return require_utc(v, "start")

    @model_validator(mode="after")
    def _ohlc(self) -> "Bar":
        if self.high < max(self.open, self.close, self.low):
            raise field_error("high", "high must be >= open, close and low")
        if self.low > min(self.open, self.close):
            raise field_error("low", "low must be <= open and close")
        if self.volume < 0:
            raise field_error("volume", "volume must not be negative")
        return self

    @property
    def end(self) -> datetime:
        return self.start + self.interval.duration


class Quote(BrokerModel):
    """Top of book and last trade for one symbol. Any price may be unknown (None).

    ``prev_close`` is the previous session's close, for the change column.
    ``connection_id`` is the connection whose market data it is ("" when made locally).
    """

    symbol: str
    connection_id: str = ""
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    volume: Decimal | None = None
    prev_close: Decimal | None = None
    timestamp: datetime = Field(default_factory=utc_now)

    @property
    def change(self) -> Decimal | None:
        if self.last is None or self.prev_close is None:
            return None
        return self.last - self.prev_close

    @property
    def change_pct(self) -> Decimal | None:
        if self.last is None or not self.prev_close:
            return None
        return (self.last / self.prev_close - 1) * 100


class MarketSession(BrokerModel):
    """Whether ``symbol``'s market is open now, as the broker says it (TradeLocker:
    ``GET /trade/sessionStatuses/{id}``, specs/tradelocker/NOTES.md section 5).

    ``is_open``; ``name`` the broker's word for the session ("Open", "Closed",
    "Pre-market", ...); ``order_types`` the order type values it accepts now
    ("MARKET", "LIMIT", "STOP"; empty: none, or not said). Made by adapters, never guessed.
    """

    symbol: str
    is_open: bool
    name: str = ""
    order_types: tuple[str, ...] = ()
