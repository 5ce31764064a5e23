"""One window over three live connections: the paper broker, the paper advisor demo and
IBKR against the gateway emulator (real loopback HTTPS/WSS), driven through the widgets.

An order is placed on each through the ticket (the account chosen by typing in its
selector); all three show in the one orders blotter with their Connection, the fills in
the one fills blotter, and the consolidated positions sum across the connections. The
app restarted reconnects the same three; disconnecting one leaves the other two live and
its rows marked stale. A second test trades two paper connections with their own account
files side by side.
"""

from __future__ import annotations


import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QToolButton

from desktop.connections import ConnectionStore
from desktop.desk import Desk
from desktop.desk.startup import connection_for_key, startup_connections
from desktop.domain import CONSOLIDATED_ACCOUNT, OrderStatus
from desktop.security.secrets import SecretStore
from desktop.ui.main_window import MainWindow
from desktop.ui.tables.columns import muted_color
from fast_ibkr import install_fast_ibkr
from qt_helpers import choose_account, find, run

fakes = pytest.importorskip("tests.fakes.ibkr")

WAIT = 20_000


@pytest.fixture
def fast_ibkr(monkeypatch):
    """IBKR brokers made from saved connections pace 50 times faster and poll every 0.1 s."""
    return install_fast_ibkr(monkeypatch)


@pytest.fixture
def gw(qtbot, qloop, tmp_path, fast_ibkr):
    cm = fakes.running_gateway(tmp_path / "gateway", authenticated=True)
    gateway = run(qtbot, qloop, cm.__aenter__())
    gateway.state.pacing = False
    yield gateway
    run(qtbot, qloop, cm.__aexit__(None, None, None))


@pytest.fixture
def launch(qtbot, qloop):
    """``launch(ids)``: a window over a new desk of the saved connections in TRADEDESK_HOME,
    started with ``ids``; shut down at teardown (or by the test)."""
    windows = []

    def _launch(ids):
        store, secrets = ConnectionStore.open_default(), SecretStore()
        window = MainWindow(Desk(store, secrets, poll_s=0.3, start_budget_s=1.0), connections=store, secrets=secrets)
        window.resize(1600, 1000)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        outcome = run(qtbot, qloop, window.start(ids), timeout=WAIT)
        assert outcome == {cid: None for cid in ids}, outcome
        return window

    yield _launch
    for window in windows:
        if window.isVisible():
            run(qtbot, qloop, window.shutdown(), timeout=WAIT)
            window.close()
        window.deleteLater()


def close(qtbot, qloop, window):
    run(qtbot, qloop, window.shutdown(), timeout=WAIT)
    window.close()


def cell(panel, row, column_id) -> str:
    return panel.model.columns[panel.model.column_index(column_id)].display(row)


def buy_through_the_ticket(qtbot, window, connection_id, account, search, symbol="AAPL", quantity="10"):
    """Choose the account, type a market buy, Submit, confirm, answer any broker question."""
    ticket = window.ticket
    choose_account(qtbot, ticket, search, f"{window.desk.connection(connection_id).name} · {account}")
    qtbot.waitUntil(lambda: ticket.current_connection_id() == connection_id
                    and ticket.current_account() is not None and ticket.current_account().account_id == account)
    for name, text in (("symbolEdit", symbol), ("quantityEdit", quantity)):
        edit = find(ticket, QLineEdit, name)
        edit.selectAll()
        qtbot.keyClicks(edit, text)
    ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("MARKET"))
    submit = find(ticket, QPushButton, "submitButton")
    qtbot.waitUntil(submit.isEnabled, timeout=WAIT)
    request = ticket.current_request()
    assert (request.connection_id, request.account_id) == (connection_id, account)
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ticket.confirm_dialog is not None and ticket.confirm_dialog.isVisible())
    qtbot.mouseClick(ticket.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)
    asker = window.actions_.asker(connection_id)
    while not ticket.status_label.text().startswith("Order accepted"):
        qtbot.waitUntil(lambda: ticket.status_label.text().startswith("Order accepted")
                        or (asker.dialog is not None and asker.dialog.isVisible()), timeout=WAIT)
        if asker.dialog is not None and asker.dialog.isVisible():
            assert window.desk.connection(connection_id).name in asker.dialog.windowTitle()
            asker.dialog.confirm_button.click()


