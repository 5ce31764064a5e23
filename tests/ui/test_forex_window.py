"""Currency pairs in the app on the paper broker (issue 14), through the widgets
(pytest-qt, offscreen): the watchlist shows EURUSD with 5 decimals, USDJPY with 3 and
AAPL with 2; the chart's readout and price tag follow, and its source label names the
ECB reference rates; the ticket quotes and steps a pair's price by its tick."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from desktop.brokers.paper import PaperBroker
from desktop.brokers.paper.fx_history import SOURCE
from desktop.ui import price_places
from desktop.ui.main_window import MainWindow
from qt_helpers import find, run


@contextmanager
def paper_forex_window(qtbot, qloop, tmp_path, width: int | None = None):
    """The main window on a paper broker 30 replayed minutes in (``width``: resized to
    it first); the remembered instrument decimals are forgotten before and after."""
    price_places.forget_all()
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    win = MainWindow(brokers=[broker])
    win.show()
    if width is not None:
        win.resize(width, 900)
    qtbot.waitExposed(win)
    if width is not None:
        qtbot.waitUntil(lambda: win.width() == width)
    run(qtbot, qloop, win.start())
    broker.advance_minutes(30)
    try:
        yield win
    finally:
        run(qtbot, qloop, win.shutdown())
        win.close()
        win.deleteLater()
        price_places.forget_all()


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    with paper_forex_window(qtbot, qloop, tmp_path) as win:
        yield win


def decimals(text: str) -> int:
    """Decimals of a shown price such as "1.10235" or "1,234.50"."""
    assert re.fullmatch(r"[\d,]+\.\d+", text), text
    return len(text.split(".")[1])


def cell(panel, symbol: str, column: str) -> str:
    proxy = panel.proxy
    for row in range(proxy.rowCount()):
        if proxy.row_object(row).symbol == symbol:
            return proxy.index(row, panel.model.column_index(column)).data() or ""
    return ""


def add_to_watchlist(qtbot, window, typed: str, symbol: str) -> None:
    box = find(window.watchlist, QLineEdit, "watchlistAddEdit")
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    box.selectAll()
    qtbot.keyClicks(box, typed)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: symbol in window.watchlist.symbols(), timeout=5000)


def test_watchlist_shows_each_pair_in_its_decimals_and_shares_in_two(qtbot, window):
    add_to_watchlist(qtbot, window, "EUR/USD", "EURUSD")
    add_to_watchlist(qtbot, window, "usdjpy", "USDJPY")
    panel = window.watchlist
    qtbot.waitUntil(lambda: all(cell(panel, s, "last") for s in ("EURUSD", "USDJPY", "AAPL")), timeout=5000)
    for column in ("last", "bid", "ask"):
        assert decimals(cell(panel, "EURUSD", column)) == 5
        assert decimals(cell(panel, "USDJPY", column)) == 3
        assert decimals(cell(panel, "AAPL", column)) == 2
    assert decimals(cell(panel, "EURUSD", "change").lstrip("+-")) == 5  # a pair's change in pips, not "0.00"
    assert decimals(cell(panel, "AAPL", "change").lstrip("+-")) == 2
    assert 0.5 < float(cell(panel, "EURUSD", "last")) < 2 and 70 < float(cell(panel, "USDJPY", "last")) < 160


def test_chart_of_a_pair_reads_in_its_decimals_and_names_the_ecb_as_source(qtbot, window):
    chart = window.chart
    qtbot.waitUntil(lambda: chart.shown()[0] == "AAPL" and chart.bar_count > 0, timeout=5000)
    assert "ECB" not in chart.source_label()
    aapl_readout = chart.readout.plain
    assert decimals(re.search(r"C ([\d,.]+)", aapl_readout).group(1)) == 2

    edit = chart.toolbar.symbol_combo.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, "eurusd")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: chart.shown()[0] == "EURUSD" and chart.bar_count > 0, timeout=5000)
    qtbot.waitUntil(lambda: SOURCE in chart.source_label(), timeout=5000)
    assert chart.source_label() == f"EURUSD · 1m · Paper ({SOURCE})"
    assert "European Central Bank" in chart.toolbar.source_label.toolTip()
    for label in "OHLC":
        assert decimals(re.search(rf"\b{label} ([\d,.]+)", chart.readout.plain).group(1)) == 5
    assert decimals(chart.view.last_marker._text) == 5

    edit.selectAll()
    qtbot.keyClicks(edit, "USDJPY")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: chart.shown()[0] == "USDJPY" and chart.bar_count > 0, timeout=5000)
    assert decimals(re.search(r"C ([\d,.]+)", chart.readout.plain).group(1)) == 3
    assert decimals(chart.view.last_marker._text) == 3

    edit.selectAll()
    qtbot.keyClicks(edit, "AAPL")  # back to a share: the source label drops the ECB
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: chart.shown()[0] == "AAPL", timeout=5000)
    qtbot.waitUntil(lambda: "ECB" not in chart.source_label(), timeout=5000)
    assert decimals(chart.view.last_marker._text) == 2


def test_ticket_quotes_a_pair_in_its_decimals_and_steps_its_price_by_the_tick(qtbot, window):
    ticket = window.ticket
    symbol = find(ticket, QLineEdit, "symbolEdit")
    symbol.selectAll()
    qtbot.keyClicks(symbol, "EURUSD")
    qtbot.keyClick(symbol, Qt.Key.Key_Return)  # entered: the ticket looks the symbol up and streams its quotes
    quote = ticket.quote_label
    qtbot.waitUntil(lambda: "Bid" in quote.text() and ticket.current_instrument() is not None, timeout=5000)
    shown = re.sub("<[^>]+>", "", quote.text())
    last = re.search(r"Last\s+([\d,.]+)", shown).group(1)
    assert decimals(last) == 5
    assert find(ticket, QLineEdit, "quantityEdit").placeholderText() == "EUR amount"
    limit = find(ticket, QLineEdit, "limitPriceEdit")
    assert "0.00001" in limit.placeholderText() or "0.00001" in limit.toolTip()
    limit.setEnabled(True)
    limit.setText("1.30000")
    limit.setFocus()
    qtbot.keyClick(limit, Qt.Key.Key_Up)
    assert limit.text() == "1.30001"
    qtbot.keyClick(limit, Qt.Key.Key_Down)
    qtbot.keyClick(limit, Qt.Key.Key_Down)
    assert limit.text() == "1.29999"
    symbol.selectAll()
    qtbot.keyClicks(symbol, "AAPL")  # back to a share: its quantity is shares again
    qtbot.keyClick(symbol, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == "AAPL")
    assert find(ticket, QLineEdit, "quantityEdit").placeholderText() == "shares"
