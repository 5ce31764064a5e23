"""Instruments: what can be traded. Equities now; options plug in via ``asset_class``."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, field_validator, model_validator

from .base import BrokerModel, field_error
from .enums import AssetClass, QuantityUnit
from .options import OptionContract


STEP_MIN = Decimal("1e-12")
STEP_MAX = Decimal("1e9")
"""Bounds of an instrument's tick size, lot size and multiplier (crypto lots go down to
1e-8; beyond these the increment arithmetic of order checks cannot be trusted)."""


class Instrument(BrokerModel):
    """A tradable instrument.

    Fields: ``symbol`` (ticker, e.g. "AAPL"), ``asset_class``, ``currency`` (ISO 4217),
    ``exchange`` (primary listing, optional), ``description``, ``tick_size`` (minimum
    price increment), ``lot_size`` (minimum quantity increment), ``multiplier``
    (contract size: 1 for shares, 100 for standard equity options) and ``broker_id``
    (the broker's own contract id, e.g. an IBKR conid). For options ``option`` holds
    the contract and ``symbol`` is its OCC symbol (see :meth:`for_option`).

    Forex/CFD brokers (TradeLocker) add: ``quantity_unit`` (LOTS: an amount counts
    lots of ``multiplier`` units each, the contract size; None: shares, or contracts
    for options, see :attr:`unit`), ``min_amount`` (the smallest order, e.g. 0.01
    lots; None: ``lot_size``) and ``routes``: the broker's route ids by kind, as
    ``(kind, id)`` pairs (TradeLocker: ("INFO", "…") for market data, ("TRADE", "…")
    for orders), read with :meth:`route`.
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
    option: OptionContract | None = None
    quantity_unit: QuantityUnit | None = None
    min_amount: Decimal | None = None
    routes: tuple[tuple[str, str], ...] = ()

    @model_validator(mode="after")
    def _option_consistent(self) -> "Instrument":
        if self.asset_class is AssetClass.OPTION and self.option is None:
            raise field_error("option", "option is required for OPTION instruments")
        if self.asset_class is not AssetClass.OPTION and self.option is not None:
            raise field_error("option", f"option is not allowed for {self.asset_class.value} instruments")
        return self

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
        if not STEP_MIN <= v <= STEP_MAX:
            raise ValueError(f"must be between {STEP_MIN} and {STEP_MAX}")
        return v

    @field_validator("min_amount")
    @classmethod
    def _positive_min(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and not (v.is_finite() and v > 0):
            raise ValueError("must be greater than 0")
        return v

    @property
    def unit(self) -> QuantityUnit:
        """What an amount of this instrument counts: ``quantity_unit`` when set, else
        CONTRACTS for options and SHARES for the rest."""
        if self.quantity_unit is not None:
            return self.quantity_unit
        return QuantityUnit.CONTRACTS if self.is_option else QuantityUnit.SHARES

    def route(self, kind: str) -> str | None:
        """The first route id of ``kind`` ("INFO", "TRADE"), or None."""
        return next((rid for k, rid in self.routes if k == kind), None)

    def route_ids(self, kind: str) -> list[str]:
        """Every route id of ``kind``, in the broker's order."""
        return [rid for k, rid in self.routes if k == kind]

    @property
    def key(self) -> str:
        """Stable key of this instrument within one broker."""
        return self.symbol

    @property
    def price_decimals(self) -> int:
        """Decimals a price of this instrument is shown with: those of ``tick_size``
        (0.01 -> 2, EURUSD's 0.00001 -> 5, USDJPY's 0.001 -> 3, 0.25 -> 2, 1 -> 0).
        The one place widgets should read a price's decimals from (issue 14)."""
        exponent = self.tick_size.normalize().as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 2

    @property
    def is_option(self) -> bool:
        return self.option is not None

    @property
    def display_name(self) -> str:
        """"AAPL" for equities, "AAPL 21 Feb 25 200 C" for options."""
        return self.option.describe() if self.option is not None else self.symbol

    @staticmethod
    def for_option(contract: OptionContract, **kw) -> "Instrument":
        """The instrument of an option ``contract``: OCC symbol, its multiplier, cent ticks."""
        kw.setdefault("description", contract.describe())
        return Instrument(symbol=contract.occ_symbol, asset_class=AssetClass.OPTION, multiplier=contract.multiplier,
                          option=contract, **kw)

    @staticmethod
    def equity(symbol: str, **kw) -> "Instrument":
        """Shorthand for a US equity in USD with cent ticks and whole-share lots."""
        return Instrument(symbol=symbol, asset_class=AssetClass.EQUITY, **kw)
