"""The blotters over several connections (pytest-qt, offscreen): rows of two paper
connections with the same account and order ids side by side, the Connection column
and its tooltip, the connection filter driven through its combo (composed with the
text filter and Working/All), stale connections greyed and saying "disconnected",
dropped connections, CSV export and cancel requests carrying the row's own order."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QComboBox, QToolButton

from desktop.domain import Account, Balance, Fill, Instrument, Order, OrderSide, OrderStatus, OrderType, Position
from desktop.ui.tables import AccountsPanel, ConnectionLabels, FillsPanel, OrdersPanel, PositionsPanel
from desktop.ui.tables.columns import muted_color
from test_tables_support import column, pick

T0 = datetime(2026, 5, 11, 14, 30, tzinfo=timezone.utc)
DISPLAY, FG, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole
LEFT = Qt.MouseButton.LeftButton
CONNECTIONS = [("paper-a", "Paper"), ("paper-b", "Paper 2"), ("ibkr-1", "IBKR")]
KIND = {"paper-a": "paper", "paper-b": "paper", "ibkr-1": "ibkr"}


def order(cid: str, oid: str = "1", *, account: str = "PAPER", symbol: str = "AAPL", minute: int = 0,
          status: OrderStatus = OrderStatus.ACCEPTED) -> Order:
    created = T0 + timedelta(minutes=minute)
    filled = D(100) if status is OrderStatus.FILLED else D(0)
    return Order(broker=KIND[cid], connection_id=cid, account_id=account, order_id=oid,
                 instrument=Instrument.equity(symbol), side=OrderSide.BUY, type=OrderType.LIMIT, amount=D(100),
                 filled=filled, limit_price=D("190"), status=status, created_at=created, updated_at=created)


def fill(cid: str, fid: str = "F1", *, account: str = "PAPER", minute: int = 0) -> Fill:
    return Fill(broker=KIND[cid], connection_id=cid, account_id=account, fill_id=fid, order_id="1",
                instrument=Instrument.equity("AAPL"), side=OrderSide.BUY, amount=D(10), price=D("190"),
                timestamp=T0 + timedelta(minutes=minute))


def position(cid: str, qty: str, avg: str = "190", *, account: str = "PAPER", symbol: str = "AAPL") -> Position:
    return Position(broker=KIND[cid], connection_id=cid, account_id=account, instrument=Instrument.equity(symbol),
                    quantity=D(qty), average_price=D(avg))


@pytest.fixture
def labels(qtbot):
    labels = ConnectionLabels()
    labels.set_connections(CONNECTIONS[:2])
    yield labels
    labels.deleteLater()


@pytest.fixture
def show(qtbot, labels):
    def _show(cls):
        panel = cls(labels)
        qtbot.addWidget(panel)
        panel.resize(1400, 400)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    return _show


def row_cells(panel, proxy_row: int, role) -> list:
    return [panel.proxy.index(proxy_row, c).data(role) for c in range(panel.proxy.columnCount())]


# ------------------------------------------------------------------ side by side
def test_two_paper_connections_with_the_same_ids_show_side_by_side(qtbot, show):
    orders, fills, positions, accounts = show(OrdersPanel), show(FillsPanel), show(PositionsPanel), show(AccountsPanel)
    orders.stage([order("paper-a", minute=1), order("paper-b", minute=2)])
    fills.stage([fill("paper-a"), fill("paper-b")])
    positions.stage([position("paper-a", "10"), position("paper-b", "5")])
    accounts.stage([Account(broker="paper", connection_id=c, account_id="PAPER", name=n) for c, n in CONNECTIONS[:2]])
    accounts.stage([Balance(broker="paper", connection_id="paper-a", account_id="PAPER", cash=D("1000"), buying_power=D("1000")),
                    Balance(broker="paper", connection_id="paper-b", account_id="PAPER", cash=D("2000"), buying_power=D("2000"))])
    for panel in (orders, fills, positions, accounts):
        panel.model.flush()
        assert panel.proxy.rowCount() == 2, panel.name
        assert sorted(column(panel, "connection")) == ["Paper", "Paper 2"], panel.name
        assert not panel.view.isColumnHidden(panel.model.column_index("connection"))  # several connections
    assert orders.model.keys() == [("paper-a", "PAPER", "1"), ("paper-b", "PAPER", "1")]
    assert column(orders, "order_id") == ["1", "1"] and column(orders, "account") == ["PAPER", "PAPER"]
    assert sorted(column(accounts, "cash")) == ["1,000.00", "2,000.00"]
    assert {r.key for r in accounts.model.rows()} == {("paper-a", "PAPER", "USD"), ("paper-b", "PAPER", "USD")}

    # an update of one connection's order 1 leaves the other's alone
    orders.stage([order("paper-b", minute=2, status=OrderStatus.FILLED)])
    orders.model.flush()
    assert {o.connection_id: o.status for o in orders.model.rows()} == {
        "paper-a": OrderStatus.ACCEPTED, "paper-b": OrderStatus.FILLED}


def test_connection_column_tooltip_names_connection_broker_and_account(qtbot, show, labels):
    labels.set_connections(CONNECTIONS)
    positions = show(PositionsPanel)
    positions.stage([position("ibkr-1", "25", account="DU123")])
    positions.model.flush()
    assert column(positions, "connection") == ["IBKR"]
    assert column(positions, "connection", TIP) == ["IBKR · Interactive Brokers (Client Portal) · DU123"]


def test_connection_column_and_filter_show_once_there_are_two_connections(qtbot, show, labels):
    labels.set_connections(CONNECTIONS[:1])
    orders = show(OrdersPanel)
    combo = orders.findChild(QComboBox, "ordersConnectionFilter")
    col = orders.model.column_index("connection")
    assert combo is not None and not combo.isVisible() and orders.view.isColumnHidden(col)
    labels.set_connections(CONNECTIONS)
    assert combo.isVisible() and not orders.view.isColumnHidden(col)
    assert [combo.itemText(i) for i in range(combo.count())] == ["All connections", "Paper", "Paper 2", "IBKR"]
    orders.view.setColumnHidden(col, True)  # the user hides it (header menu): a change of names keeps that
    labels.set_connections(CONNECTIONS[:2])
    assert orders.view.isColumnHidden(col) and combo.isVisible()
    labels.set_connections(CONNECTIONS[:1])
    assert not combo.isVisible()


# ------------------------------------------------------------- connection filter
def test_choosing_a_connection_in_the_combo_shows_only_its_rows(qtbot, show, labels):
    orders = show(OrdersPanel)
    orders.stage([order("paper-a", "1", minute=1), order("paper-b", "1", minute=2),
                  order("paper-a", "2", symbol="MSFT", minute=3, status=OrderStatus.FILLED),
                  order("paper-b", "2", symbol="MSFT", minute=4)])
    orders.model.flush()
    combo = orders.findChild(QComboBox, "ordersConnectionFilter")
    assert combo.isVisible() and combo.currentText() == "All connections"

    pick(qtbot, combo, "Paper 2")
    assert set(column(orders, "connection")) == {"Paper 2"} and orders.proxy.rowCount() == 2
    qtbot.keyClicks(orders.filter_edit, "msft")  # composes with the text filter ...
    assert [(o.connection_id, o.order_id) for o in orders.proxy.visible_rows()] == [("paper-b", "2")]
    orders.filter_edit.clear()
    pick(qtbot, combo, "Paper")
    qtbot.mouseClick(orders.findChild(QToolButton, "ordersWorkingButton"), LEFT)  # ... and Working/All
    assert [(o.connection_id, o.order_id) for o in orders.proxy.visible_rows()] == [("paper-a", "1")]
    qtbot.mouseClick(orders.findChild(QToolButton, "ordersAllButton"), LEFT)
    assert orders.proxy.rowCount() == 2
    # a row arriving for the other connection stays out of sight
    orders.stage([order("paper-b", "3", minute=9)])
    orders.model.flush()
    assert set(column(orders, "connection")) == {"Paper"}
    pick(qtbot, combo, "All connections")
    assert orders.proxy.rowCount() == 5

    # the chosen connection goes away: back to every connection
    pick(qtbot, combo, "Paper 2")
    labels.set_connections([CONNECTIONS[0], CONNECTIONS[2]])
    assert combo.currentText() == "All connections" and orders.proxy.connection is None


def test_fills_and_accounts_have_their_own_connection_filter(qtbot, show):
    fills, accounts = show(FillsPanel), show(AccountsPanel)
    fills.stage([fill("paper-a", "F1"), fill("paper-b", "F1"), fill("paper-b", "F2", minute=1)])
    fills.model.flush()
    accounts.stage([Balance(broker="paper", connection_id=c, account_id="PAPER", cash=D(1), buying_power=D(1)) for c, _ in CONNECTIONS[:2]])
    accounts.model.flush()
    pick(qtbot, fills.findChild(QComboBox, "fillsConnectionFilter"), "Paper")
    assert [f.connection_id for f in fills.proxy.visible_rows()] == ["paper-a"]
    assert accounts.proxy.rowCount() == 2  # each panel filters on its own
    pick(qtbot, accounts.findChild(QComboBox, "accountsConnectionFilter"), "Paper 2")
    assert [r.connection_id for r in accounts.proxy.visible_rows()] == ["paper-b"]


# ------------------------------------------------------------------------ stale
def test_a_stale_connection_is_greyed_and_says_disconnected_until_it_is_back(qtbot, show, labels):
    orders, fills = show(OrdersPanel), show(FillsPanel)
    orders.stage([order("paper-a", minute=1), order("paper-b", minute=2),
                  order("paper-b", "2", minute=3, status=OrderStatus.FILLED)])
    fills.stage([fill("paper-a"), fill("paper-b")])
    for panel in (orders, fills):
        panel.model.flush()
    changed = []
    orders.model.dataChanged.connect(lambda *args: changed.append(args))
    fills.model.dataChanged.connect(lambda *args: changed.append(args))

    labels.set_stale({"paper-b": True})
    assert len(changed) == 2  # one dataChanged per model, not one per row
    muted = muted_color()
    by_key = {o.key: r for r, o in enumerate(orders.proxy.visible_rows())}
    working_b, filled_b = by_key[("paper-b", "PAPER", "1")], by_key[("paper-b", "PAPER", "2")]
    assert all(QColor(c) == muted for c in row_cells(orders, working_b, FG))  # every cell
    assert all(QColor(c) == muted for c in row_cells(orders, filled_b, FG))
    assert not any(c == muted for c in row_cells(orders, by_key[("paper-a", "PAPER", "1")], FG) if c is not None)
    status = orders.model.column_index("status")
    assert orders.proxy.index(working_b, status).data() == "Disconnected"
    assert "last known status Accepted" in orders.proxy.index(working_b, status).data(TIP)
    assert orders.proxy.index(filled_b, status).data() == "Filled"  # a closed order's status is final
    assert sorted(column(orders, "connection")) == ["Paper", "Paper 2", "Paper 2"]  # orders say it in Status
    assert sorted(column(fills, "connection")) == ["Paper", "Paper 2 (disconnected)"]
    combo = fills.findChild(QComboBox, "fillsConnectionFilter")
    assert combo.itemText(2) == "Paper 2 (disconnected)"

    # a stale connection's working order cannot be cancelled until it is back
    menu = orders.build_context_menu(orders.proxy.index(working_b, 0))
    cancel = menu.findChild(QAction, "cancelOrderAction")
    assert not cancel.isEnabled() and "Paper 2 disconnected" in cancel.text()
    assert not menu.findChild(QAction, "modifyOrderAction").isEnabled()
    menu.deleteLater()

    changed.clear()
    labels.set_stale({"paper-b": False})
    assert len(changed) == 2
    assert orders.proxy.index(working_b, status).data() == "Accepted"
    assert all(c is None or QColor(c) != muted for c in row_cells(fills, 1, FG))
    assert sorted(column(fills, "connection")) == ["Paper", "Paper 2"]
    menu = orders.build_context_menu(orders.proxy.index(working_b, 0))
    cancel = menu.findChild(QAction, "cancelOrderAction")
    with qtbot.waitSignal(orders.cancelRequested, timeout=1000) as sig:
        cancel.trigger()
    assert sig.args[0].connection_id == "paper-b" and sig.args[0].order_id == "1"  # the row's own order
    menu.deleteLater()


def test_stale_positions_and_accounts_say_disconnected(qtbot, show, labels):
    positions, accounts = show(PositionsPanel), show(AccountsPanel)
    positions.stage([position("paper-a", "10"), position("paper-b", "5")])
    accounts.stage([Account(broker="paper", connection_id="paper-b", account_id="PAPER")])
    positions.model.flush()
    accounts.model.flush()
    labels.set_stale({"paper-b": True})
    assert column(positions, "connection") == ["Paper", "Paper 2 (disconnected)"]
    assert column(accounts, "connection") == ["Paper 2 (disconnected)"]
    assert "Disconnected" in column(accounts, "connection", TIP)[0]
    assert QColor(column(positions, "quantity", FG)[1]) == muted_color()
    assert column(positions, "quantity", FG)[0] is None


# ------------------------------------------------------------------ drop / remove
def test_drop_connections_removes_every_row_of_those_connections(qtbot, show):
    orders, positions, accounts = show(OrdersPanel), show(PositionsPanel), show(AccountsPanel)
    orders.stage([order("paper-a"), order("paper-b")])
    positions.stage([position("paper-a", "10"), position("paper-b", "5")])
    accounts.stage([Account(broker="paper", connection_id=c, account_id="PAPER", name=n) for c, n in CONNECTIONS[:2]])
    for panel in (orders, positions, accounts):
        panel.model.flush()
    orders.stage([order("paper-b", "7")])  # staged, not yet shown: dropped too
    for panel in (orders, positions, accounts):
        panel.drop_connections(["paper-b"])
        panel.model.flush()
        assert {r.connection_id for r in panel.model.rows()} == {"paper-a"}, panel.name
    # the accounts panel forgot paper-b's account: a later balance shows no stale name
    accounts.stage([Balance(broker="paper", connection_id="paper-b", account_id="PAPER", cash=D(5), buying_power=D(5))])
    accounts.model.flush()
    assert {r.connection_id: r.name for r in accounts.model.rows()} == {"paper-a": "Paper", "paper-b": ""}


def test_positions_remove_by_key(qtbot, show):
    positions = show(PositionsPanel)
    positions.stage([position("paper-a", "10"), position("paper-b", "5")])
    positions.model.flush()
    positions.remove([("paper-b", "PAPER", "AAPL")])
    positions.model.flush()
    assert [p.connection_id for p in positions.model.rows()] == ["paper-a"]


# ------------------------------------------------------------------------ export
def test_export_csv_includes_the_connection_column(qtbot, show, tmp_path):
    fills = show(FillsPanel)
    fills.stage([fill("paper-a", minute=1), fill("paper-b", minute=2)])
    fills.model.flush()
    path = tmp_path / "fills.csv"
    assert fills.export_csv(path) == 2
    with open(path, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    at = table[0].index("Connection")
    assert [r[at] for r in table[1:]] == ["Paper 2", "Paper"]  # newest first


def test_clicking_the_connection_header_sorts_by_name(qtbot, show, labels):
    labels.set_connections(CONNECTIONS)
    orders = show(OrdersPanel)
    orders.stage([order("paper-b", minute=1), order("ibkr-1", account="DU1", minute=2), order("paper-a", minute=3)])
    orders.model.flush()
    hh = orders.view.horizontalHeader()
    c = orders.model.column_index("connection")
    x = hh.sectionViewportPosition(c) + hh.sectionSize(c) // 2
    qtbot.mouseClick(hh.viewport(), LEFT, pos=QPoint(x, hh.height() // 2))
    assert column(orders, "connection") == ["IBKR", "Paper", "Paper 2"]


def test_a_header_state_saved_for_other_columns_is_refused(qtbot, show):
    orders, fills = show(OrdersPanel), show(FillsPanel)
    hh = orders.view.horizontalHeader()
    before = orders.header_state()
    legacy = bytes(hh.saveState().data())  # as saved before the Connection column: Qt's state alone
    assert orders.restore_header_state(legacy) is False
    assert orders.restore_header_state(fills.header_state()) is False
    assert orders.header_state() == before
    hh.moveSection(hh.visualIndex(orders.model.column_index("symbol")), 0)
    assert show(OrdersPanel).restore_header_state(orders.header_state()) is True


def test_connections_of_the_same_name_are_told_apart(qtbot, show, labels):
    labels.set_connections([("paper-a", "Paper"), ("paper-b", "Paper")])  # two ad-hoc paper brokers
    fills = show(FillsPanel)
    fills.stage([fill("paper-a", minute=1), fill("paper-b", minute=2)])
    fills.model.flush()
    assert column(fills, "connection") == ["Paper (2)", "Paper"]
    combo = fills.findChild(QComboBox, "fillsConnectionFilter")
    assert [combo.itemText(i) for i in range(combo.count())] == ["All connections", "Paper", "Paper (2)"]
