"""The chart canvas: price plot over a volume plot, x-linked, on a bar-index axis.

``ChartView`` owns no data: it draws a :class:`BarSeries` that its owner mutates
and then reports with :meth:`ChartView.reset` (history replaced) or
:meth:`ChartView.mark_dirty` (live bars). Live changes are applied by a single-shot
QTimer at most ~30 times a second (:data:`FLUSH_MS`), never per tick.

View rules (x in bar-index units, bar i spans i-0.5 .. i+0.5; see :mod:`.viewrange`):

- after :meth:`reset` the view shows the last :data:`DEFAULT_BARS` bars plus
  :data:`RIGHT_MARGIN` empty slots;
- mouse wheel zooms x around the cursor, left drag pans x; y is never user-set:
  it fits the visible bars' low/high (volume: 0 .. max) after every x change;
- zoom and pan stay on the data: from :data:`MIN_BARS` bars across to all of them,
  never more than a small pad of empty time before the first bar or after the last;
- live: while the last bar is in view ("following"), new bars scroll the view to
  keep it :data:`RIGHT_MARGIN` slots from the right edge; if the user panned back,
  nothing moves and the "Latest ⇥" button (or :meth:`scroll_to_latest`) brings it back;
- the crosshair, its price and time tags and the hovered bar follow the mouse
  through zooms, pans and live scrolls, not only mouse moves.
"""

from __future__ import annotations

import math
from datetime import tzinfo

from PySide6.QtCore import QPoint, QPointF, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsView

from desktop.domain.enums import Interval
from desktop.ui.pyqtgraph_lean import pg

from .axes import PriceAxis, TimeAxis, VolumeAxis
from .crosshair import Crosshair, LastPriceMarker
from .fmt import format_price, format_time, price_decimals
from .items import CandleItem, VolumeItem
from .overlay import LatestButton, place_latest
from .series import BarSeries
from .theme import DARK, ChartTheme
from .viewrange import DEFAULT_BARS, MIN_BARS, MIN_SPAN, RIGHT_MARGIN, clamp, follows, latest_range, max_width

__all__ = ["DEFAULT_BARS", "FLUSH_MS", "MIN_BARS", "MIN_SPAN", "RIGHT_MARGIN", "Y_PAD", "ChartView"]

FLUSH_MS = 33
Y_PAD = 0.08  # fraction of the visible price range added above and below


