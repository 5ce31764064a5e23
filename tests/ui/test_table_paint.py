"""What the blotters paint (pytest-qt, offscreen): each cell in its own colour (the
delegate reuses its role data from cell to cell, so an uncoloured cell must not take
the colour of the one painted before it), a changed row painted with its new text,
and rows of a stale connection greyed at once, although rows are formatted once and
kept between paints."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from desktop.domain import Instrument, Order, OrderSide, OrderStatus, OrderType
from desktop.ui.display_clock import DISPLAY_CLOCK
from desktop.ui.tables import OrdersPanel
from desktop.ui.tables.columns import loss_color, muted_color
from desktop.ui.theme import apply_theme

NOW = datetime(2026, 5, 8, 15, 30, tzinfo=timezone.utc)


def order(oid: str, side: OrderSide, amount: str = "100") -> Order:
    return Order(broker="paper", connection_id="paper", account_id="PAPER", order_id=oid,
                 instrument=Instrument.equity("AAPL"), side=side, type=OrderType.LIMIT, amount=D(amount),
                 limit_price=D("10"), status=OrderStatus.ACCEPTED, created_at=NOW, updated_at=NOW)


def near(a: QColor, b: QColor, tol: int = 40) -> bool:
    return abs(a.red() - b.red()) < tol and abs(a.green() - b.green()) < tol and abs(a.blue() - b.blue()) < tol


def inked_like(panel: OrdersPanel, row: int, column_id: str, colour: QColor, tol: int = 40) -> int:
    """Pixels of the cell (proxy ``row``, column ``column_id``) close to ``colour``."""
    view = panel.view
    rect = view.visualRect(panel.proxy.index(row, panel.model.column_index(column_id)))
    image = view.viewport().grab().toImage()
    return sum(1 for x in range(rect.left(), rect.right()) for y in range(rect.top(), rect.bottom())
               if near(image.pixelColor(x, y), colour, tol))


def shown_panel(qtbot, orders: list[Order]) -> OrdersPanel:
    apply_theme(QApplication.instance(), "light")  # black text, grey muted rows
    DISPLAY_CLOCK.configure(timezone.utc, lambda: NOW)
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 300)
    panel.stage(orders)
    panel.model.flush()
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_an_uncoloured_cell_after_a_coloured_one_keeps_the_default_colour(qtbot):
    panel = shown_panel(qtbot, [order("1", OrderSide.SELL), order("2", OrderSide.SELL)])
    try:
        red = loss_color()
        for r in range(2):
            assert inked_like(panel, r, "side", red) > 0  # SELL is painted red...
            assert inked_like(panel, r, "quantity", red) == 0  # ...and the quantity after it is not
            assert inked_like(panel, r, "type", red) == 0
    finally:
        DISPLAY_CLOCK.reset()


def test_a_changed_row_and_a_stale_connection_repaint_with_what_is_new(qtbot):
    panel = shown_panel(qtbot, [order("1", OrderSide.BUY, "100")])
    try:
        model, view = panel.model, panel.view
        qty = model.column_index("quantity")
        view.viewport().repaint()  # formats and keeps the row
        panel.stage([order("1", OrderSide.BUY, "2500")])
        model.flush()
        assert panel.proxy.index(0, qty).data() == "2,500"
        grey = muted_color()
        before = inked_like(panel, 0, "quantity", grey, tol=12)  # anti-aliased edges of black text only
        model.set_stale_connections({"paper"})
        view.viewport().repaint()
        assert inked_like(panel, 0, "quantity", grey, tol=12) > 2 * before + 10
    finally:
        DISPLAY_CLOCK.reset()


def test_during_a_paint_another_role_array_gets_its_own_roles(qtbot):
    """A paint keeps the delegate's role data between cells; a span that is another
    array (another delegate, other roles) is still answered role by role."""
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt

    panel = shown_panel(qtbot, [order("1", OrderSide.SELL)])
    try:
        proxy, model = panel.proxy, panel.model
        side = proxy.index(0, model.column_index("side"))
        display = QModelRoleData(int(Qt.ItemDataRole.DisplayRole))
        colour = QModelRoleData(int(Qt.ItemDataRole.ForegroundRole))
        model.check_cells()
        proxy.painting(0, 0)
        try:
            proxy.multiData(side, QModelRoleDataSpan(display))
            proxy.multiData(side, QModelRoleDataSpan(colour))
            proxy.multiData(side, QModelRoleDataSpan(display))
        finally:
            proxy.painted()
        assert display.data() == "SELL"
        assert near(colour.data(), loss_color(), tol=2)
    finally:
        DISPLAY_CLOCK.reset()


def test_kept_cells_outlive_a_second_and_follow_a_replay_to_the_next_day(qtbot, monkeypatch):
    """A new second drops no kept cell while every display clock stays on its day; a
    replay clock moving to the next day has the time cells formatted again."""
    from datetime import timedelta

    from desktop.ui.tables import kept_cells

    seconds = [1000]
    real_epoch = kept_cells.cell_epoch
    monkeypatch.setattr(kept_cells, "cell_epoch", lambda: (*real_epoch()[:2], seconds[0]))
    replay = [NOW]
    panel = shown_panel(qtbot, [order("1", OrderSide.BUY)])
    try:
        DISPLAY_CLOCK.configure_connection("paper", timezone.utc, lambda: replay[0])
        model = panel.model
        column = model.column_index("time")
        seconds[0] += 1
        model.check_cells()
        kept = model.cells(0)
        assert kept[0][column] == "15:30:00"
        seconds[0] += 1
        model.check_cells()
        assert model.cells(0) is kept  # the same second's work, not formatted again
        replay[0] = NOW + timedelta(days=1)
        model.check_cells()
        assert model.cells(0) is kept  # looked at once per second
        seconds[0] += 1
        model.check_cells()
        assert model.cells(0)[0][column] == "May 08 15:30:00"
    finally:
        DISPLAY_CLOCK.reset()
