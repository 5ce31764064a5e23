"""Done-when of issue 14, through the widgets (pytest-qt, offscreen): a TradeLocker
connection added in File → Connections… (the fake's demo account on a custom
environment URL) goes live beside the paper account; buy 0.5 lots with a stop-loss
and take-profit in the ticket; the position shows its SL/TP; change its take-profit;
a second position on the same instrument (two rows: hedging); close part of one; the
market reaches the take-profit and it closes the other; orders, history and fills
in the blotters."""

from __future__ import annotations

from decimal import Decimal as D
from functools import partial

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton

import qt_helpers
from desktop.domain import OrderStatus, OrderType
from qt_helpers import WAIT, choose_account, click, paper_window, top_level, type_into
from qt_helpers import find as child

ACCOUNT = "1163012"

run = partial(qt_helpers.run, timeout=WAIT)  # a step against the fake over loopback gets 20 s


def cell(panel, row, column_id) -> str:
    return panel.model.columns[panel.model.column_index(column_id)].display(row)


def view_index(panel, row, column_id="symbol"):
    model = panel.model
    source = model.index(model.position(model.key_of(row)), model.column_index(column_id))
    return panel.proxy.mapFromSource(source)


def double_click(qtbot, panel, row):
    index = view_index(panel, row)
    view = panel.view
    view.scrollTo(index)
    center = view.visualRect(index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)  # a double-click starts with a press
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)


def menu_action(panel, row, name):
    menu = panel.build_context_menu(view_index(panel, row))
    return next(a for a in menu.actions() if a.objectName() == name)


@pytest.fixture
def fast_tradelocker(monkeypatch):
    """TradeLocker adapters made from saved connections poll every 0.2 s."""
    import desktop.brokers.tradelocker as tl

    class FastTradeLocker(tl.TradeLockerBroker):
        def __init__(self, environment, **kw):
            super().__init__(environment, poll_interval=0.2, reconcile_delay=0.05, **kw)

    monkeypatch.setattr(tl, "TradeLockerBroker", FastTradeLocker)


@pytest.fixture
def fake(qtbot, qloop):
    from tests.fakes.tradelocker import FakeTradeLocker

    server = FakeTradeLocker()
    run(qtbot, qloop, server.start())
    server.advance_minutes(5)
    yield server
    run(qtbot, qloop, server.stop())


@pytest.fixture
def window(qtbot, qloop, manual_paper):
    with paper_window(qtbot, qloop, 1600, 1000) as win:
        yield win


def add_tradelocker(qtbot, win, fake) -> str:
    """File → Connections… → Add → TradeLocker (custom environment: the fake), Save,
    Connect. Returns the new connection's id."""
    qtbot.mouseClick(win.status.item("paper"), Qt.MouseButton.LeftButton)
    menu = win.status.open_menu
    action = next(a for a in menu.actions() if a.objectName() == "connectionsAction")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: top_level("connectionsDialog") is not None)
    manager = top_level("connectionsDialog")
    click(qtbot, child(manager, QPushButton, "addButton"))
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is not None)
    form = top_level("connectionEditDialog")
    brokers = child(form, QComboBox, "brokerCombo")
    brokers.setCurrentIndex(brokers.findData("tradelocker"))
    qtbot.waitUntil(lambda: form.findChild(QComboBox, "field_environment") is not None)
    env = child(form, QComboBox, "field_environment")
    assert env.currentData() == "demo"  # the default: TradeLocker's demo environment
    env.setCurrentIndex(env.findData("custom"))
    type_into(qtbot, child(form, QLineEdit, "field_name"), "TL demo")
    type_into(qtbot, child(form, QLineEdit, "field_custom_url"), fake.environment)
    kind = child(form, QComboBox, "field_custom_kind")
    assert kind.currentData() == "live"  # a custom host is real money unless the user says otherwise
    kind.setCurrentIndex(kind.findData("demo"))  # the fake is a demo environment
    type_into(qtbot, child(form, QLineEdit, "field_email"), fake.credentials["email"])
    type_into(qtbot, child(form, QLineEdit, "field_password"), fake.credentials["password"])
    type_into(qtbot, child(form, QLineEdit, "field_server"), fake.credentials["server"])
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)
    conn = next(c for c in win.connection_store.all() if c.broker == "tradelocker")
    lst = manager.list
    item = next(lst.topLevelItem(i) for i in range(lst.topLevelItemCount()) if lst.topLevelItem(i).text(0) == "TL demo")
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=lst.visualItemRect(item).center())
    click(qtbot, child(manager, QPushButton, "connectButton"))
    qtbot.waitUntil(lambda: conn.id in [c.id for c in win.desk.live()], timeout=WAIT)
    live = next(c for c in win.desk.live() if c.id == conn.id)
    assert live.broker.demo and live.broker.capabilities.paper  # simulated money, as chosen
    manager.close()
    return conn.id


