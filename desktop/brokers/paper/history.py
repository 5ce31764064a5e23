"""Real daily OHLCV history for the paper market, loaded from a gzip CSV.

Source: ``resources/stocks.csv.gz`` (see ``resources/NOTICE``): columns
Ticker, Date, Open, High, Low, Close, Volume, Adj Close; unadjusted daily prices,
and (from Adj Close / Close) each day's adjustment factor for splits and dividends.
Nothing is read at import: :class:`History` loads its file on first use and
:meth:`History.open` shares one instance per path.
"""

from __future__ import annotations

import csv
import gzip
import logging
import threading
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import ClassVar

import numpy as np

from desktop.brokers.errors import NotFoundError, UnavailableError
from desktop.brokers.transport.payloads import shorten
from desktop.domain import Bar

from .daily_series import MAX_PRICE_UNITS, PRICE_DECIMALS, PRICE_SCALE, DailySeries, SeriesBuilder
from .date_column import DateColumn
from .factor_column import FACTOR_CONTEXT

log = logging.getLogger(__name__)

DATA_FILE = "stocks.csv.gz"
"""File name of the shipped history inside ``resources_dir()``."""

_COLUMNS = ("Ticker", "Date", "Open", "High", "Low", "Close", "Volume")
ADJ_COLUMN = "Adj Close"
"""The column whose ratio to Close is the day's split/dividend adjustment factor."""
FACTOR_RANGE = (Decimal("1e-6"), Decimal("1e6"))
"""An adjustment factor outside this range is taken as unreadable."""


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
        factor = FACTOR_CONTEXT.divide(adj, close)
    except ArithmeticError:  # InvalidOperation, Overflow ("1e999999999"), DivisionByZero
        return None, f"Adj Close {shorten(raw)!r} is not a usable number"
    if not FACTOR_RANGE[0] <= factor <= FACTOR_RANGE[1]:
        return None, f"Adj Close {shorten(raw)!r} is implausible for Close {close}"
    return factor, ""


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
    if any(p * PRICE_SCALE >= MAX_PRICE_UNITS for p in prices):
        raise ValueError("price is too large")
    if not (l <= min(o, c) and h >= max(o, c)):
        raise ValueError("inconsistent OHLC (need low <= open, close <= high)")
    if volume < 0:
        raise ValueError("negative volume")
    return ticker, day, prices, volume


def load_series(path: Path) -> dict[str, DailySeries]:
    """Read a gzip (or plain) CSV into ``{symbol: DailySeries}``, symbols sorted.

    Malformed rows (and repeated symbol/date pairs) are logged and skipped; a row
    whose Adj Close alone is unreadable is kept with its neighbour's factor (logged;
    see :class:`DailySeries`). Raises UnavailableError when the file cannot be read.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    grouped: dict[str, SeriesBuilder] = {}
    seen: dict[str, set[int]] = {}  # ticker -> day ordinals read
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as fh:
            for line_no, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    ticker, day, prices, volume = _parse_row(row)
                except (ValueError, TypeError, AttributeError) as exc:
                    log.warning("%s line %d skipped: %s (%r)", path.name, line_no, exc, row)
                    continue
                days = seen.setdefault(ticker, set())
                if day.toordinal() in days:
                    log.warning("%s line %d skipped: duplicate %s %s", path.name, line_no, ticker, day)
                    continue
                days.add(day.toordinal())
                raw_adj = row.get(ADJ_COLUMN)
                factor, why = parse_factor(raw_adj, prices[3])
                if factor is None:
                    log.warning("%s line %d: %s; %s %s is not adjusted against its neighbours",
                                path.name, line_no, why, ticker, day)
                adj = None if factor is None else Decimal(str(raw_adj).strip())  # the factor is computed when asked
                builder = grouped.get(ticker)
                if builder is None:
                    builder = grouped[ticker] = SeriesBuilder(ticker)
                builder.add(day, prices, volume, adj)
    except (OSError, EOFError, csv.Error, UnicodeDecodeError) as exc:
        raise UnavailableError(f"Cannot read the paper market data file {path}: {exc}") from exc
    del seen
    return {sym: grouped.pop(sym).build() for sym in sorted(grouped)}


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

    def trading_dates(self, symbol: str) -> DateColumn:
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
                self._calendar = _union(s.dates for s in self._data().values())
            return self._calendar
        return _union(self.series(sym).dates for sym in symbols)


def _union(columns: Iterable[DateColumn]) -> tuple[date, ...]:
    """The sorted union of the dates of ``columns``."""
    ordinals = [c.ordinals for c in columns]
    if not ordinals:
        return ()
    return tuple(date.fromordinal(o) for o in np.unique(np.concatenate(ordinals)).tolist())
