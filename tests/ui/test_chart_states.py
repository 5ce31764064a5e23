"""The chart's symbol box never shows a symbol other than the one drawn: while a new
selection loads the chart says so, a failed one goes back to the drawn symbol with a
message, typed text that was not entered goes back, and a symbol without bars in
the period (FB before its IPO) says so over the plot (pytest-qt, offscreen, typed
and clicked)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.domain.enums import Interval
from desktop.ui.chart import ChartWidget
from test_chart import bar

UNKNOWN = "Unknown symbol 'ZZZZ' in the paper market (known: AAPL, FB, GOOG, IBM, MSFT)"


class Loader:
    """Stands in for the chart link and its feed: records each selection the chart
    asks for and answers when told, as the paper broker would (FB: no bars before
    its IPO; ZZZZ: unknown; 1h: refused, to test an interval that fails)."""

    def __init__(self, chart: ChartWidget) -> None:
        self.chart = chart
        self.asked: list[tuple[str, str]] = []
        chart.symbolChanged.connect(self._ask)
        chart.intervalChanged.connect(self._ask)

    def _ask(self, *_args) -> None:
        self.asked.append((self.chart.symbol(), self.chart.interval()))

    def answer(self) -> None:
        symbol, interval = self.asked[-1]
        if symbol == "ZZZZ":
            self.chart.load_failed(UNKNOWN)
        elif interval == "1h":
            self.chart.load_failed("Paper serves no 1h bars")
        elif symbol == "FB":
            self.chart.set_bars(symbol, interval, [])
        else:
            iv = Interval(interval)
            self.chart.set_bars(symbol, iv, [bar(i, 100, 101, 99, 100.5, interval=iv, symbol=symbol) for i in range(80)])


@pytest.fixture
def chart(qtbot):
    w = ChartWidget(theme="dark")
    w.resize(1000, 600)
    qtbot.addWidget(w)
    w.set_symbols(["AAPL", "MSFT", "IBM", "GOOG", "FB"])
    w.set_source_label("Paper (synthetic intraday)")
    w.show()
    qtbot.waitExposed(w)
    w.loader = Loader(w)
    w.set_symbol("AAPL")
    w.loader.answer()
    assert w.shown() == ("AAPL", Interval.M1) and w.message_text() == ""
    return w


def type_symbol(qtbot, chart, text: str, enter: bool = True) -> None:
    edit = chart.toolbar.symbol_combo.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    if enter:
        qtbot.keyClick(edit, Qt.Key.Key_Return)


def box(chart) -> str:
    return chart.toolbar.symbol_combo.currentText()


def test_while_a_symbol_loads_the_chart_says_so(qtbot, chart):
    type_symbol(qtbot, chart, "msft")
    assert box(chart) == "MSFT" and chart.shown()[0] == "AAPL"
    assert chart.message.isVisible() and chart.message_text() == "Loading MSFT · 1m from Paper…"
    chart.loader.answer()
    assert chart.shown()[0] == "MSFT" == box(chart) and chart.message_text() == ""
    assert chart.readout_text().startswith("MSFT · 1m")


def test_an_unknown_symbol_goes_back_to_the_drawn_one_with_a_message(qtbot, chart):
    type_symbol(qtbot, chart, "zzzz")
    assert box(chart) == "ZZZZ" and "Loading ZZZZ" in chart.message_text()
    chart.loader.answer()  # the broker does not know it
    assert box(chart) == "AAPL" and chart.symbol() == "AAPL" and chart.shown()[0] == "AAPL"
    assert chart.message_text() == f"Could not load ZZZZ · 1m: {UNKNOWN}. Showing AAPL again."
    assert chart.message.kind == "error"
    assert chart.toolbar.source_label.text() == "AAPL · 1m · Paper (synthetic intraday)"
    assert chart.loader.asked[-2:] == [("ZZZZ", "1m"), ("AAPL", "1m")]  # asked for the drawn one again
    chart.loader.answer()  # AAPL reloads (its live bars resume): the message stays until dismissed
    assert chart.shown() == ("AAPL", Interval.M1) and chart.message_text().startswith("Could not load ZZZZ")
    qtbot.mouseClick(chart.message, Qt.MouseButton.LeftButton)
    assert chart.message_text() == ""


def test_a_failed_interval_goes_back_to_the_drawn_interval(qtbot, chart):
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.H1], Qt.MouseButton.LeftButton)
    assert chart.toolbar.interval_buttons[Interval.H1].isChecked() and "Loading AAPL · 1h" in chart.message_text()
    chart.loader.answer()
    assert chart.toolbar.interval_buttons[Interval.M1].isChecked() and chart.interval() == "1m"
    assert chart.message_text() == "Could not load AAPL · 1h: Paper serves no 1h bars. Showing AAPL again."
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)  # another pick
    assert chart.message_text() == "Loading AAPL · 1D from Paper…"  # the old failure is gone


def test_text_that_was_not_entered_goes_back(qtbot, chart):
    type_symbol(qtbot, chart, "IB", enter=False)
    qtbot.keyClick(chart.toolbar.symbol_combo, Qt.Key.Key_Escape)  # the focus widget
    assert box(chart) == "AAPL"
    type_symbol(qtbot, chart, "ZZ", enter=False)
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.M5], Qt.MouseButton.LeftButton)
    assert box(chart) == "AAPL" and chart.loader.asked[-1] == ("AAPL", "5m")
    chart.loader.answer()
    type_symbol(qtbot, chart, "GO", enter=False)
    qtbot.mouseClick(chart.view.viewport(), Qt.MouseButton.LeftButton, pos=chart.view.plot_rect().center())
    qtbot.waitUntil(lambda: box(chart) == "AAPL")  # the focus left the box
    assert chart.loader.asked[-1] == ("AAPL", "5m")


def test_a_symbol_without_bars_in_the_period_says_so(qtbot, chart):
    type_symbol(qtbot, chart, "fb")
    chart.loader.answer()  # FB listed on 2012-05-18; the replay is in March 2012
    assert chart.shown() == ("FB", Interval.M1) and box(chart) == "FB" and chart.bar_count == 0
    text = chart.message_text()
    assert text.startswith("No price history for FB (1m) in this period: Paper has no bars of it")
    plot, msg = chart.view.plot_rect().translated(chart.view.pos()), chart.message.geometry()  # in chart pixels
    assert plot.contains(msg) and abs(msg.center().y() - plot.center().y()) <= 2  # in the middle of the plot
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)
    chart.loader.answer()
    assert chart.message_text().startswith("No price history for FB (1D)")
    type_symbol(qtbot, chart, "ibm")
    chart.loader.answer()
    assert chart.shown()[0] == "IBM" and chart.bar_count == 80 and chart.message_text() == ""


def test_without_a_source_the_reason_is_on_the_chart(qtbot, chart):
    reason = "No broker is connected: connect one in File → Connections… to see charts"
    chart.clear()  # what the window does when no connection serves bars
    chart.set_source_label("")
    chart.set_notice(reason)
    assert chart.message_text() == reason and chart.message.kind == "notice"
    assert box(chart) == "AAPL" and chart.shown() == ("AAPL", Interval.M1)
