"""BrokerService and ChartFeed: batched delivery to Qt, coalescing, error reporting."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal as D

import pytest

from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.domain import Interval, OrderRequest, OrderSide, OrderType, TimeInForce
from desktop.ui.error_reporting import ErrorReporter
from desktop.ui.services.broker_service import BrokerService
from desktop.ui.services.chart_feed import ChartFeed
from qt_helpers import run


@pytest.fixture
def service(qtbot, qloop, tmp_path):
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    svc = BrokerService(broker, flush_ms=100, poll_s=60)
    run(qtbot, qloop, svc.start(["AAPL", "MSFT"]))
    broker.advance_minutes(2)
    yield svc
    run(qtbot, qloop, svc.stop())


def test_many_order_updates_arrive_in_few_batches(qtbot, qloop, service):
    broker = service.broker
    emissions: list[list] = []
    service.ordersChanged.connect(emissions.append)
    aapl = service.instrument_for("AAPL")
    low = (broker.market.last_price("AAPL") * D("0.8")).quantize(D("0.01"))

    async def place_many():
        for i in range(40):
            await broker.create_order(OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=aapl, side=OrderSide.BUY, type=OrderType.LIMIT,
                                                   amount=D(1), limit_price=low - i, time_in_force=TimeInForce.GTC))

    run(qtbot, qloop, place_many())
    qtbot.waitUntil(lambda: sum(len(batch) for batch in emissions) >= 40)
    assert len(emissions) <= 3, [len(b) for b in emissions]
    assert len({o.order_id for batch in emissions for o in batch}) == 40


def test_quotes_are_coalesced_to_the_latest_per_symbol(qtbot, qloop, service):
    batches: list[list] = []
    service.quotesChanged.connect(batches.append)
    for _ in range(100):
        service.broker.advance_minutes(1)
    qtbot.waitUntil(lambda: any(q.symbol == "AAPL" for b in batches for q in b))
    qtbot.waitUntil(lambda: service.quotes["AAPL"].timestamp == service.broker.replay_now)
    delivered = sum(len(b) for b in batches)
    assert delivered <= 10, delivered  # 200 quote changes, not 200 signals
    assert all(len({q.symbol for q in b}) == len(b) for b in batches)


def test_positions_are_marked_to_live_quotes(qtbot, qloop, service):
    broker = service.broker
    aapl = service.instrument_for("AAPL")
    run(qtbot, qloop, service.submit(OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=aapl, side=OrderSide.BUY, type=OrderType.MARKET, amount=D(10))))
    qtbot.waitUntil(lambda: len(service.positions) == 1)
    broker.advance_minutes(30)
    last = broker.market.last_price("AAPL")
    qtbot.waitUntil(lambda: next(iter(service.positions.values())).last_price == last)
    pos = next(iter(service.positions.values()))
    assert pos.unrealized_pnl == (last - pos.average_price) * 10


def test_chart_feed_loads_history_then_streams_batched_updates(qtbot, qloop, tmp_path):
    broker = PaperBroker(tmp_path / "p.sqlite3", autostart=False)
    run(qtbot, qloop, broker.connect())
    feed = ChartFeed(broker, flush_ms=50)
    history, updates = [], []
    feed.historyLoaded.connect(lambda s, i, bars: history.append((s, i, len(bars))))
    feed.barsUpdated.connect(updates.append)
    feed.select("MSFT", Interval.M15)
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
    run(qtbot, qloop, broker.close())


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
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    svc = BrokerService(broker, flush_ms=50, poll_s=0.05)
    run(qtbot, qloop, svc.start(["AAPL"]))
    broker.advance_minutes(5)
    chain = run(qtbot, qloop, broker.fetch_option_chain("AAPL"))
    spot = chain.underlying_price
    otm = next(q for q in chain.quotes if q.contract.right.value == "CALL" and q.contract.strike > spot * D("1.1") and q.ask)
    from desktop.domain import Instrument, PositionEffect

    request = OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=Instrument.for_option(otm.contract), side=OrderSide.BUY,
                           type=OrderType.LIMIT, amount=D(1), limit_price=otm.ask, position_effect=PositionEffect.OPEN)
    placed = run(qtbot, qloop, svc.submit(request))
    qtbot.waitUntil(lambda: any(f.order_id == placed.order_id for f in svc.fills.values()))
    fills_seen = []
    svc.fillsAdded.connect(fills_seen.extend)
    while broker.replay_now.date() <= otm.contract.expiry:
        broker.advance_minutes(390)
    qtbot.waitUntil(lambda: any(f.note == "expired worthless" for f in fills_seen), timeout=5000)
    run(qtbot, qloop, svc.stop())


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


def test_poll_interval_follows_the_broker_unless_given(qapp, tmp_path):
    from desktop.brokers.ibkr import IbkrBroker
    from desktop.brokers.ibkr.broker import POLL_INTERVAL

    paper = PaperBroker(tmp_path / "p.sqlite3", autostart=False)
    ibkr = IbkrBroker("https://127.0.0.1:9/v1/api")
    assert BrokerService(paper).poll_interval == paper.capabilities.poll_interval == 2.0
    service = BrokerService(ibkr)
    assert service.poll_interval == POLL_INTERVAL == ibkr.capabilities.poll_interval > 2.0  # paced gateway
    service.broker = paper  # the window switched brokers: the new broker's pace
    assert service.poll_interval == 2.0
    assert BrokerService(ibkr, poll_s=0.2).poll_interval == 0.2
