"""The paper replay loop under the adapter kit's Supervisor: a failing tick is logged
and the loop goes on, a failure that persists shows as the connection's state
("market replay failing: see the log") until a tick works again, a loop that dies
is restarted; one order that cannot be matched is canceled, the others match on."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from desktop.brokers.paper import PaperBroker
from desktop.brokers.paper.ledger import Ledger
from desktop.brokers.paper.matching import MatchingEngine
from desktop.brokers.paper.replay_loop import REPORT_SECONDS, ReplayLoop
from desktop.brokers.transport import Backoff, Supervisor
from desktop.domain import (Bar, ConnectionStatus, Fill, Instrument, Interval, OrderRequest, OrderSide, OrderStatus,
                            OrderType, TimeInForce)

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=timezone.utc)
AAPL = Instrument.equity("AAPL")


class FakeClock:
    def __init__(self) -> None:
        self.error: Exception | None = None

    def advance(self, seconds: float) -> int:
        if self.error is not None:
            raise self.error
        return int(seconds)


def test_a_persisting_failure_is_reported_every_few_seconds_then_cleared():
    now = {"t": 0.0}
    states = []
    sup = Supervisor(name="Paper", clock=lambda: now["t"], on_state=lambda task, s: states.append((task, s)))
    played, clock = [], FakeClock()
    loop = ReplayLoop(lambda: clock, played.append, lambda: None, sup, tick_seconds=0.05)
    clock.error = OSError("disk full")
    for step in range(int(2 * REPORT_SECONDS / 0.5) + 1):  # the same failure every 0.5 s for 10 s
        now["t"] = step * 0.5
        loop.tick(1.0, now["t"])
    assert sup.item_failures["replay"] == 3  # at 0, 5 and 10 s: not 21 times
    assert [(t, s.status, s.message) for t, s in states] == [
        ("replay", ConnectionStatus.RECONNECTING, "market replay failing: see the log")]
    clock.error = None
    loop.tick(2.0, 11.0)
    assert played == [2] and states[-1][1].status is ConnectionStatus.CONNECTED
    assert states[-1][1].message == "market replay restored"


def test_a_new_failure_is_reported_at_once():
    sup = Supervisor(name="Paper", clock=lambda: 0.0)
    clock = FakeClock()
    loop = ReplayLoop(lambda: clock, lambda m: None, lambda: None, sup, tick_seconds=0.05)
    for n in range(3):
        clock.error = RuntimeError(f"boom {n}")
        loop.tick(1.0, 0.1 * n)
    assert sup.item_failures["replay"] == 3 and sup.failing("replay")


def fast_supervisor() -> Supervisor:
    return Supervisor(name="Paper", backoff=lambda: Backoff(initial=0.01, maximum=0.02, jitter=0))


async def until(predicate, timeout=5.0):
    async def wait():
        while not predicate():
            await asyncio.sleep(0.005)
    await asyncio.wait_for(wait(), timeout)


def test_the_connection_shows_a_failing_replay_and_its_recovery(arun, tmp_path, caplog):
    async def body():
        broker = PaperBroker(tmp_path / "p.sqlite3", tick_seconds=0.005, supervisor=fast_supervisor())
        await broker.connect()
        states = []

        async def watch():
            async for state in broker.watch_connection():
                states.append(state)

        watcher = asyncio.ensure_future(watch())
        broker.set_replay_speed(600)
        real = broker.advance_minutes
        calls = {"n": 0}

        def broken(minutes):
            calls["n"] += 1
            raise RuntimeError(f"broken tick {calls['n']}")

        broker.advance_minutes = broken
        await until(lambda: any(s.status is ConnectionStatus.RECONNECTING for s in states))
        assert states[0].message == "market replay failing: see the log"
        stuck = broker.replay_now
        broker.advance_minutes = real
        await until(lambda: states[-1].status is ConnectionStatus.CONNECTED)
        await until(lambda: broker.replay_now > stuck)  # the market plays again
        assert states[-1].message == "market replay restored"
        await broker.close()
        await asyncio.wait_for(watcher, 2)  # close ends the watcher

    with caplog.at_level(logging.ERROR):
        arun(body())
    assert "market replay: skipped an item after RuntimeError: broken tick" in caplog.text


def test_a_replay_loop_that_dies_is_restarted(arun, tmp_path):
    async def body():
        sup = fast_supervisor()
        broker = PaperBroker(tmp_path / "p.sqlite3", tick_seconds=0.005, supervisor=sup)
        await broker.connect()
        broker.set_replay_speed(600)
        start = broker.replay_now
        await until(lambda: broker.replay_now > start)
        broker._replay.tick_seconds = "not a number"  # asyncio.sleep raises: the loop itself dies
        await until(lambda: sup.restarts.get("replay", 0) >= 2)
        broker._replay.tick_seconds = 0.005
        before = broker.replay_now
        await until(lambda: broker.replay_now > before)  # back, and playing
        await broker.close()

    arun(body())


# -- one order that cannot be matched -------------------------------------------------

def bar(minute, price, volume=10_000):
    p = D(price)
    return Bar(symbol="AAPL", interval=Interval.M1, start=T0 + timedelta(minutes=minute), open=p, high=p + 1, low=p - 1,
               close=p, volume=D(volume))


def limit_buy(cid, price, amount=10):
    return OrderRequest(connection_id="paper", account_id="PAPER", instrument=AAPL, side=OrderSide.BUY,
                        type=OrderType.LIMIT, amount=D(amount), limit_price=D(price), time_in_force=TimeInForce.GTC,
                        client_order_id=cid)


def test_an_order_whose_matching_raises_is_canceled_and_the_others_fill(monkeypatch, caplog):
    eng = MatchingEngine(Ledger())
    bad = eng.submit(limit_buy("bad", "99"), T0, D(100))[0]
    good = eng.submit(limit_buy("good", "99"), T0, D(100))[0]
    real = eng._match_bar

    def broken(oid, *args):
        if oid == bad.order_id:
            raise ArithmeticError("cannot match")
        return real(oid, *args)

    monkeypatch.setattr(eng, "_match_bar", broken)
    with caplog.at_level(logging.ERROR):
        events = eng.on_bar("AAPL", bar(1, 99))
    assert f"paper order {bad.order_id} could not be matched" in caplog.text
    assert eng.get_order(bad.order_id).status is OrderStatus.CANCELED
    assert "could not match this order (ArithmeticError)" in eng.get_order(bad.order_id).message
    assert eng.get_order(good.order_id).status is OrderStatus.FILLED
    assert [type(e).__name__ for e in events] == ["Order", "Fill", "Order"]
    assert eng.ledger.reservations == {} and eng.ledger.quantity("AAPL") == 10


def test_a_fill_that_cannot_be_booked_changes_nothing(monkeypatch):
    eng = MatchingEngine(Ledger())
    placed = eng.submit(limit_buy("x", "99"), T0, D(100))[0]
    before = (eng.ledger.to_state(), eng.orders(), eng.fills(), dict(eng._books))

    def refuse(fill: Fill) -> None:
        raise ArithmeticError("overflow")

    monkeypatch.setattr(eng.ledger, "apply_fill", refuse)
    eng.on_bar("AAPL", bar(1, 99))
    assert eng.fills() == before[2] and eng.ledger.quantity("AAPL") == 0
    assert eng.get_order(placed.order_id).status is OrderStatus.CANCELED and eng.get_order(placed.order_id).filled == 0
