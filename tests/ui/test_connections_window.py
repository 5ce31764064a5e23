"""The session widgets in the whole main window: three connections at start in the
status bar, File → Connections… connecting and disconnecting one of them beside the
others, the window restarted restoring the same ones, and the IBKR gateway's login
asked from its own status bar item."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from desktop.connections import ConnectionStore
from desktop.desk import Desk
from desktop.desk.startup import connection_for_key, startup_connections
from desktop.security.secrets import SecretStore
from desktop.ui.main_window import MainWindow
from qt_helpers import catching_browser, run, top_level
from session_host import rows, select_row


@pytest.fixture
def launch(qtbot, qloop):
    """``launch(ids=None)``: the window over a new desk of the saved connections in
    TRADEDESK_HOME, started with ``ids`` (default: what bootstrap restores); returns
    (window, start task). Windows shut down at teardown."""
    windows = []

    def _launch(ids=None, width=1280):
        store, secrets = ConnectionStore.open_default(), SecretStore()
        window = MainWindow(Desk(store, secrets, poll_s=0.5, start_budget_s=0.5), connections=store, secrets=secrets)
        window.resize(width, 800)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window, qloop.create_task(window.start(startup_connections(store) if ids is None else ids))

    yield _launch
    for window in windows:
        run(qtbot, qloop, window.shutdown(), timeout=15_000)
        window.close()
        window.deleteLater()


@pytest.fixture
def browser():
    with catching_browser() as catcher:
        yield catcher


def click(qtbot, manager, name):
    button = manager.findChild(QPushButton, name)
    qtbot.waitUntil(button.isEnabled)  # enabled once the previous action's task has finished
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def message(manager) -> str:
    return manager.findChild(QLabel, "messageLabel").text()


def test_three_connections_in_the_window_each_connected_and_disconnected_alone(qtbot, qloop, launch):
    store = ConnectionStore.open_default()
    second = store.add("paper", "Paper 2", {"account_file": "second.sqlite3"})
    advisor = connection_for_key(store, "paper-advisor")
    window, task = launch(["paper", second.id, advisor.id])
    qtbot.waitUntil(task.done, timeout=20_000)
    assert task.result() == {"paper": None, second.id: None, advisor.id: None}
    assert window.status.item_texts() == ["Paper: connected", "Paper 2: connected", "Paper advisor demo: connected"]
    replays = window.status.replay_label
    assert replays.text().startswith("Replay · Paper ")  # every paper connection's replay, named
    assert all(f"{name}: replay " in replays.toolTip() for name in ("Paper", "Paper 2", "Paper advisor demo"))

    window.menus.connections_action.trigger()  # File → Connections…
    qtbot.waitUntil(lambda: top_level("connectionsDialog") is not None)
    manager = top_level("connectionsDialog")
    assert [r[2] for r in rows(manager)] == ["Connected", "Connected", "Connected"]
    select_row(qtbot, manager, "Paper 2")
    click(qtbot, manager, "disconnectButton")
    qtbot.waitUntil(lambda: message(manager) == "Disconnected Paper 2.")
    assert [c.id for c in window.desk.live()] == ["paper", advisor.id]
    assert rows(manager)[1] == ["Paper 2", "Paper (embedded)", "Disconnected"]
    assert window.status.item_texts()[1] == "Paper 2: disconnected"
    assert window.desk.state.accounts_of(second.id) and second.id in window.desk.state.stale  # rows kept, stale

    click(qtbot, manager, "connectButton")
    qtbot.waitUntil(lambda: message(manager) == "Connected Paper 2.", timeout=15_000)
    assert {c.id for c in window.desk.live()} == {"paper", advisor.id, second.id}
    manager.close()
    run(qtbot, qloop, window.shutdown(), timeout=15_000)

    again, task = launch()  # the app restarted: the same three come back
    qtbot.waitUntil(task.done, timeout=20_000)
    assert sorted(c.id for c in again.desk.live()) == sorted(["paper", second.id, advisor.id])
    assert sorted(again.status.item_texts()) == ["Paper 2: connected", "Paper advisor demo: connected",
                                                 "Paper: connected"]


def test_ibkr_login_from_its_status_bar_item_in_a_narrow_window(qtbot, qloop, launch, browser, tmp_path):
    from tests.fakes.ibkr import running_gateway

    cm = running_gateway(tmp_path / "gateway", authenticated=False)
    gw = run(qtbot, qloop, cm.__aenter__())
    try:
        store = ConnectionStore.open_default()
        ibkr = store.add("ibkr", "IBKR (paper)", {"base_url": gw.base_url, "certificate_sha256": gw.fingerprint})
        second = store.add("paper", "Paper 2", {"account_file": "second.sqlite3"})
        window, task = launch(["paper", second.id, ibkr.id], width=1024)
        status = window.status
        qtbot.waitUntil(lambda: status.item(ibkr.id) is not None
                        and status.item(ibkr.id).full_text == "IBKR (paper): log in required", timeout=15_000)
        assert browser.urls == [gw.login_url]  # opened once by itself
        item = status.item(ibkr.id)
        assert item.mapTo(status, item.rect().topRight()).x() <= status.width()  # on screen at 1024 px
        qtbot.mouseClick(item, Qt.MouseButton.LeftButton)
        menu = status.open_menu
        login = next(a for a in menu.actions() if a.objectName() == "loginAction")
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(login).center())
        assert browser.urls == [gw.login_url, gw.login_url]
        gw.log_in()
        qtbot.waitUntil(task.done, timeout=20_000)
        assert task.result()[ibkr.id] is None
        qtbot.waitUntil(lambda: status.item(ibkr.id).full_text == "IBKR (paper): connected")
        assert {c.id for c in window.desk.live()} == {"paper", second.id, ibkr.id}
        run(qtbot, qloop, window.shutdown(), timeout=15_000)
    finally:
        run(qtbot, qloop, cm.__aexit__(None, None, None))


def test_three_connections_at_1280_px_show_the_orders_status_and_a_watchlist_click_resets_the_ticket(qtbot, qloop,
                                                                                                     launch):
    store = ConnectionStore.open_default()
    second = store.add("paper", "Paper 2", {"account_file": "second.sqlite3"})
    advisor = connection_for_key(store, "paper-advisor")
    window, task = launch(["paper", second.id, advisor.id], width=1280)
    qtbot.waitUntil(task.done, timeout=20_000)
    orders = window.orders
    column = orders.model.column_index("status")  # Status, after the Connection column
    qtbot.waitUntil(lambda: orders.view.horizontalHeader().sectionViewportPosition(column)
                    + orders.view.columnWidth(column) <= orders.view.viewport().width(), timeout=5_000)

    ticket = window.ticket
    ticket.prefill(symbol="MSFT", order_type="LIMIT", limit_price="31.50")
    assert ticket.limit_edit.text() == "31.50"
    watchlist = window.watchlist
    symbol = next(s for s in watchlist.symbols() if s not in ("MSFT", ticket.symbol()))
    row = watchlist.view.visualRect(watchlist.proxy.index(watchlist.symbols().index(symbol), 0))
    qtbot.mouseClick(watchlist.view.viewport(), Qt.MouseButton.LeftButton, pos=row.center())
    qtbot.waitUntil(lambda: ticket.symbol() == symbol)
    assert ticket.limit_edit.text() != "31.50"  # empty, then that symbol's own touch
    qtbot.waitUntil(lambda: ticket.limit_edit.text() != "", timeout=10_000)  # its first quote fills it
    assert ticket.current_quote() is not None and Decimal(ticket.limit_edit.text()) > 0
    assert ticket.submit_button.text().startswith(f"Buy 100 {symbol} @ ")
