"""Every desk task of a connection (its watch_orders consumer, quotes, the snapshot
poll, watch_connection) comes back after an unexpected exception; one that keeps
dying shows on its connection ("order updates" failing) until it delivers again;
one bad item (an order the desk cannot apply, a position that cannot be marked) is
logged and skipped while the stream goes on."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from contextlib import aclosing
from decimal import Decimal as D

from desktop.brokers.paper import PaperBroker
from desktop.desk import Desk, Supervision
from desktop.desk import events as ev
from desktop.domain import ConnectionState, ConnectionStatus, Quote
from tests.desk.support import buy, resting, wait_for

FAST = Supervision(first_delay=0.01, max_delay=0.02, limit=3, window_s=30.0)


class Killable(PaperBroker):
    """A paper broker whose streams and polls die with an unexpected exception when
    told: ``arm(task, n)`` makes its next ``n`` runs (or poll rounds) raise
    RuntimeError at their next step. ``runs`` counts how often each was started."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.armed: Counter = Counter()
        self.runs: Counter = Counter()
        self.states: asyncio.Queue = asyncio.Queue()

    def arm(self, task: str, times: int = 1) -> None:
        self.armed[task] = times

    def _strike(self, task: str) -> None:
        if self.armed[task] > 0:
            self.armed[task] -= 1
            raise RuntimeError(f"{task} killed")

    async def _killable(self, task: str, stream):
        self.runs[task] += 1
        async with aclosing(stream):
            self._strike(task)
            async for item in stream:
                self._strike(task)
                yield item

    def watch_orders(self, account_id):
        return self._killable("orders", super().watch_orders(account_id))

    def watch_quotes(self, symbols):
        return self._killable("quotes", super().watch_quotes(symbols))

    async def _states(self):
        while True:
            yield await self.states.get()

    def watch_connection(self):
        return self._killable("connection", self._states())

    async def fetch_balances(self, account_id):
        self._strike("poll")
        self.runs["poll"] += 1
        return await super().fetch_balances(account_id)


async def start(tmp_path, name="k", **desk_kw):
    desk = Desk(poll_s=0.05, start_budget_s=2, supervision=desk_kw.pop("supervision", FAST), **desk_kw)
    desk.market.set_watchlist(["AAPL"])
    health = []
    desk.listen(lambda e: e.kind == ev.HEALTH and health.append(tuple(e.detail)))
    conn = await desk.attach(Killable(tmp_path / f"{name}.sqlite3", autostart=False).bind(name), "Killable")
    conn.broker.advance_minutes(1)
    await wait_for(lambda: desk.state.quote(name, "AAPL") is not None)
    return desk, conn, health


def test_each_task_killed_by_an_unexpected_exception_comes_back(arun, tmp_path):
    async def scenario():
        desk, conn, health = await start(tmp_path)
        broker, restarts = conn.broker, conn.supervisor.restarts
        # watch_orders: killed at its next order update, restarted, the next order shows
        broker.arm("orders")
        runs = broker.runs["orders"]
        first = await desk.submit(resting(conn, 1))
        await wait_for(lambda: broker.runs["orders"] == runs + 1)
        second = await broker.create_order(resting(conn, 2))  # only the stream tells the desk
        await wait_for(lambda: second.key in desk.state.orders)
        assert first.key in desk.state.orders
        # quotes: killed at its next quote, restarted, quotes move again
        broker.arm("quotes")
        runs = broker.runs["quotes"]
        broker.advance_minutes(1)
        await wait_for(lambda: broker.runs["quotes"] == runs + 1)
        before = desk.state.quote(conn.id, "AAPL")
        broker.advance_minutes(2)
        await wait_for(lambda: desk.state.quote(conn.id, "AAPL") != before)
        # watch_connection: killed at its next state, restarted, the next state is applied
        broker.arm("connection")
        runs = broker.runs["connection"]
        broker.states.put_nowait(ConnectionState(status=ConnectionStatus.RECONNECTING))
        await wait_for(lambda: broker.runs["connection"] == runs + 1)
        assert conn.session is None or conn.session.status is not ConnectionStatus.RECONNECTING
        broker.states.put_nowait(ConnectionState(status=ConnectionStatus.RECONNECTING))
        await wait_for(lambda: conn.session is not None and conn.session.status is ConnectionStatus.RECONNECTING)
        # the poll: a round that dies does not end it; the next rounds read the account again
        broker.arm("poll")
        await wait_for(lambda: broker.armed["poll"] == 0)
        polls = broker.runs["poll"]
        await wait_for(lambda: broker.runs["poll"] >= polls + 2)
        assert conn.supervisor.restarts == restarts + 3  # orders, quotes, connection; the poll never died
        assert health == [] and conn.failing == ()  # one failure each is not "keeps failing"
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_task_that_keeps_dying_shows_on_its_connection_until_it_delivers(arun, tmp_path):
    async def scenario():
        desk, conn, health = await start(tmp_path)
        broker = conn.broker
        broker.arm("orders", 1000)  # every restart dies at once
        await desk.submit(resting(conn, 1))
        await wait_for(lambda: conn.failing == ("order updates",))
        assert health == [("order updates",)]
        broker.arm("quotes", 1000)
        broker.advance_minutes(1)
        await wait_for(lambda: conn.failing == ("order updates", "quotes"))
        broker.arm("orders", 0)  # the cause is gone: the next restart runs and delivers the working order
        await wait_for(lambda: conn.failing == ("quotes",))
        broker.arm("quotes", 0)
        await wait_for(lambda: conn.failing == ())
        assert health[-2:] == [("quotes",), ()]
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_poll_that_keeps_failing_shows_as_account_updates_until_a_round_succeeds(arun, tmp_path):
    async def scenario():
        desk, conn, health = await start(tmp_path)
        conn.broker.arm("poll", 1000)
        await wait_for(lambda: conn.failing == ("account updates",))
        conn.broker.arm("poll", 0)
        await wait_for(lambda: conn.failing == ())
        assert health == [("account updates",), ()]
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_a_restarted_task_that_runs_quietly_long_enough_is_no_longer_failing(arun, tmp_path):
    async def scenario():
        calm = Supervision(first_delay=0.01, max_delay=0.02, limit=3, window_s=0.5)
        desk, conn, _health = await start(tmp_path, supervision=calm)
        conn.broker.arm("connection", 3)  # the next state kills it, so do two restarts; then it has nothing to say
        conn.broker.states.put_nowait(ConnectionState(status=ConnectionStatus.CONNECTED))
        await wait_for(lambda: conn.failing == ("session updates",))
        await wait_for(lambda: conn.failing == ())  # no state for 0.5 s after the last restart: healthy
        await desk.shutdown()

    arun(scenario(), timeout=30)


