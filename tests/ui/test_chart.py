"""ChartWidget under pytest-qt (offscreen): painting, live updates, mouse, signals."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from decimal import Decimal

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from desktop.domain.enums import Interval
from desktop.domain.market import Bar
from desktop.ui.chart import ChartWidget
from desktop.ui.chart.theme import DARK
from desktop.ui.chart.view import DEFAULT_BARS, MIN_BARS, RIGHT_MARGIN

T0 = 1_741_012_200  # 2025-03-03 14:30 UTC


def bar(i: int, o: float, h: float, low: float, c: float, v: float = 1000, interval=Interval.M1, symbol="AAPL") -> Bar:
    return Bar(
        symbol=symbol,
        interval=interval,
        start=datetime.fromtimestamp(T0, timezone.utc) + i * interval.duration,
        open=Decimal(str(o)),
        high=Decimal(str(h)),
        low=Decimal(str(low)),
        close=Decimal(str(c)),
        volume=Decimal(str(v)),
    )


def zigzag(n: int) -> list[Bar]:
    """Even bars up (100 -> 104), odd bars down (104 -> 100); wicks 98..106."""
    return [bar(i, 100, 106, 98, 104) if i % 2 == 0 else bar(i, 104, 106, 98, 100) for i in range(n)]


@pytest.fixture
def chart(qtbot):
    w = ChartWidget(theme="dark")  # the colours asserted below are DARK's
    w.set_timezone(timezone.utc)
    w.resize(1000, 600)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def close_to(c: QColor, hex_color: str, tol: int = 40) -> bool:
    ref = QColor(hex_color)
    return abs(c.red() - ref.red()) + abs(c.green() - ref.green()) + abs(c.blue() - ref.blue()) <= tol


def test_set_bars_defaults(chart):
    chart.set_bars("AAPL", Interval.M5, [bar(i, 100, 101, 99, 100.5, interval=Interval.M5) for i in range(400)])
    assert chart.bar_count == 400
    assert chart.symbol() == "AAPL" and chart.interval() == "5m"
    assert chart.shown() == ("AAPL", Interval.M5)
    assert chart.toolbar.symbol_combo.currentText() == "AAPL"
    assert chart.toolbar.interval_buttons[Interval.M5].isChecked()
    x0, x1 = chart.visible_range()
    assert x1 == pytest.approx(400 - 0.5 + RIGHT_MARGIN)
    assert x1 - x0 == pytest.approx(DEFAULT_BARS)
    last = chart.last_bar()
    assert last.close == 100.5 and last.index == 399
    assert last.start == datetime.fromtimestamp(T0 + 399 * 300, timezone.utc)
    assert "C 100.50" in chart.readout_text() and "AAPL" in chart.readout_text()


def test_paints_green_up_and_red_down_candles(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(40))
    chart.set_visible_range(-0.5, 19.5)
    before = chart.frames_painted
    img = chart.view.grab().toImage()
    assert chart.frames_painted > before
    view = chart.view
    for i in (4, 10, 16):  # up bodies span 100..104
        assert close_to(img.pixelColor(view.map_to_viewport(i, 102.0)), DARK.up), i
        assert close_to(img.pixelColor(view.map_to_viewport(i + 1, 102.0)), DARK.down), i + 1
    # wick above the body, background between candles
    assert close_to(img.pixelColor(view.map_to_viewport(4, 105.0)), DARK.up)
    assert close_to(img.pixelColor(view.map_to_viewport(4.5, 105.5)), DARK.background, tol=30)
    # y fitted to the visible low/high with padding
    lo, hi = chart.view.price_plot.getViewBox().viewRange()[1]
    assert 96 < lo < 98 and 106 < hi < 108


def test_lod_bounds_drawn_candles(chart):
    n = 100_000
    rng = np.random.default_rng(1)
    close = 100 + np.cumsum(rng.normal(0, 0.1, n))
    t = T0 + 60 * np.arange(n)
    chart.set_arrays("AAPL", Interval.M1, t, close, close + 0.2, close - 0.2, close + 0.05, np.ones(n))
    chart.set_visible_range(-0.5, n - 0.5)
    chart.view.grab()
    c = chart.view.candles
    assert c.lod_k > 1 and 500 <= c.drawn_count <= 1500
    assert chart.view.volumes.drawn_count <= 1500
    chart.set_visible_range(n - 200, n)
    chart.view.grab()
    assert c.lod_k == 1 and c.drawn_count <= 450


def test_live_update_replaces_last_and_scrolls_at_right_edge(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(300))
    x0, x1 = chart.visible_range()
    body = chart.view.map_to_viewport(299, 102.0)
    assert close_to(chart.view.grab().toImage().pixelColor(body), DARK.down)  # odd bars fall
    assert chart.apply_bar(bar(299, 100, 107, 98, 104)) is True  # same start: replace, now up
    assert chart.bar_count == 300 and chart.last_bar().close == 104
    qtbot.waitUntil(lambda: "C 104.00" in chart.readout_text())
    assert chart.visible_range() == pytest.approx((x0, x1))
    body = chart.view.map_to_viewport(299, 102.0)
    assert close_to(chart.view.grab().toImage().pixelColor(body), DARK.up)
    painted = chart.frames_painted
    assert chart.apply_bar(bar(300, 104, 108, 103, 107.25)) is True  # newer: append
    assert chart.bar_count == 301
    qtbot.waitUntil(lambda: chart.visible_range()[1] > x1 + 0.5)
    assert chart.visible_range() == pytest.approx((x0 + 1, x1 + 1))
    qtbot.waitUntil(lambda: chart.frames_painted > painted)
    # the new bar is drawn: the y range grew to its high
    assert chart.view.price_plot.getViewBox().viewRange()[1][1] > 108


def test_repaint_without_new_data_rebuilds_nothing(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(300))
    candles = chart.view.candles
    chart.view.grab()
    rebuilds, tails = candles.rebuilds, candles.tail_fills
    chart.view.grab()
    chart.view.grab()
    assert (candles.rebuilds, candles.tail_fills) == (rebuilds, tails)
    assert chart.apply_bar(bar(299, 100, 107, 98, 104))  # the last bar changes: its group is rebuilt
    qtbot.waitUntil(lambda: not chart.view.pending)
    chart.view.grab()
    assert candles.tail_fills == tails + 1 and candles.rebuilds == rebuilds


def test_live_update_does_not_yank_panned_view(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(300))
    chart.set_visible_range(49.5, 149.5)
    assert chart.apply_bar(bar(300, 100, 101, 99, 100.5))
    qtbot.waitUntil(lambda: not chart.view.pending)
    assert chart.bar_count == 301
    assert chart.visible_range() == pytest.approx((49.5, 149.5))


def test_live_updates_are_coalesced(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(300))
    flushes = []
    chart.view.flushed.connect(lambda: flushes.append(1))
    for k in range(50):  # 50 ticks before the event loop runs
        chart.apply_bar(bar(299, 104, 106 + k / 10, 98, 101 + k / 20))
    qtbot.waitUntil(lambda: flushes == [1])
    qtbot.wait(60)
    assert flushes == [1]
    assert chart.last_bar().close == pytest.approx(101 + 49 / 20)


def test_apply_bar_ignores_older_and_foreign_bars(chart):
    chart.set_bars("AAPL", Interval.M1, zigzag(10))
    assert chart.apply_bar(bar(5, 1, 2, 0.5, 1.5)) is False
    assert chart.apply_bar(bar(10, 1, 2, 0.5, 1.5, symbol="MSFT")) is False
    assert chart.apply_bar(bar(10, 1, 2, 0.5, 1.5, interval=Interval.M5)) is False
    assert chart.bar_count == 10 and chart.last_bar().close == 100.0


def test_interval_buttons_emit_on_click(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(10))
    with qtbot.waitSignal(chart.intervalChanged, timeout=1000) as sig:
        qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.M15], Qt.MouseButton.LeftButton)
    assert sig.args == ["15m"]
    with qtbot.assertNotEmitted(chart.intervalChanged):
        qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.M15], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(chart.intervalChanged, timeout=1000) as sig:
        qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)
    assert sig.args == ["1d"]


def test_symbol_typed_or_picked_emits(chart, qtbot):
    chart.set_symbols(["AAPL", "MSFT", "SPY"])
    chart.set_bars("AAPL", Interval.M1, zigzag(10))
    edit = chart.toolbar.symbol_combo.lineEdit()
    edit.selectAll()
    with qtbot.waitSignal(chart.symbolChanged, timeout=1000) as sig:
        qtbot.keyClicks(edit, "nvda")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert sig.args == ["NVDA"]
    chart.set_bars("AAPL", Interval.M1, zigzag(10))  # the lead answers with data
    with qtbot.waitSignal(chart.symbolChanged, timeout=1000) as sig:
        qtbot.keyClick(chart.toolbar.symbol_combo, Qt.Key.Key_Down)  # AAPL -> MSFT
    assert sig.args == ["MSFT"]


def test_programmatic_selection_emits_and_gates_live_bars(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(10))
    with qtbot.waitSignal(chart.symbolChanged, timeout=1000) as sig:
        chart.set_symbol("MSFT")  # e.g. a watchlist double-click
    assert sig.args == ["MSFT"] and chart.symbol() == "MSFT"
    with qtbot.assertNotEmitted(chart.symbolChanged):
        chart.set_symbol("MSFT")
    with qtbot.waitSignal(chart.intervalChanged, timeout=1000) as sig:
        chart.set_interval("1h")
    assert sig.args == ["1h"] and chart.interval() == "1h"
    assert chart.toolbar.interval_buttons[Interval.H1].isChecked()
    # until the new history arrives, the old bars stay and foreign live bars are ignored
    assert chart.shown() == ("AAPL", Interval.M1)
    assert chart.apply_bar(bar(10, 1, 2, 0.5, 1.5, symbol="MSFT", interval=Interval.H1)) is False
    chart.set_bars("MSFT", "1h", [bar(i, 10, 11, 9, 10.5, interval=Interval.H1, symbol="MSFT") for i in range(5)])
    assert chart.shown() == ("MSFT", Interval.H1) and chart.bar_count == 5
    assert chart.apply_bar(bar(5, 10, 12, 9, 11.5, symbol="MSFT", interval=Interval.H1)) is True


def test_readout_follows_mouse(chart, qtbot):
    bars = [bar(i, 100 + i, 100 + i + 3, 100 + i - 2, 100 + i + 1, v=1000 + i) for i in range(60)]
    chart.set_bars("AAPL", Interval.M1, bars)
    vp = chart.view.viewport()
    pt = chart.view.map_to_viewport(20.2, 121.0)
    qtbot.mouseMove(vp, pt)
    qtbot.waitUntil(lambda: chart.hover_index == 20)
    text = chart.readout_text()
    assert "O 120.00  H 123.00  L 118.00  C 121.00" in text
    assert "Mon 2025-03-03 14:50" in text and "V 1.02K" in text
    assert f"{(121 / 120 - 1) * 100:+.2f}%" in text  # change from the previous close
    assert chart.view.crosshair.visible
    assert float(chart.view.crosshair.tag.text()) == pytest.approx(121.0, abs=0.3)  # price at the cursor
    QApplication.sendEvent(chart.view, QEvent(QEvent.Type.Leave))
    qtbot.waitUntil(lambda: chart.hover_index is None)
    assert "C 160.00" in chart.readout_text()  # back to the last bar
    assert not chart.view.crosshair.visible


def wheel(widget, pos: QPoint, delta: int) -> None:
    ev = QWheelEvent(
        QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, delta),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, ev)


def test_wheel_zoom_is_limited_and_pan_stays_on_data(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(500))
    vp = chart.view.viewport()
    pos = chart.view.map_to_viewport(450, 102)
    w0 = chart.visible_range()[1] - chart.visible_range()[0]
    wheel(vp, pos, 120)
    x0, x1 = chart.visible_range()
    assert x1 - x0 < w0 and x0 < 450 < x1  # zoomed in around the cursor
    for _ in range(40):
        wheel(vp, pos, 120)
    x0, x1 = chart.visible_range()
    assert x1 - x0 >= MIN_BARS - 1e-6
    chart.set_visible_range(900, 1000)  # far right of the data
    x0, _ = chart.visible_range()
    assert x0 < 500 - 0.5
    chart.set_visible_range(-400, -300)
    _, x1 = chart.visible_range()
    assert x1 > 0


def test_drag_pans_x(chart, qtbot):
    chart.set_bars("AAPL", Interval.M1, zigzag(500))
    vp = chart.view.viewport()
    x0, x1 = chart.visible_range()
    y_before = chart.view.price_plot.getViewBox().viewRange()[1]
    start = chart.view.map_to_viewport(480, 102)
    end = chart.view.map_to_viewport(490, 102)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 11):
        qtbot.mouseMove(vp, start + (end - start) * k / 10)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    nx0, nx1 = chart.visible_range()
    assert nx0 == pytest.approx(x0 - 10, abs=1.0) and nx1 - nx0 == pytest.approx(x1 - x0)
    assert chart.view.price_plot.getViewBox().viewRange()[1] == pytest.approx(y_before, rel=0.05)


def test_clear_and_notice(chart):
    chart.set_bars("AAPL", Interval.D1, [bar(i, 10, 11, 9, 10.5, interval=Interval.D1) for i in range(30)])
    chart.set_notice("Intraday prices are synthetic (replayed inside real daily OHLC)")
    assert chart.toolbar.notice_label.toolTip().startswith("Intraday prices")
    assert "Mon 2025-03-03" in chart.readout_text() or "2025-0" in chart.readout_text()
    chart.clear()
    assert chart.bar_count == 0 and chart.last_bar() is None
    chart.view.grab()  # paints an empty chart without error
    assert chart.readout_text() == "AAPL · 1D"


def test_painting_does_not_leak_none_refcount(chart):
    """PySide6 6.12 on Python 3.11 lost a None reference per QPainter call (see notes)."""
    chart.set_bars("AAPL", Interval.M1, zigzag(2000))
    chart.set_visible_range(-0.5, 1999.5)
    chart.view.grab()
    before = sys.getrefcount(None)
    for k in range(60):
        chart.set_visible_range(-0.5 + k, 1999.5 - k)
        chart.view.grab()
    assert sys.getrefcount(None) >= before - 5
