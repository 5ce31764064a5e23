"""Blotter tables: keyed batch models, formatting, proxies and panels (pytest-qt, offscreen)."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QSignalSpy

from desktop.domain import (
    Account,
    Balance,
    Fill,
    Instrument,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    Position,
    Quote,
)
from desktop.ui.tables import (
    AccountsPanel,
    FillsPanel,
    KeyedTableModel,
    OrdersPanel,
    PositionsPanel,
    RowObjectRole,
    SortRole,
    WatchlistPanel,
)
from desktop.ui.tables.columns import gain_color, loss_color
from desktop.ui.tables.definitions import fills_model, position_columns, positions_model
from desktop.ui.tables.formatting import (
    enum_label,
    fmt_int,
    fmt_money,
    fmt_pct,
    fmt_pnl,
    fmt_price,
    fmt_qty,
    fmt_time,
    sort_value,
)
from desktop.ui.tables.model import contiguous_ranges

T0 = datetime(2026, 5, 8, 14, 30, tzinfo=timezone.utc)
DISPLAY = Qt.ItemDataRole.DisplayRole


# ---------------------------------------------------------------------- helpers
def order(oid: str, status: OrderStatus = OrderStatus.ACCEPTED, *, symbol: str = "AAPL", amount: str = "100",
          filled: str = "0", minutes: int = 0, side: OrderSide = OrderSide.BUY, account: str = "DU1") -> Order:
    return Order(
        broker="paper", connection_id="paper-1", account_id=account, order_id=oid, instrument=Instrument.equity(symbol), side=side,
        type=OrderType.LIMIT, amount=D(amount), filled=D(filled), limit_price=D("101.5"), status=status,
        created_at=T0 + timedelta(minutes=minutes), updated_at=T0 + timedelta(minutes=minutes),
    )


def position(symbol: str, qty: str, avg: str = "10", last: str | None = None, account: str = "DU1") -> Position:
    p = Position(broker="paper", connection_id="paper-1", account_id=account, instrument=Instrument.equity(symbol), quantity=D(qty), average_price=D(avg))
    return p.marked(D(last)) if last is not None else p


def fill(fid: str, minutes: int, price: str = "100", amount: str = "10") -> Fill:
    return Fill(broker="paper", connection_id="paper-1", account_id="DU1", fill_id=fid, order_id=f"O{fid}", instrument=Instrument.equity("MSFT"),
                side=OrderSide.SELL, amount=D(amount), price=D(price), commission=D("1.25"),
                timestamp=T0 + timedelta(minutes=minutes))


def shown(panel, column_id: str) -> list[str]:
    """Display texts of one column, in view (proxy) order."""
    col = panel.model.column_index(column_id)
    return [panel.proxy.index(r, col).data(DISPLAY) for r in range(panel.proxy.rowCount())]


def click_header(qtbot, panel, column_id: str) -> None:
    hh = panel.view.horizontalHeader()
    section = panel.model.column_index(column_id)
    x = hh.sectionViewportPosition(section) + hh.sectionSize(section) // 2
    qtbot.mouseClick(hh.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, hh.height() // 2))


@pytest.fixture
def orders_panel(qtbot):
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


# ------------------------------------------------------------------- formatting
def test_formatting_helpers():
    assert fmt_price(D("512.3")) == "512.30"
    assert fmt_price(D("512.3000")) == "512.30"
    assert fmt_price(D("0.1234")) == "0.1234"
    assert fmt_price(D("0.123456")) == "0.1235"
    assert fmt_price(D("1234.5")) == "1,234.50"
    assert fmt_price(0.1) == "0.10"
    assert fmt_qty(D("1500.000")) == "1,500"
    assert fmt_qty(D("0.50")) == "0.5"
    assert fmt_qty(D("-200")) == "-200"
    assert fmt_qty(D("1E+3")) == "1,000"
    assert fmt_money(D("1234567.8")) == "1,234,567.80"
    assert fmt_pnl(D("1234.5")) == "+1,234.50"
    assert fmt_pnl(D("-12")) == "-12.00"
    assert fmt_pnl(D("-0.001")) == "0.00"
    assert fmt_pct(D("1.2345")) == "+1.23%"
    assert fmt_pct(D("-0.5"), signed=False) == "-0.50%"
    assert fmt_int(D("12345678")) == "12,345,678"
    for f in (fmt_price, fmt_qty, fmt_money, fmt_pnl, fmt_pct, fmt_int):
        assert f(None) == ""
    assert enum_label(OrderStatus.PARTIALLY_FILLED) == "Partially filled"
    assert enum_label(OrderSide.SELL) == "SELL"
    assert enum_label(OrderType.STOP_LIMIT) == "Stop limit"


def test_fmt_time_local_and_date_when_not_today():
    local = T0.astimezone()
    assert fmt_time(T0, today=local.date()) == local.strftime("%H:%M:%S")
    assert fmt_time(T0, today=date(2030, 1, 1)) == local.strftime("%Y-%m-%d %H:%M:%S")
    assert fmt_time(None) == ""


def test_sort_value_is_natively_comparable():
    assert sort_value(D("9")) < sort_value(D("10")) < sort_value(D("100"))
    assert isinstance(sort_value(D("1.5")), float)
    assert sort_value(T0) == T0.timestamp()
    assert sort_value(None) is None
    assert contiguous_ranges([7, 1, 3, 2, 9, 8]) == [(1, 3), (7, 9)]


# ----------------------------------------------------------------------- model
def test_stage_is_batched_until_flush(qtbot):
    model = fills_model(flush_interval_ms=10_000)
    inserted, changed = QSignalSpy(model.rowsInserted), QSignalSpy(model.dataChanged)
    for i in range(1000):
        model.stage([fill(str(i), i)])
    assert model.rowCount() == 0 and model.has_pending()
    model.flush()
    assert model.rowCount() == 1000
    assert inserted.count() == 1 and changed.count() == 0
    for i in range(1000):
        model.stage([fill(str(i), i, price="200")])
    model.flush()
    assert inserted.count() == 1
    assert changed.count() == 1  # one contiguous block
    assert model.index(999, model.column_index("price")).data() == "200.00"


def test_timer_flushes_staged_rows(qtbot):
    model = positions_model(flush_interval_ms=20)
    with qtbot.waitSignal(model.flushed, timeout=2000):
        model.stage([position("AAPL", "10")])
        model.stage([position("MSFT", "5")])
        assert model.rowCount() == 0
    assert [p.symbol for p in model.rows()] == ["AAPL", "MSFT"]


def test_upsert_replaces_in_place_by_key(qtbot):
    model = positions_model()
    model.stage([position(s, "1") for s in ("A", "B", "C")])
    model.flush()
    changed = QSignalSpy(model.dataChanged)
    model.stage([position("B", "7", last="12")])
    model.flush()
    assert [p.symbol for p in model.rows()] == ["A", "B", "C"]
    assert model.rowCount() == 3 and changed.count() == 1
    qty = model.column_index("quantity")
    assert model.index(1, qty).data() == "7"
    assert model.index(1, 0).data(RowObjectRole).quantity == D(7)
    assert model.position(("paper-1", "DU1", "B")) == 1


def test_changed_rows_emit_one_datachanged_per_block(qtbot):
    model = positions_model()
    model.stage([position(f"S{i}", "1") for i in range(10)])
    model.flush()
    spans = []
    model.dataChanged.connect(lambda tl, br, roles=(): spans.append((tl.row(), br.row(), tl.column(), br.column())))
    model.stage([position(f"S{i}", "2") for i in (1, 2, 3, 7)])
    model.flush()
    last = model.columnCount() - 1
    assert spans == [(1, 3, 0, last), (7, 7, 0, last)]


def test_remove_many_and_restage(qtbot):
    model = positions_model()
    model.stage([position(f"S{i}", "1") for i in range(6)])
    model.flush()
    removed = QSignalSpy(model.rowsRemoved)
    model.remove_many([("paper-1", "DU1", "S1"), ("paper-1", "DU1", "S2"), ("paper-1", "DU1", "S4"), ("nope",)])
    model.flush()
    assert [p.symbol for p in model.rows()] == ["S0", "S3", "S5"]
    assert removed.count() == 2  # blocks 1..2 and 4
    assert model.position(("paper-1", "DU1", "S5")) == 2
    model.remove_many([("paper-1", "DU1", "S0")])
    model.stage([position("S0", "9")])  # staged after the removal: the row stays
    model.flush()
    assert model.get(("paper-1", "DU1", "S0")).quantity == D(9)


def test_reset_and_max_rows(qtbot):
    model = fills_model(max_rows=5)
    model.stage([fill(str(i), i) for i in range(8)])
    model.flush()
    assert [f.fill_id for f in model.rows()] == ["3", "4", "5", "6", "7"]
    reset = QSignalSpy(model.modelReset)
    model.reset([fill("x", 0)])
    model.flush()
    assert reset.count() == 1 and [f.fill_id for f in model.rows()] == ["x"]


def test_roles_alignment_colour_and_sort(qtbot):
    model = KeyedTableModel(position_columns())
    model.stage([position("WIN", "10", avg="10", last="12"), position("LOSS", "10", avg="10", last="9"),
                 position("FLAT", "10", avg="10", last="10")])
    model.flush()
    upnl, sym = model.column_index("unrealized_pnl"), model.column_index("symbol")
    assert model.index(0, upnl).data() == "+20.00"
    assert QColor(model.index(0, upnl).data(Qt.ItemDataRole.ForegroundRole)) == gain_color()
    assert QColor(model.index(1, upnl).data(Qt.ItemDataRole.ForegroundRole)) == loss_color()
    assert model.index(2, upnl).data(Qt.ItemDataRole.ForegroundRole) is None
    align = Qt.AlignmentFlag(model.index(0, upnl).data(Qt.ItemDataRole.TextAlignmentRole))
    assert align & Qt.AlignmentFlag.AlignRight
    assert Qt.AlignmentFlag(model.index(0, sym).data(Qt.ItemDataRole.TextAlignmentRole)) & Qt.AlignmentFlag.AlignLeft
    assert model.index(1, upnl).data(SortRole) == -10.0
    assert model.headerData(upnl, Qt.Orientation.Horizontal).strip() == "Unrealized P&L"


# ---------------------------------------------------------------------- panels
def test_header_click_sorts_numerically(qtbot):
    panel = PositionsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    qtbot.waitExposed(panel)
    panel.stage([position("A", "100"), position("B", "9"), position("C", "10"), position("D", "-5")])
    panel.model.flush()
    assert shown(panel, "quantity") == ["100", "9", "10", "-5"]  # insertion order
    click_header(qtbot, panel, "quantity")
    first = shown(panel, "quantity")
    click_header(qtbot, panel, "quantity")
    second = shown(panel, "quantity")
    assert sorted([first, second]) == [["-5", "9", "10", "100"], ["100", "10", "9", "-5"]]
    assert panel.view.horizontalHeader().sortIndicatorSection() == panel.model.column_index("quantity")


def test_orders_newest_first_and_working_filter(qtbot, orders_panel):
    p = orders_panel
    p.stage([order("1", OrderStatus.FILLED, filled="100", minutes=1), order("2", OrderStatus.ACCEPTED, minutes=3),
             order("3", OrderStatus.CANCELED, minutes=2, symbol="MSFT"), order("4", OrderStatus.SUBMITTED, minutes=4, symbol="MSFT")])
    p.model.flush()
    assert shown(p, "order_id") == ["4", "2", "3", "1"]
    qtbot.mouseClick(p.working_button, Qt.MouseButton.LeftButton)
    assert p.working_only and shown(p, "order_id") == ["4", "2"]
    p.filter_edit.setText("msft")
    assert shown(p, "order_id") == ["4"]
    qtbot.mouseClick(p.all_button, Qt.MouseButton.LeftButton)
    assert not p.working_only and shown(p, "order_id") == ["4", "3"]
    p.filter_edit.clear()
    p.set_working_only(True)
    assert p.working_button.isChecked()
    # an update that closes an order removes it from the Working view
    p.stage([order("2", OrderStatus.FILLED, filled="100", minutes=3)])
    p.model.flush()
    assert shown(p, "order_id") == ["4"]


def test_cancel_menu_for_working_and_filled_orders(qtbot, orders_panel):
    p = orders_panel
    working, filled = order("W", OrderStatus.PARTIALLY_FILLED, filled="40", minutes=2), order("F", OrderStatus.FILLED, filled="100")
    p.stage([working, filled])
    p.model.flush()
    menu = p.build_context_menu(p.proxy.index(0, 0))  # newest first: W
    cancel = menu.findChild(type(menu.actions()[0]), "cancelOrderAction")
    assert cancel.isEnabled()
    with qtbot.waitSignal(p.cancelRequested, timeout=1000) as blocker:
        cancel.trigger()
    assert blocker.args == [working]
    menu = p.build_context_menu(p.proxy.index(1, 0))
    actions = {a.objectName(): a for a in menu.actions()}
    assert not actions["cancelOrderAction"].isEnabled()
    assert not actions["modifyOrderAction"].isEnabled()
    assert actions["exportCsvAction"].isEnabled()


def test_cancel_uses_latest_version_of_order(qtbot, orders_panel):
    p = orders_panel
    p.stage([order("W", OrderStatus.ACCEPTED)])
    p.model.flush()
    menu = p.build_context_menu(p.proxy.index(0, 0))
    actions = {a.objectName(): a for a in menu.actions()}
    p.stage([order("W", OrderStatus.FILLED, filled="100")])  # fills while the menu is open
    p.model.flush()
    spy = QSignalSpy(p.cancelRequested)
    actions["cancelOrderAction"].trigger()
    assert spy.count() == 0


def dclick(qtbot, view, pos) -> None:
    """A real double-click: QTest.mouseDClick alone sends only the DblClick event, but
    QAbstractItemView acts on it only for the index of the preceding press."""
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_double_click_working_order_requests_modify(qtbot, orders_panel):
    p = orders_panel
    p.stage([order("W", OrderStatus.ACCEPTED, minutes=5), order("F", OrderStatus.FILLED, filled="100")])
    p.model.flush()
    view = p.view
    rect = view.visualRect(p.proxy.index(0, p.model.column_index("symbol")))
    with qtbot.waitSignal(p.modifyRequested, timeout=1000) as blocker:
        dclick(qtbot, view, rect.center())
    assert blocker.args[0].order_id == "W"
    spy = QSignalSpy(p.modifyRequested)
    activated = QSignalSpy(p.activated)
    rect = view.visualRect(p.proxy.index(1, p.model.column_index("symbol")))
    dclick(qtbot, view, rect.center())
    assert activated.count() == 1 and spy.count() == 0


def test_export_csv_through_menu(qtbot, orders_panel, tmp_path):
    p = orders_panel
    p.stage([order("1", OrderStatus.ACCEPTED, amount="1500", minutes=1), order("2", OrderStatus.FILLED, filled="20", amount="20", minutes=2)])
    p.model.flush()
    target = tmp_path / "orders.csv"
    p.ask_export_path = lambda: str(target)
    menu = p.build_context_menu(None)
    with qtbot.waitSignal(p.exported, timeout=1000):
        next(a for a in menu.actions() if a.objectName() == "exportCsvAction").trigger()
    with open(target, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    assert header[:3] == ["Time", "Account/Group", "Symbol"] and "Order ID" in header
    assert "Connection" not in header  # one connection: its column is hidden (tests/ui/test_tables_connections.py)
    assert [r[header.index("Order ID")] for r in rows[1:]] == ["2", "1"]  # view order: newest first
    assert rows[2][header.index("Qty")] == "1500"  # no thousands separator
    assert rows[1][header.index("Status")] == "Filled"
    assert rows[1][0] == (T0 + timedelta(minutes=2)).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    # hidden columns and the working filter are honoured
    p.view.horizontalHeader().setSectionHidden(p.model.column_index("message"), True)
    p.set_working_only(True)
    assert p.export_csv(target) == 1
    with open(target, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert "Message" not in rows[0] and len(rows) == 2


def test_header_state_roundtrip(qtbot):
    a = FillsPanel()
    qtbot.addWidget(a)
    hh = a.view.horizontalHeader()
    hh.setSectionHidden(a.model.column_index("commission"), True)
    hh.resizeSection(0, 181)
    a.view.sortByColumn(a.model.column_index("price"), Qt.SortOrder.AscendingOrder)
    state = a.header_state()
    assert isinstance(state, bytes) and state
    b = FillsPanel()
    qtbot.addWidget(b)
    assert b.restore_header_state(state)
    hb = b.view.horizontalHeader()
    assert hb.isSectionHidden(b.model.column_index("commission")) and hb.sectionSize(0) == 181
    b.stage([fill("1", 0, price="30"), fill("2", 1, price="4")])
    b.model.flush()
    assert shown(b, "price") == ["4.00", "30.00"]
    assert not b.restore_header_state(b"garbage")


def test_fills_newest_first_and_columns_fit_on_first_fill(qtbot):
    panel = FillsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    qtbot.waitExposed(panel)
    default = panel.view.horizontalHeader().defaultSectionSize()
    panel.stage([fill(str(i), i, price=str(10 ** i)) for i in range(5)])
    panel.model.flush()
    assert shown(panel, "time")[0] == fmt_time(T0 + timedelta(minutes=4))
    assert shown(panel, "value")[0] == "100,000.00"
    assert panel.view.columnWidth(panel.model.column_index("side")) < default  # fitted, not Qt's default


def test_accounts_join_accounts_and_balances(qtbot):
    panel = AccountsPanel()
    qtbot.addWidget(panel)
    acct = Account(broker="ibkr", connection_id="ibkr-1", account_id="U1", name="Margin", currency="USD")
    panel.stage([acct, Account(broker="paper", connection_id="paper-1", account_id="P1", name="Paper")])
    panel.model.flush()
    assert shown(panel, "name") == ["Margin", "Paper"] and shown(panel, "cash") == ["", ""]
    panel.stage([Balance(broker="ibkr", connection_id="ibkr-1", account_id="U1", currency="EUR", cash=D("1000"), buying_power=D("4000"),
                         unrealized_pnl=D("-5"))])
    panel.model.flush()
    assert shown(panel, "account") == ["P1", "U1"] or shown(panel, "account") == ["U1", "P1"]
    row = next(r for r in panel.model.rows() if r.account_id == "U1")
    assert row.currency == "EUR" and row.name == "Margin"
    col = panel.model.column_index("cash")
    assert panel.model.index(panel.model.position(row.key), col).data() == "1,000.00"
    panel.stage([acct.model_copy(update={"name": "Renamed"})])
    panel.model.flush()
    assert panel.model.get(("ibkr-1", "U1", "EUR")).name == "Renamed"
    panel.remove_account("ibkr-1", "U1")
    panel.model.flush()
    assert [r.account_id for r in panel.model.rows()] == ["P1"]


def test_watchlist_symbols_and_change_colour(qtbot):
    panel = WatchlistPanel()
    qtbot.addWidget(panel)
    panel.set_symbols(["aapl", "MSFT", "NVDA"])
    panel.model.flush()
    assert panel.symbols() == ["AAPL", "MSFT", "NVDA"]
    panel.stage([Quote(symbol="MSFT", last=D("410"), prev_close=D("400"), bid=D("409.99"), ask=D("410.01"), volume=D("1234567"))])
    panel.set_symbols(["MSFT", "NVDA", "TSLA"])
    panel.model.flush()
    assert panel.symbols() == ["MSFT", "NVDA", "TSLA"]
    m = panel.model
    assert [m.index(0, m.column_index(c)).data() for c in ("last", "change", "change_pct", "volume")] == [
        "410.00", "+10.00", "+2.50%", "1.23M"]
    assert QColor(m.index(0, m.column_index("change")).data(Qt.ItemDataRole.ForegroundRole)) == gain_color()


def test_copy_selection_to_clipboard(qtbot, orders_panel, qapp):
    p = orders_panel
    p.stage([order("1", minutes=1, amount="2500")])
    p.model.flush()
    p.view.selectRow(0)
    p.copy_selection()
    text = qapp.clipboard().text()
    assert "2500" in text.split("\t") and text.split("\t")[-1] == "1"


def test_header_menu_hides_columns(qtbot, orders_panel):
    menu = orders_panel.build_header_menu()
    act = next(a for a in menu.actions() if a.objectName() == "column_message")
    assert act.isChecked()
    act.setChecked(False)
    col = orders_panel.model.column_index("message")
    assert orders_panel.view.horizontalHeader().isSectionHidden(col)
    assert col not in orders_panel.visible_columns()
