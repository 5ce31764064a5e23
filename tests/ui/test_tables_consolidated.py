"""Consolidated positions across connections, the watchlist's Source column and
times on each row's connection clock (pytest-qt, offscreen, driven through the
widgets: the Consolidated toggle and the connection filter combo)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QToolButton

from desktop.domain import Instrument, Order, OrderSide, OrderStatus, OrderType, Position, Quote
from desktop.ui.display_clock import DISPLAY_CLOCK
from desktop.ui.tables import ConnectionLabels, OrdersPanel, PositionsPanel, WatchlistPanel
from desktop.ui.tables.columns import muted_color
from test_tables_support import column, pick, shown

T0 = datetime(2026, 5, 11, 14, 30, tzinfo=timezone.utc)
DISPLAY, FG, TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole
LEFT = Qt.MouseButton.LeftButton
CONNECTIONS = [("paper-a", "Paper"), ("paper-b", "Paper 2"), ("ibkr-1", "IBKR")]


@pytest.fixture
def labels(qtbot):
    labels = ConnectionLabels()
    labels.set_connections(CONNECTIONS)
    yield labels
    labels.deleteLater()


@pytest.fixture(autouse=True)
def clocks():
    yield
    DISPLAY_CLOCK.reset()



def position(cid: str, account: str, qty: str, avg: str, symbol: str = "AAPL") -> Position:
    kind = "ibkr" if cid.startswith("ibkr") else "paper"
    return Position(broker=kind, connection_id=cid, account_id=account, instrument=Instrument.equity(symbol),
                    quantity=D(qty), average_price=D(avg))


# --------------------------------------------------------------- consolidated
def test_consolidated_positions_sum_every_connection_with_the_sources_in_the_tooltip(qtbot, labels):
    panel = shown(qtbot, PositionsPanel(labels))
    panel.stage([position("paper-a", "PAPER", "10", "190"), position("paper-b", "PAPER", "5", "191"),
                 position("ibkr-1", "DU123", "25", "189.50"), position("ibkr-1", "DF1", "100", "1"),
                 position("ibkr-1", "DU123", "7", "400", symbol="MSFT")])
    panel.model.flush()
    panel.set_consolidation_excluded([("ibkr-1", "DF1")])  # the advisor's master holds nothing of its own
    panel.set_consolidation_available(True)
    button = panel.findChild(QToolButton, "positionsConsolidatedButton")
    assert button.isVisible()
    qtbot.mouseClick(button, LEFT)
    assert panel.consolidated
    qtbot.waitUntil(lambda: panel.proxy.rowCount() == 2)
    rows = {p.symbol: p for p in panel.proxy.visible_rows()}
    assert rows["AAPL"].quantity == D(40) and len(rows["AAPL"].sources) == 3
    assert set(column(panel, "connection")) == {"All connections"}
    assert set(column(panel, "account")) == {"All accounts"}
    aapl = [p.symbol for p in panel.proxy.visible_rows()].index("AAPL")
    tip = panel.proxy.index(aapl, panel.shown_model.column_index("quantity")).data(TIP)
    assert "Sum of 3 accounts at 3 connections:" in tip
    for line in ("Paper · PAPER: 10 @ 190.00", "Paper 2 · PAPER: 5 @ 191.00", "IBKR · DU123: 25 @ 189.50"):
        assert line in tip.splitlines()
    assert "DF1" not in tip

    # a stale source says so in the tooltip
    labels.set_stale({"paper-b": True})
    tip = panel.proxy.index(aapl, panel.shown_model.column_index("quantity")).data(TIP)
    assert "Paper 2 (disconnected) · PAPER: 5 @ 191.00" in tip.splitlines()

    # the connection filter narrows the sum to that connection's accounts
    pick(qtbot, panel.findChild(QComboBox, "positionsConnectionFilter"), "IBKR")
    qtbot.waitUntil(lambda: {p.symbol: p.quantity for p in panel.proxy.visible_rows()} == {"AAPL": D(25), "MSFT": D(7)})
    assert set(column(panel, "connection")) == {"IBKR"}
    assert [s.key for s in panel.consolidated_rows()[0].sources] == [("ibkr-1", "DU123", "AAPL")]

    # and back to per-account rows, still filtered
    qtbot.mouseClick(button, LEFT)
    assert not panel.consolidated
    assert sorted(p.account_id for p in panel.proxy.visible_rows()) == ["DF1", "DU123", "DU123"]


def test_consolidated_rows_follow_new_positions_and_dropped_connections(qtbot, labels):
    panel = shown(qtbot, PositionsPanel(labels))
    panel.stage([position("paper-a", "PAPER", "10", "190"), position("ibkr-1", "DU123", "25", "189.50")])
    panel.model.flush()
    panel.set_consolidation_available(True)
    qtbot.mouseClick(panel.findChild(QToolButton, "positionsConsolidatedButton"), LEFT)
    qtbot.waitUntil(lambda: [p.quantity for p in panel.proxy.visible_rows()] == [D(35)])
    panel.drop_connections(["ibkr-1"])
    panel.model.flush()
    qtbot.waitUntil(lambda: [p.quantity for p in panel.proxy.visible_rows()] == [D(10)])


# ------------------------------------------------------------------ watchlist
def test_watchlist_source_column_names_the_quote_connection_and_greys_a_stale_one(qtbot, labels):
    panel = shown(qtbot, WatchlistPanel(labels), 700)
    source = panel.model.column_index("source")
    assert not panel.view.isColumnHidden(source)  # several connections
    panel.set_symbols(["AAPL", "MSFT"])
    panel.model.flush()
    assert column(panel, "source") == ["", ""]  # no quote yet
    panel.stage([Quote(symbol="AAPL", connection_id="ibkr-1", last=D("190"), timestamp=T0),
                 Quote(symbol="MSFT", connection_id="paper-a", last=D("400"), timestamp=T0)])
    panel.model.flush()
    assert column(panel, "source") == ["IBKR", "Paper"]
    assert panel.model.keys() == ["AAPL", "MSFT"]  # still one row per symbol

    DISPLAY_CLOCK.configure_connection("ibkr-1", ZoneInfo("America/New_York"), lambda: T0 + timedelta(minutes=3))
    labels.set_stale({"ibkr-1": True})
    assert QColor(column(panel, "last", FG)[0]) == muted_color()
    assert all(QColor(panel.proxy.index(0, c).data(FG)) == muted_color() for c in range(panel.proxy.columnCount()))
    assert column(panel, "last", FG)[1] is None
    assert column(panel, "source", TIP)[0] == "IBKR: disconnected · last quote 3 min ago"
    assert "IBKR: disconnected · last quote 3 min ago" in column(panel, "last", TIP)[0]

    # the window switches AAPL to another source: the row shows that quote, not greyed
    panel.stage([Quote(symbol="AAPL", connection_id="paper-b", last=D("191"))])
    panel.model.flush()
    assert column(panel, "source")[0] == "Paper 2" and column(panel, "last", FG)[0] is None

    # a removed source's quotes go, the symbols stay
    panel.drop_connections(["paper-a"])
    panel.model.flush()
    assert column(panel, "source") == ["Paper 2", ""] and column(panel, "last") == ["191.00", ""]


def test_watchlist_source_column_is_hidden_with_one_connection(qtbot):
    labels = ConnectionLabels()
    labels.set_connections(CONNECTIONS[:1])
    panel = shown(qtbot, WatchlistPanel(labels), 470)
    assert panel.view.isColumnHidden(panel.model.column_index("source"))
    labels.set_connections(CONNECTIONS[:2])
    assert not panel.view.isColumnHidden(panel.model.column_index("source"))
    labels.deleteLater()


# -------------------------------------------------------------------- clocks
def test_times_show_on_the_clock_of_each_rows_connection(qtbot, labels):
    replay_now = datetime(2012, 3, 1, 15, 0, tzinfo=timezone.utc)
    DISPLAY_CLOCK.configure_connection("paper-a", ZoneInfo("America/New_York"), lambda: replay_now)
    DISPLAY_CLOCK.configure_connection("ibkr-1", ZoneInfo("Europe/Berlin"))
    panel = shown(qtbot, OrdersPanel(labels))

    def order(cid: str, when: datetime) -> Order:
        return Order(broker="paper", connection_id=cid, account_id="A", order_id="1", instrument=Instrument.equity("AAPL"),
                     side=OrderSide.BUY, type=OrderType.MARKET, amount=D(1), status=OrderStatus.ACCEPTED,
                     created_at=when, updated_at=when)

    now = datetime.now(timezone.utc).replace(microsecond=0)
    panel.stage([order("paper-a", replay_now - timedelta(minutes=30)), order("ibkr-1", now)])
    panel.model.flush()
    times = {o.connection_id: panel.proxy.index(r, panel.model.column_index("time")).data()
             for r, o in enumerate(panel.proxy.visible_rows())}
    assert times["paper-a"] == "09:30:00"  # New York time on the replayed day
    assert times["ibkr-1"] == now.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M:%S")