def test_three_connections_trade_in_one_window_restart_and_one_disconnects(qtbot, qloop, gw, manual_paper, launch):
    store = ConnectionStore.open_default()
    advisor = connection_for_key(store, "paper-advisor")
    ibkr = store.add("ibkr", "IBKR", {"base_url": gw.base_url, "certificate_sha256": gw.fingerprint})
    ids = ["paper", advisor.id, ibkr.id]
    names = {"paper": "Paper", advisor.id: "Paper advisor demo", ibkr.id: "IBKR"}

    window = launch(ids)
    desk = window.desk
    assert [c.id for c in desk.live()] == ids
    assert sorted(window.status.item_texts()) == sorted(f"{n}: connected" for n in names.values())
    markets = {"paper": desk.connection("paper").broker, advisor.id: desk.connection(advisor.id).broker, ibkr.id: gw.paper}
    for market in markets.values():
        market.advance_minutes(5)

    # One order per connection, each through the ticket.
    buy_through_the_ticket(qtbot, window, "paper", "PAPER", "Paper PAPER", quantity="10")
    buy_through_the_ticket(qtbot, window, advisor.id, "DU100001", "Paper advisor demo DU100001", quantity="20")
    buy_through_the_ticket(qtbot, window, ibkr.id, "DU100002", "IBKR DU100002", quantity="30")

    orders, fills, positions = window.orders, window.fills, window.positions

    def all_filled() -> bool:
        for market in markets.values():
            market.advance_minutes(1)
        return len([o for o in orders.model.rows() if o.status is OrderStatus.FILLED]) == 3

    qtbot.waitUntil(all_filled, timeout=WAIT)
    shown = {o.connection_id: (cell(orders, o, "connection"), o.account_id, o.amount) for o in orders.model.rows()}
    assert shown == {"paper": ("Paper", "PAPER", 10), advisor.id: ("Paper advisor demo", "DU100001", 20),
                     ibkr.id: ("IBKR", "DU100002", 30)}
    qtbot.waitUntil(lambda: {f.connection_id: sum(x.amount for x in fills.model.rows() if x.connection_id == f.connection_id)
                             for f in fills.model.rows()} == {"paper": 10, advisor.id: 20, ibkr.id: 30}, timeout=WAIT)
    assert {cell(fills, f, "connection") for f in fills.model.rows()} == set(names.values())
    qtbot.waitUntil(lambda: sum(p.quantity for p in positions.model.rows() if p.symbol == "AAPL") == 60, timeout=WAIT)

    button = find(positions, QToolButton, "positionsConsolidatedButton")
    assert button.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(positions.proxy.visible_rows()) == 1)
    total = positions.proxy.visible_rows()[0]
    assert (total.symbol, total.quantity, total.account_id) == ("AAPL", 60, CONSOLIDATED_ACCOUNT)
    assert {s.connection_id: s.quantity for s in total.sources} == {"paper": 10, advisor.id: 20, ibkr.id: 30}
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    # The app restarted reconnects the same three, with their rows.
    close(qtbot, qloop, window)
    assert ConnectionStore.open_default().restore_ids() == ids
    window = launch(startup_connections(ConnectionStore.open_default()))
    desk = window.desk
    assert [c.id for c in desk.live()] == ids
    orders, fills = window.orders, window.fills
    qtbot.waitUntil(lambda: {o.connection_id for o in orders.model.rows() if o.status is OrderStatus.FILLED}
                    == set(ids), timeout=WAIT)

    # Disconnecting one (its status bar item's menu) leaves the other two live, its rows stale.
    menu = window.status.menu_for(advisor.id)
    next(a for a in menu.actions() if a.objectName() == "disconnectAction").trigger()
    qtbot.waitUntil(lambda: [c.id for c in desk.live()] == ["paper", ibkr.id], timeout=WAIT)
    qtbot.waitUntil(lambda: window.labels.is_stale(advisor.id))
    assert not window.labels.is_stale("paper") and not window.labels.is_stale(ibkr.id)
    def connection_cell(panel, connection_id):
        row = next(r for r in panel.model.rows() if r.connection_id == connection_id)
        return panel.model.index(panel.model.position(panel.model.key_of(row)), panel.model.column_index("connection"))

    qtbot.waitUntil(lambda: connection_cell(fills, advisor.id).data() == "Paper advisor demo (disconnected)")
    stale = connection_cell(orders, advisor.id)
    assert orders.model.data(stale, Qt.ItemDataRole.ForegroundRole) == muted_color()  # its rows are greyed
    assert {o.connection_id for o in orders.model.rows()} == set(ids)  # nothing emptied
    assert connection_cell(fills, "paper").data() == "Paper" and connection_cell(fills, ibkr.id).data() == "IBKR"
    assert orders.model.data(connection_cell(orders, "paper"), Qt.ItemDataRole.ForegroundRole) != muted_color()
    assert "Paper advisor demo: disconnected" in window.status.item_texts()
    assert ConnectionStore.open_default().restore_ids() == ["paper", ibkr.id]  # the user's choice is remembered


def test_two_paper_accounts_trade_side_by_side(qtbot, qloop, manual_paper, launch):
    store = ConnectionStore.open_default()
    second = store.add("paper", "Paper 2", {"account_file": "paper-2.sqlite3"})
    window = launch(["paper", second.id])
    desk = window.desk
    for cid in ("paper", second.id):
        desk.connection(cid).broker.advance_minutes(5)
    buy_through_the_ticket(qtbot, window, "paper", "PAPER", "Paper PAPER", quantity="7")
    buy_through_the_ticket(qtbot, window, second.id, "PAPER", "Paper 2 PAPER", quantity="13")

    def filled() -> bool:
        for cid in ("paper", second.id):
            desk.connection(cid).broker.advance_minutes(1)
        return len([o for o in window.orders.model.rows() if o.status is OrderStatus.FILLED]) == 2

    qtbot.waitUntil(filled, timeout=WAIT)
    by_connection = {o.connection_id: o for o in window.orders.model.rows()}
    assert by_connection["paper"].order_id == by_connection[second.id].order_id  # same ids, kept apart
    assert {cid: o.amount for cid, o in by_connection.items()} == {"paper": 7, second.id: 13}
    qtbot.waitUntil(lambda: {(p.connection_id, p.quantity) for p in window.positions.model.rows()}
                    == {("paper", 7), (second.id, 13)}, timeout=WAIT)
    cash = {r.connection_id: r.balance.cash for r in window.accounts.model.rows() if r.balance is not None}
    assert set(cash) == {"paper", second.id} and cash["paper"] != cash[second.id]
    papers = {cid: desk.connection(cid).broker for cid in ("paper", second.id)}
    assert papers["paper"].store_path.name == "paper.sqlite3" and papers[second.id].store_path.name == "paper-2.sqlite3"
    assert [len(b.engine.orders()) for b in papers.values()] == [1, 1]  # each file holds only its own order
    assert QApplication.instance() is not None
