"""Several charts at once (pytest-qt, offscreen, paper): Chart → New Chart opens a chart
dock with its own symbol, interval and feed beside the main chart; it draws history
and stays independent of the main chart; closing it stops its feed; the open charts
come back at the next start."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.brokers.paper import PaperBroker
from desktop.domain import Interval
from desktop.ui.chart_docks import OPEN_KEY
from desktop.ui.main_window import MainWindow
from qt_helpers import run


@pytest.fixture
def open_window(qtbot, qloop, tmp_path):
    windows = []

    def _open() -> MainWindow:
        window = MainWindow(brokers=[PaperBroker(tmp_path / "paper.sqlite3", autostart=False)])
        window.show()
        qtbot.waitExposed(window)
        run(qtbot, qloop, window.start())
        windows.append(window)
        return window

    def _close(window: MainWindow) -> None:
        run(qtbot, qloop, window.shutdown())
        window.close()
        window.deleteLater()
        windows.remove(window)

    _open.close = _close
    yield _open
    for window in list(windows):
        _close(window)


def new_chart(qtbot, window):
    before = len(window.chart_docks.charts)
    window.findChild(type(window.chart_docks.new_action), "newChartAction").trigger()
    qtbot.waitUntil(lambda: len(window.chart_docks.charts) == before + 1)
    return window.chart_docks.charts[-1]


def test_a_second_chart_has_its_own_symbol_and_interval(qtbot, open_window):
    window = open_window()
    qtbot.waitUntil(lambda: window.chart.bar_count > 0, timeout=10_000)
    main = window.chart.shown()
    chart = new_chart(qtbot, window)
    qtbot.waitUntil(lambda: chart.bar_count > 0, timeout=10_000)
    edit = chart.toolbar.symbol_combo.lineEdit()  # typed into the new chart's own symbol box
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "IBM")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.M5], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.shown() == ("IBM", Interval.M5) and chart.bar_count > 0, timeout=10_000)
    assert window.chart.shown() == main  # the main chart did not follow
    dock = window.findChild(type(chart.parent()), "chartDock2")
    assert dock is not None and dock.isVisible() and dock.windowTitle().startswith("IBM")
    assert window.settings.value("charts/2/symbol") == "IBM" and window.settings.value(OPEN_KEY) == "2"


def test_closing_a_chart_dock_stops_it_and_the_others_come_back_next_start(qtbot, open_window):
    window = open_window()
    first = new_chart(qtbot, window)
    second = new_chart(qtbot, window)
    qtbot.waitUntil(lambda: first.bar_count > 0 and second.bar_count > 0, timeout=10_000)
    dock = window.findChild(type(first.parent()), "chartDock2")
    feed = window.chart_docks._open[2][2]
    dock.close()
    qtbot.waitUntil(lambda: len(window.chart_docks.charts) == 1)
    assert feed._task is None  # its stream stopped
    assert window.settings.value(OPEN_KEY) == "3"
    open_window.close(window)
    again = open_window()
    qtbot.waitUntil(lambda: len(again.chart_docks.charts) == 1 and again.chart_docks.charts[0].bar_count > 0,
                    timeout=10_000)
    assert again.chart_docks.charts[0].objectName() == "chart3"
