"""The blotters in the main window's default layout at 1280 and 1600 px, dark and light
(pytest-qt, offscreen): nothing the paper broker shows is cut — watchlist volumes,
fills' times, account names, cash figures like 1,000,000.00 — the watchlist's columns
all in sight, the accounts' Cash and the orders' Status in sight without scrolling."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtWidgets import QApplication

from desktop.connections import ConnectionStore
from desktop.desk import Desk
from desktop.domain import Account, Balance, Fill, Instrument, Order, OrderSide, OrderStatus, OrderType, Position, Quote
from desktop.ui.display_clock import DISPLAY_CLOCK
from desktop.ui.main_window import MainWindow
from desktop.ui.theme import apply_theme
from test_table_fit import cut_off

NOW = datetime(2012, 3, 2, 15, 30, tzinfo=timezone.utc)
YESTERDAY = NOW - timedelta(days=1)


def rows() -> dict[str, list]:
    """What one paper connection shows after a day of trading (yesterday's orders and
    fills among today's), with the widest figures the issue saw cut."""
    aapl, msft = Instrument.equity("AAPL"), Instrument.equity("MSFT")
    common = dict(broker="paper", connection_id="paper", account_id="PAPER")
    orders = [
        Order(order_id="1", instrument=aapl, side=OrderSide.BUY, type=OrderType.STOP_LIMIT, amount=D(5000),
              limit_price=D("1206.25"), stop_price=D("1205.50"), status=OrderStatus.PARTIALLY_FILLED, filled=D(1250),
              average=D("1205.9375"), created_at=YESTERDAY, updated_at=NOW, **common),
        Order(order_id="2", instrument=msft, side=OrderSide.SELL, type=OrderType.LIMIT, amount=D(100), limit_price=D("32.5"),
              status=OrderStatus.REJECTED, created_at=NOW, updated_at=NOW,
              message="short selling is not available on this cash account", **common),
    ]
    fills = [Fill(fill_id=f"F{i}", order_id="1", instrument=aapl, side=OrderSide.BUY, amount=D(250), price=D("1205.9375"),
                  commission=D("1.25"), timestamp=YESTERDAY + timedelta(minutes=i), **common) for i in range(5)]
    accounts = [Account(name="Harper Family Trust Retirement", **common),
                Balance(currency="USD", cash=D("1000000"), buying_power=D("4000000"), net_liquidation=D("1000000"),
                        unrealized_pnl=D("-12345.67"), realized_pnl=D("100000"), **common)]
    positions = [Position(instrument=aapl, quantity=D(1250), average_price=D("1205.9375"), **common).marked(D("1207.10"))]
    quotes = [Quote(symbol=s, connection_id="paper", last=D(px), prev_close=D(px) - 5, bid=D(px) - D("0.02"),
                    ask=D(px) + D("0.02"), volume=D(v))
              for s, px, v in (("AAPL", "547.79", "10830719"), ("MSFT", "32.26", "158512"), ("IBM", "197.45", "1618281"),
                               ("GOOG", "618.29", "98765"))]
    return {"orders": orders, "fills": fills, "accounts": accounts, "positions": positions, "watchlist": quotes}


@pytest.fixture
def window(qtbot, qapp, tmp_path):
    made = []

    def _open(width: int, height: int, theme: str) -> MainWindow:
        apply_theme(qapp, theme)
        DISPLAY_CLOCK.configure_connection("paper", timezone.utc, lambda: NOW)
        w = MainWindow(Desk(None, None), connections=ConnectionStore(tmp_path / f"connections-{len(made)}.json"))
        made.append(w)
        w.labels.set_connections([("paper", "Paper")])
        w.show()
        w.resize(width, height)
        qtbot.waitUntil(lambda: w.width() == width and w.height() == height)
        for key, items in rows().items():
            getattr(w, key).stage(items)
        for panel in w.panels().values():
            panel.model.flush()
        return w

    yield _open
    for w in made:
        w.close()
        w.deleteLater()
    DISPLAY_CLOCK.reset()
    apply_theme(qapp, "dark")


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1600, 1000)])
def test_nothing_is_cut_in_the_default_layout(qtbot, window, width, height, theme):
    w = window(width, height, theme)
    for front in ("orders", "positions", "fills", "accounts"):  # the tabbed docks, each brought to the front
        w.docks[front].raise_()
        panel = w.panels()[front]
        qtbot.waitUntil(panel.view.isVisible)
        QApplication.processEvents()
        cut = [c for c in cut_off(panel) if not c.startswith("message:")]  # long messages end in "…" (tooltip: all)
        assert cut == [], f"{front} at {width} px: {cut}"

    watchlist = w.watchlist
    assert cut_off(watchlist) == []
    view = watchlist.view
    used = sum(view.columnWidth(c) for c in view.visible_columns())
    assert used <= view.viewport().width(), f"watchlist columns {used} px in a {view.viewport().width()} px view"

    accounts = w.accounts
    w.docks["accounts"].raise_()
    qtbot.waitUntil(accounts.view.isVisible)
    hh = accounts.view.horizontalHeader()
    cash = accounts.model.column_index("cash")
    assert hh.sectionPosition(cash) + hh.sectionSize(cash) <= accounts.view.viewport().width()  # 1,000,000.00 in sight

    orders = w.orders
    w.docks["orders"].raise_()
    qtbot.waitUntil(orders.view.isVisible)
    hh = orders.view.horizontalHeader()
    status = orders.model.column_index("status")
    assert hh.sectionPosition(status) + hh.sectionSize(status) <= orders.view.viewport().width()
    assert orders.view.horizontalScrollBar().value() == 0
