"""Axes kept as small cached pixmaps, with their grid lines drawn by a separate item.

A pyqtgraph ``AxisItem`` with a grid draws the grid lines across the whole plot in the
same ``QPicture`` as its tick labels, and replays that picture (text included) on every
frame, even when nothing changed. :class:`CachedAxis` splits the two:

- the axis line and the labels stay in the axis's picture, and the axis item is kept
  as a device-coordinate pixmap (``QGraphicsItem.DeviceCoordinateCache``) the size of
  the axis strip only, so an unchanged axis costs one small blit per frame;
- the grid lines go to a child :class:`GridLines` item that draws them straight onto
  the plot (no plot-sized pixmap), as 1-px device rectangles with one ``drawRects``
  call per pen: Qt strokes an aliased cosmetic line pixel by pixel, which made the
  stroked grid about a quarter of a 200-visible frame (0.8 of 3.5 ms, profiled).

Both use the positions, pens and coordinates pyqtgraph computed (``generateDrawSpecs``),
so the chart looks as before; both are refreshed whenever pyqtgraph drops the picture
(range, size, ticks, pens or fonts changed).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPen, QPicture, QTransform
from PySide6.QtWidgets import QGraphicsItem

from desktop.ui.pyqtgraph_lean import pg

_MARGIN = 2.0  # px around the strip / plot: the axis line and the last grid pixel overhang by one
MIN_MINOR_SPACING_PX = 8.0
"""Minor tick levels (and their grid lines) closer than this many pixels apart are left
out: pyqtgraph allows one every 2 px, which on a short plot is a hatching, not a grid."""


class GridLines(QGraphicsItem):
    """The grid lines of its parent :class:`CachedAxis`, in the axis's coordinates.

    Qt's cosmetic line stroker fills a 1-px aliased line pixel by pixel, which made the
    grid the dearest part of a frame; a horizontal or vertical line is therefore filled
    as a 1-px-thick device rectangle instead, covering exactly the pixels the stroker
    covers (those with ``floor(x)`` .. ``floor(x2)`` along and ``floor(y)`` across the
    line, both ends included; see tests/ui/test_chart_grid.py). Lines at an angle,
    under a rotation, with a wide pen or on a high-DPI device (device pixel ratio not 1)
    are stroked as before.
    """

    def __init__(self, axis: CachedAxis) -> None:
        super().__init__(axis)
        self._axis = axis
        self._batches: list[tuple[QPen, list[QLineF]]] = []  # (pen, lines) in drawing order
        self._rect = QRectF()
        self._fills: tuple[tuple, list[tuple[QBrush, list[QRect]], list[tuple[QPen, list[QLineF]]]]] | None = None

    def set_lines(self, tick_specs) -> None:
        """Take pyqtgraph's ``[(pen, p1, p2)]`` tick specs (the grid lines)."""
        batches: list[tuple[QPen, list[QLineF]]] = []
        for pen, p1, p2 in tick_specs:
            if not batches or batches[-1][0] != pen:
                batches.append((pen, []))
            batches[-1][1].append(QLineF(p1, p2))
        self._batches = batches
        self._fills = None

    def set_area(self, rect: QRectF) -> None:
        """The lines lie in ``rect`` (the plot, in axis coordinates). Not while painting."""
        rect = rect.adjusted(-_MARGIN, -_MARGIN, _MARGIN, _MARGIN)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    @property
    def line_count(self) -> int:
        """Grid lines currently held (for tests)."""
        return sum(len(lines) for _, lines in self._batches)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(self._rect)

    def paint(self, p: QPainter, *args) -> None:
        """Draw the lines; builds the axis's specs first if they are out of date."""
        self._axis.build_picture()
        if not self._batches:
            return
        t = p.worldTransform()
        device = p.device()
        if t.type().value > QTransform.TransformationType.TxScale.value or (
            device is not None and device.devicePixelRatioF() != 1.0
        ):  # rotated, or device pixels that are not the painter's pixels (high DPI)
            self._stroke(p, self._batches)
            return
        key = (t.m11(), t.m22(), t.dx(), t.dy())
        if self._fills is None or self._fills[0] != key:
            self._fills = (key, *_device_fills(self._batches, t))
        _, fills, strokes = self._fills
        p.save()
        p.resetTransform()
        p.setPen(Qt.PenStyle.NoPen)
        for brush, rects in fills:
            p.setBrush(brush)
            p.drawRects(rects)
        p.restore()
        self._stroke(p, strokes)

    @staticmethod
    def _stroke(p: QPainter, batches) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, lines in batches:
            p.setPen(pen)
            p.drawLines(lines)


def _thin_solid(pen: QPen) -> bool:
    return (
        pen.style() == Qt.PenStyle.SolidLine
        and pen.brush().style() == Qt.BrushStyle.SolidPattern
        and (pen.isCosmetic() or pen.widthF() == 0.0)
        and pen.widthF() <= 1.0
    )


