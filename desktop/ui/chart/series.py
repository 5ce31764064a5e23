"""Qt-free columnar storage of one symbol's OHLCV bars for the chart.

The chart's x axis is the bar *index* (0 .. n-1), so nights and weekends leave no
gaps; :attr:`BarSeries.time` maps an index back to the bar's start time.

Arrays (all length ``n``, views into growable buffers, do not keep them across
mutations):

- ``time``: int64, bar start in epoch seconds UTC, strictly increasing;
- ``open``, ``high``, ``low``, ``close``: float64 prices in instrument currency;
- ``volume``: float64 shares.

Appending is amortised O(1) (capacity doubles); replacing the last bar is O(1).
``generation`` changes whenever history is replaced or cleared, ``revision`` on
every mutation, so renderers can tell "new data" from "last bar moved".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from desktop.domain.market import Bar

_FIELDS = ("open", "high", "low", "close", "volume")
_MIN_CAPACITY = 256


class BarRow(NamedTuple):
    """One bar as plain numbers: ``index`` in the series, ``time`` epoch seconds UTC."""

    index: int
    time: int
    open: float
    high: float
    low: float
    close: float
    volume: float

    @property
    def start(self) -> datetime:
        """The bar's start as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time, timezone.utc)


class BarSeries:
    """Growable numpy arrays of OHLCV bars, sorted by start time (see module doc)."""

    def __init__(self) -> None:
        self._n = 0
        self._time = np.empty(0, dtype=np.int64)
        self._cols = {f: np.empty(0, dtype=np.float64) for f in _FIELDS}
        self.generation = 0
        self.revision = 0
        self._reserve(_MIN_CAPACITY)

    # -- arrays ---------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    @property
    def time(self) -> np.ndarray:
        return self._time[: self._n]

    @property
    def open(self) -> np.ndarray:
        return self._cols["open"][: self._n]

    @property
    def high(self) -> np.ndarray:
        return self._cols["high"][: self._n]

    @property
    def low(self) -> np.ndarray:
        return self._cols["low"][: self._n]

    @property
    def close(self) -> np.ndarray:
        return self._cols["close"][: self._n]

    @property
    def volume(self) -> np.ndarray:
        return self._cols["volume"][: self._n]

    # -- bulk replace ---------------------------------------------------------
    def clear(self) -> None:
        """Drop all bars (capacity is kept)."""
        self._n = 0
        self.generation += 1
        self.revision += 1

    def set_bars(self, bars: Sequence[Bar]) -> None:
        """Replace the history with domain bars (any order; duplicates: last wins)."""
        n = len(bars)
        t = np.fromiter((int(b.start.timestamp()) for b in bars), dtype=np.int64, count=n)
        cols = [
            np.fromiter((float(getattr(b, f)) for b in bars), dtype=np.float64, count=n)
            for f in _FIELDS
        ]
        self.set_arrays(t, *cols)

    def set_arrays(self, time, open, high, low, close, volume=None) -> None:  # noqa: A002
        """Replace the history with arrays of equal length (see module doc for dtypes).

        Unsorted input is sorted by time; for duplicate times the last row wins.
        ``volume`` defaults to zeros.
        """
        t = np.asarray(time, dtype=np.int64)
        n = t.shape[0]
        cols = [np.asarray(a, dtype=np.float64) for a in (open, high, low, close)]
        cols.append(np.zeros(n) if volume is None else np.asarray(volume, dtype=np.float64))
        if any(c.shape != (n,) for c in cols) or t.ndim != 1:
            raise ValueError("time, open, high, low, close and volume must be 1-d, equal length")
        if n > 1 and not np.all(t[1:] > t[:-1]):
            order = np.argsort(t, kind="stable")
            t = t[order]
            cols = [c[order] for c in cols]
            keep = np.ones(n, dtype=bool)
            keep[:-1] = t[1:] != t[:-1]  # last of each run of equal times
            t = t[keep]
            cols = [c[keep] for c in cols]
            n = t.shape[0]
        self._n = 0
        self._reserve(n)
        self._time[:n] = t
        for f, c in zip(_FIELDS, cols):
            self._cols[f][:n] = c
        self._n = n
        self.generation += 1
        self.revision += 1

    # -- live -----------------------------------------------------------------
    def apply(self, bar: Bar) -> bool:
        """Apply a live domain bar; see :meth:`apply_values`."""
        return self.apply_values(
            int(bar.start.timestamp()),
            float(bar.open),
            float(bar.high),
            float(bar.low),
            float(bar.close),
            float(bar.volume),
        )

    def apply_values(
        self, time: int, open: float, high: float, low: float, close: float, volume: float = 0.0  # noqa: A002
    ) -> bool:
        """Replace the last bar (same ``time``) or append a newer one.

        Returns True if the series changed, False for a bar older than the last one
        (ignored: history is only rewritten with :meth:`set_arrays`).
        """
        n = self._n
        if n and time < self._time[n - 1]:
            return False
        if not n or time > self._time[n - 1]:
            if n == self._time.shape[0]:
                self._reserve(max(_MIN_CAPACITY, 2 * n))
            n += 1
            self._n = n
        i = n - 1
        self._time[i] = time
        c = self._cols
        c["open"][i], c["high"][i], c["low"][i] = open, high, low
        c["close"][i], c["volume"][i] = close, volume
        self.revision += 1
        return True

    # -- lookups --------------------------------------------------------------
    def row(self, index: int) -> BarRow:
        """The bar at ``index`` (negative counts from the end); IndexError if none."""
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError(f"bar index {index} out of range 0..{self._n - 1}")
        c = self._cols
        return BarRow(
            index,
            int(self._time[index]),
            float(c["open"][index]),
            float(c["high"][index]),
            float(c["low"][index]),
            float(c["close"][index]),
            float(c["volume"][index]),
        )

    def last(self) -> BarRow | None:
        """The newest bar, or None when empty."""
        return self.row(self._n - 1) if self._n else None

    def index_at(self, x: float) -> int | None:
        """The bar whose slot contains chart x (bar i spans i-0.5 .. i+0.5), or None."""
        i = int(np.floor(x + 0.5))
        return i if 0 <= i < self._n else None

    def index_of_time(self, t: int) -> int:
        """Index of the last bar starting at or before epoch second ``t`` (-1 if none)."""
        return int(np.searchsorted(self.time, t, side="right")) - 1

    def price_range(self, start: int, stop: int) -> tuple[float, float] | None:
        """(min low, max high) over bars ``start:stop`` (clipped), or None if empty."""
        start, stop = max(0, start), min(self._n, stop)
        if stop <= start:
            return None
        return float(self.low[start:stop].min()), float(self.high[start:stop].max())

    def volume_max(self, start: int, stop: int) -> float:
        """Largest volume over bars ``start:stop`` (clipped), 0.0 if empty."""
        start, stop = max(0, start), min(self._n, stop)
        return float(self.volume[start:stop].max()) if stop > start else 0.0

    # -- internals ------------------------------------------------------------
    def _reserve(self, capacity: int) -> None:
        if capacity <= self._time.shape[0]:
            return
        n = self._n
        t = np.empty(capacity, dtype=np.int64)
        t[:n] = self._time[:n]
        self._time = t
        for f in _FIELDS:
            a = np.empty(capacity, dtype=np.float64)
            a[:n] = self._cols[f][:n]
            self._cols[f] = a
