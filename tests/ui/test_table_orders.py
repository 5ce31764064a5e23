"""The orders blotter (pytest-qt, offscreen): Status in sight on a 1280-px window's
orders dock, in the default column order; rejected, cancelled and expired orders
greyed with their Status red or grey (in the dark and the light theme); Working/All;
a header state saved by the version before this column order mapped by column id
(the accounts' too: Currency moved after the figures in issue 11, back before them as Ccy in issue 14); the row menu: Cancel,
Modify… (double-click), Cancel all for the symbol."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QColor, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

from desktop.domain import Instrument, Order, OrderSide, OrderStatus, OrderType, TimeInForce
from desktop.ui.display_clock import DISPLAY_CLOCK
from desktop.ui.tables import ConnectionLabels, OrdersPanel
from desktop.ui.tables.columns import gain_color, loss_color, muted_color
from desktop.ui.tables.definitions import ORDER_COLUMNS_BEFORE_ISSUE_11
from desktop.ui.theme import apply_theme
from test_tables_support import column, shown

NOW = datetime(2012, 3, 2, 15, 30, tzinfo=timezone.utc)
FG = Qt.ItemDataRole.ForegroundRole
LEFT = Qt.MouseButton.LeftButton
ORDERS_DOCK_AT_1280 = 693
"""The orders table's width in the 1280-px window (orders and positions side by side)."""
ORDERS_DOCK_AT_1600 = 868


@pytest.fixture(autouse=True)
def replay_clock():
    """A paper replay's day: times of the day before show their date."""
    DISPLAY_CLOCK.configure(timezone.utc, lambda: NOW)
    yield
    DISPLAY_CLOCK.reset()


def order(oid: str, status: OrderStatus = OrderStatus.ACCEPTED, *, cid: str = "paper", account: str = "PAPER",
          symbol: str = "AAPL", type_: OrderType = OrderType.LIMIT, limit: str | None = "547.25",
          stop: str | None = None, amount: str = "100", filled: str = "0", days_ago: int = 0, group: str = "",
          message: str = "") -> Order:
    when = NOW - timedelta(days=days_ago, minutes=int(oid) if oid.isdigit() else 0)
    return Order(broker="paper", connection_id=cid, account_id=account, order_id=oid, instrument=Instrument.equity(symbol),
                 side=OrderSide.BUY, type=type_, amount=D(amount), filled=D(filled),
                 limit_price=D(limit) if limit else None, stop_price=D(stop) if stop else None, status=status,
                 time_in_force=TimeInForce.GTC, created_at=when, updated_at=when, allocation_group=group, message=message)


def busy_day(advisor: bool = True) -> list[Order]:
    """The widest rows the paper broker (and its advisor demo) make: yesterday's times,
    a stop-limit, a 5,000-share rejection, a partial fill (and a group order)."""
    group = [order("7", cid="advisor", account="Everyone", group="Everyone", symbol="MSFT", limit="30.85", days_ago=1)]
    return [
        order("1", OrderStatus.PARTIALLY_FILLED, filled="40"),
        order("2", type_=OrderType.STOP_LIMIT, symbol="IBM", limit="206.00", stop="205.00", days_ago=1),
        order("3", OrderStatus.REJECTED, type_=OrderType.MARKET, limit=None, amount="5000", days_ago=1,
              message="insufficient buying power: this order needs $2,876,867.50, available $77,466.80"),
        order("4", OrderStatus.CANCELED, symbol="MSFT", limit="30.85", days_ago=1),
        order("5", OrderStatus.EXPIRED, symbol="MSFT", limit="31.02", days_ago=1),
        order("6", OrderStatus.FILLED, filled="100", symbol="GOOG", limit="620.50"),
    ] + (group if advisor else [])


def labels_for(*cids: str) -> ConnectionLabels:
    labels = ConnectionLabels()
    names = {"paper": "Paper", "advisor": "Paper advisor demo", "ibkr": "IBKR"}
    labels.set_connections((c, names[c]) for c in cids)
    return labels



