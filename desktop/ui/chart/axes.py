"""Axis items: bar index -> time labels, prices with fixed decimals, compact volume."""

from __future__ import annotations

import math
from datetime import tzinfo

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor

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

    The labels the last-price tag covers are masked (:meth:`mask_labels_near`), so no
    half-hidden price peeks out from under the tag. Masking repaints the axis strip
    from its recorded picture; the ticks and labels are not laid out again."""

    def __init__(self, *args, **kwargs) -> None:
        self._tag_y: float | None = None  # the last-price tag's price (None: no tag)
        self._tag_half_px = 0.0
        self._label_rects: list[QRectF] = []  # the labels as last laid out, axis coordinates
        self._masked: tuple[int, ...] = ()  # indexes of the labels masked in the cached strip
        super().__init__(*args, **kwargs)

    def mask_labels_near(self, y: float | None, half_height_px: float = 0.0) -> None:
        """Mask the labels that reach within ``half_height_px`` of price ``y`` (None:
        mask none). The strip is repainted only when that changes which are masked."""
        self._tag_y, self._tag_half_px = y, half_height_px
        if self._covered() != self._masked:
            self.update()

    def _covered(self) -> tuple[int, ...]:
        view = self.linkedView()
        if self._tag_y is None or view is None or not self._label_rects:
            return ()
        ty = self.mapFromScene(view.mapViewToScene(QPointF(0.0, self._tag_y))).y()
        top, bottom = ty - self._tag_half_px, ty + self._tag_half_px
        return tuple(i for i, r in enumerate(self._label_rects) if r.bottom() > top and r.top() < bottom)

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs):  # noqa: N802, N803 - pyqtgraph override
        self._label_rects = [QRectF(rect) for rect, _flags, _text in textSpecs]
        return super().drawPicture(p, axisSpec, tickSpecs, textSpecs)

    def paint(self, p, opt, widget):
        super().paint(p, opt, widget)
        self._masked = self._covered()
        if self._masked:
            views = self.scene().views() if self.scene() is not None else []
            background = views[0].backgroundBrush() if views else QBrush(QColor(0, 0, 0))  # the chart's background
            for i in self._masked:
                p.fillRect(self._label_rects[i], background)

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        if not values:
            return []
        d = max(0, math.ceil(-math.log10(spacing * scale))) if spacing > 0 else 2
        if max(abs(v) for v in values) >= 1:
            d = max(d, 2)
        return [f"{v * scale:,.{d}f}" for v in values]


class VolumeAxis(CachedAxis):
    """Right-hand volume axis with compact labels (12.3K, 4.56M)."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [format_volume(v * scale) if v > 0 else "" for v in values]
