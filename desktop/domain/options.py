"""Listed equity options: the contract, its quote and a chain.

The OCC (OSI) symbol is the common language between brokers: see :mod:`.occ`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from pydantic import Field, field_validator

from .base import BrokerModel, DomainModel, utc_now


class OptionRight(str, Enum):
    """Call or put (the OCC symbol writes C or P)."""

    CALL = "CALL"
    PUT = "PUT"

    @property
    def letter(self) -> str:
        return self.value[0]


class OptionStyle(str, Enum):
    """Exercise style: US equity options are American, index options (SPX) European."""

    AMERICAN = "AMERICAN"
    EUROPEAN = "EUROPEAN"


class PositionEffect(str, Enum):
    """Whether an option order opens or closes a position."""

    OPEN = "OPEN"
    CLOSE = "CLOSE"


class OptionAction(str, Enum):
    """The four option order actions traders use; each is a side plus a position effect."""

    BUY_TO_OPEN = "BUY_TO_OPEN"
    BUY_TO_CLOSE = "BUY_TO_CLOSE"
    SELL_TO_OPEN = "SELL_TO_OPEN"
    SELL_TO_CLOSE = "SELL_TO_CLOSE"

    @property
    def side(self):
        from .enums import OrderSide

        return OrderSide.BUY if self.value.startswith("BUY") else OrderSide.SELL

    @property
    def position_effect(self) -> PositionEffect:
        return PositionEffect.OPEN if self.value.endswith("OPEN") else PositionEffect.CLOSE

    @staticmethod
    def of(side, effect: PositionEffect) -> "OptionAction":
        return OptionAction(f"{side.value}_TO_{effect.value}")


class OptionContract(DomainModel):
    """One listed option: ``underlying`` root (e.g. "AAPL", "SPXW", "AAPL1"), ``expiry``
    (last trading day), ``right``, ``strike`` (Decimal, in the underlying's currency),
    ``multiplier`` (shares per contract, 100 for standard contracts) and ``style``.
    """

    underlying: str = Field(min_length=1, max_length=6)
    expiry: date
    right: OptionRight
    strike: Decimal
    multiplier: Decimal = Decimal(100)
    style: OptionStyle = OptionStyle.AMERICAN

    @field_validator("underlying")
    @classmethod
    def _root(cls, v: str) -> str:
        v = v.strip().upper()
        if not v or not v.isalnum():
            raise ValueError("underlying must be 1-6 letters or digits")
        return v

    @field_validator("strike", "multiplier")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be greater than 0")
        return v

    @property
    def occ_symbol(self) -> str:
        """The 21-character OCC symbol, e.g. ``AAPL  250221C00200000``."""
        from .occ import format_occ

        return format_occ(self.underlying, self.expiry, self.right, self.strike)

    def describe(self) -> str:
        """Readable name, e.g. "AAPL 21 Feb 25 200 C"."""
        strike = f"{self.strike.normalize():f}"
        return f"{self.underlying} {self.expiry:%d %b %y} {strike} {self.right.letter}"


class OptionQuote(BrokerModel):
    """Quote and greeks of one contract. Prices per share (multiply by the contract
    multiplier for money); ``iv`` as a fraction (0.25 = 25 %); ``theta`` per calendar
    day, ``vega`` per 1 vol point (0.01); ``underlying_price`` at the quote's time."""

    contract: OptionContract
    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None
    volume: Decimal | None = None
    open_interest: Decimal | None = None
    iv: Decimal | None = None
    delta: Decimal | None = None
    gamma: Decimal | None = None
    theta: Decimal | None = None
    vega: Decimal | None = None
    underlying_price: Decimal | None = None
    timestamp: datetime = Field(default_factory=utc_now)

    @property
    def mid(self) -> Decimal | None:
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2


class OptionChain(BrokerModel):
    """An underlying's listed expiries and strikes, with quotes for the requested
    expiry (or all of them). ``quotes`` are ordered by expiry, strike, right."""

    underlying: str
    underlying_price: Decimal | None = None
    expiries: tuple[date, ...] = ()
    strikes: tuple[Decimal, ...] = ()
    quotes: tuple[OptionQuote, ...] = ()
    timestamp: datetime = Field(default_factory=utc_now)
