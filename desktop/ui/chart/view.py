"""The chart canvas: price plot over a volume plot, x-linked, on a bar-index axis.

``ChartView`` owns no data: it draws a :class:`BarSeries` that its owner mutates
and then reports with :meth:`ChartView.reset` (history replaced) or
:meth:`ChartView.mark_dirty` (live bars). Live changes are applied by a single-shot
QTimer at most ~30 times a second (:data:`FLUSH_MS`), never per tick.

View rules (x in bar-index units, bar i spans i-0.5 .. i+0.5):

- after :meth:`reset` the view shows the last :data:`DEFAULT_BARS` bars plus
  :data:`RIGHT_MARGIN` empty slots;
- mouse wheel zooms x around the cursor, left drag pans x; y is never user-set:
  it fits the visible bars' low/high (volume: 0 .. max) after every x change;
- no fewer than :data:`MIN_BARS` bars across, and at least a quarter of the view
  (or all bars, if fewer) stays on data;
- live: if the last bar was in view, new bars scroll the view to keep it
  :data:`RIGHT_MARGIN` slots from the right edge; if the user panned back, nothing moves.
"""

from __future__ import annotations

import math
from datetime import tzinfo

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QSize, QTimer, Signal
from PySide6.QtGui import QFont

from desktop.domain.enums import Interval

from .axes import PriceAxis, TimeAxis, VolumeAxis
from .crosshair import Crosshair, LastPriceMarker
from .fmt import format_price, price_decimals
from .items import CandleItem, VolumeItem
from .series import BarSeries
from .theme import DARK, ChartTheme

DEFAULT_BARS = 150
RIGHT_MARGIN = 5
MIN_BARS = 10
MIN_SPAN = 60  # a short history is laid out as if it had this many slots
FLUSH_MS = 33
Y_PAD = 0.08  # fraction of the visible price range added above and below


