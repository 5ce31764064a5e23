"""The whole app on the paper broker, driven through its widgets (pytest-qt, offscreen).

The replay clock is the environment: tests that need market time either step it
(``broker.advance_minutes``, as the market would) or let the real replay loop run.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPushButton

from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.domain import OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce
from desktop.ui.main_window import MainWindow
from qt_helpers import find, run


@pytest.fixture
def store(tmp_path):
    return tmp_path / "paper.sqlite3"


@pytest.fixture
def open_window(qtbot, qloop, store):
    windows = []

    def _open(*, autostart=False, minutes=5) -> MainWindow:
        broker = PaperBroker(store, autostart=autostart)
        window = MainWindow(brokers=[broker])  # not qtbot.addWidget: pytest-qt would delete it before shutdown
        window.show()
        qtbot.waitExposed(window)
        run(qtbot, qloop, window.start())
        if minutes:
            broker.advance_minutes(minutes)
        windows.append(window)
        return window

    yield _open
    for window in windows:
        run(qtbot, qloop, window.shutdown())
        window.close()
        window.deleteLater()


def fill_ticket(qtbot, window, symbol, quantity, side="buy", order_type=None, limit=None):
    ticket = window.ticket
    symbol_edit = find(ticket, QLineEdit, "symbolEdit")
    symbol_edit.selectAll()
    qtbot.keyClicks(symbol_edit, symbol)
    quantity_edit = find(ticket, QLineEdit, "quantityEdit")
    quantity_edit.selectAll()
    qtbot.keyClicks(quantity_edit, quantity)
    qtbot.mouseClick(find(ticket, QPushButton, f"{side}Button"), Qt.MouseButton.LeftButton)
    if order_type:
        type_combo = find(ticket, QComboBox, "typeCombo")
        type_combo.setFocus()
        qtbot.keyClicks(type_combo, order_type)
    if limit is not None:
        qtbot.keyClicks(find(ticket, QLineEdit, "limitPriceEdit"), limit)


def submit_and_confirm(qtbot, window):
    submit = find(window.ticket, QPushButton, "submitButton")
    assert submit.isEnabled(), window.ticket.errors()
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    dialog = None

    def dialog_open():
        nonlocal dialog
        dialog = next((w for w in QApplication.topLevelWidgets() if w.objectName() == "orderConfirmDialog" and w.isVisible()), None)
        return dialog is not None

    qtbot.waitUntil(dialog_open)
    qtbot.mouseClick(find(dialog, QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)
    return dialog


def rows(panel):
    return panel.model.rows()


def broker_of(window):
    """The window's paper broker (its one connection, "paper")."""
    return window.desk.connection("paper").broker


def test_window_opens_with_rows_in_every_table(qtbot, qloop, store, open_window):
    async def seed():
        broker = PaperBroker(store, autostart=False)
        await broker.connect()
        broker.advance_minutes(10)
        aapl = (await broker.search_instruments("AAPL"))[0]
        await broker.create_order(OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=aapl, side=OrderSide.BUY, type=OrderType.MARKET, amount=D(10)))
        await broker.create_order(OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=aapl, side=OrderSide.BUY, type=OrderType.LIMIT,
                                               amount=D(5), limit_price=D(400), time_in_force=TimeInForce.GTC))
        await broker.close()

    run(qtbot, qloop, seed())
    window = open_window(minutes=0)
    panels = [window.watchlist, window.accounts, window.positions, window.orders, window.fills]
    qtbot.waitUntil(lambda: all(len(rows(p)) > 0 for p in panels))
    assert {q.symbol for q in rows(window.watchlist)} == {"AAPL", "MSFT", "IBM", "GOOG"}
    assert {o.status for o in rows(window.orders)} == {OrderStatus.FILLED, OrderStatus.ACCEPTED}
    assert [(p.symbol, p.quantity) for p in rows(window.positions)] == [("AAPL", 10)]
    qtbot.waitUntil(lambda: window.chart.bar_count > 0)  # history loads on its own (it lost the race on a loaded machine)
    assert window.chart.symbol() == "AAPL"
    assert window.status.item_texts() == ["Paper: connected"]
    assert "Replay" in window.status.replay_label.text() and "ET" in window.status.replay_label.text()
    # times show on the replay's New York clock, without a date on the replayed day
    from zoneinfo import ZoneInfo

    panel = window.orders
    order = panel.proxy.row_object(0)
    shown = panel.proxy.index(0, panel.model.column_index("time")).data()
    assert shown == order.created_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M:%S")


