"""One symbol's daily bars as the paper market keeps them (:class:`DailySeries`:
parallel int64 / float64 arrays, no Python object per row), and how they are built:
row by row while a file is read (:class:`SeriesBuilder`) or from integer prices at
once (:func:`series_from_units`, the ECB pairs).

Issue 15 (idle memory): the rows of a file are kept in typed arrays as they are
parsed, never as tuples of Decimals and dates, so that once the file is read nothing
is left of the parser's objects; the 12,000 rows of the shipped stocks kept about
6 MiB of the process's memory in use when each was a tuple (``bench_memory.py``).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from desktop.domain import Bar, Interval

from .date_column import DateColumn
from .factor_column import FACTOR_CONTEXT, ONE, FactorColumn, adj_parts
from .price_column import PriceColumn

PRICE_DECIMALS = 4
"""Most decimal places a price may have; prices are also kept as integer units."""
PRICE_SCALE = 10**PRICE_DECIMALS
"""Integer price units per dollar: a price of 14.2675 is 142675 units."""
MAX_PRICE_UNITS = 2**62
"""A price must stay below this many units (int64, with room for sums)."""
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMALS)
"""Adjusted prices are rounded (half-even) to this many dollars (0.0001)."""
SAME_FACTOR = Decimal("1e-9")
"""Factors closer than this (relative) are the same: the file's Adj Close is rounded
to about 13 digits, while the smallest dividend moves the factor by about 1e-4."""
_FACTOR_CONTEXT = FACTOR_CONTEXT


def day_start_utc(d: date) -> datetime:
    """Midnight UTC of ``d``: the ``start`` of a daily Bar."""
    return datetime.combine(d, time(0, 0), tzinfo=timezone.utc)


@dataclass(frozen=True, eq=False)
class DailySeries:
    """One symbol's daily bars, oldest first, as parallel sequences of length n.

    ``open``/``high``/``low``/``close``: Decimal exactly as written in the file (USD),
    each a :class:`~.price_column.PriceColumn` over ``units`` (no Decimal objects kept).
    ``close_f``: the closes as a float64 array (the option desk's volatility); the other
    prices have no float copy (issue 15, idle memory: nothing reads them).
    ``units``: int64 array (n, 4) of O, H, L, C in 1/PRICE_SCALE dollars (exact).
    ``volume``: int64 array of shares.
    ``dates``: the trading dates, a :class:`~.date_column.DateColumn` (int32 ordinals).
    ``factor``: each day's adjustment factor Adj Close / Close (Decimal; 1 means the
    file's price needs no adjustment to today's end of data), a
    :class:`~.factor_column.FactorColumn` computing it when asked. A day whose Adj Close is
    missing or unreadable carries the factor of the next readable day (else the
    previous one, else 1): no false jump is made up for it.
    """

    symbol: str
    dates: DateColumn
    open: PriceColumn
    high: PriceColumn
    low: PriceColumn
    close: PriceColumn
    volume: np.ndarray
    units: np.ndarray
    close_f: np.ndarray
    factor: FactorColumn

    def __len__(self) -> int:
        return len(self.dates)

    def index_of(self, d: date) -> int | None:
        """Index of trading date ``d``, or None if the symbol did not trade that day."""
        return self.dates.find(d)  # no {date: index} dict: 52,000 entries cost 3.6 MiB

    def index_before(self, d: date) -> int:
        """Number of trading dates strictly before ``d`` (a bisect position)."""
        return self.dates.bisect_left(d)

    def bar(self, i: int) -> Bar:
        """The real daily Bar at index ``i`` (interval 1d, start midnight UTC, synthetic=False)."""
        return Bar(
            symbol=self.symbol,
            interval=Interval.D1,
            start=day_start_utc(self.dates[i]),
            open=self.open[i],
            high=self.high[i],
            low=self.low[i],
            close=self.close[i],
            volume=Decimal(int(self.volume[i])),
            synthetic=False,
        )

    def factor_on(self, d: date) -> Decimal:
        """Adjustment factor in force on ``d``: that of the last trading date on or
        before ``d`` (the first date's before the series starts; 1 when empty)."""
        if not len(self.dates):
            return ONE
        i = self.dates.bisect_right(d) - 1
        return self.factor[max(i, 0)]

    def adjusted_bar(self, i: int, reference: Decimal) -> Bar:
        """The daily Bar at index ``i`` with O/H/L/C scaled by ``factor[i] / reference``
        (``reference``: the factor of the day prices are expressed in, e.g. the replay's
        today), rounded half-even to PRICE_QUANTUM; volume as in the file (shares are
        not adjusted). A scale within SAME_FACTOR of 1 gives :meth:`bar` unchanged."""
        bar = self.bar(i)
        scale = _FACTOR_CONTEXT.divide(self.factor[i], reference)
        if abs(scale - 1) < SAME_FACTOR:
            return bar
        prices = [_scaled(p, scale) for p in (bar.open, bar.high, bar.low, bar.close)]
        return bar.model_copy(update=dict(zip(("open", "high", "low", "close"), prices)))


def _scaled(price: Decimal, scale: Decimal) -> Decimal:
    """``price * scale`` rounded to PRICE_QUANTUM, never below one quantum."""
    value = _FACTOR_CONTEXT.multiply(price, scale).quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
    return max(value, PRICE_QUANTUM)


class SeriesBuilder:
    """Collects one symbol's rows as they are read, in typed arrays (no object kept per
    row), and :meth:`build` s its :class:`DailySeries`, oldest first.

    A row: its date, O, H, L, C (positive Decimals, at most PRICE_DECIMALS decimals,
    below MAX_PRICE_UNITS units: the caller has checked them), volume (shares) and, for
    adjusted data, the day's readable Adj Close (None: unreadable; the day takes a
    neighbour's factor, see :class:`~.factor_column.FactorColumn`). A series built
    without any Adj Close (``adjusted=False``, the ECB pairs) has factor 1 throughout."""

    def __init__(self, symbol: str, *, adjusted: bool = True) -> None:
        self.symbol = symbol
        self.adjusted = adjusted
        self._ordinals = array("i")
        self._units = array("q")  # O, H, L, C of each row, in turn
        self._exponents = array("b")
        self._volume = array("q")
        self._readable = array("b")
        self._adj_coefficients = array("q")
        self._adj_exponents = array("b")
        self._wide: dict[int, Decimal] = {}  # row -> an Adj Close too long for int64 digits

    def __len__(self) -> int:
        return len(self._ordinals)

    def add(self, day: date, prices: tuple[Decimal, ...], volume: int, adj_close: Decimal | None = None) -> None:
        """Append one row (see the class docstring)."""
        row = len(self._ordinals)
        self._ordinals.append(day.toordinal())
        for p in prices:
            self._units.append(int(p * PRICE_SCALE))
            self._exponents.append(p.as_tuple().exponent)
        self._volume.append(volume)
        parts = adj_parts(adj_close) if adj_close is not None else (0, 0)
        if adj_close is not None and parts is None:
            self._wide[row], parts = adj_close, (0, 0)
        self._readable.append(adj_close is not None)
        self._adj_coefficients.append(parts[0])
        self._adj_exponents.append(parts[1])

    def build(self) -> DailySeries:
        """The DailySeries of the rows added so far, sorted by date (stable)."""
        n = len(self._ordinals)
        ordinals = np.frombuffer(self._ordinals, dtype=np.int32) if n else np.zeros(0, dtype=np.int32)
        order = np.argsort(ordinals, kind="stable")

        def column(buf: array, dtype, width: int = 1) -> np.ndarray:
            values = np.frombuffer(buf, dtype=dtype).reshape(-1, width) if n else np.zeros((0, width), dtype=dtype)
            return np.ascontiguousarray(values[order]).reshape(-1) if width == 1 else np.ascontiguousarray(values[order])

        units = column(self._units, np.int64, 4)
        prices = _price_columns(units, column(self._exponents, np.int8, 4))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)  # row in file order -> row in date order
        factor = (FactorColumn.build(column(self._readable, np.int8).astype(bool), column(self._adj_coefficients, np.int64),
                                     column(self._adj_exponents, np.int8), prices[3],
                                     {int(rank[row]): value for row, value in self._wide.items()})
                  if self.adjusted else FactorColumn.none(n))
        return _series(self.symbol, DateColumn(ordinals[order]), units, prices, column(self._volume, np.int64), factor)