def buy(qtbot, win, cid, lots, stop_loss="", take_profit="", symbol="EURUSD"):
    ticket = win.ticket
    choose_account(qtbot, ticket, f"TL demo {ACCOUNT}", f"TL demo · {ACCOUNT}")
    qtbot.waitUntil(lambda: ticket.current_connection_id() == cid)
    type_into(qtbot, child(ticket, QLineEdit, "symbolEdit"), symbol)
    qtbot.keyClick(child(ticket, QLineEdit, "symbolEdit"), Qt.Key.Key_Return)  # settled: looked up at TradeLocker
    qtbot.waitUntil(lambda: ticket.current_instrument() is not None and bool(ticket.current_instrument().broker_id),
                    timeout=WAIT)
    type_into(qtbot, child(ticket, QLineEdit, "quantityEdit"), lots)
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("MARKET"))
    box = child(ticket, type(ticket.protection), "protectionBox")
    assert box.isVisible()
    type_into(qtbot, child(box, QLineEdit, "stopLossEdit"), stop_loss)
    type_into(qtbot, child(box, QLineEdit, "takeProfitEdit"), take_profit)
    submit = child(ticket, QPushButton, "submitButton")
    qtbot.waitUntil(submit.isEnabled, timeout=WAIT)
    request = ticket.current_request()
    ticket.status_label.setText("")
    click(qtbot, submit)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None and ticket.confirm_dialog.isVisible())
    click(qtbot, ticket.confirm_dialog.confirm_button)
    qtbot.waitUntil(lambda: ticket.status_label.text().startswith("Order accepted"), timeout=WAIT)
    return request


