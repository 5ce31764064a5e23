"""A burst of new rows into a sorted blotter (pytest-qt, offscreen): the batching
timer inserts them over several event-loop turns (the loop never stalls for the
whole burst), newest first all the same, while ``flush()`` still applies everything
at once; sorting compares the model's kept sort values (None last, as Qt does)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from PySide6.QtCore import Qt

from desktop.domain import Instrument, Order, OrderSide, OrderStatus, OrderType
from desktop.ui.tables import OrdersPanel
from desktop.ui.tables.model import FIRST_INSERT_CHUNK

T0 = datetime(2026, 5, 8, 13, 30, tzinfo=timezone.utc)


def order(i: int, limit: str | None = "10") -> Order:
    return Order(broker="paper", connection_id="paper", account_id="PAPER", order_id=str(i),
                 instrument=Instrument.equity("AAPL"), side=OrderSide.BUY,
                 type=OrderType.LIMIT if limit else OrderType.MARKET, amount=D(100),
                 limit_price=D(limit) if limit else None, status=OrderStatus.ACCEPTED,
                 created_at=T0 + timedelta(seconds=i), updated_at=T0 + timedelta(seconds=i))


def sorted_panel(qtbot) -> OrdersPanel:
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.view.sortByColumn(panel.model.column_index("time"), Qt.SortOrder.DescendingOrder)
    return panel


def test_a_burst_is_inserted_over_several_loop_turns_newest_first(qtbot):
    panel = sorted_panel(qtbot)
    model = panel.model
    sizes: list[int] = []
    model.flushed.connect(lambda: sizes.append(len(model)))
    n = 3 * FIRST_INSERT_CHUNK + 7
    panel.stage([order(i) for i in range(n)])
    qtbot.waitUntil(lambda: len(model) == n and not model.has_pending(), timeout=10_000)
    assert len(sizes) >= 2 and sizes[0] == FIRST_INSERT_CHUNK  # split, the first part as big as allowed
    assert sizes == sorted(sizes) and sizes[-1] == n
    shown = [panel.proxy.row_object(r).order_id for r in range(panel.proxy.rowCount())]
    assert shown == [str(i) for i in reversed(range(n))]


def test_flush_still_applies_a_whole_burst_at_once(qtbot):
    panel = sorted_panel(qtbot)
    n = 2 * FIRST_INSERT_CHUNK
    panel.stage([order(i) for i in range(n)])
    panel.model.flush()
    assert len(panel.model) == n and not panel.model.has_pending()


def test_a_row_changed_while_its_insert_waits_is_shown_as_changed(qtbot):
    panel = sorted_panel(qtbot)
    model = panel.model
    n = 2 * FIRST_INSERT_CHUNK
    waited: list[int] = []

    def first_part_applied() -> None:
        if not waited and len(model) < n:  # the last order is not inserted yet: it waits for the next turn
            waited.append(len(model))
            panel.stage([order(n - 1, "12.5")])

    model.flushed.connect(first_part_applied)
    panel.stage([order(i) for i in range(n)])
    qtbot.waitUntil(lambda: len(model) == n and not model.has_pending(), timeout=5_000)
    assert waited == [FIRST_INSERT_CHUNK]
    assert [o for o in model.rows() if o.order_id == str(n - 1)][0].limit_price == D("12.5")


def test_orders_without_a_price_sort_after_priced_ones(qtbot):
    panel = sorted_panel(qtbot)
    panel.stage([order(1, "30"), order(2, None), order(3, "10")])
    panel.model.flush()
    panel.view.sortByColumn(panel.model.column_index("limit_stop"), Qt.SortOrder.AscendingOrder)
    assert [panel.proxy.row_object(r).order_id for r in range(3)] == ["3", "1", "2"]


def test_a_change_of_the_sorted_value_moves_the_row_and_others_keep_their_place(qtbot):
    panel = sorted_panel(qtbot)
    panel.stage([order(1, "30"), order(2, "20"), order(3, "10")])
    panel.model.flush()
    panel.view.sortByColumn(panel.model.column_index("limit_stop"), Qt.SortOrder.AscendingOrder)
    shown = lambda: [panel.proxy.row_object(r).order_id for r in range(panel.proxy.rowCount())]  # noqa: E731
    assert shown() == ["3", "2", "1"]
    panel.stage([order(3, "25")])  # its sort value changed: it moves
    panel.model.flush()
    assert shown() == ["2", "3", "1"]
    partly = order(2, "20").model_copy(update={"status": OrderStatus.PARTIALLY_FILLED, "filled": D(40)})
    panel.stage([partly])  # only its status changed: same place, new text
    panel.model.flush()
    assert shown() == ["2", "3", "1"]
    assert panel.proxy.index(0, panel.model.column_index("status")).data() == "Partially filled"
    panel.set_working_only(True)
    panel.stage([partly.model_copy(update={"status": OrderStatus.FILLED, "filled": D(100)})])
    panel.model.flush()  # a change without a re-sort is still filtered: the filled order leaves Working
    assert shown() == ["3", "1"]
