"""Candle and volume graphics items: numpy-filled primitive arrays, visible slice only.

Both items draw bars of a :class:`BarSeries` in chart coordinates (x = bar index,
bar i centred on i; y = price or volume). On paint they look at their ViewBox's x
range, merge bars into groups if many are visible (:mod:`.lod`), and draw each
colour with one ``drawRects`` and one ``drawLines`` call over QRectF/QLineF arrays
filled by numpy (pyqtgraph's ``PrimitiveArray``, as ``BarGraphItem`` does).

Caching: the finished groups (every group before the one holding the last bar)
are built once for the visible range plus half a width on each side and reused
until the view leaves that range, the zoom level changes the group size, or the
history is replaced. The group holding the last bar (the "tail") is rebuilt on
the first paint after each data change, so a live update of the last bar costs a
few primitives, never a rebuild, and a repaint with no new data rebuilds nothing.
Call :meth:`SlicedItem.data_changed` after mutating the series; it does not
repaint (the owner throttles ``update()``).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from desktop.ui.pyqtgraph_lean import pg

from .lod import Groups, aggregate, align, lod_factor
from .series import BarSeries
from .theme import DARK, ChartTheme, blend

PrimitiveArray = pg.Qt.internals.PrimitiveArray


def _pen(color: str) -> QPen:
    pen = QPen(QColor(color))
    pen.setCosmetic(True)
    pen.setWidth(1)
    return pen


class _Batch:
    """One colour's rectangles and lines, as reusable primitive arrays."""

    def __init__(self, color: str) -> None:
        self.pen = _pen(color)
        self.brush = QBrush(QColor(color))
        self.rects = PrimitiveArray(QRectF, 4)  # columns: x, y, w, h
        self.lines = PrimitiveArray(QLineF, 4)  # columns: x1, y1, x2, y2
        self._rect_args = self.rects.drawargs()  # wrapped once per fill, not per paint
        self._line_args = self.lines.drawargs()

    def set_rects(self, x: np.ndarray, y: np.ndarray, w: float, h: np.ndarray) -> None:
        self.rects.resize(x.shape[0])
        m = self.rects.ndarray()
        m[:, 0], m[:, 1], m[:, 2], m[:, 3] = x, y, w, h
        self._rect_args = self.rects.drawargs()

    def set_lines(self, x1, y1, x2, y2) -> None:
        self.lines.resize(np.broadcast(x1, y1, x2, y2).shape[0])
        m = self.lines.ndarray()
        m[:, 0], m[:, 1], m[:, 2], m[:, 3] = x1, y1, x2, y2
        self._line_args = self.lines.drawargs()

    def draw(self, p: QPainter) -> None:
        if len(self.lines):
            p.setPen(self.pen)
            p.drawLines(*self._line_args)
        if len(self.rects):
            p.setPen(self.pen)
            p.setBrush(self.brush)
            p.drawRects(*self._rect_args)


