"""Application-wide shortcuts, driven with the keys (pytest-qt, offscreen): buy / sell,
the ticket's quantity, cancel the selected order, cancel all working orders (with a
confirmation naming how many and where; per connection, per symbol), flatten the
selected position, next / previous symbol, chart intervals; the menus and Help →
Keyboard Shortcuts list them, and no two bind the same keys."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLineEdit, QPushButton

from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.domain import Interval, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce
from desktop.ui.main_window import MainWindow
from desktop.ui.shortcuts import KEYS, shortcut_conflicts
from qt_helpers import find, run, top_level

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def open_window(qtbot, qloop, tmp_path):
    windows = []

    def _open(*connection_ids: str) -> MainWindow:
        brokers = [PaperBroker(tmp_path / f"{cid}.sqlite3", autostart=False, connection_id=cid) for cid in connection_ids]
        window = MainWindow(brokers=brokers)
        window.show()
        qtbot.waitExposed(window)
        run(qtbot, qloop, window.start(), timeout=15_000)
        for broker in brokers:
            broker.advance_minutes(5)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        windows.append(window)
        return window

    yield _open
    for window in windows:
        run(qtbot, qloop, window.shutdown())
        window.close()
        window.deleteLater()


def place(qtbot, qloop, window, connection_id, symbol, limit=None, amount=10):
    """A working GTC limit order (``limit``) or a market order, at ``connection_id``."""
    conn = window.desk.connection(connection_id)
    instrument = conn.instrument_for(symbol)
    request = OrderRequest(connection_id=connection_id, account_id=ACCOUNT_ID, instrument=instrument, side=OrderSide.BUY,
                           type=OrderType.LIMIT if limit else OrderType.MARKET, amount=D(amount),
                           limit_price=D(limit) if limit else None, time_in_force=TimeInForce.GTC)
    order = run(qtbot, qloop, window.desk.submit(request))
    qtbot.waitUntil(lambda: window.orders.model.get(window.orders.model.key_of(order)) is not None)
    return order


def status_of(window, order):
    return window.desk.state.orders[order.key].status


def press(qtbot, widget, key, modifiers=CTRL):
    """``key`` with ``modifiers`` in ``widget`` (focused, its window active: a closed
    dialog may have left none active offscreen)."""
    window = widget.window()
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    widget.setFocus()
    qtbot.keyClick(widget, key, modifiers)
    # The application keeps the modifiers of the last key event as "held": a later
    # click would read Ctrl as "add to the selection" (also in the tests after these).
    qtbot.keyRelease(widget, Qt.Key.Key_Control, Qt.KeyboardModifier.NoModifier)


def message_box(qtbot, name):
    qtbot.waitUntil(lambda: top_level(name) is not None)
    return top_level(name)


def test_every_shortcut_is_in_a_menu_and_listed_by_help_and_none_conflict(qtbot, open_window):
    window = open_window("paper")
    assert shortcut_conflicts(window) == {}
    in_menus = {a.objectName(): a for a in window.trading.order_menu.actions() + window.trading.chart_menu.actions()}
    for key, keys in KEYS.items():
        assert in_menus[f"{key}Action"].shortcut() == QKeySequence(keys), key  # the menu shows the keys

    press(qtbot, window.chart, Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier)  # Help → Keyboard Shortcuts
    dialog = message_box(qtbot, "keyboardHelpDialog")
    listed = {(group, action): keys for group, action, keys in dialog.listed()}
    native = lambda text: QKeySequence(text).toString(QKeySequence.SequenceFormat.NativeText)  # noqa: E731
    assert listed[("Order", "Buy")] == native("Ctrl+B") and listed[("Order", "Sell")] == native("Ctrl+S")
    assert listed[("Order", "Cancel All Working Orders…")] == native("Ctrl+Shift+A")
    assert listed[("Chart", "1 Day")] == native("Ctrl+5") and listed[("Replay", "Pause")] == native("Ctrl+P")
    quit_keys = QKeySequence(QKeySequence.StandardKey.Quit).toString(QKeySequence.SequenceFormat.NativeText)
    assert listed.get(("File", "Quit"), "") == quit_keys  # the platform's Quit keys (none offscreen)
    copy = [(g, k) for (g, a), k in listed.items() if a == "Copy"]
    assert len(copy) == 1 and "Orders" in copy[0][0] and "Watchlist" in copy[0][0]  # the tables' own Ctrl+C, once
    # generated from the actions: every action with keys in the menu bar is there, and nothing else from the menus
    shown = {(g.split(" › ")[0], a) for (g, a) in listed}
    for menu in (window.trading.order_menu, window.trading.chart_menu, window.menus.file_menu):
        for action in menu.actions():
            if not action.shortcut().isEmpty():
                assert (menu.title().replace("&", ""), action.text().replace("&", "")) in shown
    dialog.close()


def test_buy_and_sell_keys_set_the_ticket_side_inside_and_outside_it(qtbot, open_window):
    window = open_window("paper")
    ticket = window.ticket
    quantity = find(ticket, QLineEdit, "quantityEdit")
    press(qtbot, quantity, Qt.Key.Key_S)  # in the ticket: the side only, the focus stays
    assert ticket.side() is OrderSide.SELL and quantity.hasFocus()
    press(qtbot, window.watchlist.view, Qt.Key.Key_B)  # elsewhere: the side, then the quantity, selected
    assert ticket.side() is OrderSide.BUY
    qtbot.waitUntil(quantity.hasFocus)
    assert quantity.selectedText() == quantity.text() != ""
    press(qtbot, window.chart, Qt.Key.Key_T)  # Ctrl+T: back to the quantity from anywhere
    qtbot.waitUntil(quantity.hasFocus)


def test_cancel_the_selected_order_with_the_keys(qtbot, qloop, open_window):
    window = open_window("paper")
    first = place(qtbot, qloop, window, "paper", "AAPL", limit="400")
    second = place(qtbot, qloop, window, "paper", "MSFT", limit="20")
    view = window.orders.view
    row = next(r for r in range(window.orders.proxy.rowCount())
               if window.orders.row_for(window.orders.proxy.index(r, 0)).order_id == first.order_id)
    rect = view.visualRect(window.orders.proxy.index(row, 2))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    press(qtbot, view, Qt.Key.Key_X, CTRL | SHIFT)
    qtbot.waitUntil(lambda: status_of(window, first) is OrderStatus.CANCELED)
    assert status_of(window, second).is_working

    view.clearSelection()
    press(qtbot, view, Qt.Key.Key_X, CTRL | SHIFT)  # nothing selected: says so, cancels nothing
    assert "Select a working order" in window.status.currentMessage()
    assert status_of(window, second).is_working


def test_cancel_all_asks_with_how_many_and_where_then_cancels_at_each_connection(qtbot, qloop, open_window):
    window = open_window("paper", "paper2")
    orders = [place(qtbot, qloop, window, "paper", "AAPL", limit="400"),
              place(qtbot, qloop, window, "paper", "MSFT", limit="20"),
              place(qtbot, qloop, window, "paper2", "AAPL", limit="401")]
    name_1, name_2 = window.labels.name("paper"), window.labels.name("paper2")

    press(qtbot, window.chart, Qt.Key.Key_A, CTRL | SHIFT)
    box = message_box(qtbot, "cancelAllDialog")
    text = box.text()
    assert text.startswith("Cancel 3 working orders?")
    assert f"{name_1}: 2 working orders (AAPL, MSFT)" in text and f"{name_2}: 1 working order (AAPL)" in text
    assert box.defaultButton() is find(box, QPushButton, "cancelAllKeepButton")  # Enter keeps them
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: top_level("cancelAllDialog") is None)
    assert all(status_of(window, o).is_working for o in orders)

    # per symbol: Order → Cancel All Working Orders in Symbol → AAPL (2)…
    window.trading.order_menu.popup(window.mapToGlobal(window.rect().center()))  # lists what is working now
    in_symbol = {a.objectName(): a for a in window.trading.cancel_in_menu.actions()}
    assert in_symbol["cancelAllIn:AAPL"].text() == "AAPL (2)…" and in_symbol["cancelAllIn:MSFT"].text() == "MSFT (1)…"
    at = {a.objectName(): a.text() for a in window.trading.cancel_at_menu.actions()}
    assert at == {"cancelAllAt:paper": f"{name_1} (2)…", "cancelAllAt:paper2": f"{name_2} (1)…"}
    window.trading.order_menu.hide()
    in_symbol["cancelAllIn:AAPL"].trigger()
    box = message_box(qtbot, "cancelAllDialog")
    assert box.text().startswith("Cancel 2 working orders in AAPL?")
    qtbot.mouseClick(find(box, QPushButton, "cancelAllConfirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(window, orders[0]) is OrderStatus.CANCELED
                    and status_of(window, orders[2]) is OrderStatus.CANCELED)
    assert status_of(window, orders[1]).is_working

    # per connection: only paper's MSFT order is left there; a disconnected connection is named, not cancelled
    fourth = place(qtbot, qloop, window, "paper2", "IBM", limit="100")
    run(qtbot, qloop, window.session_ui.disconnect("paper2"))
    qtbot.waitUntil(lambda: window.labels.is_stale("paper2"))
    window.order_shortcuts.confirm_cancel_all(connection_id="paper")  # what Order → … at Connection → paper does
    box = message_box(qtbot, "cancelAllDialog")
    assert box.text().startswith(f"Cancel 1 working order at {name_1}?")
    qtbot.mouseClick(find(box, QPushButton, "cancelAllConfirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(window, orders[1]) is OrderStatus.CANCELED
                    and "canceled" in window.status.currentMessage())
    press(qtbot, window.chart, Qt.Key.Key_A, CTRL | SHIFT)  # every connection: paper2 is down
    assert top_level("cancelAllDialog") is None
    assert window.status.currentMessage() == f"No working orders to cancel ({name_2}: 1 order at a disconnected connection)"
    assert status_of(window, fourth).is_working


def test_flatten_fills_the_ticket_to_close_the_selected_position_and_sends_nothing(qtbot, qloop, open_window):
    window = open_window("paper", "paper2")
    place(qtbot, qloop, window, "paper2", "MSFT", amount=25)
    broker = window.desk.connection("paper2").broker
    qtbot.waitUntil(lambda: (broker.advance_minutes(1) or True) and any(
        p.symbol == "MSFT" and p.connection_id == "paper2" for p in window.positions.model.rows()), timeout=10_000)
    sent = len(window.desk.state.orders)
    view = window.positions.view
    press(qtbot, view, Qt.Key.Key_F, CTRL | SHIFT)  # nothing selected: says so
    assert "Select one position" in window.status.currentMessage()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(window.positions.proxy.index(0, 1)).center())
    press(qtbot, view, Qt.Key.Key_F, CTRL | SHIFT)
    ticket = window.ticket
    qtbot.waitUntil(lambda: ticket.submit_button.hasFocus())
    request = ticket.current_request()
    assert (request.connection_id, request.account_id, request.symbol) == ("paper2", ACCOUNT_ID, "MSFT")
    assert (request.side, request.amount) == (OrderSide.SELL, D(25))
    assert len(window.desk.state.orders) == sent  # only the ticket was filled
    qtbot.keyClick(ticket.submit_button, Qt.Key.Key_Space)  # Submit: the ticket's confirmation, still nothing sent
    qtbot.waitUntil(lambda: top_level("orderConfirmDialog") is not None)
    assert len(window.desk.state.orders) == sent
    top_level("orderConfirmDialog").reject()


def test_next_and_previous_symbol_and_interval_keys(qtbot, open_window):
    window = open_window("paper")
    assert window.trading.watchlist_symbols() == ["AAPL", "MSFT", "IBM", "GOOG"] and window.chart.symbol() == "AAPL"
    press(qtbot, window.chart, Qt.Key.Key_PageDown)
    assert window.chart.symbol() == "MSFT" and window.ticket.current_symbol() == "MSFT"
    assert [q.symbol for q in window.watchlist.selected_rows()] == ["MSFT"]
    press(qtbot, window.watchlist.view, Qt.Key.Key_PageUp)
    press(qtbot, window.watchlist.view, Qt.Key.Key_PageUp)  # past the first: wraps to the last
    assert window.chart.symbol() == "GOOG" and window.ticket.current_symbol() == "GOOG"
    # the order shown decides: sorted by Symbol (AAPL, GOOG, IBM, MSFT) GOOG is followed by IBM, not AAPL
    window.watchlist.view.sortByColumn(window.watchlist.model.column_index("symbol"), Qt.SortOrder.AscendingOrder)
    press(qtbot, window.chart, Qt.Key.Key_PageDown)
    assert window.chart.symbol() == "IBM"

    for key, interval in ((Qt.Key.Key_5, Interval.D1), (Qt.Key.Key_2, Interval.M5), (Qt.Key.Key_1, Interval.M1)):
        press(qtbot, window.ticket.quantity_edit, key)  # also from a text field
        assert window.chart.interval() == interval.value
        assert window.trading.actions[f"interval{interval.value}"].isChecked()
    window.chart.set_interval(Interval.H1)  # the chart's own buttons: the menu follows
    assert window.trading.actions["interval1h"].isChecked()
