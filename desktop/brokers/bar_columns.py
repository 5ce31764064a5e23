"""BarColumns: a symbol's bars as numpy columns, for the chart (no Bar per row).

:meth:`desktop.brokers.base.Broker.fetch_bars_array` returns history this way: one
int64 array of bar start times (POSIX seconds, UTC) and float64 arrays of open, high,
low, close (instrument currency) and volume (shares), all of one length, oldest
first. Converting 100k pydantic ``Bar`` objects (Decimal fields) costs about 100 ms;
a broker that holds its history in arrays (the paper broker) hands them over at
numpy speed, and :meth:`BarColumns.to_bars` builds ``Bar`` objects only where a
caller needs them. The floats are for drawing: exact prices stay in ``Bar``s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

import numpy as np

from desktop.domain import Bar, Interval

__all__ = ["BarColumns"]


def _frozen(a: np.ndarray, dtype: type) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=dtype)
    if out is a or out.base is not None:
        out = out.copy()
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class BarColumns:
    """Bars of ``symbol`` at ``interval`` as read-only columns (see the module doc).

    Raises ValueError when the columns are not 1-d arrays of one length.
    """

    symbol: str
    interval: Interval
    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    synthetic: bool = False
    """The bars were generated (the paper broker's intraday path), not traded."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _frozen(self.time, np.int64))
        for name in ("open", "high", "low", "close", "volume"):
            object.__setattr__(self, name, _frozen(getattr(self, name), np.float64))
        n = self.time.shape[0]
        if self.time.ndim != 1 or any(getattr(self, f).shape != (n,) for f in ("open", "high", "low", "close", "volume")):
            raise ValueError("time, open, high, low, close and volume must be 1-d arrays of one length")

    def __len__(self) -> int:
        return int(self.time.shape[0])

    @classmethod
    def empty(cls, symbol: str, interval: Interval) -> BarColumns:
        """No bars."""
        z = np.zeros(0)
        return cls(symbol, Interval(interval), np.zeros(0, dtype=np.int64), z, z, z, z, z)

    @classmethod
    def from_bars(cls, symbol: str, interval: Interval, bars: Sequence[Bar]) -> BarColumns:
        """Columns of domain ``bars`` (oldest first, as ``fetch_bars`` returns them)."""
        n = len(bars)
        t = np.fromiter((int(b.start.timestamp()) for b in bars), dtype=np.int64, count=n)
        cols = [np.fromiter((float(getattr(b, f)) for b in bars), dtype=np.float64, count=n)
                for f in ("open", "high", "low", "close", "volume")]
        return cls(symbol, Interval(interval), t, *cols, synthetic=bool(n) and all(b.synthetic for b in bars))

    def last_bar(self) -> Bar | None:
        """The newest row as a domain ``Bar`` (None when empty)."""
        if not len(self):
            return None
        tail = BarColumns(self.symbol, self.interval, self.time[-1:], self.open[-1:], self.high[-1:], self.low[-1:],
                          self.close[-1:], self.volume[-1:], synthetic=self.synthetic)
        return tail.to_bars()[0]

    def to_bars(self) -> list[Bar]:
        """Domain ``Bar`` objects of the rows (prices from the floats' shortest repr:
        exact for prices of up to 15 significant digits)."""
        rows = zip(self.time.tolist(), self.open.tolist(), self.high.tolist(), self.low.tolist(),
                   self.close.tolist(), self.volume.tolist())
        return [Bar(symbol=self.symbol, interval=self.interval, start=datetime.fromtimestamp(t, timezone.utc),
                    open=Decimal(repr(o)), high=Decimal(repr(h)), low=Decimal(repr(lo)), close=Decimal(repr(c)),
                    volume=Decimal(repr(v)), synthetic=self.synthetic)
                for t, o, h, lo, c, v in rows]