class SlicedItem(pg.GraphicsObject):
    """Base of the candle and volume items (see module doc).

    Counters for tests and benchmarks: ``frames_painted`` (paint calls),
    ``rebuilds`` (cache rebuilds), ``drawn_count`` (candles drawn by the last
    paint), ``lod_k`` (bars per drawn candle in the last paint), ``tail_fills`` (times
    the group holding the last bar was rebuilt).
    """

    def __init__(self, series: BarSeries, theme: ChartTheme = DARK) -> None:
        super().__init__()
        self._series = series
        self._theme = theme
        self._cache = self._make_batches()
        self._tail = self._make_batches()
        self._key: tuple[int, int, int, int] | None = None  # generation, k, start, stop
        self._tail_key: tuple[int, int, int, int, int] | None = None  # generation, n, k, start, version
        self._version = 0  # bumped by every data_changed: the tail's bars may have new values
        self._cached_groups = 0
        self._bounds = QRectF()
        self._lo = math.inf
        self._hi = -math.inf
        self.frames_painted = 0
        self.rebuilds = 0
        self.tail_fills = 0
        self.drawn_count = 0
        self.lod_k = 1

    # -- subclass hooks -------------------------------------------------------
    def _make_batches(self) -> list[_Batch]:
        raise NotImplementedError

    def _fill(self, g: Groups, batches: list[_Batch]) -> None:
        """Fill ``batches`` with the primitives for groups ``g``."""
        raise NotImplementedError

    def _y_extent(self, start: int, stop: int) -> tuple[float, float]:
        """(min, max) y of bars ``start:stop`` (non-empty)."""
        raise NotImplementedError

    def apply_theme(self, theme: ChartTheme) -> None:
        """Draw in ``theme``'s colours from the next paint on (rebuilds the cache)."""
        self._theme = theme
        self._cache = self._make_batches()
        self._tail = self._make_batches()
        self._key = None
        self._tail_key = None
        self.update()

    # -- data -----------------------------------------------------------------
    def data_changed(self, since: int | None = None) -> None:
        """The series changed from bar ``since`` on (live bars), or entirely (None:
        after set/clear). Updates the bounding rect; does not repaint."""
        n = len(self._series)
        self._version += 1
        if since is None:
            self._key = None
            self._lo, self._hi = self._y_extent(0, n) if n else (math.inf, -math.inf)
        elif n > since:
            lo, hi = self._y_extent(max(0, since), n)
            self._lo, self._hi = min(self._lo, lo), max(self._hi, hi)
        rect = QRectF() if not n else QRectF(-0.5, self._lo, n, max(self._hi - self._lo, 1e-9))
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    # -- painting -------------------------------------------------------------
    def paint(self, p: QPainter, *args) -> None:
        self.frames_painted += 1
        s = self._series
        n = len(s)
        vb = self.getViewBox()
        if not n or vb is None:
            self.drawn_count = 0
            return
        (x0, x1), _ = vb.viewRange()
        k = lod_factor(x1 - x0)
        v0, v1 = align(math.floor(x0) - 1, math.ceil(x1) + 2, k, n)
        tail_start = ((n - 1) // k) * k
        body_stop = min(v1, tail_start)
        key = self._key
        if not (
            key is not None
            and key[0] == s.generation
            and key[1] == k
            and key[2] <= v0
            and body_stop <= key[3] <= tail_start
            and key[3] - key[2] <= 4 * (v1 - v0) + 4 * k
        ):
            self._rebuild(k, v0, body_stop, tail_start, n)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for b in self._cache:
            b.draw(p)
        self.drawn_count = self._cached_groups
        self.lod_k = k
        if v1 > tail_start:
            tail_key = (s.generation, n, k, tail_start, self._version)
            if tail_key != self._tail_key:
                g = aggregate(s.open, s.high, s.low, s.close, s.volume, tail_start, n, k)
                self._fill(g, self._tail)
                self._tail_key = tail_key
                self.tail_fills += 1
            for b in self._tail:
                b.draw(p)
            self.drawn_count += 1

    def _rebuild(self, k: int, v0: int, body_stop: int, tail_start: int, n: int) -> None:
        s = self._series
        margin = max(0, body_stop - v0) // 2
        c0, c1 = align(v0 - margin, body_stop + margin, k, n)
        c1 = max(c0, min(c1, tail_start))
        g = aggregate(s.open, s.high, s.low, s.close, s.volume, c0, c1, k)
        self._fill(g, self._cache)
        self._key = (s.generation, k, c0, c1)
        self._cached_groups = len(g)
        self.rebuilds += 1


class CandleItem(SlicedItem):
    """Candlesticks: up (close > open), down (close < open) and doji (equal) colours."""

    def _make_batches(self) -> list[_Batch]:
        t = self._theme
        return [_Batch(t.up), _Batch(t.down), _Batch(t.doji)]

    def _fill(self, g: Groups, batches: list[_Batch]) -> None:
        w = self._theme.body_width * g.k
        cx = g.start + (g.k - 1) / 2.0
        up_b, down_b, doji_b = batches
        up = g.close > g.open
        down = g.close < g.open
        for batch, m, top, bottom in ((up_b, up, g.close, g.open), (down_b, down, g.open, g.close)):
            x = cx[m]
            batch.set_rects(x - w / 2, bottom[m], w, top[m] - bottom[m])
            batch.set_lines(x, g.low[m], x, g.high[m])
        flat = ~(up | down)
        x, o = cx[flat], g.open[flat]
        doji_b.set_rects(x[:0], x[:0], w, x[:0])
        doji_b.set_lines(
            np.concatenate([x, x - w / 2]),
            np.concatenate([g.low[flat], o]),
            np.concatenate([x, x + w / 2]),
            np.concatenate([g.high[flat], o]),
        )

    def _y_extent(self, start: int, stop: int) -> tuple[float, float]:
        s = self._series
        return float(s.low[start:stop].min()), float(s.high[start:stop].max())


class VolumeItem(SlicedItem):
    """Volume bars from 0, coloured like their candle (muted toward the background)."""

    def _make_batches(self) -> list[_Batch]:
        t = self._theme
        return [_Batch(blend(t.up, t.background, t.volume_mix)), _Batch(blend(t.down, t.background, t.volume_mix))]

    def _fill(self, g: Groups, batches: list[_Batch]) -> None:
        w = self._theme.body_width * g.k
        x = g.start + (g.k - 1) / 2.0 - w / 2
        down = g.close < g.open
        for batch, m in zip(batches, (~down, down)):
            batch.set_rects(x[m], np.zeros(int(m.sum())), w, g.volume[m])

    def _y_extent(self, start: int, stop: int) -> tuple[float, float]:
        return 0.0, float(self._series.volume[start:stop].max())
