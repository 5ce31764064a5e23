"""Level of detail for candles: merge k consecutive bars into one (pure numpy).

Above :data:`LOD_THRESHOLD` visible bars the chart draws groups of ``k`` bars as
one candle (first open, max high, min low, last close, summed volume), so about
``LOD_TARGET`` candles are drawn however far the user zooms out. Groups are
aligned to absolute multiples of ``k`` (group g covers bars ``g*k .. g*k+k-1``),
so panning does not reshuffle them.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

LOD_THRESHOLD = 3000  # visible bars above which bars are merged
LOD_TARGET = 1000  # about this many merged candles across the visible width


class Groups(NamedTuple):
    """Aggregated candles: ``start`` is each group's first bar index (int64); the
    others are float64 arrays of the same length. ``k`` is the group size."""

    k: int
    start: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.start.shape[0])


def lod_factor(visible_bars: float, threshold: int = LOD_THRESHOLD, target: int = LOD_TARGET) -> int:
    """Group size for ``visible_bars`` bars across the view: 1 up to ``threshold``,
    else ``ceil(visible_bars / target)``."""
    if visible_bars <= threshold:
        return 1
    return max(1, math.ceil(visible_bars / target))


def align(start: int, stop: int, k: int, n: int) -> tuple[int, int]:
    """Widen bar range ``start:stop`` to whole groups of ``k``, clipped to ``0:n``."""
    start = max(0, min(start, n))
    stop = max(0, min(stop, n))
    start -= start % k
    if stop % k:
        stop = min(n, stop + k - stop % k)
    return start, stop


def aggregate(open, high, low, close, volume, start: int, stop: int, k: int) -> Groups:  # noqa: A002
    """Merge bars ``start:stop`` of the given full-length arrays into groups of ``k``.

    ``start`` should be a multiple of ``k`` (see :func:`align`); the last group may
    be shorter. With ``k == 1`` the result holds views, not copies.
    """
    if stop <= start:
        empty = np.empty(0)
        return Groups(k, np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty)
    if k == 1:
        sl = slice(start, stop)
        return Groups(1, np.arange(start, stop, dtype=np.int64), open[sl], high[sl], low[sl], close[sl], volume[sl])
    starts = np.arange(start, stop, k, dtype=np.int64)
    offsets = starts - start
    last = np.minimum(starts + k, stop) - 1
    sl = slice(start, stop)
    return Groups(
        k,
        starts,
        open[starts],
        np.maximum.reduceat(high[sl], offsets),
        np.minimum.reduceat(low[sl], offsets),
        close[last],
        np.add.reduceat(volume[sl], offsets),
    )
