"""Each day's split and dividend adjustment factor (Adj Close / Close), computed when
asked for from the day's Adj Close kept as an integer (issue 15, idle memory).

The factors differ from day to day in their last digits (the file's Adj Close is
rounded to about 13 digits), so a tuple of them held one Decimal object per row:
12,000 objects made while parsing, which kept several MiB of the parser's memory in
use. Here the Adj Close of each row is an int64 coefficient and an int8 exponent (the
Decimal exactly as written), and the factor is the same 28-digit division as before.
"""

from __future__ import annotations

from decimal import Context, Decimal

import numpy as np

from .lazy_column import LazyDecimalColumn
from .price_column import PriceColumn

FACTOR_CONTEXT = Context(prec=28)
"""The division Adj Close / Close is done in 28 digits."""
ONE = Decimal(1)


def adj_parts(value: Decimal) -> tuple[int, int] | None:
    """``value`` (a positive finite Decimal) as (int64 coefficient, int8 exponent),
    exactly: ``Decimal(coefficient).scaleb(exponent) == value`` with the same digits;
    None when it does not fit (more than 18 digits, or an exponent beyond int8)."""
    sign, digits, exponent = value.as_tuple()
    if sign or not isinstance(exponent, int) or not -128 <= exponent <= 127 or len(digits) > 18:
        return None
    return int("".join(map(str, digits)) or "0"), exponent


class FactorColumn(LazyDecimalColumn):
    """Day ``i``'s factor: ``Adj Close[j] / Close[j]`` with ``j = source[i]`` (the day
    itself, or the neighbour whose factor a day without a readable Adj Close takes),
    or 1 where ``source[i]`` is -1 (no readable Adj Close at all, or a series without
    factors, such as the ECB pairs). Read-only and indexable like a tuple of Decimals."""

    item_name = "factor"
    __slots__ = ("_source", "_coefficients", "_exponents", "_close", "_wide")

    def __init__(self, source: np.ndarray, coefficients: np.ndarray, exponents: np.ndarray,
                 close: PriceColumn | None, wide: dict[int, Decimal] | None = None) -> None:
        self._source = np.ascontiguousarray(source, dtype=np.int32)
        self._coefficients = np.ascontiguousarray(coefficients, dtype=np.int64)
        self._exponents = np.ascontiguousarray(exponents, dtype=np.int8)
        self._close = close
        self._wide = wide or {}  # an Adj Close too long for int64 digits or an int8 exponent (none in the file)

    @classmethod
    def none(cls, n: int) -> "FactorColumn":
        """``n`` days, all with factor 1."""
        empty = np.zeros(0, dtype=np.int64)
        return cls(np.full(n, -1, dtype=np.int32), empty, empty, None)

    @classmethod
    def build(cls, readable: np.ndarray, coefficients: np.ndarray, exponents: np.ndarray, close: PriceColumn,
              wide: dict[int, Decimal] | None = None) -> "FactorColumn":
        """The factors of ``n`` days: ``readable[i]`` whether day ``i`` has a readable Adj
        Close, which is ``coefficients[i] * 10**exponents[i]`` (see :func:`adj_parts`)
        or, for a day in ``wide``, that Decimal; ``close[i]`` its Close. A day without
        one takes the next readable day's factor, else the previous day's, else 1: no
        false jump is made up for it."""
        n = len(readable)
        source = np.full(n, -1, dtype=np.int32)
        marks = np.flatnonzero(readable)
        if len(marks):
            nxt = np.searchsorted(marks, np.arange(n), side="left")  # the next readable day, on or after i
            has_next = nxt < len(marks)
            source[has_next] = marks[nxt[has_next]]
            source[~has_next] = marks[-1]  # past the last readable day: the previous one
        return cls(source, coefficients, exponents, close, wide)

    def __len__(self) -> int:
        return len(self._source)

    def _at(self, i: int) -> Decimal:
        j = int(self._source[i])
        if j < 0 or self._close is None:
            return ONE
        adj = self._wide.get(j)
        if adj is None:
            adj = Decimal(int(self._coefficients[j])).scaleb(int(self._exponents[j]))
        return FACTOR_CONTEXT.divide(adj, self._close.value(j))

    def __repr__(self) -> str:
        return f"FactorColumn(n={len(self)})"