def right_edge(panel, column_id: str) -> int:
    """Where column ``column_id`` ends in the view, scrolled to the left (px)."""
    hh = panel.view.horizontalHeader()
    c = panel.model.column_index(column_id)
    return hh.sectionPosition(c) + hh.sectionSize(c)


def visual_ids(panel) -> list[str]:
    return [panel.model.columns[c].id for c in panel.visible_columns()]


# ------------------------------------------------------------ column order
@pytest.mark.parametrize(("width", "cids"), [(ORDERS_DOCK_AT_1280, ("paper",)), (ORDERS_DOCK_AT_1600, ("paper", "advisor", "ibkr"))],
                         ids=["1280px-one-connection", "1600px-three-connections"])
def test_status_is_in_sight_without_scrolling(qtbot, width, cids):
    labels = labels_for(*cids)
    panel = shown(qtbot, OrdersPanel(labels), width)
    rows = busy_day(advisor="advisor" in cids) + [order("8", cid=c, account="DU100002") for c in cids if c != "paper"]
    panel.stage(rows)
    panel.model.flush()
    expected = ["time", "connection", "account", "symbol", "side", "quantity", "type", "limit_stop", "status", "filled",
                "avg_price", "message"]
    if len(cids) == 1:
        expected.remove("connection")  # shown once there are several connections
    assert visual_ids(panel)[:len(expected)] == expected
    view = panel.view
    assert view.horizontalScrollBar().value() == 0
    assert right_edge(panel, "status") <= view.viewport().width(), (right_edge(panel, "status"), view.viewport().width())
    assert panel.needed_width() <= width
    assert {"limit", "stop", "occ"}.isdisjoint(visual_ids(panel))  # folded into Limit/Stop; OCC on demand
    assert column(panel, "limit_stop")[panel.proxy.visible_rows().index(rows[1])] == "206.00 / 205.00"
    assert column(panel, "time")[panel.proxy.visible_rows().index(rows[1])] == "Mar 01 15:28:00"  # not today: the date
    labels.deleteLater()


# -------------------------------------------------------------- closed rows
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_rejected_cancelled_and_expired_orders_look_closed(qtbot, qapp, theme):
    apply_theme(qapp, theme)
    try:
        panel = shown(qtbot, OrdersPanel(), 1200)
        rows = {o.order_id: o for o in busy_day()}
        panel.stage(rows.values())
        panel.model.flush()
        m = panel.model

        def colours(oid: str) -> dict[str, QColor | None]:
            r = m.position(m.key_of(rows[oid]))
            return {c.id: m.index(r, i).data(FG) for i, c in enumerate(m.columns)}

        grey, red = muted_color(), loss_color()
        for oid, status_colour in (("3", red), ("4", grey), ("5", grey)):  # rejected, cancelled, expired
            cells = colours(oid)
            assert cells.pop("status") == status_colour, oid
            assert all(colour == grey for colour in cells.values()), (oid, cells)  # the whole row greyed
        for oid in ("1", "2", "6"):  # working and filled orders look live
            cells = colours(oid)
            assert cells["side"] == gain_color() and cells["symbol"] is None and cells["status"] is None, oid
        assert muted_color() != red and (QApplication.palette().base().color().lightness() < 128) == (theme == "dark")

        qtbot.mouseClick(panel.working_button, LEFT)  # Working: the closed ones go
        assert sorted(o.order_id for o in panel.proxy.visible_rows()) == ["1", "2", "7"]
        qtbot.mouseClick(panel.all_button, LEFT)
        assert len(panel.proxy.visible_rows()) == len(rows)
    finally:
        apply_theme(qapp, "dark")


# ---------------------------------------------------- saved header states
def legacy_state(*, move_symbol_first: bool, hidden: tuple[str, ...] = (), widths: dict[str, int] | None = None,
                 sort: tuple[str, Qt.SortOrder] | None = None) -> bytes:
    """A header state as the version before this column order saved it: its column
    ids, then Qt's state of a header over those columns."""
    ids = list(ORDER_COLUMNS_BEFORE_ISSUE_11)
    view = QTableView()
    model = QStandardItemModel(0, len(ids))
    view.setModel(model)
    hh = view.horizontalHeader()
    view.setSortingEnabled(True)
    if move_symbol_first:
        hh.moveSection(hh.visualIndex(ids.index("symbol")), 0)
    for column_id in ("occ", "connection") + hidden:  # one connection: its column hidden, as the app left it
        hh.setSectionHidden(ids.index(column_id), True)
    for column_id, width in (widths or {}).items():
        hh.resizeSection(ids.index(column_id), width)
    if sort is not None:
        hh.setSortIndicator(ids.index(sort[0]), sort[1])
    state = b"columns:" + ",".join(ids).encode() + b"\n" + bytes(hh.saveState().data())
    view.setModel(None)  # the view and the model are Python's: freed on return
    return state


