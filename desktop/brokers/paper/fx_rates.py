"""Currency conversion for the paper ledger (issue 14): which currencies a pair
trades and the rate that turns one currency into another from pair prices.

A pair "EURUSD" is 1 EUR (base) priced in USD (quote). ``prices`` maps pair symbols
to their current price (the paper market's last prices, e.g. {"EURUSD": 1.12}).
A rate from C to A is the price of the pair CA, else 1 / the price of AC; there is
no chaining through a third currency (every currency of the paper market's pairs
has a direct pair with USD). Pure Decimal, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from desktop.domain import AssetClass, Instrument
from desktop.domain.forex import split_pair

ONE = Decimal(1)


def is_pair(instrument: Instrument) -> bool:
    """True for a FOREX instrument whose symbol is two ISO codes ("EURUSD")."""
    sym = instrument.symbol
    return instrument.asset_class is AssetClass.FOREX and len(sym) == 6 and sym.isalpha()


def base_quote(pair: str) -> tuple[str, str]:
    """("EUR", "USD") for "EURUSD"; ValueError for anything that is not a pair of two
    known currencies (:func:`desktop.domain.forex.split_pair`)."""
    parts = split_pair(pair)
    if parts is None:
        raise ValueError(f"{pair!r} is not a currency pair like EURUSD")
    return parts


def rate(currency: str, to: str, prices: Mapping[str, Decimal]) -> tuple[Decimal, str] | None:
    """(rate, how) converting 1 ``currency`` into ``to``, with ``how`` naming the
    price used ("EURUSD 1.12", "1 / USDJPY 110.5", "same currency"); None when no
    pair of the two has a usable (positive) price."""
    if currency == to:
        return ONE, "same currency"
    direct = prices.get(currency + to)
    if direct is not None and direct > 0:
        return direct, f"{currency}{to} {direct}"
    inverse = prices.get(to + currency)
    if inverse is not None and inverse > 0:
        return ONE / inverse, f"1 / {to}{currency} {inverse}"
    return None


def convert(amount: Decimal, currency: str, to: str, prices: Mapping[str, Decimal]) -> Decimal | None:
    """``amount`` of ``currency`` in ``to`` at :func:`rate`; None when there is no rate."""
    found = rate(currency, to, prices)
    return None if found is None else amount * found[0]
