"""The row menus in the whole window (pytest-qt, offscreen): what each entry asks is
carried out: watchlist Buy / Sell / Option chain and Add symbol (FB, through the paper
broker's instrument search; an unknown symbol is refused), positions Close / Buy more
/ Chart at the position's own connection, orders "Cancel all … orders" after the
confirmation, fills Chart. Nothing is sent without the ticket's confirmation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QPushButton

from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.domain import OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce
from desktop.ui.main_window import MainWindow
from qt_helpers import find, run, top_level


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    brokers = [PaperBroker(tmp_path / f"{cid}.sqlite3", autostart=False, connection_id=cid) for cid in ("paper", "paper2")]
    win = MainWindow(brokers=brokers)
    win.show()
    qtbot.waitExposed(win)
    run(qtbot, qloop, win.start(), timeout=15_000)
    for broker in brokers:
        broker.advance_minutes(5)
    yield win
    run(qtbot, qloop, win.shutdown())
    win.close()
    win.deleteLater()


def entries(panel, row: int) -> dict[str, QAction]:
    """The row menu of ``panel``'s shown row ``row``, by action name."""
    menu = panel.build_context_menu(panel.proxy.index(row, 0))
    return {a.objectName(): a for a in menu.findChildren(QAction) if a.objectName()}


def row_of(panel, predicate) -> int:
    return next(r for r in range(panel.proxy.rowCount()) if predicate(panel.row_for(panel.proxy.index(r, 0))))


def place(qtbot, qloop, window, cid, symbol, *, limit=None, amount=10):
    request = OrderRequest(connection_id=cid, account_id=ACCOUNT_ID, instrument=window.desk.connection(cid).instrument_for(symbol),
                           side=OrderSide.BUY, type=OrderType.LIMIT if limit else OrderType.MARKET, amount=D(amount),
                           limit_price=D(limit) if limit else None, time_in_force=TimeInForce.GTC)
    return run(qtbot, qloop, window.desk.submit(request))


def held(qtbot, window, cid, symbol):
    broker = window.desk.connection(cid).broker
    qtbot.waitUntil(lambda: (broker.advance_minutes(1) or True) and any(
        p.symbol == symbol and p.connection_id == cid for p in window.positions.model.rows()), timeout=10_000)


def test_watchlist_buy_sell_and_option_chain(qtbot, window):
    row = row_of(window.watchlist, lambda q: q.symbol == "IBM")
    entries(window.watchlist, row)["sellAction"].trigger()
    ticket = window.ticket
    assert (window.chart.symbol(), ticket.current_symbol(), ticket.side()) == ("IBM", "IBM", OrderSide.SELL)
    qtbot.waitUntil(ticket.quantity_edit.hasFocus)
    entries(window.watchlist, row_of(window.watchlist, lambda q: q.symbol == "MSFT"))["buyAction"].trigger()
    assert (window.chart.symbol(), ticket.current_symbol(), ticket.side()) == ("MSFT", "MSFT", OrderSide.BUY)

    entries(window.watchlist, row)["optionChainAction"].trigger()
    options = window.docks["options"]
    qtbot.waitUntil(lambda: options.geometry().intersects(window.rect()))  # its tab is the one shown
    assert window.options.chain.underlying_edit.text() == "IBM"


def test_add_symbol_searches_the_broker_and_refuses_an_unknown_one(qtbot, window):
    box = find(window.watchlist, QLineEdit, "watchlistAddEdit")
    box.setFocus()
    qtbot.keyClicks(box, "ZZZZ")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    message = window.watchlist.message
    qtbot.waitUntil(lambda: message.isVisible() and "ZZZZ" in message.text())
    assert "ZZZZ" not in window.watchlist.symbols()
    box.clear()
    qtbot.keyClicks(box, "FB")
    with qtbot.waitSignal(window.watchlist.symbolsChanged, timeout=5000):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.watchlist.symbols()[-1] == "FB" and "FB" in window.desk.market.watchlist  # streamed from now on
    assert window.desk.connection("paper").instrument_for("FB") is not None  # the ticket and chart know it


def test_positions_close_buy_more_and_chart_at_the_positions_own_connection(qtbot, qloop, window):
    place(qtbot, qloop, window, "paper2", "MSFT", amount=25)
    held(qtbot, window, "paper2", "MSFT")
    sent = len(window.desk.state.orders)
    positions, ticket = window.positions, window.ticket
    row = row_of(positions, lambda p: p.symbol == "MSFT")
    entries(positions, row)["closePositionAction"].trigger()
    qtbot.waitUntil(ticket.submit_button.hasFocus)
    request = ticket.current_request()
    assert (request.connection_id, request.account_id, request.side, request.amount) == ("paper2", ACCOUNT_ID, OrderSide.SELL, D(25))

    window.chart.set_symbol("AAPL")
    entries(positions, row)["addToPositionAction"].trigger()  # "Buy more MSFT"
    qtbot.waitUntil(ticket.quantity_edit.hasFocus)
    request = ticket.current_request()
    assert (request.connection_id, request.symbol, request.side) == ("paper2", "MSFT", OrderSide.BUY)
    assert request.amount == window.preferences.default_quantity()  # the default, not the position's size
    assert window.chart.symbol() == "MSFT"

    window.chart.set_symbol("AAPL")
    entries(positions, row)["chartAction"].trigger()
    assert window.chart.symbol() == "MSFT"
    assert len(window.desk.state.orders) == sent  # the ticket was filled, nothing sent


def test_cancel_all_orders_of_a_symbol_from_the_orders_menu_asks_first(qtbot, qloop, window):
    aapl = [place(qtbot, qloop, window, "paper", "AAPL", limit="400"), place(qtbot, qloop, window, "paper2", "AAPL", limit="401")]
    msft = place(qtbot, qloop, window, "paper", "MSFT", limit="20")
    orders = window.orders
    qtbot.waitUntil(lambda: orders.proxy.rowCount() == 3)
    action = entries(orders, row_of(orders, lambda o: o.symbol == "AAPL"))["cancelSymbolOrdersAction"]
    action.trigger()
    qtbot.waitUntil(lambda: top_level("cancelAllDialog") is not None)
    box = top_level("cancelAllDialog")
    assert box.text().startswith("Cancel 2 working orders in AAPL?")
    assert window.labels.name("paper") in box.text() and window.labels.name("paper2") in box.text()
    qtbot.mouseClick(find(box, QPushButton, "cancelAllConfirmButton"), Qt.MouseButton.LeftButton)
    state = window.desk.state.orders
    qtbot.waitUntil(lambda: all(state[o.key].status is OrderStatus.CANCELED for o in aapl))
    assert state[msft.key].is_working


def test_fills_chart_shows_the_fills_symbol(qtbot, qloop, window):
    place(qtbot, qloop, window, "paper", "IBM")
    fills = window.fills
    broker = window.desk.connection("paper").broker
    qtbot.waitUntil(lambda: (broker.advance_minutes(1) or True) and fills.proxy.rowCount() > 0, timeout=10_000)
    window.docks["fills"].raise_()
    entries(fills, 0)["chartAction"].trigger()
    assert window.chart.symbol() == "IBM"
