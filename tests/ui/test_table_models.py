"""The blotter tables: keyed batch-updated models, sort/filter proxies and panels (pytest-qt, offscreen).

Models are driven through ``stage()`` / ``remove_many()`` / ``reset()`` and their
batching timer; panels through their widgets (header clicks, tool buttons, the filter
box, double-clicks) and the context menu built for a row.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QToolButton

from desktop.domain import Fill, Instrument, Order, OrderSide, OrderStatus, OrderType, Position, Quote
from desktop.ui.tables import FillsPanel, OrdersPanel, PositionsPanel, WatchlistPanel
from desktop.ui.tables.columns import ALIGN_LEFT, ALIGN_RIGHT, gain_color, loss_color
from desktop.ui.tables.definitions import HIDDEN_BY_DEFAULT, fills_model, orders_model
from desktop.ui.tables.formatting import (
    EMPTY,
    fmt_int,
    fmt_money,
    fmt_pct,
    fmt_pnl,
    fmt_price,
    fmt_qty,
    fmt_text,
    fmt_time,
    fmt_timestamp,
    set_number_format,
    sort_value,
)
from desktop.ui.tables.model import DEFAULT_FLUSH_MS, MAX_CHANGED_RANGES

T0 = datetime(2026, 5, 11, 14, 30, tzinfo=timezone.utc)
DISPLAY = Qt.ItemDataRole.DisplayRole
LEFT = Qt.MouseButton.LeftButton
_INSTRUMENTS: dict[str, Instrument] = {}


def instrument(symbol: str) -> Instrument:
    if symbol not in _INSTRUMENTS:
        _INSTRUMENTS[symbol] = Instrument.equity(symbol)
    return _INSTRUMENTS[symbol]


def order(n: int, symbol: str = "AAPL", *, status: OrderStatus = OrderStatus.ACCEPTED, amount: str = "100",
          filled: str | None = None, minute: int | None = None, account: str = "A1") -> Order:
    """Order ``O<n>``, created ``minute`` (default ``n``) minutes after T0."""
    amt = D(amount)
    if filled is None:
        filled = amount if status is OrderStatus.FILLED else "0"
    created = T0 + timedelta(minutes=n if minute is None else minute)
    return Order(broker="paper", account_id=account, order_id=f"O{n:05d}", instrument=instrument(symbol),
                 side=OrderSide.BUY, type=OrderType.LIMIT, amount=amt, filled=D(filled), limit_price=D("100.25"),
                 status=status, created_at=created, updated_at=created)


def fill(n: int, symbol: str = "AAPL", *, minute: int | None = None) -> Fill:
    return Fill(broker="paper", account_id="A1", fill_id=f"F{n:05d}", order_id=f"O{n:05d}", instrument=instrument(symbol),
                side=OrderSide.SELL, amount=D(10), price=D("101.5"), timestamp=T0 + timedelta(minutes=n if minute is None else minute))


class Spy:
    """Records a KeyedTableModel's change signals as tuples, in emission order."""

    def __init__(self, model) -> None:
        self.events: list[tuple] = []
        model.rowsInserted.connect(lambda _p, a, b: self.events.append(("inserted", a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.events.append(("removed", a, b)))
        model.dataChanged.connect(
            lambda tl, br, _roles=(): self.events.append(("changed", tl.row(), br.row(), tl.column(), br.column())))
        model.modelReset.connect(lambda: self.events.append(("reset",)))
        model.flushed.connect(lambda: self.events.append(("flushed",)))

    def of(self, kind: str) -> list[tuple]:
        return [e for e in self.events if e[0] == kind]

    def count(self, kind: str) -> int:
        return len(self.of(kind))


@pytest.fixture(autouse=True)
def _default_number_format():
    set_number_format()
    yield
    set_number_format()


@pytest.fixture
def show(qtbot):
    """Create a panel, show it (1400x500) and wait until it is exposed."""

    def _show(cls):
        panel = cls()
        qtbot.addWidget(panel)
        panel.resize(1400, 500)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    return _show


def cell(panel, proxy_row: int, column_id: str, role=DISPLAY):
    return panel.proxy.index(proxy_row, panel.model.column_index(column_id)).data(role)


def column_texts(panel, column_id: str) -> list[str]:
    return [cell(panel, r, column_id) for r in range(panel.proxy.rowCount())]


def order_ids(panel) -> list[str]:
    return [o.order_id for o in panel.proxy.visible_rows()]


def proxy_row_of(panel, key) -> int:
    src = panel.model.index(panel.model.position(key), 0)
    return panel.proxy.mapFromSource(src).row()


def click_header(qtbot, panel, column_id: str) -> None:
    """A left click in the middle of a column's header section."""
    hh = panel.view.horizontalHeader()
    c = panel.model.column_index(column_id)
    x = hh.sectionViewportPosition(c) + hh.sectionSize(c) // 2
    assert 0 <= x < hh.viewport().width(), f"section {column_id} not in view"
    qtbot.mouseClick(hh.viewport(), LEFT, pos=QPoint(x, hh.height() // 2))


# ------------------------------------------------------------------- batching
def test_a_burst_of_stage_calls_is_applied_in_one_flush(qtbot):
    model = orders_model()
    spy = Spy(model)
    assert model.flush_interval_ms == DEFAULT_FLUSH_MS
    first = [order(n % 200, status=OrderStatus.PARTIALLY_FILLED, filled=str(n // 200 * 10)) for n in range(1000)]
    for o in first:  # 1000 calls, 200 orders in 5 versions each
        model.stage([o])
    assert model.rowCount() == 0 and model.has_pending()
    assert spy.events == []

    with qtbot.waitSignal(model.flushed, timeout=2000):  # the batching timer fires
        pass
    assert model.rowCount() == 200 and not model.has_pending()
    assert spy.events == [("inserted", 0, 199), ("flushed",)]
    assert all(model.get(o.key).filled == D(40) for o in first[-200:])  # the latest of the 5 versions

    # A second burst that only changes known orders: no inserts, one block of changes.
    spy.events.clear()
    second = [order(n % 200, status=OrderStatus.PARTIALLY_FILLED, filled=str(50 + n // 200 * 10)) for n in range(1000)]
    for o in second:
        model.stage([o])
    assert spy.events == [] and model.get(second[0].key).filled == D(40)
    with qtbot.waitSignal(model.flushed, timeout=2000):
        pass
    assert spy.events == [("changed", 0, 199, 0, model.columnCount() - 1), ("flushed",)]
    assert model.rowCount() == 200
    assert [o.filled for o in model.rows()] == [D(90)] * 200
    status = model.column_index("status")
    assert model.index(7, status).data() == "Partially filled"
    assert "Partially filled 90/100" in model.index(7, status).data(Qt.ItemDataRole.ToolTipRole)


def test_scattered_changes_are_grouped_into_few_data_changed(qtbot):
    model = orders_model()
    model.stage(order(n) for n in range(200))
    model.flush()
    spy = Spy(model)
    model.stage([order(n, amount="300") for n in (3, 4, 5, 50, 120)])
    model.flush()
    last = model.columnCount() - 1
    assert spy.of("changed") == [("changed", 3, 5, 0, last), ("changed", 50, 50, 0, last), ("changed", 120, 120, 0, last)]

    # More separate blocks than MAX_CHANGED_RANGES: one dataChanged spanning them all.
    spy.events.clear()
    model.stage([order(n, amount="400") for n in range(0, 200, 2)])
    model.flush()
    assert len(range(0, 200, 2)) > MAX_CHANGED_RANGES
    assert spy.of("changed") == [("changed", 0, 198, 0, last)]
    assert model.get(order(198).key).amount == D(400) and model.get(order(199).key).amount == D(100)
    assert model.get(order(3).key).amount == D(300)


def test_upsert_updates_the_row_in_place_by_key(qtbot):
    model = orders_model()
    model.stage([order(1), order(2), order(3)])
    model.flush()
    keys = model.keys()
    spy = Spy(model)
    filled = model.column_index("filled")
    assert model.index(1, filled).data() == "0"

    model.stage([order(2, status=OrderStatus.PARTIALLY_FILLED, filled="40")])
    model.flush()
    assert model.rowCount() == 3 and model.keys() == keys
    assert spy.events == [("changed", 1, 1, 0, model.columnCount() - 1), ("flushed",)]
    assert model.index(1, filled).data() == "40"
    assert model.index(1, model.column_index("remaining")).data() == "60"
    assert model.get(order(2).key).status is OrderStatus.PARTIALLY_FILLED

    # flush() with nothing staged does nothing
    spy.events.clear()
    model.flush()
    assert spy.events == []


def test_remove_many_removes_rows_in_blocks_and_ignores_unknown_keys(qtbot):
    model = orders_model()
    model.stage(order(n) for n in range(6))
    model.flush()
    spy = Spy(model)
    model.remove_many([order(1).key, order(2).key, order(4).key, ("paper", "A1", "unknown")])
    model.flush()
    assert [k[2] for k in model.keys()] == ["O00000", "O00003", "O00005"]
    assert sorted(spy.of("removed")) == [("removed", 1, 2), ("removed", 4, 4)]
    assert model.position(order(5).key) == 2 and model.get(order(4).key) is None
    assert model.index(2, model.column_index("order_id")).data() == "O00005"

    # remove then re-stage in the same batch: the row stays, with the new version
    model.remove_many([order(3).key])
    model.stage([order(3, amount="7")])
    model.flush()
    assert model.get(order(3).key).amount == D(7) and len(model) == 3


def test_reset_replaces_everything_and_drops_earlier_staged_changes(qtbot):
    model = orders_model()
    model.stage(order(n) for n in range(5))
    model.flush()
    spy = Spy(model)
    model.stage([order(9)])
    model.reset([order(20), order(21)])
    assert len(model) == 5  # not before the flush
    model.flush()
    assert spy.events == [("reset",), ("flushed",)]
    assert [k[2] for k in model.keys()] == ["O00020", "O00021"]
    assert model.position(order(0).key) is None and model.position(order(21).key) == 1
    model.clear()
    model.flush()
    assert model.rowCount() == 0


def test_fills_model_keeps_only_the_newest_rows_beyond_max_rows(qtbot):
    model = fills_model(max_rows=3)
    model.stage(fill(n) for n in range(5))
    model.flush()
    assert [k[2] for k in model.keys()] == ["F00002", "F00003", "F00004"]
    model.stage([fill(5)])
    model.flush()
    assert [k[2] for k in model.keys()] == ["F00003", "F00004", "F00005"]


# -------------------------------------------------------------------- sorting
def test_orders_and_fills_show_newest_first_by_default(qtbot, show):
    orders = show(OrdersPanel)
    minutes = [5, 1, 30, 12, 7]
    orders.stage(order(n, minute=m) for n, m in enumerate(minutes))
    orders.model.flush()
    hh = orders.view.horizontalHeader()
    assert hh.sortIndicatorSection() == orders.model.column_index("time")
    assert hh.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert [o.created_at for o in orders.proxy.visible_rows()] == [T0 + timedelta(minutes=m) for m in sorted(minutes, reverse=True)]
    # a newer order arriving later goes to the top
    orders.stage([order(9, minute=60)])
    orders.model.flush()
    assert order_ids(orders)[0] == "O00009"

    fills = show(FillsPanel)
    fills.stage(fill(n, minute=m) for n, m in enumerate(minutes))
    fills.model.flush()
    assert fills.view.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert [f.fill_id for f in fills.proxy.visible_rows()] == ["F00002", "F00003", "F00004", "F00000", "F00001"]


def test_clicking_the_quantity_header_sorts_decimal_quantities_numerically(qtbot, show):
    panel = show(OrdersPanel)
    amounts = ["100", "9", "10", "0.5", "1000", "25"]
    panel.stage(order(n, amount=a) for n, a in enumerate(amounts))
    panel.model.flush()
    click_header(qtbot, panel, "quantity")
    assert panel.proxy.sortColumn() == panel.model.column_index("quantity")
    assert panel.proxy.sortOrder() == Qt.SortOrder.AscendingOrder
    assert column_texts(panel, "quantity") == ["0.5", "9", "10", "25", "100", "1,000"]

    click_header(qtbot, panel, "quantity")
    assert panel.proxy.sortOrder() == Qt.SortOrder.DescendingOrder
    assert column_texts(panel, "quantity") == ["1,000", "100", "25", "10", "9", "0.5"]

    # the sort holds for live updates: an order that grows moves up
    panel.stage([order(1, amount="5000")])
    panel.model.flush()
    assert column_texts(panel, "quantity")[0] == "5,000" and order_ids(panel)[0] == "O00001"


def test_clicking_a_watchlist_price_header_sorts_numerically_and_a_third_click_restores(qtbot, show):
    panel = show(WatchlistPanel)
    lasts = {"AAA": "9", "BBB": "100", "CCC": "10", "DDD": "2.5", "EEE": None, "FFF": "99.99"}
    panel.set_symbols(lasts)
    panel.stage(Quote(symbol=s, last=None if v is None else D(v)) for s, v in lasts.items())
    panel.model.flush()
    symbols = lambda: [q.symbol for q in panel.proxy.visible_rows()]  # noqa: E731
    assert symbols() == list(lasts)  # the user's order until a header is clicked

    click_header(qtbot, panel, "last")
    assert symbols() == ["DDD", "AAA", "CCC", "FFF", "BBB", "EEE"]  # unknown (None) last
    assert column_texts(panel, "last") == ["2.50", "9.00", "10.00", "99.99", "100.00", EMPTY]
    click_header(qtbot, panel, "last")
    assert [s for s in symbols() if s != "EEE"] == ["BBB", "FFF", "CCC", "AAA", "DDD"]
    click_header(qtbot, panel, "last")
    assert panel.view.horizontalHeader().sortIndicatorSection() == -1
    assert symbols() == list(lasts)


# ------------------------------------------------------------------ filtering
def test_working_and_all_buttons_filter_closed_orders_out_and_back_in(qtbot, show):
    panel = show(OrdersPanel)
    statuses = [OrderStatus.ACCEPTED, OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED, OrderStatus.CANCELED,
                OrderStatus.SUBMITTED, OrderStatus.REJECTED]
    panel.stage(order(n, status=s, filled="10" if s is OrderStatus.PARTIALLY_FILLED else None) for n, s in enumerate(statuses))
    panel.model.flush()
    working = panel.findChild(QToolButton, "ordersWorkingButton")
    all_ = panel.findChild(QToolButton, "ordersAllButton")
    assert all_.isChecked() and panel.proxy.rowCount() == 6

    qtbot.mouseClick(working, LEFT)
    assert working.isChecked() and not all_.isChecked() and panel.working_only
    assert {o.status for o in panel.proxy.visible_rows()} == {OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.SUBMITTED}
    # an order that fills while Working is shown leaves the table
    panel.stage([order(0, status=OrderStatus.FILLED)])
    panel.model.flush()
    assert order_ids(panel) == ["O00004", "O00002"]

    qtbot.mouseClick(all_, LEFT)
    assert all_.isChecked() and not panel.working_only
    assert panel.proxy.rowCount() == 6
    assert {o.status for o in panel.proxy.visible_rows()} >= {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED}


def test_the_filter_box_narrows_rows_by_symbol(qtbot, show):
    panel = show(OrdersPanel)
    symbols = ["AAPL", "MSFT", "IBM", "MSFT", "GOOG"]
    panel.stage(order(n, s) for n, s in enumerate(symbols))
    panel.model.flush()
    assert panel.filter_edit is not None and panel.filter_edit.objectName() == "ordersFilter"
    qtbot.keyClicks(panel.filter_edit, "msf")
    assert panel.proxy.filter_text == "msf"
    assert column_texts(panel, "symbol") == ["MSFT", "MSFT"]
    # combined with Working: the filled MSFT order goes
    panel.stage([order(3, "MSFT", status=OrderStatus.FILLED)])
    panel.model.flush()
    qtbot.mouseClick(panel.findChild(QToolButton, "ordersWorkingButton"), LEFT)
    assert order_ids(panel) == ["O00001"]
    qtbot.mouseClick(panel.findChild(QToolButton, "ordersAllButton"), LEFT)
    panel.filter_edit.clear()
    assert panel.proxy.rowCount() == 5
    qtbot.keyClicks(panel.filter_edit, "zzz")
    assert panel.proxy.rowCount() == 0


# -------------------------------------------------------- colours and formats
def position(symbol: str, qty: str, avg: str, last: str) -> Position:
    return Position(broker="paper", account_id="A1", instrument=instrument(symbol), quantity=D(qty),
                    average_price=D(avg)).marked(D(last))


def test_pnl_colours_alignment_and_number_formats(qtbot, show):
    panel = show(PositionsPanel)
    panel.stage([
        position("AAPL", "1500", "100", "100.823"),  # +1,234.50
        position("MSFT", "-200", "0.1234", "0.1834"),  # short, -12.00
        position("IBM", "10", "50", "50"),  # flat
    ])
    panel.model.flush()
    row = {p.symbol: r for r, p in enumerate(panel.proxy.visible_rows())}
    fg = Qt.ItemDataRole.ForegroundRole
    align = Qt.ItemDataRole.TextAlignmentRole

    profit = cell(panel, row["AAPL"], "unrealized_pnl", fg)
    loss = cell(panel, row["MSFT"], "unrealized_pnl", fg)
    assert isinstance(profit, QColor) and isinstance(loss, QColor)
    assert profit == gain_color() and profit.green() > profit.red()
    assert loss == loss_color() and loss.red() > loss.green()
    assert cell(panel, row["IBM"], "unrealized_pnl", fg) is None  # zero: default colour
    assert cell(panel, row["AAPL"], "realized_pnl", fg) is None  # 0 realized
    assert cell(panel, row["AAPL"], "symbol", fg) is None

    assert cell(panel, row["AAPL"], "unrealized_pnl") == "+1,234.50"
    assert cell(panel, row["MSFT"], "unrealized_pnl") == "-12.00"
    assert cell(panel, row["IBM"], "unrealized_pnl") == "0.00"
    assert cell(panel, row["AAPL"], "quantity") == "1,500"
    assert cell(panel, row["MSFT"], "quantity") == "-200"
    assert cell(panel, row["MSFT"], "avg_price") == "0.1234"
    assert cell(panel, row["AAPL"], "last") == "100.823"
    assert cell(panel, row["AAPL"], "avg_price") == "100.00"
    assert cell(panel, row["AAPL"], "market_value") == "151,234.50"

    for column_id in ("quantity", "avg_price", "last", "market_value", "unrealized_pnl", "realized_pnl"):
        a = Qt.AlignmentFlag(cell(panel, 0, column_id, align))
        assert a & Qt.AlignmentFlag.AlignRight and a == ALIGN_RIGHT, column_id
        header_align = panel.model.headerData(panel.model.column_index(column_id), Qt.Orientation.Horizontal, align)
        assert Qt.AlignmentFlag(header_align) == ALIGN_RIGHT
    assert Qt.AlignmentFlag(cell(panel, 0, "symbol", align)) == ALIGN_LEFT


def test_watchlist_change_is_signed_and_coloured(qtbot, show):
    panel = show(WatchlistPanel)
    panel.set_symbols(["UP", "DOWN"])
    panel.stage([Quote(symbol="UP", last=D("105"), prev_close=D("100"), volume=D("12345678")),
                 Quote(symbol="DOWN", last=D("95.5"), prev_close=D("100"))])
    panel.model.flush()
    fg = Qt.ItemDataRole.ForegroundRole
    assert cell(panel, 0, "change") == "+5.00" and cell(panel, 0, "change_pct") == "+5.00%"
    assert cell(panel, 1, "change") == "-4.50" and cell(panel, 1, "change_pct") == "-4.50%"
    assert cell(panel, 0, "change", fg) == gain_color() and cell(panel, 1, "change_pct", fg) == loss_color()
    assert cell(panel, 0, "volume") == "12.3M" and cell(panel, 1, "volume") == EMPTY  # compact; exact in the tooltip
    assert "volume 12,345,678" in cell(panel, 0, "volume", Qt.ItemDataRole.ToolTipRole)
    assert cell(panel, 1, "bid") == EMPTY and cell(panel, 1, "bid", fg) is None


# ---------------------------------------------------------------------- export
def test_export_csv_writes_the_visible_rows_in_view_order(qtbot, show, tmp_path):
    panel = show(OrdersPanel)
    rows = [order(0, "AAPL", amount="1500"), order(1, "MSFT", amount="9"), order(2, "AAPL", status=OrderStatus.FILLED),
            order(3, "AAPL", amount="10", status=OrderStatus.PARTIALLY_FILLED, filled="4"), order(4, "IBM", amount="20")]
    panel.stage(rows)
    panel.model.flush()
    qtbot.mouseClick(panel.working_button, LEFT)  # the FILLED one goes
    qtbot.keyClicks(panel.filter_edit, "aapl")  # MSFT and IBM go
    panel.view.sortByColumn(panel.model.column_index("quantity"), Qt.SortOrder.AscendingOrder)
    panel.view.horizontalHeader().hideSection(panel.model.column_index("message"))
    # one more staged (not yet flushed) AAPL order: export applies pending changes first
    panel.stage([order(5, "AAPL", amount="2", minute=90)])

    path = tmp_path / "orders.csv"
    with qtbot.waitSignal(panel.exported, timeout=1000) as sig:
        n = panel.export_csv(path)
    assert n == 3 and sig.args == [str(path), 3]

    with open(path, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    header, body = table[0], table[1:]
    hidden = ("message", "connection", *HIDDEN_BY_DEFAULT["orders"])  # hidden by hand, one connection, by default
    expected_header = [c.header for c in panel.model.columns if c.id not in hidden]
    assert header == expected_header
    col = {h: i for i, h in enumerate(header)}
    assert [r[col["Order ID"]] for r in body] == ["O00005", "O00003", "O00000"]
    assert [r[col["Qty"]] for r in body] == ["2", "10", "1500"]  # numeric, no thousands separator
    assert [r[col["Symbol"]] for r in body] == ["AAPL"] * 3
    assert [r[col["Status"]] for r in body] == ["Accepted", "Partially filled", "Accepted"]
    assert [r[col["Filled"]] for r in body] == ["0", "4", "0"]
    assert body[0][col["Limit/Stop"]] == "100.25"
    assert body[2][col["Time"]] == fmt_timestamp(T0)  # full local date and time


# ---------------------------------------------------- context menu and clicks
def _action(menu, name: str) -> QAction:
    action = menu.findChild(QAction, name)
    assert action is not None, name
    return action


def test_context_menu_cancel_is_enabled_only_for_working_orders(qtbot, show):
    panel = show(OrdersPanel)
    working, filled = order(1, status=OrderStatus.ACCEPTED), order(2, status=OrderStatus.FILLED)
    panel.stage([working, filled])
    panel.model.flush()

    menu = panel.build_context_menu(panel.proxy.index(proxy_row_of(panel, working.key), 0))
    cancel = _action(menu, "cancelOrderAction")
    assert cancel.text() == "Cancel order" and cancel.isEnabled()
    assert _action(menu, "modifyOrderAction").isEnabled()
    assert panel.selected_rows() == [working]  # the clicked row gets selected
    with qtbot.waitSignal(panel.cancelRequested, timeout=1000) as sig:
        cancel.trigger()
    assert sig.args == [working]
    menu.deleteLater()

    menu = panel.build_context_menu(panel.proxy.index(proxy_row_of(panel, filled.key), 0))
    cancel = _action(menu, "cancelOrderAction")
    assert cancel.text() == "Cancel order" and not cancel.isEnabled()
    assert not _action(menu, "modifyOrderAction").isEnabled()
    with qtbot.assertNotEmitted(panel.cancelRequested), qtbot.assertNotEmitted(panel.modifyRequested):
        cancel.trigger()
        _action(menu, "modifyOrderAction").trigger()
    menu.deleteLater()


def test_context_menu_acts_on_the_latest_version_of_the_order(qtbot, show):
    panel = show(OrdersPanel)
    panel.stage([order(1)])
    panel.model.flush()
    menu = panel.build_context_menu(panel.proxy.index(0, 0))
    cancel = _action(menu, "cancelOrderAction")
    # it partly fills while the menu is open: the request carries the new version
    newer = order(1, status=OrderStatus.PARTIALLY_FILLED, filled="30")
    panel.stage([newer])
    panel.model.flush()
    with qtbot.waitSignal(panel.cancelRequested, timeout=1000) as sig:
        cancel.trigger()
    assert sig.args == [newer]
    # and once it is filled, the stale menu's cancel does nothing
    panel.stage([order(1, status=OrderStatus.FILLED)])
    panel.model.flush()
    with qtbot.assertNotEmitted(panel.cancelRequested):
        cancel.trigger()
    menu.deleteLater()


def test_context_menu_on_several_selected_orders_cancels_the_working_ones(qtbot, show):
    panel = show(OrdersPanel)
    orders = [order(1), order(2, status=OrderStatus.FILLED), order(3, status=OrderStatus.SUBMITTED)]
    panel.stage(orders)
    panel.model.flush()
    panel.view.selectAll()
    menu = panel.build_context_menu(panel.proxy.index(0, 0))
    cancel = _action(menu, "cancelOrderAction")
    assert cancel.text() == "Cancel 2 orders" and cancel.isEnabled()
    assert not _action(menu, "modifyOrderAction").isEnabled()  # modify is for one order
    got = []
    panel.cancelRequested.connect(got.append)
    cancel.trigger()
    assert sorted(o.order_id for o in got) == ["O00001", "O00003"]
    menu.deleteLater()


def test_double_click_on_a_working_order_requests_a_modify(qtbot, show):
    panel = show(OrdersPanel)
    working, filled = order(1), order(2, status=OrderStatus.FILLED)
    panel.stage([working, filled])
    panel.model.flush()
    viewport = panel.view.viewport()

    center = panel.view.visualRect(panel.proxy.index(proxy_row_of(panel, working.key), 2)).center()
    qtbot.mouseClick(viewport, LEFT, pos=center)  # a real double click starts with a press
    with qtbot.waitSignal(panel.modifyRequested, timeout=1000) as sig:
        qtbot.mouseDClick(viewport, LEFT, pos=center)
    assert sig.args == [working]

    center = panel.view.visualRect(panel.proxy.index(proxy_row_of(panel, filled.key), 2)).center()
    qtbot.mouseClick(viewport, LEFT, pos=center)
    with qtbot.assertNotEmitted(panel.modifyRequested), qtbot.waitSignal(panel.activated, timeout=1000) as act:
        qtbot.mouseDClick(viewport, LEFT, pos=center)
    assert act.args == [filled]


# ---------------------------------------------------------------- header state
def test_header_state_round_trips_moved_and_hidden_columns_and_the_sort(qtbot, show):
    panel = show(OrdersPanel)
    m = panel.model
    hh = panel.view.horizontalHeader()
    symbol, account, quantity = m.column_index("symbol"), m.column_index("account"), m.column_index("quantity")
    hh.moveSection(hh.visualIndex(symbol), 0)
    hh.hideSection(account)
    panel.view.sortByColumn(quantity, Qt.SortOrder.AscendingOrder)
    hh.resizeSection(quantity, 137)
    state = panel.header_state()
    assert isinstance(state, bytes) and state
    assert panel.visible_columns()[0] == symbol and account not in panel.visible_columns()

    other = show(OrdersPanel)
    other.stage(order(n, amount=a) for n, a in enumerate(["30", "4", "200"]))
    other.model.flush()
    assert other.visible_columns()[0] != symbol and account in other.visible_columns()
    assert other.restore_header_state(state) is True
    ohh = other.view.horizontalHeader()
    assert other.visible_columns() == panel.visible_columns()
    assert ohh.visualIndex(symbol) == 0 and ohh.isSectionHidden(account)
    assert ohh.sectionSize(quantity) == 137
    assert ohh.sortIndicatorSection() == quantity and ohh.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert column_texts(other, "quantity") == ["4", "30", "200"]

    fresh = show(OrdersPanel)
    before = fresh.header_state()
    assert fresh.restore_header_state(b"") is False
    assert fresh.restore_header_state(b"not a header state") is False
    assert fresh.header_state() == before


# ------------------------------------------------------------------ formatting
def test_formatters_show_none_as_empty():
    for f in (fmt_price, fmt_qty, fmt_money, fmt_pnl, fmt_pct, fmt_int, fmt_text, fmt_time, fmt_timestamp):
        assert f(None) == EMPTY, f.__name__
    for bad in (float("nan"), float("inf"), True, "abc", object()):
        assert fmt_price(bad) == EMPTY and fmt_money(bad) == EMPTY


def test_pnl_and_money_signs_and_thousands_separators():
    assert fmt_pnl(D("1234.5")) == "+1,234.50"
    assert fmt_pnl(D("-1234567.891")) == "-1,234,567.89"
    assert fmt_pnl(D("-0.004")) == "0.00"  # never "-0.00" nor "+0.00"
    assert fmt_pnl(0) == "0.00"
    assert fmt_money(D("1234567.8")) == "1,234,567.80"
    assert fmt_money(0.1) == "0.10"  # floats go through str
    assert fmt_money(D("-999.999")) == "-1,000.00"
    assert fmt_pct(D("-1.234")) == "-1.23%" and fmt_pct(D("1.5"), signed=False) == "1.50%"
    assert fmt_int(D("12345678.4")) == "12,345,678"
    assert fmt_qty(D("1500.000")) == "1,500" and fmt_qty(D("0.50")) == "0.5" and fmt_qty(D("-2000")) == "-2,000"
    assert fmt_qty(D("0E-8")) == "0"
    assert fmt_qty(D("1E+3")) == "1,000"


def test_prices_use_two_to_four_decimals():
    assert fmt_price(D("512.3")) == "512.30"
    assert fmt_price(D("512")) == "512.00"
    assert fmt_price(D("0.1234")) == "0.1234"
    assert fmt_price(D("0.12346")) == "0.1235"  # at most 4
    assert fmt_price(D("1234.5678")) == "1,234.5678"
    assert fmt_price(D("1.100")) == "1.10"  # trailing zeros don't count
    assert fmt_price(D("1E+2")) == "100.00"


def test_number_format_preference():
    set_number_format(thousands=False, price_decimals=3)
    assert fmt_money(D("1234567.8")) == "1234567.80"
    assert fmt_qty(D("1500")) == "1500"
    assert fmt_price(D("512.3")) == "512.300"
    set_number_format()
    assert fmt_money(D("1234567.8")) == "1,234,567.80" and fmt_price(D("512.3")) == "512.30"


def test_sort_values_compare_numerically():
    values = [D("100"), D("9"), D("10"), D("0.5"), 3, 2.5]
    assert sorted(values, key=sort_value) == [D("0.5"), 2.5, 3, D("9"), D("10"), D("100")]
    assert sort_value(D("10")) > sort_value(D("9"))
    assert sort_value(T0 + timedelta(seconds=1)) - sort_value(T0) == 1.0
    assert sort_value(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()  # naive = UTC
    assert sort_value(OrderStatus.PARTIALLY_FILLED) == "partially filled"
    assert sort_value("MSFT") == "msft" and sort_value(None) is None


def test_model_index_outside_the_table_has_no_data(qtbot):
    model = orders_model()
    model.stage([order(1)])
    model.flush()
    assert model.data(QModelIndex()) is None
    assert model.index(5, 0).data() is None
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.headerData(0, Qt.Orientation.Horizontal).strip() == "Time"


def test_bid_and_ask_of_a_last_price_only_source_read_not_offered(qtbot):
    from desktop.ui.tables.connection_labels import ConnectionLabels
    from desktop.ui.tables.definitions import watchlist_model

    labels = ConnectionLabels()
    labels.set_connections([("paper", "Paper"), ("ct", "Connect Trade")])
    with qtbot.waitSignal(labels.changed):
        labels.set_last_only(["ct"])
    cols = {c.id: c for c in watchlist_model(labels).columns}
    bars_only = Quote(symbol="AAPL", connection_id="ct", last=D("190.10"))
    not_yet = Quote(symbol="MSFT", connection_id="paper", last=D("410.00"))
    quoted = Quote(symbol="IBM", connection_id="paper", bid=D("180.10"), ask=D("180.20"))
    assert [cols["bid"].display(q) for q in (bars_only, not_yet, quoted)] == ["—", "", "180.10"]
    assert [cols["ask"].display(q) for q in (bars_only, not_yet, quoted)] == ["—", "", "180.20"]
    assert cols["bid"].tooltip(bars_only) == "Not offered: Connect Trade serves last prices only, no bid"
    assert cols["ask"].tooltip(not_yet) is None
    assert labels.offers_bid_ask("paper") and not labels.offers_bid_ask("ct")
