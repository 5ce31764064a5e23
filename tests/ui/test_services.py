"""DeskBridge and ChartFeed: batched delivery to Qt, coalescing, sources, error reporting."""

from __future__ import annotations

import logging
from decimal import Decimal as D

import pytest

from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.desk import Desk
from desktop.domain import Instrument, Interval, OrderRequest, OrderSide, OrderType, PositionEffect, TimeInForce
from desktop.ui.error_reporting import ErrorReporter
from desktop.ui.services.chart_feed import ChartFeed
from desktop.ui.services.desk_bridge import DeskBridge
from qt_helpers import run


@pytest.fixture
def desk(qtbot, qloop, tmp_path):
    made = Desk(poll_s=60, start_budget_s=2)
    made.market.set_watchlist(["AAPL", "MSFT"])
    yield made
    run(qtbot, qloop, made.shutdown())


def attach(qtbot, qloop, desk, tmp_path, cid="paper", **kw):
    broker = PaperBroker(tmp_path / f"{cid}.sqlite3", autostart=False, **kw).bind(cid)
    conn = run(qtbot, qloop, desk.attach(broker))
    broker.advance_minutes(2)
    return conn


def limit_buy(cid, inst, price, **kw):
    return OrderRequest(connection_id=cid, account_id=ACCOUNT_ID, instrument=inst, side=OrderSide.BUY, type=OrderType.LIMIT,
                        amount=D(1), limit_price=price, time_in_force=TimeInForce.GTC, **kw)


def test_many_order_updates_arrive_in_few_batches(qtbot, qloop, desk, tmp_path):
    conn = attach(qtbot, qloop, desk, tmp_path)
    bridge = DeskBridge(desk, flush_ms=100)
    emissions: list[list] = []
    bridge.ordersChanged.connect(emissions.append)
    aapl = conn.instrument_for("AAPL")
    low = (conn.broker.market.last_price("AAPL") * D("0.8")).quantize(D("0.01"))

    async def place_many():
        for i in range(40):
            await conn.broker.create_order(limit_buy("paper", aapl, low - i))

    run(qtbot, qloop, place_many())
    qtbot.waitUntil(lambda: sum(len(batch) for batch in emissions) >= 40)
    assert len(emissions) <= 3, [len(b) for b in emissions]
    assert len({o.order_id for batch in emissions for o in batch}) == 40
    bridge.close()


def test_quotes_are_coalesced_to_the_latest_per_connection_and_symbol(qtbot, qloop, desk, tmp_path):
    conn = attach(qtbot, qloop, desk, tmp_path)
    bridge = DeskBridge(desk, flush_ms=100)
    batches: list[list] = []
    bridge.quotesChanged.connect(batches.append)
    for _ in range(100):
        conn.broker.advance_minutes(1)
    qtbot.waitUntil(lambda: desk.state.quote("paper", "AAPL") is not None
                    and desk.state.quote("paper", "AAPL").timestamp == conn.broker.replay_now)
    qtbot.waitUntil(lambda: any(q.timestamp == conn.broker.replay_now for b in batches for q in b))
    delivered = sum(len(b) for b in batches)
    assert delivered <= 10, delivered  # 200 quote changes, not 200 signals
    assert all(len({(q.connection_id, q.symbol) for q in b}) == len(b) for b in batches)
    bridge.close()


