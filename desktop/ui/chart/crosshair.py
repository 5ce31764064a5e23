"""Crosshair lines, the price tag at the cursor and the last-price tag on the axis.

The lines are pyqtgraph ``InfiniteLine`` items (cheap: moving one repaints a thin
strip). The tags are small QLabels laid over the right-hand price axis of the
chart's QGraphicsView, so they are never clipped by the plot area.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsView, QLabel

from .theme import DARK, ChartTheme

_TAG_H = 18  # px


def _dashed_pen(color: str) -> QPen:
    pen = QPen(QColor(color))
    pen.setCosmetic(True)
    pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class AxisTag(QLabel):
    """A price label pinned to the right axis of ``plot`` at a y value."""

    def __init__(self, view: QGraphicsView, plot: pg.PlotItem, theme: ChartTheme = DARK) -> None:
        super().__init__(view)
        self._view = view
        self._plot = plot
        self._theme = theme
        self._colors: tuple[str, str] | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.set_colors(theme.text, theme.grid)
        self.hide()

    def set_colors(self, fg: str, bg: str) -> None:
        if self._colors == (fg, bg):
            return
        self._colors = (fg, bg)
        self.setStyleSheet(
            f"QLabel {{ color: {fg}; background: {bg}; border-radius: 2px;"
            f" font-size: {self._theme.font_px}px; padding: 0 2px; }}"
        )

    def show_at(self, y: float, text: str) -> None:
        """Show ``text`` at data y (hidden if y is outside the plot's vertical range)."""
        vb = self._plot.getViewBox()
        axis = self._plot.getAxis("right")
        top_left = self._view.mapFromScene(axis.mapToScene(QPointF(0.0, 0.0)))  # not the grid
        py = self._view.mapFromScene(vb.mapViewToScene(QPointF(0.0, y))).y()
        vb_rect = self._view.mapFromScene(vb.sceneBoundingRect()).boundingRect()
        if not vb_rect.top() <= py <= vb_rect.bottom():
            self.hide()
            return
        self.setText(text)
        self.setGeometry(top_left.x() + 1, py - _TAG_H // 2, int(axis.width()) - 2, _TAG_H)
        self.show()
        self.raise_()


class Crosshair:
    """Vertical line over both plots, horizontal line and price tag on the price plot."""

    def __init__(self, view: QGraphicsView, price: pg.PlotItem, volume: pg.PlotItem, theme: ChartTheme = DARK):
        pen = _dashed_pen(theme.crosshair)
        self._v_price = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self._v_volume = pg.InfiniteLine(angle=90, movable=False, pen=pen)
        self._h = pg.InfiniteLine(angle=0, movable=False, pen=pen)
        for line, plot in ((self._v_price, price), (self._h, price), (self._v_volume, volume)):
            line.setZValue(20)
            plot.addItem(line, ignoreBounds=True)
            line.hide()
        self.tag = AxisTag(view, price, theme)
        self.tag.set_colors("#ffffff", "#363a45")

    def show(self, x: float, y: float | None, text: str) -> None:
        """Put the vertical line at bar x; the horizontal one and tag at price y
        (None when the cursor is over the volume plot)."""
        for line in (self._v_price, self._v_volume):
            line.setPos(x)
            line.show()
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
        self._y: float | None = None
        self._text = ""

    def set(self, y: float | None, text: str = "", up: bool = True) -> None:
        """Mark price ``y`` (None hides the marker); ``up`` picks the colour."""
        self._y, self._text = y, text
        if y is None:
            self._line.hide()
            self.tag.hide()
            return
        color = self._theme.up if up else self._theme.down
        pen = QPen(QColor(color))
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DotLine)
        self._line.setPen(pen)
        self._line.setPos(y)
        self._line.show()
        self.tag.set_colors("#ffffff", color)
        self.reposition()

    def reposition(self) -> None:
        """Follow the axis after a range change or resize."""
        if self._y is not None:
            self.tag.show_at(self._y, self._text)
