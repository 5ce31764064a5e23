"""The chart's axes are cached strips and its grid is filled as device rectangles
(desktop/ui/chart/gridlines.py): the pixels are those Qt's line stroker draws, and a
chart that was zoomed, panned or re-themed looks exactly like one that
was set to the same state directly (no stale cached axis or grid)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PySide6.QtCore import QLineF, QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem

import pyqtgraph as pg
from desktop.domain.enums import Interval
from desktop.ui.chart import ChartWidget
from desktop.ui.chart.gridlines import device_rects
from desktop.ui.chart.theme import DARK, LIGHT

N = 3000


def walk(n: int = N):
    """``n`` one-minute bars of a seeded random walk, as arrays."""
    rng = np.random.default_rng(3)
    t = 1_735_000_000 + np.arange(n, dtype=np.int64) * 60
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) * 1.001
    low = np.minimum(open_, close) * 0.999
    return t, open_, high, low, close, rng.lognormal(10, 0.5, n).round()


def pixels(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    return np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine()).copy()


def test_device_rects_cover_the_pixels_the_line_stroker_draws(qapp):
    rng = random.Random(5)
    pen = pg.mkPen("#ff0000")
    for _ in range(150):
        t = QTransform.fromTranslate(rng.uniform(-3, 20), rng.uniform(-3, 20))
        if rng.random() < 0.5:
            t.scale(rng.choice([1.0, 1.5, 0.75]), rng.choice([1.0, 2.0]))
        fracs = [0.0, 0.5, 0.25, 1 / 64, 0.999, rng.random()]
        at = rng.randint(5, 60) + rng.choice(fracs)
        a, b = rng.randint(2, 40) + rng.choice(fracs), rng.randint(50, 90) + rng.choice(fracs)
        if rng.random() < 0.3:
            a, b = b, a
        line = QLineF(a, at, b, at) if rng.random() < 0.5 else QLineF(at, a, at, b)
        stroked = QImage(160, 200, QImage.Format.Format_RGB32)
        stroked.fill(QColor("black"))
        p = QPainter(stroked)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setTransform(t)
        p.setPen(pen)
        p.drawLine(line)
        p.end()
        rects, rest = device_rects([line], t)
        assert rest == [] and len(rects) == 1
        filled = QImage(160, 200, QImage.Format.Format_RGB32)
        filled.fill(QColor("black"))
        p = QPainter(filled)
        p.fillRect(rects[0], QColor("#ff0000"))
        p.end()
        assert (pixels(stroked) == pixels(filled)).all(), (line, t)


def test_slanted_lines_are_left_to_the_stroker(qapp):
    rects, rest = device_rects([QLineF(0, 0, 10, 3)], QTransform())
    assert rects == [] and len(rest) == 1


@pytest.fixture
def make_chart(qtbot):
    def make(theme=DARK):
        w = ChartWidget(theme=theme.name)
        w.resize(1000, 600)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        w.set_arrays("X", Interval.M1, *walk())
        return w

    return make


def grab(chart, qapp) -> np.ndarray:
    qapp.processEvents()
    return pixels(chart.view.grab().toImage())


def test_axes_are_strip_sized_pixmaps_and_the_grid_is_drawn(make_chart, qapp):
    chart = make_chart()
    grab(chart, qapp)
    view = chart.view
    price_axis = view.price_plot.getAxis("right")
    assert price_axis.cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache
    assert price_axis.boundingRect().width() < DARK.axis_width + 10  # not the plot's width
    assert price_axis.grid_lines.line_count > 2
    assert view.time_axis.grid_lines.line_count > 2


def test_panned_and_zoomed_chart_matches_one_set_directly(make_chart, qapp):
    moved, direct = make_chart(), make_chart()
    for x0, x1 in ((N - 300.5, N + 4.5), (N - 900.5, N - 100.5), (N - 700.25, N - 40.75)):
        moved.set_visible_range(x0, x1)
        grab(moved, qapp)
    direct.set_visible_range(N - 700.25, N - 40.75)
    assert (grab(moved, qapp) == grab(direct, qapp)).all()


def test_rethemed_chart_matches_one_made_in_that_theme(make_chart, qapp):
    switched, light = make_chart(DARK), make_chart(LIGHT)
    grab(switched, qapp)
    switched.view.apply_theme(LIGHT)
    assert (grab(switched, qapp) == grab(light, qapp)).all()


def test_cleared_chart_drops_its_grid(make_chart, qapp):
    chart = make_chart()
    grab(chart, qapp)
    chart.clear()
    grab(chart, qapp)
    assert chart.view.price_plot.getAxis("right").grid_lines.line_count == 0


def _grid_gaps(axis) -> list[float]:
    """Pixel gaps between neighbouring horizontal grid lines of a price or volume axis."""
    ys = sorted({axis.mapToDevice(line.p1()).y() for _, lines in axis.grid_lines._batches for line in lines})
    return [b - a for a, b in zip(ys, ys[1:])]


@pytest.mark.parametrize("height", [160, 600])
def test_grid_lines_are_never_a_hatching(qtbot, qapp, height):
    """A short price plot (a small window, a chart dock among others) keeps only the tick
    levels at least MIN_MINOR_SPACING_PX apart; a tall one still shows minor lines."""
    from desktop.ui.chart.gridlines import MIN_MINOR_SPACING_PX

    w = ChartWidget(theme=DARK.name)
    w.resize(900, height)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_arrays("X", Interval.M1, *walk())
    grab(w, qapp)
    axis = w.view.price_plot.getAxis("right")
    gaps = _grid_gaps(axis)
    assert gaps, "no grid lines"
    assert min(gaps) >= MIN_MINOR_SPACING_PX - 1, (height, sorted(gaps)[:5])
    levels = axis.tickSpacing(*axis.range, axis.geometry().height())
    if height == 600:
        assert len(levels) >= 2  # minor lines between the labelled ones


def test_the_last_price_tag_masks_the_label_it_covers_and_no_other(make_chart, qapp):
    """A price label under the last-price tag is masked with the background (no
    half-covered label peeks out from under the tag), the others are drawn; moving the
    price away unmasks it. The ticks are not laid out again for that (the axis keeps
    its recorded picture)."""
    chart = make_chart()
    view = chart.view
    axis = view.price_plot.getAxis("right")
    view.last_marker.set(None)
    grab(chart, qapp)
    rects = list(axis._label_rects)
    assert len(rects) >= 3 and axis._masked == ()
    picture = axis.picture
    by_height = sorted(range(len(rects)), key=lambda i: rects[i].top())  # (the levels' labels come one level after another)
    middle, below = by_height[len(rects) // 2], by_height[len(rects) // 2 + 1]
    vb = axis.linkedView()

    def price_at(local_y: float) -> float:
        return vb.mapSceneToView(axis.mapToScene(QPointF(0.0, local_y))).y()

    def strip(rect) -> np.ndarray:
        img = pixels(view.grab().toImage())
        r = axis.mapRectToScene(rect)
        top_left = view.mapFromScene(r.topLeft())
        return img[top_left.y() + 2: top_left.y() + int(r.height()) - 2, 4 * (top_left.x() + 2): 4 * (top_left.x() + int(r.width()) - 2)]

    label = rects[middle]
    before = strip(label)
    assert before.std() > 0  # text is drawn there

    view.last_marker.set(price_at(label.center().y() + 3), "tag")  # the tag overlaps that label
    grab(chart, qapp)
    assert axis._masked == (middle,)
    assert axis.picture is picture  # not laid out again
    # the tag widget lies over the view; under it, the label's pixels are the background now
    view.last_marker.tag.hide()
    masked = strip(label)
    bg = QColor(DARK.background)
    assert (masked.reshape(-1, 4)[:, :3] == [bg.blue(), bg.green(), bg.red()]).all()
    for i, r in enumerate(rects):
        if i != middle:
            assert strip(r).std() > 0  # every other label still drawn

    gap = rects[below].top() - label.bottom()
    view.last_marker.set(price_at(label.bottom() + gap / 2), "tag")  # between two labels, touching neither
    grab(chart, qapp)
    assert axis._masked == () and axis.picture is picture
