"""Big batches do not stall the event loop in one piece (pytest-qt, offscreen): two
tables whose batch timers fire together flush in different loop turns, a shown view
fits and repaints a big timer-flushed batch on later turns, and the
orders' SL / TP column still appears when a later batch brings a protected order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from PySide6.QtCore import QTimer

from desktop.domain import Instrument, Order, OrderSide, OrderStatus, OrderType, ProtectionType
from desktop.ui.tables import OrdersPanel
from desktop.ui.tables.staging import HOLD_PAINT_ROWS

T0 = datetime(2026, 5, 8, 13, 30, tzinfo=timezone.utc)


def order(i: int, stop_loss: str | None = None) -> Order:
    return Order(broker="paper", connection_id="paper", account_id="PAPER", order_id=str(i),
                 instrument=Instrument.equity("AAPL"), side=OrderSide.BUY, type=OrderType.LIMIT, amount=D(100),
                 limit_price=D("10"), status=OrderStatus.ACCEPTED, created_at=T0 + timedelta(seconds=i),
                 stop_loss=D(stop_loss) if stop_loss else None, stop_loss_type=ProtectionType.ABSOLUTE)


def shown_panel(qtbot) -> OrdersPanel:
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_two_tables_due_together_flush_in_different_loop_turns(qtbot):
    a, b = shown_panel(qtbot), shown_panel(qtbot)
    events: list[str] = []

    def a_flushed() -> None:
        events.append("a")
        QTimer.singleShot(0, lambda: events.append("next turn"))  # overdue when b's timer fires

    a.model.flushed.connect(a_flushed)
    b.model.flushed.connect(lambda: events.append("b"))
    a.stage([order(1)])
    b.stage([order(2)])
    qtbot.waitUntil(lambda: len(a.model) == 1 and len(b.model) == 1)
    qtbot.waitUntil(lambda: "next turn" in events)
    assert events == ["a", "next turn", "b"]


def test_a_big_timer_batch_is_fitted_and_painted_on_later_turns(qtbot):
    panel = shown_panel(qtbot)
    view, model = panel.view, panel.model
    held: list[bool] = []
    model.flushed.connect(lambda: held.append(not view.viewport().updatesEnabled()))
    n = HOLD_PAINT_ROWS
    panel.stage([order(i) for i in range(n)])
    qtbot.waitUntil(lambda: len(model) == n)
    assert held == [True]  # held while the batch is applied
    qtbot.waitUntil(lambda: view.viewport().updatesEnabled())
    for column_id in ("symbol", "account", "time"):
        c = model.column_index(column_id)
        assert view.columnWidth(c) >= view.column_need(c, model.rows()), column_id  # fitted before the repaint
    panel.stage([order(n + 1)])  # a small batch repaints its rows as before
    qtbot.waitUntil(lambda: len(model) == n + 1)
    model.stage([order(n + i) for i in range(2, 2 + n)])
    model.flush()  # so does an explicit flush, however big
    assert held == [True, False, False]


def test_the_sl_tp_column_appears_when_a_later_batch_brings_a_stop_loss(qtbot):
    panel = shown_panel(qtbot)
    sl_tp = panel.model.column_index("sl_tp")
    panel.stage([order(i) for i in range(5)])
    qtbot.waitUntil(lambda: len(panel.model) == 5)
    assert panel.view.isColumnHidden(sl_tp)
    panel.stage([order(3, stop_loss="9")])
    qtbot.waitUntil(lambda: not panel.view.isColumnHidden(sl_tp))
    assert [o.order_id for o in panel.model.applied_rows()] == ["3"]  # what that check looked at