def test_a_layout_saved_before_this_order_keeps_every_column_in_its_place(qtbot):
    panel = shown(qtbot, OrdersPanel(), 1400)
    panel.stage(busy_day())
    panel.model.flush()
    state = legacy_state(move_symbol_first=True, hidden=("message",), widths={"quantity": 137, "status": 151},
                         sort=("quantity", Qt.SortOrder.AscendingOrder))
    assert panel.restore_header_state(state) is True
    hh = panel.view.horizontalHeader()
    index = panel.model.column_index
    # the user's order of the columns both versions have; Limit/Stop (new) after Type, as by default
    assert visual_ids(panel) == ["symbol", "time", "account", "side", "type", "limit_stop", "quantity", "filled",
                                 "remaining", "avg_price", "tif", "status", "order_id"]
    assert hh.isSectionHidden(index("message"))  # the user's choice
    assert hh.isSectionHidden(index("limit")) and hh.isSectionHidden(index("stop"))  # hidden by default now
    assert hh.sectionSize(index("quantity")) == 137 and hh.sectionSize(index("status")) == 151  # widths by id
    assert hh.sortIndicatorSection() == index("quantity") and hh.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert column(panel, "quantity") == sorted(column(panel, "quantity"), key=lambda q: float(q.replace(",", "")))
    assert column(panel, "status")[0] in {"Accepted", "Partially filled", "Rejected", "Cancelled", "Expired", "Filled"}

    saved = panel.header_state()  # saved again: today's columns, restored as is
    other = shown(qtbot, OrdersPanel(), 1400)
    assert other.restore_header_state(saved) and visual_ids(other) == visual_ids(panel)


def test_a_layout_the_user_never_rearranged_gets_the_new_order(qtbot):
    panel = shown(qtbot, OrdersPanel(), 1400)
    state = legacy_state(move_symbol_first=False, hidden=("tif",), widths={"account": 150},
                         sort=("time", Qt.SortOrder.DescendingOrder))
    assert panel.restore_header_state(state) is True
    index = panel.model.column_index
    assert visual_ids(panel) == ["time", "account", "symbol", "side", "quantity", "type", "limit_stop", "status",
                                 "filled", "avg_price", "message", "remaining", "order_id"]
    assert panel.view.horizontalHeader().sectionSize(index("account")) == 150
    assert panel.restore_header_state(b"columns:time,symbol\n" + QByteArray(b"junk").data()) is False  # not a set it knew


# ------------------------------------------------------------------ row menu
def _action(menu, name: str) -> QAction:
    action = menu.findChild(QAction, name)
    assert action is not None, name
    return action


def menu_at(panel, oid: str):
    row = next(r for r, o in enumerate(panel.proxy.visible_rows()) if o.order_id == oid)
    return panel.build_context_menu(panel.proxy.index(row, 0))


