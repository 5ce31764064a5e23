"""OCC (OSI) option symbols: format and parse. Implemented in the options issue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


class OccSymbolError(ValueError):
    """A malformed OCC symbol; the message says which part is wrong and why."""


def format_occ(underlying: str, expiry: date, right, strike: Decimal) -> str:  # pragma: no cover - replaced
    raise NotImplementedError