def test_positions_are_marked_to_their_own_connections_quotes(qtbot, qloop, desk, tmp_path):
    a = attach(qtbot, qloop, desk, tmp_path, "a")
    b = attach(qtbot, qloop, desk, tmp_path, "b")
    desk.market.want("test", "b", ["AAPL"])
    bridge = DeskBridge(desk, flush_ms=50)
    for conn in (a, b):
        order = OrderRequest(connection_id=conn.id, account_id=ACCOUNT_ID, instrument=conn.instrument_for("AAPL"),
                             side=OrderSide.BUY, type=OrderType.MARKET, amount=D(10))
        run(qtbot, qloop, bridge.submit(order))
        conn.broker.advance_minutes(1)
    qtbot.waitUntil(lambda: len(desk.state.positions) == 2)
    a.broker.advance_minutes(30)  # only a's market moves
    last_a = a.broker.market.last_price("AAPL")
    pos = lambda cid: next(p for p in desk.state.positions.values() if p.connection_id == cid)  # noqa: E731
    qtbot.waitUntil(lambda: pos("a").last_price == last_a)
    assert pos("a").unrealized_pnl == (last_a - pos("a").average_price) * 10
    assert pos("b").last_price != last_a  # b's position follows b's own replay, not a's
    bridge.close()


def test_chart_feed_loads_history_then_streams_batched_updates(qtbot, qloop, desk, tmp_path):
    conn = attach(qtbot, qloop, desk, tmp_path)
    broker = conn.broker
    feed = ChartFeed(desk, flush_ms=50)
    history, updates, sources = [], [], []
    feed.historyLoaded.connect(lambda s, i, bars: history.append((s, i, len(bars))))
    feed.barsUpdated.connect(updates.append)
    feed.sourceChanged.connect(sources.append)
    feed.select("MSFT", Interval.M15)
    assert sources == [conn]
    qtbot.waitUntil(lambda: bool(history))
    assert history[0][:2] == ("MSFT", "15m") and history[0][2] > 0
    qtbot.waitUntil(lambda: broker._bar_subscriptions.get(("MSFT", Interval.M15)) == 1)
    for _ in range(20):
        broker.advance_minutes(1)
    qtbot.waitUntil(lambda: sum(len(u) for u in updates) >= 2)
    bars = [b for u in updates for b in u]
    assert all(b.interval is Interval.M15 and b.symbol == "MSFT" for b in bars)
    assert len(updates) < 20  # batched, not one signal per minute
    feed.select("IBM", Interval.M1)
    qtbot.waitUntil(lambda: len(history) == 2)
    assert history[1][:2] == ("IBM", "1m")
    feed.stop()


def test_chart_feed_follows_the_chosen_source_and_falls_back_when_it_goes(qtbot, qloop, desk, tmp_path):
    a = attach(qtbot, qloop, desk, tmp_path, "a")
    b = attach(qtbot, qloop, desk, tmp_path, "b")
    feed = ChartFeed(desk, flush_ms=50)
    failures, sources = [], []
    feed.failed.connect(failures.append)
    feed.sourceChanged.connect(sources.append)
    feed.select("AAPL", Interval.M1)
    assert feed.source is a
    feed.choose_source("b")
    assert feed.source is b and sources[-1] is b
    run(qtbot, qloop, desk.disconnect("b"))
    feed.reconsider()
    assert feed.source is a  # the chosen one went away: the next live one draws
    run(qtbot, qloop, desk.disconnect("a"))
    feed.reconsider()
    assert feed.source is None and "No broker is connected" in failures[-1]
    feed.stop()


def test_unhandled_exceptions_are_logged_and_shown(qtbot, qloop, caplog, monkeypatch):
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    reporter = ErrorReporter()
    reporter.install(qloop)

    async def boom():
        raise RuntimeError("broken adapter")

    with caplog.at_level(logging.ERROR, logger="tradedesk.errors"):
        qloop.create_task(boom())
        import gc

        qtbot.waitUntil(lambda: (gc.collect() or True) and reporter.shown >= 1)
    assert "broken adapter" in caplog.text
    dialog = reporter.dialog
    assert dialog.objectName() == "errorDialog" and dialog.isVisible()
    assert "RuntimeError: broken adapter" in dialog.informativeText()
    dialog.close()
    reporter.excepthook(ValueError, ValueError("from a slot"), None)
    assert reporter.shown == 2 and reporter.dialog.isVisible()
    assert reporter.dialog.informativeText() == "ValueError: from a slot"
    reporter.dialog.close()


