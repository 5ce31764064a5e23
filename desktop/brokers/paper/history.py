"""Real daily OHLCV history for the paper market, loaded from a gzip CSV.

Source: ``resources/stocks.csv.gz`` (see ``resources/NOTICE``): columns
Ticker, Date, Open, High, Low, Close, Volume, Adj Close; unadjusted daily prices,
and (from Adj Close / Close) each day's adjustment factor for splits and dividends.
Nothing is read at import: :class:`History` loads its file on first use and
:meth:`History.open` shares one instance per path.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar

import numpy as np

from desktop.brokers.errors import NotFoundError, UnavailableError
from desktop.brokers.transport.payloads import shorten
from desktop.domain import Bar, Interval

from .price_column import PriceColumn

log = logging.getLogger(__name__)

PRICE_DECIMALS = 4
"""Most decimal places a price may have; prices are also kept as integer units."""
PRICE_SCALE = 10**PRICE_DECIMALS
"""Integer price units per dollar: a price of 14.2675 is 142675 units."""
DATA_FILE = "stocks.csv.gz"
"""File name of the shipped history inside ``resources_dir()``."""

_COLUMNS = ("Ticker", "Date", "Open", "High", "Low", "Close", "Volume")
ADJ_COLUMN = "Adj Close"
"""The column whose ratio to Close is the day's split/dividend adjustment factor."""
PRICE_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMALS)
"""Adjusted prices are rounded (half-even) to this many dollars (0.0001)."""
FACTOR_RANGE = (Decimal("1e-6"), Decimal("1e6"))
"""An adjustment factor outside this range is taken as unreadable."""
SAME_FACTOR = Decimal("1e-9")
"""Factors closer than this (relative) are the same: the file's Adj Close is rounded
to about 13 digits, while the smallest dividend moves the factor by about 1e-4."""
_FACTOR_CONTEXT = Context(prec=28)
ONE = Decimal(1)


def day_start_utc(d: date) -> datetime:
    """Midnight UTC of ``d``: the ``start`` of a daily Bar."""
    return datetime.combine(d, time(0, 0), tzinfo=timezone.utc)


@dataclass(frozen=True, eq=False)
class DailySeries:
    """One symbol's daily bars, oldest first, as parallel sequences of length n.

    ``open``/``high``/``low``/``close``: Decimal exactly as written in the file (USD),
    each a :class:`~.price_column.PriceColumn` over ``units`` (no Decimal objects kept).
    ``open_f``/``high_f``/``low_f``/``close_f``: the same as float64 arrays.
    ``units``: int64 array (n, 4) of O, H, L, C in 1/PRICE_SCALE dollars (exact).
    ``volume``: int64 array of shares.
    ``factor``: each day's adjustment factor Adj Close / Close (Decimal; 1 means the
    file's price needs no adjustment to today's end of data). A day whose Adj Close is
    missing or unreadable carries the factor of the next readable day (else the
    previous one, else 1): no false jump is made up for it.
    """

    symbol: str
    dates: tuple[date, ...]
    open: PriceColumn
    high: PriceColumn
    low: PriceColumn
    close: PriceColumn
    volume: np.ndarray
    units: np.ndarray
    open_f: np.ndarray
    high_f: np.ndarray
    low_f: np.ndarray
    close_f: np.ndarray
    factor: tuple[Decimal, ...]

    def __len__(self) -> int:
        return len(self.dates)

    def index_of(self, d: date) -> int | None:
        """Index of trading date ``d``, or None if the symbol did not trade that day."""
        i = bisect.bisect_left(self.dates, d)  # no {date: index} dict: 52,000 entries cost 3.6 MiB
        return i if i < len(self.dates) and self.dates[i] == d else None

    def index_before(self, d: date) -> int:
        """Number of trading dates strictly before ``d`` (a bisect position)."""
        return bisect.bisect_left(self.dates, d)

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
        if not self.dates:
            return Decimal(1)
        i = bisect.bisect_right(self.dates, d) - 1
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


def parse_factor(raw: str | None, close: Decimal) -> tuple[Decimal | None, str]:
    """The adjustment factor ``Adj Close / close`` of one row, or ``(None, reason)``
    when ``raw`` (the Adj Close text) is missing, not a number, not positive, or gives
    a factor outside FACTOR_RANGE. Never raises."""
    if raw is None or not str(raw).strip():
        return None, "Adj Close missing"
    try:
        adj = Decimal(str(raw).strip())
        if not adj.is_finite() or adj <= 0:
            return None, f"Adj Close {shorten(raw)!r} is not a positive number"
        factor = _FACTOR_CONTEXT.divide(adj, close)
    except ArithmeticError:  # InvalidOperation, Overflow ("1e999999999"), DivisionByZero
        return None, f"Adj Close {shorten(raw)!r} is not a usable number"
    if not FACTOR_RANGE[0] <= factor <= FACTOR_RANGE[1]:
        return None, f"Adj Close {shorten(raw)!r} is implausible for Close {close}"
    return factor, ""


