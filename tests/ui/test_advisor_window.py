"""The main window on the paper broker's advisor demo (PaperBroker(advisor=True)):
master and client accounts, group orders under their group, per-client fills with the
group, per-client and consolidated positions (pytest-qt, offscreen)."""

from __future__ import annotations

import os
from decimal import Decimal as D

import pytest
from PySide6.QtWidgets import QToolButton

from desktop.brokers.paper import PaperBroker
from desktop.domain import Fill, OrderRequest, OrderSide, OrderStatus, OrderType
from desktop.ui.main_window import MainWindow
from desktop.domain.consolidation import CONSOLIDATED_ACCOUNT
from qt_helpers import run

MASTER = "DF100000"
CLIENTS = ["DU100001", "DU100002", "DU100003", "DU100004"]
SCREENSHOTS = os.environ.get("TRADEDESK_SCREENSHOTS")  # a folder: save window shots there


async def yes(_question) -> bool:
    return True


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    broker = PaperBroker(tmp_path / "advisor.sqlite3", advisor=True, autostart=False)
    win = MainWindow(brokers=[broker])
    allocations: list = []
    win.desk.listen(lambda e: e.kind == "allocation" and allocations.append((list(e.connection.groups.values()),
                                                                               list(e.connection.allocation_values.values()))))
    win.allocations = allocations
    win.show()
    qtbot.waitExposed(win)
    run(qtbot, qloop, win.start())
    broker.advance_minutes(5)
    yield win
    run(qtbot, qloop, win.shutdown())
    win.close()
    win.deleteLater()


def cell(panel, row, column_id) -> str:
    return panel.model.columns[panel.model.column_index(column_id)].display(row)


def shown(panel, column_id) -> list[str]:
    return [cell(panel, r, column_id) for r in panel.proxy.visible_rows()]


def conn_of(window):
    """The window's one connection: the paper advisor demo."""
    return window.desk.connection("paper")


def place_group_order(qtbot, qloop, window, group="ByNetLiq", amount=100):
    aapl = conn_of(window).instrument_for("AAPL")
    request = OrderRequest(connection_id="paper", account_id=group, instrument=aapl, side=OrderSide.BUY, type=OrderType.MARKET, amount=D(amount))
    order = run(qtbot, qloop, window.bridge.submit(request, confirm=yes))
    conn_of(window).broker.advance_minutes(2)
    return order


def test_accounts_panel_shows_master_and_clients(qtbot, window):
    panel = window.accounts
    qtbot.waitUntil(lambda: len(panel.model.rows()) == 5)
    roles = {r.account_id: cell(panel, r, "role") for r in panel.model.rows()}
    assert roles == {MASTER: "Master", **{c: "Client" for c in CLIENTS}}
    assert all(r.account.parent_id == MASTER for r in panel.model.rows() if r.account_id in CLIENTS)
    names = {r.account_id: r.name for r in panel.model.rows()}
    assert names["DU100002"] == "Okafor IRA"
    cash = {r.account_id: r.balance.cash for r in panel.model.rows() if r.balance is not None}
    assert cash["DU100001"] == D(1_000_000) and cash["DU100004"] == D(100_000)
    assert not panel.view.isColumnHidden(panel.model.column_index("role"))


def test_allocation_groups_are_loaded_and_emitted(qtbot, window):
    service = conn_of(window)
    assert list(service.groups) == ["Everyone", "ByNetLiq", "ByEquity", "Shares", "Growth"]
    assert set(service.allocation_values) == set(CLIENTS)
    assert window.allocations, "allocationChanged was not emitted"
    groups, values = window.allocations[-1]
    assert [g.name for g in groups] == list(service.groups)
    assert {v.account_id for v in values} == set(CLIENTS)
    assert [a.account_id for a in service.client_accounts()] == CLIENTS


