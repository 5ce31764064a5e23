"""Crosshair lines, the price tag and the time tag at the cursor, and the last-price
tag on the axis.

The lines are pyqtgraph ``InfiniteLine`` items (cheap: moving one repaints a thin
strip). The tags are small QLabels laid over the chart's QGraphicsView, on the
right-hand price axis (prices) and on the bottom time axis (the bar's date and
time), so they are never clipped by the plot area.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsView, QLabel

from desktop.ui.pyqtgraph_lean import pg

from .theme import DARK, ChartTheme

_TAG_H = 18  # px


def _dashed_pen(color: str) -> QPen:
    pen = QPen(QColor(color))
    pen.setCosmetic(True)
    pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class _Tag(QLabel):
    """A small label over ``view`` pinned to an axis of ``plot`` (mouse events pass
    through); ``padding`` px left and right of its text."""

    padding = 2

    def __init__(self, view: QGraphicsView, plot: pg.PlotItem, theme: ChartTheme, name: str) -> None:
        super().__init__(view)
        self.setObjectName(name)
        self._view = view
        self._plot = plot
        self._theme = theme
        self._colors: tuple[str, str] | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def apply_theme(self, theme: ChartTheme, fg: str, bg: str) -> None:
        """Font size from ``theme``, colours ``fg`` on ``bg``."""
        self._theme = theme
        self._colors = None
        self.set_colors(fg, bg)

    def set_colors(self, fg: str, bg: str) -> None:
        if self._colors == (fg, bg):
            return
        self._colors = (fg, bg)
        self.setStyleSheet(
            f"QLabel {{ color: {fg}; background: {bg}; border-radius: 2px;"
            f" font-size: {self._theme.font_px}px; padding: 0 {self.padding}px; }}"
        )

    def _plot_rect(self):
        return self._view.mapFromScene(self._plot.getViewBox().sceneBoundingRect()).boundingRect()

    def _view_point(self, x: float, y: float) -> QPointF:
        return self._view.mapFromScene(self._plot.getViewBox().mapViewToScene(QPointF(x, y)))

    def _axis_origin(self, name: str):
        return self._view.mapFromScene(self._plot.getAxis(name).mapToScene(QPointF(0.0, 0.0)))

    def _show(self, text: str, x: int, y: int, w: int, h: int) -> None:
        self.setText(text)
        self.setGeometry(x, y, w, h)
        self.show()
        self.raise_()


class AxisTag(_Tag):
    """A price label pinned to the right axis of ``plot`` at a y value."""

    def __init__(self, view: QGraphicsView, plot: pg.PlotItem, theme: ChartTheme = DARK) -> None:
        super().__init__(view, plot, theme, "chartAxisTag")
        self.set_colors(theme.text, theme.grid)

    def show_at(self, y: float, text: str) -> None:
        """Show ``text`` at data y (hidden if y is outside the plot's vertical range)."""
        axis = self._plot.getAxis("right")
        left = self._axis_origin("right").x()  # not the grid
        py = self._view_point(0.0, y).y()
        rect = self._plot_rect()
        if not rect.top() <= py <= rect.bottom():
            self.hide()
            return
        self._show(text, left + 1, int(py) - _TAG_H // 2, int(axis.width()) - 2, _TAG_H)


class TimeTag(_Tag):
    """The hovered bar's date (and time) pinned to the bottom time axis of ``plot``."""

    padding = 6

    def __init__(self, view: QGraphicsView, plot: pg.PlotItem, theme: ChartTheme = DARK) -> None:
        super().__init__(view, plot, theme, "chartTimeTag")
        self.set_colors(theme.tag_text, theme.tag_background)

    def show_at(self, x: float, text: str) -> None:
        """Show ``text`` centred under data x (kept inside the plot's width)."""
        px = self._view_point(x, 0.0).x()
        rect = self._plot_rect()
        if not text or not rect.left() <= px <= rect.right():
            self.hide()
            return
        w = self.fontMetrics().horizontalAdvance(text) + 2 * self.padding + 2
        left = min(max(int(px) - w // 2, rect.left()), rect.right() - w)
        h = max(_TAG_H, int(self._plot.getAxis("bottom").height()) - 2)
        self._show(text, left, self._axis_origin("bottom").y() + 1, w, h)


class Crosshair:
    """Vertical line over both plots with the bar's time tag on the time axis;
    horizontal line and price tag on the price plot."""

    def __init__(self, view: QGraphicsView, price: pg.PlotItem, volume: pg.PlotItem, theme: ChartTheme = DARK):
        self._v_price = pg.InfiniteLine(angle=90, movable=False)
        self._v_volume = pg.InfiniteLine(angle=90, movable=False)
        self._h = pg.InfiniteLine(angle=0, movable=False)
        for line, plot in ((self._v_price, price), (self._h, price), (self._v_volume, volume)):
            line.setZValue(20)
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        self.tag = AxisTag(view, price, theme)
        self.time_tag = TimeTag(view, volume, theme)
        self.apply_theme(theme)

    def apply_theme(self, theme: ChartTheme) -> None:
        """Line and tag colours from ``theme``."""
        pen = _dashed_pen(theme.crosshair)
        for line in (self._v_price, self._v_volume, self._h):
            line.setPen(pen)
        self.tag.apply_theme(theme, theme.tag_text, theme.tag_background)
        self.time_tag.apply_theme(theme, theme.tag_text, theme.tag_background)

    def show(self, x: float, y: float | None, text: str, time_text: str = "") -> None:
        """Put the vertical line at bar x with ``time_text`` (the bar's time; "" for
        none) on the time axis; the horizontal one and tag at price y (None when the
        cursor is over the volume plot)."""
        for line in (self._v_price, self._v_volume):
            line.setPos(x)
            line.show()
        self.time_tag.show_at(x, time_text)
        if y is None:
            self._h.hide()
            self.tag.hide()
        else:
            self._h.setPos(y)
            self._h.show()
            self.tag.show_at(y, text)

    def hide(self) -> None:
        for line in (self._v_price, self._v_volume, self._h):
            line.hide()
        self.tag.hide()
        self.time_tag.hide()

    @property
    def visible(self) -> bool:
        return self._v_price.isVisible()


class LastPriceMarker:
    """Dotted line at the last close with a coloured tag on the price axis."""

    def __init__(self, view: QGraphicsView, price: pg.PlotItem, theme: ChartTheme = DARK):
        self._theme = theme
        self._line = pg.InfiniteLine(angle=0, movable=False)
        self._line.setZValue(10)
        price.addItem(self._line, ignoreBounds=True)
        self._line.hide()
        self.tag = AxisTag(view, price, theme)
        self._price = price
        self._y: float | None = None
        self._text = ""
        self._up = True

    def apply_theme(self, theme: ChartTheme) -> None:
        """Re-colour for ``theme`` (the marker stays where it is)."""
        self._theme = theme
        self.tag.apply_theme(theme, theme.tag_text, theme.up if self._up else theme.down)
        self.set(self._y, self._text, self._up)

    def set(self, y: float | None, text: str = "", up: bool = True) -> None:
        """Mark price ``y`` (None hides the marker); ``up`` picks the colour."""
        self._y, self._text, self._up = y, text, up
        if y is None:
            self._line.hide()
            self.tag.hide()
            self._mask_labels(None)
            return
        color = self._theme.up if up else self._theme.down
        pen = QPen(QColor(color))
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DotLine)
        self._line.setPen(pen)
        self._line.setPos(y)
        self._line.show()
        self.tag.set_colors(self._theme.tag_text, color)
        self.reposition()

    def reposition(self) -> None:
        """Follow the axis after a range change or resize."""
        if self._y is not None:
            self.tag.show_at(self._y, self._text)
            self._mask_labels(self._y if self.tag.isVisibleTo(self.tag.parentWidget()) else None)

    def _mask_labels(self, y: float | None) -> None:
        """The price axis (a :class:`~.axes.PriceAxis`) masks the labels the tag covers."""
        self._price.getAxis("right").mask_labels_near(y, _TAG_H / 2)
