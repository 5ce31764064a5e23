"""Times in the blotters (pytest-qt, offscreen): each row's time on its own
connection's clock (a paper replay's New York day, another broker's exchange zone on
the real clock), the date shown only when it is not that connection's today
("Mar 01 10:00:00", the year too when it is another year), tooltips and exports with
the full timestamp in the same zone, sorting chronological whatever is shown."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt

from desktop.domain import Account, Balance, Fill, Instrument, Order, OrderSide, OrderStatus, OrderType, Quote
from desktop.ui.display_clock import DISPLAY_CLOCK
from desktop.ui.tables import AccountsPanel, ConnectionLabels, FillsPanel, OrdersPanel, WatchlistPanel
from test_tables_support import column, shown

NEW_YORK, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
REPLAY_NOW = datetime(2012, 3, 2, 16, 0, tzinfo=timezone.utc)  # 11:00 in New York, on the replayed 2 March
TIP = Qt.ItemDataRole.ToolTipRole


@pytest.fixture(autouse=True)
def clocks():
    DISPLAY_CLOCK.configure_connection("paper", NEW_YORK, lambda: REPLAY_NOW)
    DISPLAY_CLOCK.configure_connection("ibkr", TOKYO)
    yield
    DISPLAY_CLOCK.reset()


@pytest.fixture
def labels(qtbot):
    labels = ConnectionLabels()
    labels.set_connections([("paper", "Paper"), ("ibkr", "IBKR")])
    yield labels
    labels.deleteLater()



def common(cid: str) -> dict:
    return dict(broker=cid, connection_id=cid, account_id="A1", instrument=Instrument.equity("AAPL"), side=OrderSide.BUY)


def an_order(cid: str, when: datetime, n: int) -> Order:
    return Order(order_id=str(n), type=OrderType.MARKET, amount=D(1), status=OrderStatus.ACCEPTED, created_at=when,
                 updated_at=when, **common(cid))


def a_fill(cid: str, when: datetime, n: int) -> Fill:
    return Fill(fill_id=str(n), order_id=str(n), amount=D(1), price=D("547.25"), timestamp=when, **common(cid))


@pytest.mark.parametrize(("make", "row"), [(OrdersPanel, an_order), (FillsPanel, a_fill)], ids=["orders", "fills"])
def test_the_date_shows_only_when_it_is_not_the_rows_connection_today(qtbot, labels, make, row):
    panel = shown(qtbot, make(labels))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    rows = {
        "replayed today": row("paper", datetime(2012, 3, 2, 14, 35, tzinfo=timezone.utc), 1),
        "replayed yesterday": row("paper", datetime(2012, 3, 1, 15, 0, tzinfo=timezone.utc), 2),
        "replayed last year": row("paper", datetime(2011, 12, 30, 20, 59, tzinfo=timezone.utc), 3),
        "tokyo now": row("ibkr", now, 4),
        "tokyo, the replay's day": row("ibkr", datetime(2012, 3, 2, 14, 35, tzinfo=timezone.utc), 5),
    }
    panel.stage(rows.values())
    panel.model.flush()
    shown_rows = panel.proxy.visible_rows()
    text = dict(zip(shown_rows, column(panel, "time")))
    assert text[rows["replayed today"]] == "09:35:00"  # New York time, on the replayed day: no date
    assert text[rows["replayed yesterday"]] == "Mar 01 10:00:00"
    assert text[rows["replayed last year"]] == "2011-12-30 15:59:00"
    assert text[rows["tokyo now"]] == now.astimezone(TOKYO).strftime("%H:%M:%S")  # IBKR's today is the real one
    assert text[rows["tokyo, the replay's day"]] == "2012-03-02 23:35:00"
    assert shown_rows == sorted(rows.values(), key=lambda r: getattr(r, "created_at", None) or r.timestamp, reverse=True)

    tips = dict(zip(shown_rows, column(panel, "symbol", TIP)))
    assert "2012-03-01 10:00:00" in tips[rows["replayed yesterday"]]  # the full timestamp, New York
    assert "2012-03-02 23:35:00" in tips[rows["tokyo, the replay's day"]]  # the full timestamp, Tokyo


def test_tooltips_of_quotes_and_balances_say_when_on_their_connections_clock(qtbot, labels):
    watchlist = shown(qtbot, WatchlistPanel(labels))
    stamp = datetime(2012, 3, 2, 14, 35, 7, tzinfo=timezone.utc)
    watchlist.stage([Quote(symbol="AAPL", connection_id="paper", last=D("547.25"), timestamp=stamp),
                     Quote(symbol="MSFT", connection_id="ibkr", last=D("32.26"), timestamp=stamp)])
    watchlist.model.flush()
    tips = dict(zip(watchlist.symbols(), column(watchlist, "last", TIP)))
    assert "updated 2012-03-02 09:35:07" in tips["AAPL"] and "updated 2012-03-02 23:35:07" in tips["MSFT"]

    accounts = shown(qtbot, AccountsPanel(labels))
    accounts.stage([Account(broker="ibkr", connection_id="ibkr", account_id="DU1", name="Okafor IRA"),
                    Balance(broker="ibkr", connection_id="ibkr", account_id="DU1", currency="USD", cash=D("1000000"),
                            buying_power=D("4000000"), timestamp=stamp)])
    accounts.model.flush()
    assert "updated 2012-03-02 23:35:07" in column(accounts, "cash", TIP)[0]
    assert column(accounts, "cash") == ["1,000,000.00"]


def test_exports_carry_the_full_timestamp(qtbot, labels, tmp_path):
    panel = shown(qtbot, OrdersPanel(labels))
    panel.stage([an_order("paper", datetime(2012, 3, 2, 14, 35, tzinfo=timezone.utc) - timedelta(days=1), 1)])
    panel.model.flush()
    path = tmp_path / "orders.csv"
    panel.export_csv(path)
    assert "2012-03-01 09:35:00" in path.read_text(encoding="utf-8")