def test_tradelocker_in_the_desk_lots_sl_tp_hedging_close_and_take_profit(qtbot, qloop, fake, window, memory_keyring,
                                                                          fast_tradelocker):
    win = window
    cid = add_tradelocker(qtbot, win, fake)
    assert memory_keyring.entries[("Tradedesk", f"{cid}:password")] == fake.credentials["password"]
    qtbot.waitUntil(lambda: ("Tradedesk", f"{cid}:refresh_token") in memory_keyring.entries, timeout=WAIT)
    conn_values = win.connection_store.get(cid).values
    assert "password" not in conn_values and "refresh_token" not in conn_values  # secrets stay in the keyring

    # Its accounts beside the paper account.
    qtbot.waitUntil(lambda: {(r.connection_id, r.account_id) for r in win.accounts.model.rows()}
                    >= {("paper", "PAPER"), (cid, "1163012"), (cid, "1163019")}, timeout=WAIT)

    # The ticket in lots with SL/TP; buy 0.5 lots.
    quote = fake.market.quote("EURUSD")
    sl, tp = quote.bid - D("0.0050"), quote.ask + D("0.0100")  # 50 pips under, 100 pips over
    first = buy(qtbot, win, cid, "0.5", str(sl), str(tp))
    assert (first.amount, first.stop_loss, first.take_profit) == (D("0.5"), sl, tp)
    assert first.instrument.multiplier == 100000 and first.instrument.tick_size == D("0.00001")
    assert win.ticket.form.labelForField(win.ticket.boxes["quantity"]).text() == "Lots"
    assert win.ticket.multiplier_label.text() == "1 lot = 100,000 EUR"
    positions = win.positions

    def tl_positions():
        return [p for p in positions.model.rows() if p.connection_id == cid]

    qtbot.waitUntil(lambda: len(tl_positions()) == 1, timeout=WAIT)
    mine = tl_positions()[0]
    assert (mine.quantity, mine.stop_loss, mine.take_profit) == (D("0.5"), sl, tp)
    header = positions.view.horizontalHeader()
    assert not header.isSectionHidden(positions.model.column_index("take_profit"))
    assert cell(positions, mine, "stop_loss") == f"{sl}" and cell(positions, mine, "take_profit") == f"{tp}"

    # Change its take-profit (row menu → Stop-loss / take-profit…), close to the market.
    menu_action(positions, mine, "protectPositionAction").trigger()
    qtbot.waitUntil(lambda: top_level("protectionDialog") is not None)
    dialog = top_level("protectionDialog")
    target = fake.market.quote("EURUSD").bid + D("0.00010")  # one pip over the market
    type_into(qtbot, child(dialog, QLineEdit, "positionTakeProfitEdit"), str(target))
    click(qtbot, child(dialog, QPushButton, "applyProtectionButton"))
    qtbot.waitUntil(lambda: [p.take_profit for p in tl_positions()] == [target], timeout=WAIT)

    # A second position on the same instrument: two rows (hedging).
    buy(qtbot, win, cid, "0.3")
    qtbot.waitUntil(lambda: len(tl_positions()) == 2, timeout=WAIT)
    second = next(p for p in tl_positions() if p.position_id != mine.position_id)
    assert second.symbol == mine.symbol == "EURUSD" and second.quantity == D("0.3")
    assert len({cell(positions, p, "position_id") for p in tl_positions()}) == 2

    # Close part of the second one (double-click → how much).
    double_click(qtbot, positions, second)
    qtbot.waitUntil(lambda: top_level("closePositionDialog") is not None)
    closing = top_level("closePositionDialog")
    type_into(qtbot, child(closing, QLineEdit, "closeQuantityEdit"), "0.1")
    click(qtbot, child(closing, QPushButton, "closePositionButton"))
    qtbot.waitUntil(lambda: {p.position_id: p.quantity for p in tl_positions()}
                    == {mine.position_id: D("0.5"), second.position_id: D("0.2")}, timeout=WAIT)
    assert win.ticket.current_request() is None or win.ticket.current_request().amount != D("0.2")  # no order prefilled

    # The market reaches the take-profit: the first position closes, the second stays.
    def tp_filled() -> bool:
        fake.advance_minutes(1)
        return [p.position_id for p in tl_positions()] == [second.position_id]

    qtbot.waitUntil(tp_filled, timeout=WAIT)

    # Orders, history and fills in the blotters.
    orders, fills = win.orders, win.fills

    def tl_orders():
        return [o for o in orders.model.rows() if o.connection_id == cid]

    qtbot.waitUntil(lambda: any(o.position_id == mine.position_id and o.type is OrderType.LIMIT
                                and o.status is OrderStatus.FILLED for o in tl_orders()), timeout=WAIT)
    entry = next(o for o in tl_orders() if o.type is OrderType.MARKET and o.position_id == mine.position_id
                 and o.stop_loss is not None)
    assert len(entry.client_order_id) == 32  # the ticket's client order id, carried in strategyId and back
    assert entry.status is OrderStatus.FILLED and cell(orders, entry, "sl_tp") == f"SL {sl} · TP {tp}"
    assert not orders.view.horizontalHeader().isSectionHidden(orders.model.column_index("sl_tp"))
    stop = next(o for o in tl_orders() if o.position_id == mine.position_id and o.type is OrderType.STOP)
    assert stop.status is OrderStatus.CANCELED  # the stop-loss went with the position
    qtbot.waitUntil(lambda: sorted(f.amount for f in fills.model.rows() if f.connection_id == cid)
                    == [D("0.1"), D("0.3"), D("0.5"), D("0.5")], timeout=WAIT)
    assert all(cell(fills, f, "connection") == "TL demo" for f in fills.model.rows() if f.connection_id == cid)
    assert fake.windows.violations == []  # the adapter kept within the server's rate limits all along