def _fill_factors(factors: list[Decimal | None]) -> tuple[Decimal, ...]:
    """Unreadable factors (None) take the next readable one, else the previous, else 1."""
    out: list[Decimal | None] = list(factors)
    nxt: Decimal | None = None
    for i in range(len(out) - 1, -1, -1):
        if out[i] is None:
            out[i] = nxt
        else:
            nxt = out[i]
    prev: Decimal | None = None
    for i, f in enumerate(out):
        if f is None:
            out[i] = prev
        prev = out[i]
    return tuple(ONE if f is None else f for f in out)  # one shared 1: the pairs have no factors


def _parse_row(row: dict[str, str]) -> tuple[str, date, tuple[Decimal, ...], int]:
    """Parse one CSV row; raises ValueError (with the reason) when it is malformed."""
    values = [row.get(col) for col in _COLUMNS]
    if any(v is None or not v.strip() for v in values):
        raise ValueError("missing field")
    ticker = values[0].strip().upper()
    day = date.fromisoformat(values[1].strip())
    try:
        prices = tuple(Decimal(v.strip()) for v in values[2:6])
    except InvalidOperation as exc:
        raise ValueError("price is not a number") from exc
    volume = int(values[6].strip())
    o, h, l, c = prices
    if any(not p.is_finite() or p <= 0 for p in prices):
        raise ValueError("prices must be positive numbers")
    if any(p.as_tuple().exponent < -PRICE_DECIMALS for p in prices):
        raise ValueError(f"prices may have at most {PRICE_DECIMALS} decimal places")
    if not (l <= min(o, c) and h >= max(o, c)):
        raise ValueError("inconsistent OHLC (need low <= open, close <= high)")
    if volume < 0:
        raise ValueError("negative volume")
    return ticker, day, prices, volume


_Row = tuple[date, tuple[Decimal, ...], int, Decimal | None] | tuple[date, tuple[Decimal, ...], int]
"""(date, OHLC, volume[, adjustment factor]): a row without a factor (the forex fixes) is unadjusted."""


def _build_series(symbol: str, rows: list[_Row]) -> DailySeries:
    rows.sort(key=lambda r: r[0])
    dates = tuple(r[0] for r in rows)
    cols = list(zip(*(r[1] for r in rows))) if rows else [(), (), (), ()]
    units = np.array([[int(p * PRICE_SCALE) for p in r[1]] for r in rows], dtype=np.int64).reshape(-1, 4)
    floats = units.astype(np.float64) / PRICE_SCALE
    for arr in (units, floats):
        arr.flags.writeable = False
    volume = np.array([r[2] for r in rows], dtype=np.int64)
    volume.flags.writeable = False
    return DailySeries(
        symbol=symbol,
        dates=dates,
        open=PriceColumn.of(cols[0], units[:, 0], PRICE_DECIMALS),
        high=PriceColumn.of(cols[1], units[:, 1], PRICE_DECIMALS),
        low=PriceColumn.of(cols[2], units[:, 2], PRICE_DECIMALS),
        close=PriceColumn.of(cols[3], units[:, 3], PRICE_DECIMALS),
        volume=volume,
        units=units,
        open_f=floats[:, 0],
        high_f=floats[:, 1],
        low_f=floats[:, 2],
        close_f=floats[:, 3],
        factor=_fill_factors([r[3] if len(r) > 3 else None for r in rows]),  # rows without one: 1
    )


def series_from_units(symbol: str, dates: tuple[date, ...], units: np.ndarray, exponent: int,
                      volume: np.ndarray) -> DailySeries:
    """A DailySeries straight from integer prices, no Decimal per price: ``units`` an
    int64 (n, 4) array of O, H, L, C in 1/PRICE_SCALE, every price with Decimal
    ``exponent`` (-2: "1100.00"), ``volume`` int64 (n,), ``dates`` ascending; no
    adjustment factors (all 1). Used for the ECB pairs (tens of thousands of prices)."""
    units = np.ascontiguousarray(units, dtype=np.int64).reshape(-1, 4)
    floats = units.astype(np.float64) / PRICE_SCALE
    volume = np.ascontiguousarray(volume, dtype=np.int64)
    for arr in (units, floats, volume):
        arr.flags.writeable = False
    exponents = np.full(len(units), exponent, dtype=np.int8)
    columns = [PriceColumn(units[:, k], exponents, PRICE_DECIMALS) for k in range(4)]
    return DailySeries(symbol=symbol, dates=dates, open=columns[0], high=columns[1], low=columns[2],
                       close=columns[3], volume=volume, units=units, open_f=floats[:, 0], high_f=floats[:, 1],
                       low_f=floats[:, 2], close_f=floats[:, 3], factor=(ONE,) * len(units))


