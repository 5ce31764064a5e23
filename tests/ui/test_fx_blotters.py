"""Forex on the paper broker in the blotters (issue 14, pytest-qt, offscreen, through
the widgets): after buying 10,000 EURUSD and selling 5,000 USDJPY from the ticket, the
accounts table's USD, EUR and JPY rows each show their currency in sight next to the
figures at 1600 px (the Currency column is no longer scrolled off at the far right)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton

from desktop.brokers.paper import PaperBroker
from desktop.ui import price_places
from desktop.ui.main_window import MainWindow
from qt_helpers import find, run

WAIT = 10_000


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    price_places.forget_all()
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    win = MainWindow(brokers=[broker])
    win.show()
    win.resize(1600, 900)
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.width() == 1600)
    run(qtbot, qloop, win.start())
    broker.advance_minutes(30)
    yield win
    run(qtbot, qloop, win.shutdown())
    win.close()
    win.deleteLater()
    price_places.forget_all()


def trade(qtbot, window, symbol: str, side: str, quantity: str | None) -> None:
    """Type ``symbol`` (and ``quantity``, None: the ticket's default), choose the side,
    Submit and confirm; wait until the ticket says the order was accepted."""
    ticket = window.ticket
    edit = find(ticket, QLineEdit, "symbolEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, symbol)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == symbol,
                    timeout=WAIT)
    if quantity is not None:
        edit = find(ticket, QLineEdit, "quantityEdit")
        edit.selectAll()
        qtbot.keyClicks(edit, quantity)
    qtbot.mouseClick(find(ticket, QPushButton, f"{side}Button"), Qt.MouseButton.LeftButton)
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("MARKET"))
    submit = find(ticket, QPushButton, "submitButton")
    qtbot.waitUntil(submit.isEnabled, timeout=WAIT)
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None and ticket.confirm_dialog.isVisible())
    qtbot.mouseClick(ticket.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.status_label.text().startswith("Order accepted"), timeout=WAIT)


def in_sight(panel, column: str) -> bool:
    """Whether ``column`` is shown and wholly inside the table's viewport (unscrolled)."""
    hh = panel.view.horizontalHeader()
    c = panel.model.column_index(column)
    return (not hh.isSectionHidden(c) and hh.sectionPosition(c) - hh.offset() >= 0
            and hh.sectionPosition(c) - hh.offset() + hh.sectionSize(c) <= panel.view.viewport().width())


def cells(panel, column: str) -> dict[str, str]:
    """The accounts' ``column`` texts by row currency."""
    c = panel.model.column_index(column)
    return {panel.proxy.row_object(r).currency: panel.proxy.index(r, c).data() or ""
            for r in range(panel.proxy.rowCount())}


def test_each_currency_row_shows_its_currency_beside_the_cash(qtbot, window):
    trade(qtbot, window, "EURUSD", "buy", "10000")
    trade(qtbot, window, "USDJPY", "sell", "5000")
    accounts = window.accounts
    window.docks["accounts"].raise_()
    qtbot.waitUntil(accounts.view.isVisible)
    qtbot.waitUntil(lambda: {"USD", "EUR", "JPY"} <= set(cells(accounts, "currency")), timeout=WAIT)
    QApplication.processEvents()
    assert cells(accounts, "cash")["EUR"] == "10,000.00"
    assert {k: v for k, v in cells(accounts, "currency").items()} == {"USD": "USD", "EUR": "EUR", "JPY": "JPY"}
    assert in_sight(accounts, "currency") and in_sight(accounts, "cash")
    hh = accounts.view.horizontalHeader()
    currency, cash = accounts.model.column_index("currency"), accounts.model.column_index("cash")
    assert hh.visualIndex(currency) < hh.visualIndex(cash)  # read before the figures it qualifies
    assert accounts.model.headerData(currency, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).startswith(
        "Currency")