def series_from_units(symbol: str, dates: DateColumn, units: np.ndarray, exponent: int,
                      volume: np.ndarray) -> DailySeries:
    """A DailySeries straight from integer prices, no Decimal per price: ``units`` an
    int64 (n, 4) array of O, H, L, C in 1/PRICE_SCALE, every price with Decimal
    ``exponent`` (-2: "1100.00"), ``volume`` int64 (n,), ``dates`` ascending; no
    adjustment factors (all 1). Used for the ECB pairs (tens of thousands of prices)."""
    units = np.ascontiguousarray(units, dtype=np.int64).reshape(-1, 4)
    prices = _price_columns(units, np.full(units.shape, exponent, dtype=np.int8))
    return _series(symbol, dates, units, prices, np.ascontiguousarray(volume, dtype=np.int64),
                   FactorColumn.none(len(units)))


def _price_columns(units: np.ndarray, exponents: np.ndarray) -> list[PriceColumn]:
    """O, H, L, C columns over ``units`` and ``exponents`` (both (n, 4))."""
    return [PriceColumn(units[:, k], exponents[:, k], PRICE_DECIMALS) for k in range(4)]


def _series(symbol: str, dates: DateColumn, units: np.ndarray, prices: list[PriceColumn], volume: np.ndarray,
            factor: FactorColumn) -> DailySeries:
    """The DailySeries of these columns, its arrays made read-only."""
    closes = units[:, 3] / PRICE_SCALE
    for arr in (units, closes, volume):
        arr.flags.writeable = False
    return DailySeries(symbol=symbol, dates=dates, open=prices[0], high=prices[1], low=prices[2], close=prices[3],
                       volume=volume, units=units, close_f=closes, factor=factor)