def test_fills_without_an_order_change_arrive_by_the_poll(qtbot, qloop, tmp_path):
    """Option expiry books a fill that no order update announces; the poll picks it up."""
    desk = Desk(poll_s=0.05, start_budget_s=2)
    conn = attach(qtbot, qloop, desk, tmp_path)
    broker = conn.broker
    bridge = DeskBridge(desk, flush_ms=50)
    chain = run(qtbot, qloop, broker.fetch_option_chain("AAPL"))
    spot = chain.underlying_price
    otm = next(q for q in chain.quotes if q.contract.right.value == "CALL" and q.contract.strike > spot * D("1.1") and q.ask)
    request = OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=Instrument.for_option(otm.contract),
                           side=OrderSide.BUY, type=OrderType.LIMIT, amount=D(1), limit_price=otm.ask,
                           position_effect=PositionEffect.OPEN)
    placed = run(qtbot, qloop, bridge.submit(request))
    qtbot.waitUntil(lambda: any(f.order_id == placed.order_id for f in desk.state.fills.values()))
    fills_seen = []
    bridge.fillsAdded.connect(fills_seen.extend)
    while broker.replay_now.date() <= otm.contract.expiry:
        broker.advance_minutes(390)
    qtbot.waitUntil(lambda: any(f.note == "expired worthless" for f in fills_seen), timeout=5000)
    bridge.close()
    run(qtbot, qloop, desk.shutdown())


def test_error_dialog_text_is_redacted(qtbot, monkeypatch):
    import sys

    from desktop.security.redaction import register_secret

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    secret = "tok-9f8e7d6c5b4a-secret"
    register_secret(secret)
    reporter = ErrorReporter()
    reporter.excepthook(RuntimeError, RuntimeError(f"login failed for token {secret}"), None)
    dialog = reporter.dialog
    assert dialog.objectName() == "errorDialog" and dialog.isVisible()
    assert secret not in dialog.informativeText() and secret not in dialog.detailedText()
    assert "login failed" in dialog.informativeText()
    dialog.close()


def test_poll_interval_follows_the_broker_unless_given(qtbot, qloop, tmp_path):
    from desktop.brokers.ibkr import IbkrBroker
    from desktop.brokers.ibkr.broker import POLL_INTERVAL
    from desktop.desk import LiveConnection, DeskState

    def conn(broker, poll_s=None):
        return LiveConnection(broker.connection_id, broker.display_name, broker, DeskState(), lambda _e: None, poll_s=poll_s)

    paper = PaperBroker(tmp_path / "p.sqlite3", autostart=False)
    ibkr = IbkrBroker("https://127.0.0.1:9/v1/api")
    assert conn(paper).poll_interval == paper.capabilities.poll_interval == 2.0
    assert conn(ibkr).poll_interval == POLL_INTERVAL == ibkr.capabilities.poll_interval > 2.0  # paced gateway
    assert conn(ibkr, 0.2).poll_interval == 0.2


class NoBars(PaperBroker):
    """A broker that serves no price history (as SnapTrade): no bar intervals."""

    name = "nobars"
    display_name = "Aggregator"

    @property
    def capabilities(self):
        return super().capabilities.model_copy(update={"intervals": ()})


def test_a_chart_with_only_brokers_without_bars_says_why(qtbot, qloop, desk, tmp_path):
    run(qtbot, qloop, desk.attach(NoBars(tmp_path / "n.sqlite3", autostart=False).bind("agg"), "Aggregator"))
    feed = ChartFeed(desk, flush_ms=50)
    failures = []
    feed.failed.connect(failures.append)
    feed.select("AAPL", Interval.M1)
    assert feed.source is None
    assert failures == ["Aggregator serves no price history: connect a broker that does (the paper broker or "
                        "Interactive Brokers) for charts"]
    conn = attach(qtbot, qloop, desk, tmp_path, "paper")  # a broker with bars connects: it draws
    feed.reconsider()
    assert feed.source is conn
    feed.stop()
