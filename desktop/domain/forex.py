"""Currency pairs by their symbol: which symbols are pairs, their base and quote
currencies, their conventional price decimals and their pip. Pure rules, no I/O.

A pair "EURUSD" is 1 EUR (the base) priced in USD (the quote). Market convention:
prices of pairs with the Japanese yen in 3 decimals and a pip of 0.01, every other
pair in 5 decimals with a pip of 0.0001.
"""

from __future__ import annotations

from decimal import Decimal

CURRENCIES = frozenset({"AUD", "CAD", "CHF", "CNH", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF", "JPY", "MXN", "NOK", "NZD",
                        "PLN", "SEK", "SGD", "TRY", "USD", "ZAR"})
"""Currencies whose pairs are recognised by symbol alone (ISO 4217 codes)."""


def split_pair(symbol: str) -> tuple[str, str] | None:
    """``("EUR", "USD")`` for "EURUSD", "eur/usd" or "EUR.USD"; None when ``symbol``
    is not two different currencies of :data:`CURRENCIES`."""
    s = symbol.strip().upper().replace("/", "").replace(".", "")
    if len(s) != 6 or s[:3] not in CURRENCIES or s[3:] not in CURRENCIES or s[:3] == s[3:]:
        return None
    return s[:3], s[3:]


def _yen(pair: str) -> bool:
    parts = split_pair(pair)
    return parts is not None and "JPY" in parts


def pair_decimals(pair: str) -> int:
    """Conventional price decimals of ``pair``: 3 with the yen, else 5."""
    return 3 if _yen(pair) else 5


def pip(pair: str) -> Decimal:
    """One pip of ``pair``: 0.01 with the yen, else 0.0001."""
    return Decimal("0.01") if _yen(pair) else Decimal("0.0001")