def test_cancel_all_for_the_symbol_names_them_and_sends_the_working_ones(qtbot):
    labels = labels_for("paper", "ibkr")
    panel = shown(qtbot, OrdersPanel(labels), 1400)
    working = [order("11", symbol="MSFT"), order("12", OrderStatus.PARTIALLY_FILLED, symbol="MSFT", filled="10"),
               order("13", symbol="MSFT", cid="ibkr", account="DU1")]
    panel.stage(working + [order("14", OrderStatus.FILLED, symbol="MSFT", filled="100"), order("15", symbol="AAPL")])
    panel.model.flush()
    menu = menu_at(panel, "14")  # from a filled MSFT order too
    action = _action(menu, "cancelSymbolOrdersAction")
    assert action.text() == "Cancel all 3 working MSFT orders" and action.isEnabled()
    assert _action(menu, "modifyOrderAction").text() == "Modify order… (double-click)"
    with qtbot.waitSignal(panel.cancelAllRequested) as sent:
        action.trigger()
    symbol, orders = sent.args
    assert symbol == "MSFT" and sorted(o.order_id for o in orders) == ["11", "12", "13"]

    panel.set_connection_filter("ibkr")  # the filter says which connections' orders
    menu = menu_at(panel, "13")
    assert _action(menu, "cancelSymbolOrdersAction").text() == "Cancel all working MSFT orders"
    labels.set_stale({"ibkr": True})  # a disconnected connection's orders cannot be cancelled
    menu = menu_at(panel, "13")
    assert not _action(menu, "cancelSymbolOrdersAction").isEnabled()
    labels.deleteLater()


def test_double_click_and_the_menu_modify_the_same_order(qtbot):
    panel = shown(qtbot, OrdersPanel(), 1400)
    panel.stage([order("21"), order("22", OrderStatus.CANCELED)])
    panel.model.flush()
    rect = panel.view.visualRect(panel.proxy.index(0, panel.model.column_index("symbol")))
    with qtbot.waitSignal(panel.modifyRequested) as by_click:
        qtbot.mouseClick(panel.view.viewport(), LEFT, pos=rect.center())
        qtbot.mouseDClick(panel.view.viewport(), LEFT, pos=rect.center())
    with qtbot.waitSignal(panel.modifyRequested) as by_menu:
        _action(menu_at(panel, "21"), "modifyOrderAction").trigger()
    assert by_click.args == by_menu.args and by_menu.args[0].order_id == "21"
    assert not _action(menu_at(panel, "22"), "modifyOrderAction").isEnabled()


def _accounts_state(ids, *, hide=(), move=None, cash_width=133) -> bytes:
    """A header state saved for the accounts columns ``ids`` (``move``: (from, to) visual)."""
    view, model = QTableView(), QStandardItemModel(0, len(ids))
    view.setModel(model)
    hh = view.horizontalHeader()
    for column in hide:
        hh.setSectionHidden(ids.index(column), True)
    hh.resizeSection(ids.index("cash"), cash_width)
    if move is not None:
        hh.moveSection(*move)
    state = b"columns:" + ",".join(ids).encode() + b"\n" + bytes(hh.saveState().data())
    view.setModel(None)
    return state


def test_the_accounts_layout_saved_before_currency_moved_maps_by_id(qtbot):
    from desktop.ui.tables import AccountsPanel
    from desktop.ui.tables.definitions import ACCOUNT_COLUMNS_BEFORE_ISSUE_11, ACCOUNT_COLUMNS_ISSUE_11

    today = ["account", "name", "role", "currency", "cash", "buying_power", "net_liquidation", "unrealized_pnl",
             "realized_pnl"]
    panel = shown(qtbot, AccountsPanel(), 1200)  # before issue 11: today's order again, restored as saved
    assert panel.restore_header_state(_accounts_state(list(ACCOUNT_COLUMNS_BEFORE_ISSUE_11), hide=["connection"]))
    assert visual_ids(panel) == today
    assert panel.view.columnWidth(panel.model.column_index("cash")) == 133

    ids = list(ACCOUNT_COLUMNS_ISSUE_11)  # Currency after the figures, never moved: it comes next to them
    panel = shown(qtbot, AccountsPanel(), 1200)
    assert panel.restore_header_state(_accounts_state(ids, hide=["connection"], cash_width=141))
    assert visual_ids(panel) == today
    assert panel.view.columnWidth(panel.model.column_index("cash")) == 141

    panel = shown(qtbot, AccountsPanel(), 1200)  # a user who moved Name to the end keeps that order
    assert panel.restore_header_state(_accounts_state(ids, hide=["connection"], move=(ids.index("name"), len(ids) - 1)))
    assert visual_ids(panel) == ["account", "role", "cash", "buying_power", "net_liquidation", "unrealized_pnl",
                                 "realized_pnl", "currency", "name"]