def device_rects(lines: list[QLineF], t: QTransform) -> tuple[list[QRect], list[QLineF]]:
    """The device pixels that Qt's aliased 1-px stroker covers for each horizontal or
    vertical line of ``lines`` mapped by ``t``, as rectangles; other lines are returned
    as they are, to be stroked."""
    rects: list[QRect] = []
    rest: list[QLineF] = []
    for line in lines:
        a, b = t.map(line.p1()), t.map(line.p2())
        if a.y() == b.y():
            x0, x1 = sorted((math.floor(a.x()), math.floor(b.x())))
            rects.append(QRect(x0, math.floor(a.y()), x1 - x0 + 1, 1))
        elif a.x() == b.x():
            y0, y1 = sorted((math.floor(a.y()), math.floor(b.y())))
            rects.append(QRect(math.floor(a.x()), y0, 1, y1 - y0 + 1))
        else:
            rest.append(line)
    return rects, rest


def _device_fills(batches, t: QTransform):
    """Split ``batches`` into device rectangles per brush (axis-parallel lines of thin
    solid pens) and the rest, still to be stroked."""
    fills: list[tuple[QBrush, list[QRect]]] = []
    strokes: list[tuple[QPen, list[QLineF]]] = []
    for pen, lines in batches:
        rects, rest = device_rects(lines, t) if _thin_solid(pen) else ([], lines)
        if rects:
            fills.append((QBrush(pen.brush()), rects))
        if rest:
            strokes.append((pen, rest))
    return fills, strokes


class CachedAxis(pg.AxisItem):
    """An ``AxisItem`` cached as a strip-sized pixmap, its grid drawn by :class:`GridLines`."""

    def __init__(self, *args, **kwargs) -> None:
        self._picture: QPicture | None = None
        self._grid_lines: GridLines | None = None
        self._full_bounds = False
        self._grid_was_off = True
        super().__init__(*args, **kwargs)
        self._grid_lines = GridLines(self)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    @property
    def picture(self) -> QPicture | None:
        """pyqtgraph's cached drawing of the axis; setting it to None (as pyqtgraph does
        after every change) also refreshes the cached pixmap and the grid lines."""
        return self._picture

    @picture.setter
    def picture(self, value: QPicture | None) -> None:
        self._picture = value
        if value is None and self._grid_lines is not None and not self._full_bounds:
            # not while building: pyqtgraph drops the picture while measuring the labels
            if (self.grid is False) != self._grid_was_off:
                self.prepareGeometryChange()  # the bounding rect is the strip only with the grid on
                self._grid_was_off = self.grid is False
            view = self.linkedView()
            self._grid_lines.set_area(QRectF() if view is None else view.mapRectToItem(self, view.boundingRect()))
            self.update()
            self._grid_lines.update()

    @property
    def grid_lines(self) -> GridLines:
        """The child item that draws this axis's grid."""
        return self._grid_lines

    def boundingRect(self) -> QRectF:  # noqa: N802
        """The axis strip only (pyqtgraph's rectangle includes the plot when the grid is
        on; that one is still used to place and clip the labels, as before)."""
        if self._full_bounds or self.grid is False:
            return super().boundingRect()
        m = 0.0 if self.style["hideOverlappingLabels"] is True else 15.0  # label overhang, as pyqtgraph
        v = m if self.orientation in ("left", "right") else 0.0
        h = m - v
        r = self.mapRectFromParent(self.geometry())
        return r.adjusted(-h - _MARGIN, -v - _MARGIN, h + _MARGIN, v + _MARGIN)

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802, N803 - pyqtgraph override
        """pyqtgraph's tick levels ``[(spacing, offset), ...]`` (major first) for the range
        ``minVal``..``maxVal`` over ``size`` px, without the minor levels whose ticks would
        be closer than :data:`MIN_MINOR_SPACING_PX` (the major level always stays)."""
        levels = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if not levels or span == 0 or size <= 0 or self._tickSpacing is not None:
            return levels
        px_per_unit = size / span
        return levels[:1] + [lv for lv in levels[1:] if lv[0] * px_per_unit >= MIN_MINOR_SPACING_PX]

    def build_picture(self) -> None:
        """Compute the ticks and record the axis line and labels (if out of date)."""
        if self._picture is not None:
            return
        self._full_bounds = True
        picture = QPicture()
        painter = QPainter(picture)
        try:
            if self.style["tickFont"]:
                painter.setFont(self.style["tickFont"])
            specs = self.generateDrawSpecs(painter)
            if specs is not None:
                self.drawPicture(painter, *specs)
            elif self._grid_lines is not None:
                self._grid_lines.set_lines([])
        finally:
            painter.end()
            self._full_bounds = False
        self._picture = picture

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs):  # noqa: N802, N803
        """Hand the grid lines to :class:`GridLines`; the picture keeps line and labels."""
        view = self.linkedView()
        if self.grid is False or view is None or self._grid_lines is None:
            if self._grid_lines is not None:
                self._grid_lines.set_lines([])
            return super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
        self._grid_lines.set_lines(tickSpecs)
        return super().drawPicture(p, axisSpec, [], textSpecs)

    def paint(self, p, opt, widget):
        self.build_picture()
        self._picture.play(p)