class ChartView(pg.GraphicsLayoutWidget):
    """Candles, volume, axes, crosshair and last-price marker for one series."""

    hoverChanged = Signal(int)  # bar index under the mouse, -1 when none
    flushed = Signal()  # live changes were applied (view scrolled, y refitted)

    def __init__(self, series: BarSeries, theme: ChartTheme = DARK, parent=None) -> None:
        super().__init__(parent)
        self._series = series
        self._theme = theme
        self._n_flushed = 0
        self._dirty = False
        self._clamping = False
        self._hover: int | None = None
        self.setBackground(theme.background)
        self.ci.setContentsMargins(0, 4, 0, 0)
        self.ci.setSpacing(0)

        self.time_axis = TimeAxis(series)
        self._hidden_time_axis = TimeAxis(series, master=self.time_axis, showValues=False)
        self.price_plot = self.addPlot(
            row=0, col=0, axisItems={"bottom": self._hidden_time_axis, "right": PriceAxis("right")}
        )
        self.volume_plot = self.addPlot(
            row=1, col=0, axisItems={"bottom": self.time_axis, "right": VolumeAxis("right")}
        )
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.volume_plot.setXLink(self.price_plot)
        for plot in (self.price_plot, self.volume_plot):
            self._style_plot(plot)
        self._hidden_time_axis.setHeight(1)
        self.time_axis.setHeight(theme.font_px + 12)  # fixed: no relayout when labels appear

        self.candles = CandleItem(series, theme)
        self.volumes = VolumeItem(series, theme)
        self.price_plot.addItem(self.candles)
        self.volume_plot.addItem(self.volumes)
        self.crosshair = Crosshair(self, self.price_plot, self.volume_plot, theme)
        self.last_marker = LastPriceMarker(self, self.price_plot, theme)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        pvb = self.price_plot.getViewBox()
        pvb.sigXRangeChanged.connect(self._on_x_changed)
        pvb.sigResized.connect(self.last_marker.reposition)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._update_limits()

    def _style_plot(self, plot: pg.PlotItem) -> None:
        t = self._theme
        font = QFont()
        font.setPixelSize(t.font_px)
        plot.hideAxis("left")
        plot.showAxis("right")
        plot.setMenuEnabled(False)
        plot.hideButtons()
        vb = plot.getViewBox()
        vb.setMouseEnabled(x=True, y=False)
        vb.enableAutoRange(x=False, y=False)
        vb.setDefaultPadding(0.0)
        for name in ("right", "bottom"):
            ax = plot.getAxis(name)
            ax.setPen(pg.mkPen(t.axis_line))
            ax.setTickPen(pg.mkPen(t.grid))
            ax.setTextPen(pg.mkPen(t.text))
            ax.setTickFont(font)
            ax.setStyle(tickAlpha=255, tickLength=0, maxTickLevel=1)
            ax.setGrid(255)
            ax.setZValue(-1)  # grid lines behind the candles, not over them
        plot.getAxis("right").setWidth(t.axis_width)
        if plot is self.volume_plot:
            plot.getAxis("right").setStyle(maxTickLevel=0)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(960, 560)

    # -- data notifications ---------------------------------------------------
    def reset(self) -> None:
        """The history was replaced or cleared: redraw from scratch, default view."""
        self._timer.stop()
        self._dirty = False
        self._n_flushed = len(self._series)
        self.candles.data_changed()
        self.volumes.data_changed()
        self._update_limits()
        self.show_last(DEFAULT_BARS)
        self._refresh_axes()
        self._update_last_marker()
        self.candles.update()
        self.volumes.update()

    def mark_dirty(self) -> None:
        """Live bars changed; apply on the next throttled flush."""
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        """True while live changes wait for the next flush."""
        return self._dirty

    def flush(self) -> None:
        """Apply pending live changes now: bounds, limits, scroll, y fit, repaint."""
        self._timer.stop()
        if not self._dirty:
            return
        self._dirty = False
        n, prev = len(self._series), self._n_flushed
        since = max(0, min(prev, n) - 1)
        self.candles.data_changed(since)
        self.volumes.data_changed(since)
        if n != prev:
            self._update_limits()
            x0, x1 = self.visible_range()
            need = n - 0.5 + RIGHT_MARGIN
            if n > prev > 0 and x0 <= prev - 1 <= x1 and need > x1:
                self.set_visible_range(x0 + need - x1, need)
            self._refresh_axes()
        self._n_flushed = n
        self._fit_y()
        self._update_last_marker()
        self.candles.update()
        self.volumes.update()
        self.flushed.emit()

    # -- view range -----------------------------------------------------------
    def visible_range(self) -> tuple[float, float]:
        """The x range shown, in bar-index units (bar i spans i-0.5 .. i+0.5)."""
        x0, x1 = self.price_plot.getViewBox().viewRange()[0]
        return float(x0), float(x1)

    def set_visible_range(self, x0: float, x1: float) -> None:
        self.price_plot.getViewBox().setXRange(x0, x1, padding=0.0)

    def show_last(self, count: int = DEFAULT_BARS) -> None:
        """Show the last ``count`` bars with the right margin (short history: from bar 0)."""
        n = len(self._series)
        width = max(min(count, n + RIGHT_MARGIN), MIN_SPAN)
        x1 = max(n - 0.5 + RIGHT_MARGIN, width - 0.5)
        self.set_visible_range(x1 - width, x1)
        self._fit_y()

    def _update_limits(self) -> None:
        n = len(self._series)
        span = max(n * 1.1 + 2 * RIGHT_MARGIN, MIN_SPAN)
        for plot in (self.price_plot, self.volume_plot):
            plot.getViewBox().setLimits(minXRange=MIN_BARS, maxXRange=span)

    def _on_x_changed(self, _vb, rng) -> None:
        if self._clamping:
            return
        x0, x1 = rng
        n = len(self._series)
        if n:
            keep = min(n, max(3.0, (x1 - x0) * 0.25))
            shift = 0.0
            if x1 < keep - 0.5:
                shift = keep - 0.5 - x1
            elif x0 > n - 0.5 - keep:
                shift = n - 0.5 - keep - x0
            if shift:
                self._clamping = True
                try:
                    self.set_visible_range(x0 + shift, x1 + shift)
                finally:
                    self._clamping = False
        self._fit_y()

    def _fit_y(self) -> None:
        s = self._series
        x0, x1 = self.visible_range()
        i0, i1 = math.ceil(x0 - 0.5), math.floor(x1 + 0.5) + 1
        pr = s.price_range(i0, i1)
        if pr is None:
            return
        lo, hi = pr
        pad = (hi - lo) * Y_PAD or max(abs(hi) * 0.01, 1e-6)
        self._set_y(self.price_plot, lo - pad, hi + pad)
        vmax = s.volume_max(i0, i1)
        self._set_y(self.volume_plot, 0.0, vmax * 1.12 if vmax > 0 else 1.0)
        self.last_marker.reposition()

    @staticmethod
    def _set_y(plot: pg.PlotItem, lo: float, hi: float) -> None:
        vb = plot.getViewBox()
        cur = vb.viewRange()[1]
        if abs(cur[0] - lo) > 1e-12 * max(1.0, abs(lo)) or abs(cur[1] - hi) > 1e-12 * max(1.0, abs(hi)):
            vb.setYRange(lo, hi, padding=0.0)

    def _refresh_axes(self) -> None:
        for ax in (self.time_axis, self._hidden_time_axis):
            ax.invalidate()

    def _update_last_marker(self) -> None:
        last = self._series.last()
        if last is None:
            self.last_marker.set(None)
            return
        self.last_marker.set(last.close, format_price(last.close), up=last.close >= last.open)

    # -- settings -------------------------------------------------------------
    def set_interval(self, interval: Interval) -> None:
        for ax in (self.time_axis, self._hidden_time_axis):
            ax.set_interval(interval)

    def set_timezone(self, tz: tzinfo | None) -> None:
        for ax in (self.time_axis, self._hidden_time_axis):
            ax.set_timezone(tz)

    # -- mouse ----------------------------------------------------------------
    @property
    def hover_index(self) -> int | None:
        """Bar under the mouse, or None when the mouse is outside the plots/data."""
        return self._hover

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self.hoverChanged.emit(-1 if index is None else index)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        s = self._series
        for plot in (self.price_plot, self.volume_plot):
            vb = plot.getViewBox()
            if not vb.sceneBoundingRect().contains(scene_pos):
                continue
            pt = vb.mapSceneToView(scene_pos)
            idx = s.index_at(pt.x())
            y = pt.y() if plot is self.price_plot else None
            last = s.last()
            decimals = price_decimals(last.close) if last else 2
            text = format_price(y, decimals) if y is not None else ""
            self.crosshair.show(float(idx) if idx is not None else pt.x(), y, text)
            self._set_hover(idx)
            return
        self.crosshair.hide()
        self._set_hover(None)

    def _on_mouse_clicked(self, ev) -> None:
        if ev.double():
            self.show_last(DEFAULT_BARS)

    def leaveEvent(self, ev) -> None:  # noqa: N802
        self.crosshair.hide()
        self._set_hover(None)
        super().leaveEvent(ev)

    def map_to_viewport(self, x: float, y: float, volume: bool = False) -> QPoint:
        """Chart coordinates (bar index, price or volume) -> pixel in this widget."""
        vb = (self.volume_plot if volume else self.price_plot).getViewBox()
        return self.mapFromScene(vb.mapViewToScene(QPointF(x, y)))

    @property
    def frames_painted(self) -> int:
        """How often the candles were painted (for tests and benchmarks)."""
        return self.candles.frames_painted
