"""The chart in the main window on the paper broker (its replay in March 2012): a
symbol without bars in the period says so on the chart, an unknown one goes back to
the drawn symbol, and the daily bar of the replayed day carries its date (pytest-qt,
offscreen, typed into the chart's symbol box)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.brokers.paper import PaperBroker
from desktop.domain.enums import Interval
from desktop.ui.main_window import MainWindow
from qt_helpers import run


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    w = MainWindow(brokers=[broker])
    w.show()
    qtbot.waitExposed(w)
    run(qtbot, qloop, w.start(), timeout=15_000)
    broker.advance_minutes(5)  # 2012-03-01 09:35 New York: the day's bar is forming
    qtbot.waitUntil(lambda: w.chart.bar_count > 0 and w.chart.shown()[0] == "AAPL", timeout=10_000)
    yield w
    run(qtbot, qloop, w.shutdown(), timeout=15_000)
    w.close()
    w.deleteLater()


def enter_symbol(qtbot, chart, text: str) -> None:
    edit = chart.toolbar.symbol_combo.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_fb_before_its_ipo_says_so_on_the_chart(qtbot, window):
    chart = window.chart
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.shown() == ("AAPL", Interval.D1) and chart.bar_count > 2000)
    assert "AAPL · 1D  Thu 2012-03-01  O " in chart.readout_text()  # the replayed day, not "Wed 2012-02-29"
    enter_symbol(qtbot, chart, "fb")
    qtbot.waitUntil(lambda: chart.shown() == ("FB", Interval.D1))
    assert chart.bar_count == 0 and chart.toolbar.symbol_combo.currentText() == "FB"
    assert chart.message.isVisible()
    assert chart.message_text().startswith("No price history for FB (1D) in this period: Paper has no bars of it")
    enter_symbol(qtbot, chart, "msft")
    qtbot.waitUntil(lambda: chart.shown()[0] == "MSFT" and chart.bar_count > 0)
    assert chart.message_text() == ""


def test_an_unknown_symbol_goes_back_to_the_drawn_one(qtbot, window):
    chart = window.chart
    enter_symbol(qtbot, chart, "zzzz")
    qtbot.waitUntil(lambda: chart.toolbar.symbol_combo.currentText() == "AAPL", timeout=5_000)
    assert chart.message_text().startswith("Could not load ZZZZ · 1m: Unknown symbol 'ZZZZ'")
    qtbot.waitUntil(lambda: window.feed.symbol == "AAPL")  # AAPL is loaded (and live) again
    assert window.settings.value("chart/symbol") == "AAPL"
