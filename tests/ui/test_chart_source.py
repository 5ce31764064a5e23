"""The chart says which connection it draws ("AAPL · 1m · IBKR") and lets the user pick
another from its "Source ▾" menu (pytest-qt, offscreen, through the widgets)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from desktop.domain.enums import Interval
from desktop.ui.chart import ChartWidget
from test_chart import bar


@pytest.fixture
def chart(qtbot):
    w = ChartWidget()
    w.resize(1000, 500)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def pick_from_source_menu(qtbot, chart, text):
    """Click "Source ▾", then the entry called ``text`` in the menu it pops up. Returns
    the entries shown and which were checked when the menu was open."""
    seen = {}

    def pick():
        menu = QApplication.activePopupWidget()
        try:
            assert isinstance(menu, QMenu) and menu.objectName() == "chartSourceMenu", menu
            seen["entries"] = [a.text() for a in menu.actions() if not a.isSeparator()]
            seen["checked"] = [a.text() for a in menu.actions() if a.isChecked()]
            action = next(a for a in menu.actions() if a.text() == text)
            QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        finally:
            if menu is not None and menu.isVisible():
                menu.close()  # never leave the popup's event loop running

    QTimer.singleShot(50, pick)
    qtbot.mouseClick(chart.toolbar.source_button, Qt.MouseButton.LeftButton)  # the menu runs until pick()
    qtbot.waitUntil(lambda: "entries" in seen)
    return seen


def test_the_source_label_names_symbol_interval_and_connection(qtbot, chart):
    label = chart.toolbar.source_label
    assert not label.isVisible() and chart.source_label() == ""
    chart.set_bars("AAPL", Interval.M1, [bar(i, 100, 101, 99, 100.5) for i in range(5)])
    chart.set_source_label("IBKR", tooltip="Bars from IBKR")
    assert label.isVisible() and label.text() == "AAPL · 1m · IBKR" and label.toolTip().endswith("Bars from IBKR")

    chart.set_interval("1h")  # the label follows the chart's own selection
    assert label.text() == "AAPL · 1h · IBKR"
    edit = chart.toolbar.symbol_combo.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, "msft")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert label.text() == "MSFT · 1h · IBKR"

    chart.set_source_label("Paper (synthetic intraday)")
    assert chart.source_label() == "MSFT · 1h · Paper (synthetic intraday)"
    chart.set_source_label("")  # no source: hidden, while a notice explains why
    chart.set_notice("None of the connected brokers serves price history: connect one that does")
    assert not label.isVisible() and chart.source_label() == ""
    assert chart.toolbar.notice_label.text().startswith("None of the connected brokers")


def test_a_narrow_chart_shortens_the_source_label_instead_of_widening(qtbot, chart):
    chart.set_bars("AAPL", Interval.M1, [bar(i, 100, 101, 99, 100.5) for i in range(5)])
    from desktop.ui.chart.toolbar import SOURCE_KEEP_MAX

    label = chart.toolbar.source_label
    chart.set_source_label("")
    bare = chart.toolbar.minimumSizeHint().width()
    chart.set_source_label("Interactive Brokers — the long name of a saved connection")
    assert chart.toolbar.minimumSizeHint().width() <= bare + SOURCE_KEEP_MAX + 20  # a long name never widens much
    chart.set_source_label("IBKR (synthetic intraday)")
    keep = label.fontMetrics().horizontalAdvance("IBKR")
    assert keep <= label.minimumWidth() <= SOURCE_KEEP_MAX  # however narrow, "IBKR" stays readable
    assert label.short == "IBKR (synthetic intraday)"  # too narrow for the whole text: the source alone
    chart.toolbar.resize(bare, chart.toolbar.height())  # as narrow as it gets
    assert label.toolTip() == "AAPL · 1m · IBKR (synthetic intraday)"  # the full text, however shortened


def test_picking_a_source_from_the_menu_emits_its_connection(qtbot, chart):
    chart.set_sources([("ib-1", "IBKR"), ("paper-1", "Paper")], None)
    requested = []
    chart.sourceRequested.connect(requested.append)

    seen = pick_from_source_menu(qtbot, chart, "Paper")
    assert seen["entries"] == ["Automatic", "IBKR", "Paper"] and seen["checked"] == ["Automatic"]
    assert requested == ["paper-1"]

    chart.set_sources([("paper-1", "Paper"), ("ib-1", "IBKR")], "paper-1")  # the window answers
    seen = pick_from_source_menu(qtbot, chart, "Paper")  # the current choice again: nothing to do
    assert seen["checked"] == ["Paper"] and requested == ["paper-1"]

    pick_from_source_menu(qtbot, chart, "Automatic")
    assert requested == ["paper-1", None]


def test_without_any_source_the_menu_says_so(qtbot, chart):
    chart.set_sources([], None)
    seen = pick_from_source_menu(qtbot, chart, "Automatic")
    assert seen["entries"] == ["Automatic", "No connected broker serves price history"]
    disabled = [a for a in chart.toolbar.source_menu.actions() if a.text().startswith("No connected")]
    assert disabled and not disabled[0].isEnabled()


def test_a_choice_that_went_away_shows_automatic(qtbot, chart):
    chart.set_sources([("paper-1", "Paper")], "ib-1")  # IBKR was picked, then disconnected
    requested = []
    chart.sourceRequested.connect(requested.append)
    seen = pick_from_source_menu(qtbot, chart, "Automatic")
    assert seen["checked"] == ["Automatic"]
    assert requested == [None]  # picking automatic explicitly forgets the old choice
