"""Axis items: bar index -> time labels, prices with fixed decimals, compact volume."""

from __future__ import annotations

import math
from datetime import tzinfo

from PySide6.QtGui import QFontMetricsF

from desktop.domain.enums import Interval

from .fmt import format_volume
from .gridlines import CachedAxis
from .series import BarSeries
from .timeticks import bar_zone, choose_ticks, tick_label

_LABEL_PX = 66  # room per time label, px ("Mar 14" plus spacing)


class TimeAxis(CachedAxis):
    """Bottom axis of a bar-index chart; labels the bar times (see :mod:`.timeticks`).

    Intraday intervals are labelled in ``tz`` (None: the machine's local zone) with
    the date where the day changes; daily bars by their trading date (written in
    UTC: their start is midnight UTC of the trading date; see ``bar_zone``).
    """

    def __init__(self, series: BarSeries, master: TimeAxis | None = None, **kwargs) -> None:
        """``master``: another TimeAxis over the same series and width whose ticks
        this one reuses (the price plot's label-less axis that draws its grid)."""
        super().__init__("bottom", **kwargs)
        self._series = series
        self._master = master
        self._interval = Interval.M1
        self._tz: tzinfo | None = None
        self._labels: dict[float, str] = {}
        self._cache: tuple[tuple, list[tuple[int, str]]] | None = None

    def set_interval(self, interval: Interval) -> None:
        self._interval = Interval(interval)
        self.invalidate()

    def set_timezone(self, tz: tzinfo | None) -> None:
        self._tz = tz
        self.invalidate()

    def invalidate(self) -> None:
        """Recompute ticks on the next paint (after data, interval or zone changes)."""
        self._cache = None
        self.picture = None
        self.update()

    @property
    def label_tz(self) -> tzinfo | None:
        """The zone labels are written in."""
        return bar_zone(self._interval.is_intraday, self._tz)

    def ticks(self, lo: float, hi: float, size: float) -> list[tuple[int, str]]:
        """``[(bar index, label)]`` for the x range ``lo .. hi`` drawn ``size`` px wide."""
        if self._master is not None:
            return self._master.ticks(lo, hi, size)
        s = self._series
        key = (s.generation, len(s), lo, hi, size)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        n = len(s)
        first = max(0, math.ceil(lo - 0.5) - 1)  # one bar before the first visible
        last = min(n - 1, math.floor(hi + 0.5))
        out: list[tuple[int, str]] = []
        if n and last > first and size > 0:
            tz = self.label_tz
            found = choose_ticks(
                s.time[first : last + 1],
                first,
                int(self._interval.duration.total_seconds()),
                max_labels=max(1, int(size // _LABEL_PX)),
                min_gap=_LABEL_PX * (hi - lo) / size,
                tz=tz,
            )
            out = [(i, tick_label(int(s.time[i]), kind, tz)) for i, kind in found]
        self._cache = (key, out)
        return out

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803
        lo, hi = sorted((minVal, maxVal))
        ticks = self.ticks(lo, hi, size)
        self._labels = {float(i): label for i, label in ticks}
        return [(1.0, [float(i) for i, _ in ticks])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [self._labels.get(float(v), "") for v in values]


class PriceAxis(CachedAxis):
    """Right-hand price axis: at least two decimals, more when ticks are closer.

    A label the last-price tag would cover (:meth:`clear_labels_near`) is left out, so
    no half-hidden price peeks out from under the tag."""

    def __init__(self, *args, **kwargs) -> None:
        self._tag_y: float | None = None  # the last-price tag's price (None: no tag)
        self._tag_half_px = 0.0
        self._labelled: list[float] = []  # the label values of the axis as last drawn
        super().__init__(*args, **kwargs)

    def clear_labels_near(self, y: float | None, half_height_px: float = 0.0) -> None:
        """Leave out labels less than ``half_height_px`` (plus half a label) from price
        ``y`` (None: draw every label). Redraws the axis only when that changes which
        of its labels are shown."""
        before = self._hidden(self._labelled)
        self._tag_y, self._tag_half_px = y, half_height_px
        if self._hidden(self._labelled) != before:
            self.picture = None
            self.update()

    def _hidden(self, values) -> frozenset[float]:
        y = self._tag_y
        size = self.geometry().height()
        lo, hi = self.range
        if y is None or size <= 0 or hi == lo:
            return frozenset()
        reach = (self._tag_half_px + self._label_height() / 2) * (hi - lo) / size
        return frozenset(v for v in values if abs(v - y) < reach)

    def _label_height(self) -> float:
        """Height of one label, px."""
        font = self.style["tickFont"]
        return float(QFontMetricsF(font).height()) if font is not None else 14.0

    def generateDrawSpecs(self, p):  # noqa: N802 - pyqtgraph override
        self._labelled = []
        return super().generateDrawSpecs(p)

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if not values:
            return []
        d = max(0, math.ceil(-math.log10(spacing * scale))) if spacing > 0 else 2
        if max(abs(v) for v in values) >= 1:
            d = max(d, 2)
        self._labelled.extend(values)
        hidden = self._hidden(values)
        return ["" if v in hidden else f"{v * scale:,.{d}f}" for v in values]


class VolumeAxis(CachedAxis):
    """Right-hand volume axis with compact labels (12.3K, 4.56M)."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [format_volume(v * scale) if v > 0 else "" for v in values]
