"""Numbers as the adapter sends them to TradeLocker: JSON numbers for prices (as the
official client sends them), text for quantities; never a float built from a
Decimal that loses digits (Decimal -> int or float through its exact text)."""

from __future__ import annotations

from decimal import Decimal


def number(value: Decimal | None) -> int | float | None:
    """``value`` as a JSON number: an int when integral, else the float of its text
    (prices have at most a few decimals: exact in a float's shortest repr)."""
    if value is None:
        return None
    if value == value.to_integral():
        return int(value)
    return float(format(value, "f"))
