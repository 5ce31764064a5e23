"""A column of exact Decimal prices kept as integers: the paper market's daily
history holds tens of thousands of prices (the stocks' and, since issue 14, the ECB
pairs'); as Decimal objects they cost about 100 bytes each, as int64 units plus an
int8 exponent 9 bytes. Each access rebuilds the Decimal exactly as it was given,
digits and exponent included (``str`` gives back "127.0" or "14.2675")."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from .lazy_column import LazyDecimalColumn


class PriceColumn(LazyDecimalColumn):
    """``units[i] / 10**scale`` as a Decimal with exponent ``exponents[i]``.

    ``units``: int64 array of prices in 1/10**scale; ``exponents``: int8 array, each
    price's Decimal exponent (-2 for "14.26"), never below ``-scale``. Read-only,
    indexable and sliceable like the tuple it replaces."""

    item_name = "price"
    __slots__ = ("_units", "_exponents", "_scale")

    def __init__(self, units: np.ndarray, exponents: np.ndarray, scale: int) -> None:
        if units.shape != exponents.shape:
            raise ValueError("units and exponents differ in length")
        self._units, self._exponents, self._scale = units, exponents, scale

    def __len__(self) -> int:
        return len(self._units)

    def value(self, i: int) -> Decimal:
        """Price ``i``'s value (``i`` in range, not negative), without restoring its
        written exponent: ``Decimal("127")`` for "127.0"; for arithmetic that only needs
        the number (cheaper than indexing)."""
        return Decimal(int(self._units[i])).scaleb(-self._scale)

    def _at(self, i: int) -> Decimal:
        value = Decimal(int(self._units[i])).scaleb(-self._scale)
        return value.quantize(Decimal(1).scaleb(int(self._exponents[i])))

    def __repr__(self) -> str:
        head = ", ".join(str(p) for p in self[:3])
        return f"PriceColumn([{head}{', …' if len(self) > 3 else ''}], n={len(self)})"