def test_stopping_a_connection_clears_what_was_failing(arun, tmp_path):
    async def scenario():
        desk, conn, health = await start(tmp_path)
        conn.broker.arm("poll", 1000)
        await wait_for(lambda: conn.failing)
        await desk.disconnect(conn.id)
        assert conn.failing == () and health[-1] == ()

    arun(scenario(), timeout=30)


class BadItems(Killable):
    """Delivers one order update the desk cannot apply (not an Order) before the real
    ones, and a quote whose price no position can be marked to."""

    async def watch_orders(self, account_id):
        yield {"order_id": "garbage"}
        async with aclosing(PaperBroker.watch_orders(self, account_id)) as orders:
            async for order in orders:
                yield order

    async def watch_quotes(self, symbols):
        async with aclosing(PaperBroker.watch_quotes(self, symbols)) as quotes:
            async for quote in quotes:
                if self.armed["huge"]:
                    self.armed["huge"] -= 1
                    yield quote.model_copy(update={"last": D("1e999999")})
                yield quote


def test_one_bad_item_is_logged_and_skipped_and_the_stream_goes_on(arun, tmp_path, caplog):
    async def scenario():
        desk = Desk(poll_s=0.05, start_budget_s=2, supervision=FAST)
        desk.market.set_watchlist(["AAPL"])
        conn = await desk.attach(BadItems(tmp_path / "b.sqlite3", autostart=False).bind("b"), "Bad")
        broker = conn.broker
        broker.advance_minutes(1)
        order = await desk.submit(buy(conn, 10))
        broker.advance_minutes(2)
        await wait_for(lambda: any(p.symbol == "AAPL" for p in desk.state.positions_of("b")))
        broker.arm("huge", 1)
        broker.advance_minutes(1)
        await wait_for(lambda: desk.state.quote("b", "AAPL") is not None and desk.state.quote("b", "AAPL").last
                       == broker.market.last_price("AAPL") and broker.armed["huge"] == 0)
        position = next(p for p in desk.state.positions_of("b") if p.symbol == "AAPL")
        assert position.last_price == broker.market.last_price("AAPL")  # marked by the good quote after the bad one
        later = await broker.create_order(resting(conn, 1))
        await wait_for(lambda: later.key in desk.state.orders)  # the order stream still runs
        assert order.key in desk.state.orders and conn.supervisor.restarts == 0 and conn.failing == ()
        await desk.shutdown()

    with caplog.at_level(logging.WARNING):
        arun(scenario(), timeout=30)
    messages = [r.getMessage() for r in caplog.records]
    assert any("order updates: skipped an item" in m and "garbage" in m for m in messages)
    assert any("could not be marked" in m for m in messages)


def test_a_quote_that_cannot_mark_a_position_still_applies_and_marks_the_others(tmp_path):
    from desktop.desk import DeskState
    from desktop.domain import Instrument, Position

    state = DeskState()
    aapl = Instrument.equity("AAPL")
    small = Position(broker="paper", connection_id="c", account_id="A", instrument=aapl, quantity=D(1),
                     average_price=D(100))
    big = small.model_copy(update={"account_id": "B", "quantity": D("1e999990")})
    state.replace_positions("c", "A", [small])
    state.replace_positions("c", "B", [big])
    state.put_quote(Quote(connection_id="c", symbol="AAPL", last=D("1e20")))
    assert state.quote("c", "AAPL").last == D("1e20")
    assert state.positions[small.key].last_price == D("1e20")  # marked
    assert state.positions[big.key].last_price is None  # cannot be (overflow): kept as it was


def test_the_words_a_trader_reads_for_a_connection_whose_tasks_keep_failing():
    from desktop.ui.status_words import AMBER, GREEN, RED, connection_words

    assert connection_words("connected", failing=()) == ("connected", GREEN)
    assert connection_words("connected", failing=("order updates",)) == ("order updates failing: see the log", AMBER)
    assert connection_words("connected", failing=("order updates", "quotes", "account updates"))[0] == (
        "order updates, quotes and account updates failing: see the log")
    reconnecting = ConnectionState(status=ConnectionStatus.RECONNECTING)
    assert connection_words("connected", reconnecting, failing=("quotes",)) == (
        "reconnecting… · quotes failing: see the log", AMBER)
    assert connection_words("disconnected", failing=("quotes",))[0] == "disconnected"  # nothing runs: nothing fails
    assert connection_words("error: refused", failing=("quotes",)) == ("error: refused", RED)