def test_group_order_shows_under_its_group_and_fills_per_client(qtbot, qloop, window):
    order = place_group_order(qtbot, qloop, window)
    assert order.account_id == "ByNetLiq"
    orders = window.orders
    qtbot.waitUntil(lambda: any(o.status is OrderStatus.FILLED and o.order_id == order.order_id for o in orders.model.rows()))
    assert orders.model.columns[orders.model.column_index("account")].header == "Account/Group"
    assert shown(orders, "account") == ["ByNetLiq (group)"]
    assert conn_of(window).group_orders()[0].order_id == order.order_id

    fills = window.fills
    qtbot.waitUntil(lambda: len(fills.model.rows()) == 4)
    rows: list[Fill] = fills.model.rows()
    assert sorted(f.account_id for f in rows) == CLIENTS
    assert {cell(fills, f, "group") for f in rows} == {"ByNetLiq"}
    assert {f.client_order_id for f in rows} == {order.client_order_id}
    group = conn_of(window).groups["ByNetLiq"]
    expected = group.allocate(D(100), list(conn_of(window).allocation_values.values()))
    assert {f.account_id: f.amount for f in rows} == {k: v for k, v in expected.items() if v}
    assert sum(f.amount for f in rows) == 100
    assert not fills.view.isColumnHidden(fills.model.column_index("group"))


def test_group_order_placed_elsewhere_arrives_on_the_group_stream(qtbot, qloop, window):
    aapl = conn_of(window).instrument_for("AAPL")
    low = (conn_of(window).broker.market.last_price("AAPL") * D("0.5")).quantize(D("0.01"))
    request = OrderRequest(connection_id="paper", account_id="Everyone", instrument=aapl, side=OrderSide.BUY, type=OrderType.LIMIT,
                           amount=D(40), limit_price=low)
    placed = run(qtbot, qloop, conn_of(window).broker.create_order(request, confirm=yes))  # not through the desk
    qtbot.waitUntil(lambda: any(o.order_id == placed.order_id for o in window.orders.model.rows()))
    assert shown(window.orders, "account") == ["Everyone (group)"]


def test_positions_per_client_and_consolidated(qtbot, qloop, window):
    place_group_order(qtbot, qloop, window, "ByNetLiq", 100)
    place_group_order(qtbot, qloop, window, "Shares", 100)  # S: 40/30/20/10
    panel = window.positions
    qtbot.waitUntil(lambda: sum(p.quantity for p in panel.model.rows()) == 200)
    per_client = panel.model.rows()
    assert {p.account_id for p in per_client} == set(CLIENTS)
    assert all(p.symbol == "AAPL" for p in per_client)

    button = panel.findChild(QToolButton, "positionsConsolidatedButton")
    assert button is not None and button.isVisible()
    button.click()
    assert panel.consolidated
    qtbot.waitUntil(lambda: len(panel.proxy.visible_rows()) == 1)
    total = panel.proxy.visible_rows()[0]
    assert total.account_id == CONSOLIDATED_ACCOUNT and total.quantity == 200
    clients = list(panel.model.rows())
    cost = sum(p.quantity * p.average_price for p in clients)
    assert total.average_price == cost / 200
    assert total.market_value == sum(p.market_value for p in clients)
    assert total.unrealized_pnl == sum(p.unrealized_pnl for p in clients)
    assert shown(panel, "account") == [CONSOLIDATED_ACCOUNT]
    assert [p.quantity for p in window.desk.consolidated_positions()] == [200]

    if SCREENSHOTS:
        window.resize(1600, 1000)
        window.docks["fills"].raise_()
        qtbot.wait(50)
        window.grab().save(os.path.join(SCREENSHOTS, "d2_advisor_window.png"))
        panel.grab().save(os.path.join(SCREENSHOTS, "d2_positions_consolidated.png"))

    button.click()  # back to one row per client
    assert not panel.consolidated
    assert len(panel.proxy.visible_rows()) == 4


def test_consolidation_weights_average_cost_and_drops_flat_instruments():
    from datetime import datetime, timezone

    from desktop.domain import Instrument, Position
    from desktop.domain.consolidation import consolidate_positions

    aapl, ibm = Instrument(symbol="AAPL"), Instrument(symbol="IBM")
    t = datetime(2025, 1, 2, tzinfo=timezone.utc)

    def pos(account, inst, qty, avg, last):
        return Position(broker="paper", account_id=account, instrument=inst, quantity=D(qty), average_price=D(avg),
                        timestamp=t).marked(D(last))

    rows = consolidate_positions([
        pos("A", aapl, 10, 100, 130), pos("B", aapl, 30, 120, 130),
        pos("A", ibm, 5, 50, 60), pos("B", ibm, -5, 55, 60),  # flat in sum: left out
    ])
    assert [(p.symbol, p.quantity, p.average_price) for p in rows] == [("AAPL", D(40), D(115))]
    assert rows[0].market_value == D(5200) and rows[0].unrealized_pnl == D(600)
    assert rows[0].account_id == CONSOLIDATED_ACCOUNT
