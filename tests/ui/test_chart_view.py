"""Zoom and pan stay on the data, "Latest ⇥" and End bring the live bar back and
follow it again, and the crosshair follows the mouse through zooms (pytest-qt,
offscreen, driven by wheel, drag, clicks and keys)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, Qt

from desktop.brokers.paper.market import MarketSimulator
from desktop.domain.enums import Interval
from desktop.domain.market import Bar
from desktop.ui.chart import ChartWidget
from desktop.ui.chart.viewrange import DEFAULT_BARS, EDGE_PAD, RIGHT_MARGIN, max_width
from test_chart import wheel


@pytest.fixture(scope="module")
def daily():
    """AAPL's real daily bars from 2000-03-01 up to the replay's 2012-03-01."""
    return MarketSimulator.from_resources().fetch_bars("AAPL", Interval.D1)


@pytest.fixture
def chart(qtbot, daily):
    w = ChartWidget(theme="dark")
    w.resize(1200, 640)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.set_bars("AAPL", Interval.D1, daily)
    return w


def next_bar(chart) -> Bar:
    """A new live daily bar after the last one."""
    last = chart.last_bar()
    p = Decimal(str(last.close))
    return Bar(symbol="AAPL", interval=Interval.D1, start=last.start + timedelta(days=1), open=p, high=p + 1,
               low=p - 1, close=p + Decimal("0.5"), volume=Decimal(1000))


def drag(qtbot, chart, dx_px: int, steps: int = 6) -> None:
    """Drag the price plot ``dx_px`` pixels sideways with the left button (positive:
    towards older bars). Each step is repeated until the chart has seen it (pyqtgraph
    drops mouse moves closer than 10 ms apart)."""
    vp = chart.view.viewport()
    rect = chart.view.plot_rect()
    start = QPoint(rect.center().x() - dx_px // 2, rect.center().y())
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, steps + 1):
        target = start + QPoint(dx_px * k // steps, k % 2)

        def seen() -> bool:
            if chart.view._mouse != chart.view.mapToScene(target):  # the last move the view took
                qtbot.mouseMove(vp, target)
            return chart.view._mouse == chart.view.mapToScene(target)

        qtbot.waitUntil(seen)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(dx_px, steps % 2))


def test_zooming_out_stops_at_all_bars_with_a_little_margin(qtbot, chart, daily):
    n = len(daily)
    vp = chart.view.viewport()
    pos = chart.view.map_to_viewport(n - 60, chart.last_bar().close)
    for _ in range(30):  # far more notches than needed
        wheel(vp, pos, -120)
    x0, x1 = chart.visible_range()
    w = x1 - x0
    assert w == pytest.approx(max_width(n), rel=1e-3)
    assert x0 <= -0.5 and x1 >= n - 0.5 + RIGHT_MARGIN  # every bar in view
    empty_before = -0.5 - x0
    assert 0 <= empty_before <= EDGE_PAD * w + 1e-6  # ~150 empty days, not years
    chart.view.grab()
    assert chart.view.candles.drawn_count >= n // chart.view.candles.lod_k


def test_panning_stops_a_little_before_the_first_and_after_the_last_bar(qtbot, chart, daily):
    n = len(daily)
    chart.set_visible_range(99.5, 99.5 + DEFAULT_BARS)  # back in 2000
    for _ in range(3):
        drag(qtbot, chart, 900)  # towards 1999 and before
    x0, x1 = chart.visible_range()
    w = x1 - x0
    assert w == pytest.approx(DEFAULT_BARS)
    assert x0 == pytest.approx(-0.5 - EDGE_PAD * w)  # the first bar stays near the left edge
    assert chart.view.latest_button.isVisible() and not chart.following

    chart.set_visible_range(n - 100.5, n - 100.5 + DEFAULT_BARS)
    for _ in range(3):
        drag(qtbot, chart, -900)  # towards the future
    x0, x1 = chart.visible_range()
    assert x1 == pytest.approx(n - 0.5 + RIGHT_MARGIN + EDGE_PAD * (x1 - x0))
    assert chart.following and not chart.view.latest_button.isVisible()


def test_latest_button_brings_the_last_bar_back_and_follows_live_bars(qtbot, chart):
    button = chart.view.latest_button
    assert chart.following and not button.isVisible()
    drag(qtbot, chart, 1000)  # back in time: the last bar leaves the view
    assert not chart.following and button.isVisible()
    panned = chart.visible_range()
    n = chart.bar_count
    chart.apply_bar(next_bar(chart))
    qtbot.waitUntil(lambda: not chart.view.pending)
    assert chart.bar_count == n + 1 and chart.visible_range() == pytest.approx(panned)  # no yank

    width = panned[1] - panned[0]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert chart.visible_range() == pytest.approx((n + 1 - 0.5 + RIGHT_MARGIN - width, n + 1 - 0.5 + RIGHT_MARGIN))
    assert chart.following and not button.isVisible()
    chart.apply_bar(next_bar(chart))  # auto-scroll is back on
    qtbot.waitUntil(lambda: chart.visible_range()[1] == pytest.approx(n + 2 - 0.5 + RIGHT_MARGIN))


def test_end_key_brings_the_last_bar_back(qtbot, chart):
    drag(qtbot, chart, 1000)
    assert not chart.following
    chart.view.setFocus()
    qtbot.keyClick(chart.view, Qt.Key.Key_End)
    x0, x1 = chart.visible_range()
    assert x1 == pytest.approx(chart.bar_count - 0.5 + RIGHT_MARGIN) and chart.following
    drag(qtbot, chart, 1000)
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)  # focus on the toolbar
    qtbot.keyClick(chart.toolbar.interval_buttons[Interval.D1], Qt.Key.Key_End)
    assert chart.following


def cursor_in_data(chart, pos: QPoint) -> tuple[float, float]:
    """The (bar x, price) under viewport pixel ``pos`` with the view as it is now."""
    pt = chart.view.price_plot.getViewBox().mapSceneToView(chart.view.mapToScene(pos))
    return pt.x(), pt.y()


def test_crosshair_follows_the_mouse_after_a_zoom(qtbot, chart):
    from test_chart_dates import hover

    n = chart.bar_count
    i = n - 40
    pos = hover(qtbot, chart, i, y=chart.series.row(i).high)
    vp = chart.view.viewport()
    tag, time_tag = chart.view.crosshair.tag, chart.view.crosshair.time_tag
    y_range = chart.view.price_plot.getViewBox().viewRange()[1]
    for delta in (120, 120, 120, -120, -120, -120, -120, -120, -120):  # in, then out past the start
        wheel(vp, pos, delta)
        x, y = cursor_in_data(chart, pos)
        assert chart.hover_index == round(x), delta  # the bar under the (unmoved) cursor
        assert tag.isVisible() and float(tag.text().replace(",", "")) == pytest.approx(y, abs=0.011)
        assert chart.view.crosshair._h.value() == pytest.approx(y)
        assert time_tag.text() in chart.readout_text()
    assert chart.view.price_plot.getViewBox().viewRange()[1] != pytest.approx(y_range)  # y was refitted
    assert chart.hover_index != i  # zooming out near the last bar shifted the view under the cursor


def test_a_short_history_stays_at_the_left_however_it_is_zoomed_or_dragged(qtbot, chart, daily):
    from desktop.ui.chart.viewrange import MIN_SPAN

    chart.set_bars("AAPL", Interval.D1, daily[-12:])  # e.g. a symbol listed two weeks ago
    assert chart.visible_range() == pytest.approx((-0.5, MIN_SPAN - 0.5))
    vp = chart.view.viewport()
    for delta in (-120, -120, -120):
        wheel(vp, chart.view.map_to_viewport(6, chart.last_bar().close), delta)
    assert chart.visible_range() == pytest.approx((-0.5, MIN_SPAN - 0.5))  # no wider, bars from the left
    drag(qtbot, chart, 600)
    drag(qtbot, chart, -900)
    assert chart.visible_range() == pytest.approx((-0.5, MIN_SPAN - 0.5)) and chart.following