def test_market_order_through_the_ticket_fills_and_updates_position(qtbot, open_window):
    window = open_window()
    fill_ticket(qtbot, window, "MSFT", "25")
    assert find(window.ticket, QPushButton, "submitButton").text() == "Buy 25 MSFT"
    dialog = submit_and_confirm(qtbot, window)
    assert "Buy 25 MSFT at market" in dialog.text()

    qtbot.waitUntil(lambda: any(o.symbol == "MSFT" and o.status is OrderStatus.FILLED for o in rows(window.orders)))
    qtbot.waitUntil(lambda: any(f.symbol == "MSFT" and f.amount == 25 for f in rows(window.fills)))
    qtbot.waitUntil(lambda: any(p.symbol == "MSFT" and p.quantity == 25 for p in rows(window.positions)))
    order = next(o for o in rows(window.orders) if o.symbol == "MSFT")
    assert order.filled == 25 and order.remaining == 0 and order.average is not None
    # the Portfolio's "Today's fills" shows the fill's time as the Fills table does (the replay's New York clock)
    fills = window.fills
    time_col = fills.model.column_index("time")
    blotter_time = next(fills.proxy.index(r, time_col).data() for r in range(fills.proxy.rowCount())
                        if fills.proxy.row_object(r).symbol == "MSFT")
    portfolio = window.portfolio
    portfolio.refresh()
    table = portfolio.fills_table
    qtbot.waitUntil(lambda: any(table.item(r, 3).text() == "MSFT" for r in range(table.rowCount())))
    row = next(r for r in range(table.rowCount()) if table.item(r, 3).text() == "MSFT")
    assert table.item(row, 0).text() == blotter_time
    qtbot.waitUntil(lambda: any(r.balance is not None and r.balance.cash < D(100_000) for r in rows(window.accounts)))


def test_limit_order_cancelled_from_the_orders_table(qtbot, open_window):
    window = open_window()
    last = broker_of(window).market.last_price("AAPL")
    limit = str((last * D("0.9")).quantize(D("0.01")))
    fill_ticket(qtbot, window, "AAPL", "10", order_type="L", limit=limit)
    submit_and_confirm(qtbot, window)
    qtbot.waitUntil(lambda: any(o.status is OrderStatus.ACCEPTED for o in rows(window.orders)))

    panel = window.orders
    proxy_row = next(r for r in range(panel.proxy.rowCount()) if panel.proxy.row_object(r).status is OrderStatus.ACCEPTED)
    index = panel.proxy.index(proxy_row, 0)
    panel.view.selectRow(proxy_row)
    menu = panel.build_context_menu(index)
    cancel = next(a for a in menu.actions() if a.objectName() == "cancelOrderAction")
    assert cancel.isEnabled()
    cancel.trigger()
    qtbot.waitUntil(lambda: [o.status for o in rows(window.orders)] == [OrderStatus.CANCELED])


def test_double_click_working_order_modifies_its_price(qtbot, open_window):
    window = open_window()
    last = broker_of(window).market.last_price("IBM")
    limit = (last * D("0.9")).quantize(D("0.01"))
    fill_ticket(qtbot, window, "IBM", "10", order_type="L", limit=str(limit))
    submit_and_confirm(qtbot, window)
    qtbot.waitUntil(lambda: any(o.status is OrderStatus.ACCEPTED for o in rows(window.orders)))
    panel = window.orders
    rect = panel.view.visualRect(panel.proxy.index(0, 2))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a double-click starts with a press
    qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = None

    def dialog_open():
        nonlocal dialog
        dialog = next((w for w in QApplication.topLevelWidgets() if w.objectName() == "modifyOrderDialog" and w.isVisible()), None)
        return dialog is not None

    qtbot.waitUntil(dialog_open)
    price_edit = find(dialog, QLineEdit, "limitPriceEdit")
    price_edit.selectAll()
    new_limit = limit - D("1.00")
    qtbot.keyClicks(price_edit, str(new_limit))
    confirm = next(b for b in dialog.findChildren(QPushButton) if b.isEnabled() and "odify" in b.text().replace("&", ""))
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [o.limit_price for o in rows(window.orders)] == [new_limit])