class ChartView(pg.GraphicsLayoutWidget):
    """Candles, volume, axes, crosshair and last-price marker for one series."""

    hoverChanged = Signal(int)  # bar index under the mouse, -1 when none
    flushed = Signal()  # live changes were applied (view scrolled, y refitted)
    plotResized = Signal()  # the price plot's rectangle moved or changed size
    followingChanged = Signal(bool)  # the last bar came into view (True) or left it

    def __init__(self, series: BarSeries, theme: ChartTheme = DARK, parent=None) -> None:
        super().__init__(parent)
        self._series = series
        self._theme = theme
        self._n_flushed = 0
        self._dirty = False
        self._clamping = False
        self._hover: int | None = None
        self._mouse: QPointF | None = None  # last scene position of the mouse over the view
        self._following = True
        self._scales_on = True
        self._intraday = True
        self._tz: tzinfo | None = None
        self.price_places: int | None = None
        """Decimals of the price tag and crosshair (the instrument's; None: by the price's size)."""
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackground(theme.background)
        # The opaque theme background covers every pixel of the viewport, which covers this
        # frameless view: no erasing before a paint; and it is filled on each paint (half the
        # memory traffic of blitting pyqtgraph's cached full-size copy of it, 5.8 MB less).
        for widget in (self, self.viewport()):
            widget.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
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
        self.latest_button = LatestButton(self, theme)
        self.latest_button.clicked.connect(self.scroll_to_latest)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        pvb = self.price_plot.getViewBox()
        pvb.sigXRangeChanged.connect(self._on_x_changed)
        pvb.sigResized.connect(self._on_resized)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._update_limits()
        self._show_scales(False)  # no bars yet

    def _style_plot(self, plot: pg.PlotItem) -> None:
        plot.hideAxis("left")
        plot.showAxis("right")
        plot.setMenuEnabled(False)
        plot.hideButtons()
        vb = plot.getViewBox()
        vb.setMouseEnabled(x=True, y=False)
        vb.enableAutoRange(x=False, y=False)
        vb.setDefaultPadding(0.0)
        for name in ("left", "right", "top", "bottom"):  # no unit labels, no hidden label
            plot.getAxis(name).enableAutoSIPrefix(False)  # HTML re-rendered per range change
        self._style_axes(plot)

    def _style_axes(self, plot: pg.PlotItem) -> None:
        t = self._theme
        font = QFont()
        font.setPixelSize(t.font_px)
        for name in ("right", "bottom"):
            ax = plot.getAxis(name)
            ax.setPen(pg.mkPen(t.axis_line))
            ax.setTickPen(pg.mkPen(t.grid))
            ax.setTextPen(pg.mkPen(t.text))
            ax.setTickFont(font)
            ax.setStyle(tickAlpha=255, tickLength=0, maxTickLevel=1)
            ax.setGrid(255 if self._scales_on else False)
            ax.setZValue(-1)  # grid lines behind the candles, not over them
        plot.getAxis("right").setWidth(t.axis_width)
        if plot is self.volume_plot:
            plot.getAxis("right").setStyle(maxTickLevel=0)

    def apply_theme(self, theme: ChartTheme) -> None:
        """Repaint everything in ``theme``'s colours (data and view stay)."""
        self._theme = theme
        self.setBackground(theme.background)
        for plot in (self.price_plot, self.volume_plot):
            self._style_axes(plot)
        self.candles.apply_theme(theme)
        self.volumes.apply_theme(theme)
        self.crosshair.apply_theme(theme)
        self.last_marker.apply_theme(theme)
        self.latest_button.apply_theme(theme)
        self._refresh_axes()
        self._on_resized()

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
        self._show_scales(len(self._series) > 0)
        self._refresh_axes()
        self._update_last_marker()
        self._update_following()
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
            self._show_scales(n > 0)
            x0, x1 = self.visible_range()
            need = n - 0.5 + RIGHT_MARGIN
            if n > prev > 0 and follows(x0, x1, prev) and need > x1:
                self.set_visible_range(x0 + need - x1, need)
            self._refresh_axes()
        self._n_flushed = n
        self._fit_y()
        self._update_last_marker()
        self._update_following()
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

    def scroll_to_latest(self) -> None:
        """Bring the last bar back :data:`RIGHT_MARGIN` slots from the right edge at the
        current zoom, so the view follows the live bar again."""
        x0, x1 = self.visible_range()
        self.set_visible_range(*latest_range(x1 - x0, len(self._series)))
        self._fit_y()
        self._update_following()

    @property
    def following(self) -> bool:
        """True while the last bar is in view (live bars scroll the view)."""
        return self._following

    def _update_following(self) -> None:
        x0, x1 = self.visible_range()
        now = follows(x0, x1, len(self._series))
        self.latest_button.setVisible(not now)
        if now != self._following:
            self._following = now
            self.followingChanged.emit(now)

    def _update_limits(self) -> None:
        span = max_width(len(self._series))
        for plot in (self.price_plot, self.volume_plot):
            plot.getViewBox().setLimits(minXRange=MIN_BARS, maxXRange=span)

    def _on_x_changed(self, _vb, rng) -> None:
        if self._clamping:
            return
        x0, x1 = rng
        c0, c1 = clamp(x0, x1, len(self._series))
        if (c0, c1) != (x0, x1):
            self._clamping = True
            try:
                self.set_visible_range(c0, c1)
            finally:
                self._clamping = False
        self._fit_y()
        self._update_following()

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
        self._follow_mouse()

    @staticmethod
    def _set_y(plot: pg.PlotItem, lo: float, hi: float) -> None:
        vb = plot.getViewBox()
        cur = vb.viewRange()[1]
        if abs(cur[0] - lo) > 1e-12 * max(1.0, abs(lo)) or abs(cur[1] - hi) > 1e-12 * max(1.0, abs(hi)):
            vb.setYRange(lo, hi, padding=0.0)

    def _show_scales(self, on: bool) -> None:
        """Price and volume scales and grid only over bars: an empty chart shows no
        numbers left over from another symbol."""
        if on == self._scales_on:
            return
        self._scales_on = on
        for plot in (self.price_plot, self.volume_plot):
            ax = plot.getAxis("right")
            ax.setStyle(showValues=on)
            ax.setGrid(255 if on else False)

    def _refresh_axes(self) -> None:
        for ax in (self.time_axis, self._hidden_time_axis):
            ax.invalidate()

    def _update_last_marker(self) -> None:
        last = self._series.last()
        if last is None:
            self.last_marker.set(None)
            return
        self.last_marker.set(last.close, format_price(last.close, self.price_places), up=last.close >= last.open)

    # -- settings -------------------------------------------------------------
    def set_interval(self, interval: Interval) -> None:
        self._intraday = Interval(interval).is_intraday
        for ax in (self.time_axis, self._hidden_time_axis):
            ax.set_interval(interval)

    def set_timezone(self, tz: tzinfo | None) -> None:
        self._tz = tz
        for ax in (self.time_axis, self._hidden_time_axis):
            ax.set_timezone(tz)

    # -- overlay layout -------------------------------------------------------
    def plot_rect(self) -> QRect:
        """The price plot's data area, in this widget's pixels."""
        vb = self.price_plot.getViewBox()
        return self.mapFromScene(vb.sceneBoundingRect()).boundingRect()

    def _on_resized(self, *_args) -> None:
        self.last_marker.reposition()
        place_latest(self.latest_button, self.plot_rect())
        self._follow_mouse()
        self.plotResized.emit()

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
        self._mouse = QPointF(scene_pos)
        self._update_crosshair(scene_pos)

    def _follow_mouse(self) -> None:
        """The view moved under a still mouse: the crosshair follows the cursor."""
        if self._mouse is not None:
            self._update_crosshair(self._mouse)

    def _update_crosshair(self, scene_pos: QPointF) -> None:
        s = self._series
        for plot in (self.price_plot, self.volume_plot):
            vb = plot.getViewBox()
            if not vb.sceneBoundingRect().contains(scene_pos):
                continue
            pt = vb.mapSceneToView(scene_pos)
            idx = s.index_at(pt.x())
            y = pt.y() if plot is self.price_plot else None
            last = s.last()
            decimals = self.price_places if self.price_places is not None else price_decimals(last.close) if last else 2
            text = format_price(y, decimals) if y is not None else ""
            when = format_time(int(s.time[idx]), self._intraday, self._tz) if idx is not None else ""
            self.crosshair.show(float(idx) if idx is not None else pt.x(), y, text, when)
            self._set_hover(idx)
            return
        self.crosshair.hide()
        self._set_hover(None)

    def _on_mouse_clicked(self, ev) -> None:
        if ev.double():
            self.show_last(DEFAULT_BARS)

    def leaveEvent(self, ev) -> None:  # noqa: N802
        self._mouse = None
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