def load_series(path: Path) -> dict[str, DailySeries]:
    """Read a gzip (or plain) CSV into ``{symbol: DailySeries}``, symbols sorted.

    Malformed rows (and repeated symbol/date pairs) are logged and skipped; a row
    whose Adj Close alone is unreadable is kept with its neighbour's factor (logged;
    see :class:`DailySeries`). Raises UnavailableError when the file cannot be read.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    grouped: dict[str, list[_Row]] = {}
    seen: set[tuple[str, date]] = set()
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as fh:
            for line_no, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    ticker, day, prices, volume = _parse_row(row)
                except (ValueError, TypeError, AttributeError) as exc:
                    log.warning("%s line %d skipped: %s (%r)", path.name, line_no, exc, row)
                    continue
                if (ticker, day) in seen:
                    log.warning("%s line %d skipped: duplicate %s %s", path.name, line_no, ticker, day)
                    continue
                seen.add((ticker, day))
                factor, why = parse_factor(row.get(ADJ_COLUMN), prices[3])
                if factor is None:
                    log.warning("%s line %d: %s; %s %s is not adjusted against its neighbours",
                                path.name, line_no, why, ticker, day)
                grouped.setdefault(ticker, []).append((day, prices, volume, factor))
    except (OSError, EOFError, csv.Error, UnicodeDecodeError) as exc:
        raise UnavailableError(f"Cannot read the paper market data file {path}: {exc}") from exc
    return {sym: _build_series(sym, grouped[sym]) for sym in sorted(grouped)}


class History:
    """Daily history of every symbol in one CSV file, loaded lazily on first use.

    Use :meth:`open` to share one instance per file. All lookups take a symbol
    (case-insensitive) and raise NotFoundError naming it and the known symbols when
    it is unknown.
    """

    _instances: ClassVar[dict[Path, "History"]] = {}
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._series: dict[str, DailySeries] | None = None
        self._calendar: tuple[date, ...] | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str | None = None) -> "History":
        """The shared History of ``path`` (default: ``resources_dir()/stocks.csv.gz``)."""
        if path is None:
            from desktop.paths import resources_dir

            path = resources_dir() / DATA_FILE
        key = Path(path).resolve()
        with cls._instances_lock:
            inst = cls._instances.get(key)
            if inst is None:
                inst = cls._instances[key] = cls(key)
            return inst

    def _data(self) -> dict[str, DailySeries]:
        if self._series is None:
            with self._lock:
                if self._series is None:
                    self._series = load_series(self.path)
                    log.info("loaded %d symbols from %s", len(self._series), self.path)
        return self._series

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol with at least one valid row, sorted."""
        return tuple(self._data())

    def series(self, symbol: str) -> DailySeries:
        """The DailySeries of ``symbol``. Raises NotFoundError for an unknown symbol."""
        data = self._data()
        found = data.get(symbol.strip().upper()) if isinstance(symbol, str) else None
        if found is None:
            known = ", ".join(data) or "none"
            raise NotFoundError(f"Unknown symbol {symbol!r} in the paper market (known: {known})")
        return found

    def __contains__(self, symbol: object) -> bool:
        return isinstance(symbol, str) and symbol.strip().upper() in self._data()

    def trading_dates(self, symbol: str) -> tuple[date, ...]:
        """Dates on which ``symbol`` traded, oldest first."""
        return self.series(symbol).dates

    def index_of(self, symbol: str, d: date) -> int | None:
        """Index of ``d`` in ``symbol``'s series, or None if it did not trade that day."""
        return self.series(symbol).index_of(d)

    def daily_bar(self, symbol: str, d: date) -> Bar | None:
        """The real daily Bar of ``symbol`` on ``d``, or None if it did not trade."""
        s = self.series(symbol)
        i = s.index_of(d)
        return None if i is None else s.bar(i)

    def daily_bars(self, symbol: str, start: date | None = None, end: date | None = None, *,
                   adjusted_to: date | None = None) -> list[Bar]:
        """Real daily Bars with ``start <= date < end`` (either bound optional), oldest
        first; with ``adjusted_to``, adjusted for splits and dividends in that day's
        prices (see :meth:`DailySeries.adjusted_bar`, :meth:`DailySeries.factor_on`)."""
        s = self.series(symbol)
        lo = 0 if start is None else s.index_before(start)
        hi = len(s) if end is None else s.index_before(end)
        if adjusted_to is None:
            return [s.bar(i) for i in range(lo, hi)]
        reference = s.factor_on(adjusted_to)
        return [s.adjusted_bar(i, reference) for i in range(lo, hi)]

    def prev_close(self, symbol: str, d: date) -> Decimal | None:
        """Close of the last trading date strictly before ``d``, or None if there is none."""
        s = self.series(symbol)
        i = s.index_before(d)
        return s.close[i - 1] if i > 0 else None

    def calendar(self, symbols: Iterable[str] | None = None) -> tuple[date, ...]:
        """Sorted union of the trading dates of ``symbols`` (default: every symbol)."""
        if symbols is None:
            if self._calendar is None:
                self._calendar = tuple(sorted({d for s in self._data().values() for d in s.dates}))
            return self._calendar
        return tuple(sorted({d for sym in symbols for d in self.series(sym).dates}))
