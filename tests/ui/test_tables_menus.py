"""Right-click menus do what the row is about (pytest-qt, offscreen): watchlist → Buy,
Sell, Chart (double-click), Option chain, Remove; positions → Close position
(double-click), Buy more / Sell more, Chart; fills → Chart (double-click), Copy. Each
entry emits the signal the window carries out, with the row's own data; the entry
named "(double-click)" does exactly what a double-click does."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QSignalSpy

from desktop.domain import Fill, Instrument, OptionContract, OptionRight, OrderSide, Position, Quote
from desktop.ui.tables import ConnectionLabels, FillsPanel, PositionsPanel, WatchlistPanel
from test_tables_support import shown

LEFT = Qt.MouseButton.LeftButton
T0 = datetime(2012, 3, 1, 15, 0, tzinfo=timezone.utc)
CALL = Instrument.for_option(OptionContract(underlying="AAPL", expiry=date(2012, 3, 16), right=OptionRight.CALL,
                                            strike=D("550")))



def actions(menu) -> dict[str, QAction]:
    return {a.objectName(): a for a in menu.findChildren(QAction) if a.objectName()}


def menu_for(panel, row: int):
    return panel.build_context_menu(panel.proxy.index(row, 0))


def double_click(qtbot, panel, row: int) -> None:
    rect = panel.view.visualRect(panel.proxy.index(row, panel.shown_model.column_index("symbol")))
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=rect.center())
    qtbot.mouseDClick(panel.view.viewport(), LEFT, pos=rect.center())


def position(symbol: str = "AAPL", qty: str = "40", *, cid: str = "paper", account: str = "PAPER",
             instrument: Instrument | None = None) -> Position:
    return Position(broker="paper", connection_id=cid, account_id=account, instrument=instrument or Instrument.equity(symbol),
                    quantity=D(qty), average_price=D("547.97"))


# ------------------------------------------------------------------ watchlist
def test_watchlist_menu_buys_sells_charts_opens_the_chain_and_removes(qtbot):
    panel = shown(qtbot, WatchlistPanel(), 460)
    panel.stage([Quote(symbol="MSFT", last=D("32.26"))])
    panel.model.flush()
    row = panel.symbols().index("MSFT")
    menu = menu_for(panel, row)
    found = actions(menu)
    assert [found[n].text() for n in ("buyAction", "sellAction", "chartAction", "optionChainAction")] == [
        "Buy MSFT", "Sell MSFT", "Chart MSFT (double-click)", "Option chain for MSFT"]
    with qtbot.waitSignal(panel.tradeRequested) as buy:
        found["buyAction"].trigger()
    with qtbot.waitSignal(panel.tradeRequested) as sell:
        found["sellAction"].trigger()
    assert buy.args == ["MSFT", OrderSide.BUY] and sell.args == ["MSFT", OrderSide.SELL]
    with qtbot.waitSignal(panel.optionChainRequested) as chain:
        found["optionChainAction"].trigger()
    assert chain.args == ["MSFT"]
    by_menu, by_click = QSignalSpy(panel.chartRequested), QSignalSpy(panel.activated)
    found["chartAction"].trigger()
    double_click(qtbot, panel, row)
    assert by_menu.count() == 2 and [by_menu.at(i) for i in range(2)] == [["MSFT"], ["MSFT"]]
    assert by_click.count() == 2 and by_click.at(0)[0].symbol == by_click.at(1)[0].symbol == "MSFT"
    with qtbot.waitSignal(panel.symbolsChanged) as removed:
        actions(menu_for(panel, row))["removeSymbolAction"].trigger()
    assert removed.args == [["AAPL", "IBM", "GOOG"]]


# ------------------------------------------------------------------ positions
def test_positions_menu_closes_adds_to_and_charts_the_position(qtbot):
    labels = ConnectionLabels()
    labels.set_connections([("paper", "Paper"), ("ibkr", "IBKR")])
    panel = shown(qtbot, PositionsPanel(labels), 1200)
    long, short, option = position(), position("MSFT", "-25", cid="ibkr", account="DU1"), position(instrument=CALL, qty="2")
    panel.stage([long, short, option])
    panel.model.flush()
    rows = panel.proxy.visible_rows()

    found = actions(menu_for(panel, rows.index(long)))
    assert found["closePositionAction"].text() == "Close position: sell 40 AAPL (double-click)"
    assert found["addToPositionAction"].text() == "Buy more AAPL"
    closes, activated = QSignalSpy(panel.closeRequested), QSignalSpy(panel.activated)
    found["closePositionAction"].trigger()
    double_click(qtbot, panel, rows.index(long))
    assert closes.count() == 2 and closes.at(0)[0] == closes.at(1)[0] == long  # the window: opposite side, all of it
    assert activated.count() == 2
    with qtbot.waitSignal(panel.addRequested) as added:
        found["addToPositionAction"].trigger()
    assert added.args == [long]

    found = actions(menu_for(panel, rows.index(short)))
    assert found["closePositionAction"].text() == "Close position: buy 25 MSFT (double-click)"
    assert found["addToPositionAction"].text() == "Sell more MSFT"
    with qtbot.waitSignal(panel.chartRequested) as chart:
        found["chartAction"].trigger()
    assert chart.args == ["MSFT"]
    with qtbot.waitSignal(panel.chartRequested) as chart:
        actions(menu_for(panel, rows.index(option)))["chartAction"].trigger()
    assert chart.args == ["AAPL"]  # an option: its underlying

    labels.set_stale({"ibkr": True})  # a disconnected connection's position cannot be traded now
    found = actions(menu_for(panel, rows.index(short)))
    assert not found["closePositionAction"].isEnabled() and found["closePositionAction"].toolTip() == "IBKR is disconnected"
    assert found["chartAction"].isEnabled()
    labels.deleteLater()


def test_a_consolidated_row_only_charts(qtbot):
    panel = shown(qtbot, PositionsPanel(), 1200)
    panel.stage([position(account="A"), position(account="B")])
    panel.model.flush()
    panel.set_consolidation_available(True)
    qtbot.mouseClick(panel.consolidated_button, LEFT)
    qtbot.waitUntil(lambda: panel.proxy.rowCount() == 1)
    found = actions(menu_for(panel, 0))
    assert not found["closePositionAction"].isEnabled() and not found["addToPositionAction"].isEnabled()
    assert "consolidated" in found["closePositionAction"].toolTip()
    closes = QSignalSpy(panel.closeRequested)
    double_click(qtbot, panel, 0)
    assert closes.count() == 0
    with qtbot.waitSignal(panel.chartRequested) as chart:
        found["chartAction"].trigger()
    assert chart.args == ["AAPL"]


# ---------------------------------------------------------------------- fills
def test_fills_menu_charts_and_copies(qtbot, qapp):
    panel = shown(qtbot, FillsPanel(), 1200)
    fill = Fill(broker="paper", connection_id="paper", account_id="PAPER", fill_id="F1", order_id="O1",
                instrument=CALL, side=OrderSide.BUY, amount=D(2), price=D("3.50"), timestamp=T0)
    panel.stage([fill])
    panel.model.flush()
    found = actions(menu_for(panel, 0))
    assert found["chartAction"].text() == "Chart AAPL (double-click)"
    charts = QSignalSpy(panel.chartRequested)
    found["chartAction"].trigger()
    double_click(qtbot, panel, 0)
    assert charts.count() == 2 and charts.at(0) == charts.at(1) == ["AAPL"]
    qapp.clipboard().clear()
    found["copyAction"].trigger()
    copied = qapp.clipboard().text()
    assert "3.50" in copied.split("\t") and "F1" not in copied  # the shown columns of the row
    assert CALL.display_name in copied


@pytest.mark.parametrize("make", [WatchlistPanel, PositionsPanel, FillsPanel])
def test_every_row_menu_still_copies_exports_and_resizes(qtbot, make):
    panel = shown(qtbot, make())
    found = actions(panel.build_context_menu(None))
    assert {"copyAction", "exportCsvAction", "resizeColumnsAction"} <= set(found)
