"""Forex on the paper broker in the blotters (issue 14, pytest-qt, offscreen, through
the widgets): after buying 10,000 EURUSD and selling 5,000 USDJPY from the ticket, the
accounts table's USD, EUR and JPY rows each show their currency in sight next to the
figures at 1600 px (the Currency column is no longer scrolled off at the far right);
the positions table's Ccy column says the USDJPY position's market value and P&L are
yen (EURUSD's dollars), in sight beside them; a positions layout saved before that
column is mapped onto today's by id."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QTableView

from desktop.ui.tables import PositionsPanel
from desktop.ui.tables.definitions import POSITION_COLUMNS_BEFORE_CCY
from qt_helpers import find
from test_forex_window import paper_forex_window

WAIT = 10_000


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    with paper_forex_window(qtbot, qloop, tmp_path, width=1600) as win:
        yield win


def choose(qtbot, ticket, symbol: str) -> None:
    """Type ``symbol`` in the ticket and Return; wait until it is the ticket's instrument."""
    edit = find(ticket, QLineEdit, "symbolEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, symbol)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and ticket.current_instrument().symbol == symbol,
                    timeout=WAIT)


def type_quantity(qtbot, ticket, text: str) -> None:
    edit = find(ticket, QLineEdit, "quantityEdit")
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def trade(qtbot, window, symbol: str, side: str, quantity: str | None) -> None:
    """Type ``symbol`` (and ``quantity``, None: the ticket's default), choose the side,
    Submit and confirm; wait until the ticket says the order was accepted."""
    ticket = window.ticket
    choose(qtbot, ticket, symbol)
    if quantity is not None:
        type_quantity(qtbot, ticket, quantity)
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


def cells(panel, column: str, key=lambda row: row.currency) -> dict[str, str]:
    """``column``'s texts by ``key(row)`` (the accounts' row currency by default)."""
    c = panel.model.column_index(column)
    return {key(panel.proxy.row_object(r)): panel.proxy.index(r, c).data() or ""
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


def test_positions_say_which_currency_their_money_is_in(qtbot, window):
    trade(qtbot, window, "EURUSD", "buy", "10000")
    trade(qtbot, window, "USDJPY", "sell", "5000")
    positions = window.positions
    window.docks["positions"].raise_()
    qtbot.waitUntil(positions.view.isVisible)
    by_symbol = dict(key=lambda p: p.symbol)
    qtbot.waitUntil(lambda: {"EURUSD", "USDJPY"} <= set(cells(positions, "currency", **by_symbol)), timeout=WAIT)
    qtbot.waitUntil(lambda: bool(cells(positions, "market_value", **by_symbol)["USDJPY"]), timeout=WAIT)
    QApplication.processEvents()
    assert cells(positions, "currency", **by_symbol) == {"EURUSD": "USD", "USDJPY": "JPY"}
    assert cells(positions, "market_value", **by_symbol)["USDJPY"].startswith("-40")  # -5,000 × ~80 yen
    assert in_sight(positions, "currency") and in_sight(positions, "market_value")
    hh = positions.view.horizontalHeader()
    index = positions.model.column_index
    assert hh.visualIndex(index("last")) < hh.visualIndex(index("currency")) < hh.visualIndex(index("market_value"))


def test_a_positions_layout_saved_before_the_ccy_column_maps_by_id(qtbot):
    ids = list(POSITION_COLUMNS_BEFORE_CCY)
    view, model = QTableView(), QStandardItemModel(0, len(ids))
    view.setModel(model)
    hh = view.horizontalHeader()
    for column in ("occ", "stop_loss", "take_profit", "position_id"):  # that version's default
        hh.setSectionHidden(ids.index(column), True)
    hh.setSectionHidden(ids.index("multiplier"), True)  # the user's own choice
    hh.resizeSection(ids.index("market_value"), 150)
    state = b"columns:" + ",".join(ids).encode() + b"\n" + bytes(hh.saveState().data())
    view.setModel(None)
    panel = PositionsPanel()
    qtbot.addWidget(panel)
    assert panel.restore_header_state(state)
    hh = panel.view.horizontalHeader()
    shown = [panel.model.columns[hh.logicalIndex(v)].id for v in range(hh.count())
             if not hh.isSectionHidden(hh.logicalIndex(v))]
    assert shown == ["connection", "account", "symbol", "quantity", "avg_price", "last", "currency", "market_value",
                     "unrealized_pnl", "realized_pnl"]
    assert panel.view.columnWidth(panel.model.column_index("market_value")) == 150