def test_rejected_order_shows_reason_and_keeps_the_ticket(qtbot, open_window):
    window = open_window()
    fill_ticket(qtbot, window, "AAPL", "100000")
    submit_and_confirm(qtbot, window)
    reject = find(window.ticket, QLabel, "rejectLabel")
    qtbot.waitUntil(lambda: reject.isVisible() and "buying power" in reject.text())
    assert find(window.ticket, QLineEdit, "symbolEdit").text() == "AAPL"
    assert find(window.ticket, QLineEdit, "quantityEdit").text() == "100000"
    assert window.ticket.side() is OrderSide.BUY
    assert find(window.ticket, QPushButton, "submitButton").isEnabled()
    qtbot.waitUntil(lambda: [o.status for o in rows(window.orders)] == [OrderStatus.REJECTED])


def test_chart_receives_live_bars_from_the_replay(qtbot, open_window):
    window = open_window(autostart=True, minutes=0)
    window.menus.speed_actions[60].trigger()
    assert broker_of(window).replay_speed == 60
    qtbot.waitUntil(lambda: window.chart.last_bar() is not None, timeout=10_000)  # history loaded (in the background)
    first, applied = window.chart.last_bar(), window.chart_link.live_bars_applied
    qtbot.waitUntil(lambda: window.chart_link.live_bars_applied >= applied + 3, timeout=10_000)
    qtbot.waitUntil(lambda: window.chart.last_bar().time > first.time, timeout=10_000)  # new bars at x60
    qtbot.waitUntil(lambda: "x60" in window.status.replay_label.text())  # the clock ticks every 250 ms


def test_interval_change_reloads_history(qtbot, open_window):
    window = open_window()
    minute_bars = window.chart.bar_count
    buttons = [b for b in window.chart.findChildren(QPushButton) if b.text().lower() == "1d"]
    if buttons:
        qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    else:
        window.chart.set_interval("1d")
    qtbot.waitUntil(lambda: window.chart.shown()[1].value == "1d")
    assert window.chart.bar_count != minute_bars and window.chart.bar_count > 2000  # 12 years of real daily bars


def test_layout_persists_across_restarts(qtbot, qloop, open_window):
    window = open_window()
    window.docks["fills"].hide()
    window.close()
    again = open_window()
    assert again.docks["fills"].isHidden()
    assert not again.docks["orders"].isHidden()


def test_reset_paper_account_from_the_menu_starts_over(qtbot, qloop, store, open_window):
    from PySide6.QtWidgets import QMessageBox

    window = open_window(minutes=30)
    fill_ticket(qtbot, window, "MSFT", "10")
    submit_and_confirm(qtbot, window)
    qtbot.waitUntil(lambda: any(p.symbol == "MSFT" for p in rows(window.positions)))
    start_of_replay = broker_of(window).market.clock.calendar[0]

    window.menus.reset_action.trigger()
    box = None

    def box_open():
        nonlocal box
        box = next((w for w in QApplication.topLevelWidgets() if w.objectName() == "resetPaperDialog" and w.isVisible()), None)
        return box is not None

    qtbot.waitUntil(box_open)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Reset), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "paper" in window.desk.connections and window.desk.connection("paper").is_live
                    and not rows(window.orders) and not rows(window.positions) and not rows(window.fills))
    qtbot.waitUntil(lambda: any(r.balance is not None and r.balance.cash == D(100_000) for r in rows(window.accounts)))
    assert broker_of(window).replay_now.date() >= start_of_replay

    async def reopened_state():
        again = PaperBroker(store, autostart=False)
        await again.connect()
        state = (await again.fetch_orders(ACCOUNT_ID), await again.fetch_positions(ACCOUNT_ID))
        await again.close()
        return state

    run(qtbot, qloop, window.shutdown())
    assert run(qtbot, qloop, reopened_state()) == ([], [])
