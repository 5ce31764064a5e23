"""Currency pairs traded in units of their base currency (the paper broker's, issue
14): their default quantity and the lot equivalent the ticket shows beside it.

A pair whose instrument counts lots (``Instrument.unit`` LOTS, TradeLocker's) is not
one of these: its quantity is already lots and keeps the ticket's own rules. Qt-free.
"""

from __future__ import annotations

from decimal import Decimal

from desktop.domain import AssetClass, Instrument, QuantityUnit

from .values import fmt_qty, parse_decimal

STANDARD_LOT = Decimal(100_000)
"""Units of the base currency in one standard lot (the market convention)."""

PAIR_DEFAULT_QUANTITY = Decimal(10_000)
"""A pair's default quantity: 10,000 units of the base currency, 0.1 standard lot."""


def trades_in_units(instrument: Instrument | None) -> bool:
    """True for a currency pair whose quantity counts units of its base currency."""
    return (instrument is not None and instrument.asset_class is AssetClass.FOREX
            and instrument.unit is not QuantityUnit.LOTS)


def quantity_kind(instrument: Instrument | None) -> AssetClass:
    """The kind whose default quantity ``instrument`` starts with: OPTION (contracts),
    FOREX (a pair in units), CFD (anything counted in lots, TradeLocker's: see
    :func:`lots_default`) or EQUITY (shares, and everything else)."""
    if instrument is not None and instrument.is_option:
        return AssetClass.OPTION
    if instrument is not None and instrument.unit is QuantityUnit.LOTS:
        return AssetClass.CFD
    return AssetClass.FOREX if trades_in_units(instrument) else AssetClass.EQUITY


LOTS_FALLBACK = Decimal("0.01")
"""The default of a lot-counted instrument whose details give no minimum."""


def lots_default(instrument: Instrument | None) -> Decimal:
    """The default quantity of an instrument counted in lots: its smallest order
    (``min_amount``, else its lot step), never the share default (100 lots of EURUSD
    is 10 million euros)."""
    if instrument is None:
        return LOTS_FALLBACK
    return instrument.min_amount or instrument.lot_size or LOTS_FALLBACK


def base_currency(instrument: Instrument) -> str:
    """A pair's base currency, the first three letters of its symbol ("EURUSD" → "EUR")."""
    return instrument.symbol[:3]


def lot_text(instrument: Instrument, quantity: str) -> str:
    """The label beside a pair's quantity: the base currency and the lot equivalent of
    ``quantity`` (the field's text), e.g. "EUR = 0.1 lot" for "10,000"; the currency
    alone while the text is not a positive number."""
    base = base_currency(instrument)
    try:
        amount = parse_decimal(quantity, "amount")
    except ValueError:
        return base
    if amount is None or amount <= 0:
        return base
    lots = (amount / STANDARD_LOT).normalize()
    return f"{base} = {fmt_qty(lots)} lot{'' if lots <= 1 else 's'}"


def lot_tip(instrument: Instrument) -> str:
    """The tooltip of :func:`lot_text`'s label."""
    base = base_currency(instrument)
    return (f"The quantity is in {base}, the base currency of {instrument.symbol}; "
            f"one standard lot is {fmt_qty(STANDARD_LOT)} {base}")
