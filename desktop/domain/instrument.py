"""Instruments: what can be traded. Equities now; options plug in via ``asset_class``."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, field_validator

from .base import BrokerModel
from .enums import AssetClass


class Instrument(BrokerModel):
    """A tradable instrument.

    Fields: ``symbol`` (ticker, e.g. "AAPL"), ``asset_class``, ``currency`` (ISO 4217),
    ``exchange`` (primary listing, optional), ``description``, ``tick_size`` (minimum
    price increment), ``lot_size`` (minimum quantity increment), ``multiplier``
    (contract size: 1 for shares, 100 for standard equity options) and ``broker_id``
    (the broker's own contract id, e.g. an IBKR conid).
    """

    symbol: str = Field(min_length=1, max_length=32)
    asset_class: AssetClass = AssetClass.EQUITY
    currency: str = "USD"
    exchange: str | None = None
    description: str = ""
    tick_size: Decimal = Decimal("0.01")
    lot_size: Decimal = Decimal("1")
    multiplier: Decimal = Decimal("1")
    broker_id: str | None = None

    @field_validator("symbol")
    @classmethod
    def _symbol_upper(cls, v: str) -> str:
        v = v.strip().upper()
        if not v:
            raise ValueError("symbol must not be blank")
        return v

    @field_validator("tick_size", "lot_size", "multiplier")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be greater than 0")
        return v

    @property
    def key(self) -> str:
        """Stable key of this instrument within one broker."""
        return self.symbol

    @staticmethod
    def equity(symbol: str, **kw) -> "Instrument":
        """Shorthand for a US equity in USD with cent ticks and whole-share lots."""
        return Instrument(symbol=symbol, asset_class=AssetClass.EQUITY, **kw)
