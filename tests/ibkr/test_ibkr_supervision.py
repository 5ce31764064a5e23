"""Every long-running IBKR task runs under the kit's Supervisor: each one is killed
here with an unexpected exception (a step monkeypatched to raise once) and must come
back and deliver again; a task that keeps dying shows in ``watch_connection`` as
"order updates failing: see the log" and clears when it works again.

Tasks: the live-order poller, the websocket order relay (sor), the quote pump, the
tickle keep-alive, the session recovery, the session watcher, the reconnecting
websocket, the bar polling. Sources are scripted (a loopback websocket speaking the
gateway's protocol, scripted fetches) except the last test, which runs the broker
against the gateway emulator.
"""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal

import pytest
from websockets.asyncio.server import serve

from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.ibkr.broker import WATCHER_TASK
from desktop.brokers.ibkr.live_orders import POLL_TASK, SOR_TASK, OrderPoller
from desktop.brokers.ibkr.marketdata import QUOTES_TASK, stream_quotes
from desktop.brokers.ibkr.session import KEEP_ALIVE_TASK, RECOVERY_TASK, IbkrSession
from desktop.brokers.ibkr.stream import IbkrStream
from desktop.brokers.transport import Backoff, Pacer, ReconnectingWebSocket, Supervisor
from desktop.brokers.transport.reconnecting_ws import WS_TASK
from desktop.domain import (
    ConnectionState,
    ConnectionStatus,
    Instrument,
    Interval,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
)

fakes = pytest.importorskip("tests.fakes.ibkr")

SYSTEM = json.dumps({"topic": "system", "success": "fakeuser"})


@pytest.fixture(autouse=True)
def _errors_only(caplog):
    caplog.set_level(logging.ERROR, logger="desktop.brokers")


def _supervisor(**kw) -> Supervisor:
    return Supervisor(name="IBKR", backoff=lambda: Backoff(initial=0.01, maximum=0.05), **kw)


def _once(real, exc: BaseException):
    """``real`` (sync or async) that raises ``exc`` on its first call only."""
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise exc
        return real(*args, **kwargs)
    wrapper.calls = calls
    return wrapper


def _once_async(real, exc: BaseException):
    calls = {"n": 0}

    async def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise exc
        return await real(*args, **kwargs)
    wrapper.calls = calls
    return wrapper


def _order(filled: int = 0) -> Order:
    return Order(broker="ibkr", account_id="ByNetLiq", order_id="1234567001", client_order_id="c0ffee",
                 instrument=Instrument.equity("AAPL", broker_id="265598"), side=OrderSide.BUY, type=OrderType.LIMIT,
                 amount=Decimal(1000), filled=Decimal(filled), limit_price=Decimal("190.00"),
                 status=OrderStatus.ACCEPTED if not filled else OrderStatus.PARTIALLY_FILLED,
                 allocation_group="ByNetLiq")


class Gateway:
    """A loopback websocket: ``system`` first; each time a message starting with a key
    of ``answers`` arrives, the frames ``answers[key](n)`` (n: how often it was asked)."""

    def __init__(self, answers) -> None:
        self.answers = answers
        self.asked: dict[str, int] = {}
        self.connections = 0

    async def handler(self, conn) -> None:
        self.connections += 1
        await conn.send(SYSTEM)
        async for message in conn:
            for key, frames in self.answers.items():
                if isinstance(message, str) and message.startswith(key):
                    self.asked[key] = self.asked.get(key, 0) + 1
                    for frame in frames(self.asked[key]):
                        await conn.send(json.dumps(frame))

    def url(self, server) -> str:
        return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/api/ws"


# -- the live-order poller ------------------------------------------------------------
def test_live_order_poller_killed_comes_back_and_polls_again(arun):
    async def scenario():
        supervisor = _supervisor()
        polls = {"n": 0}

        async def fetch(_account):
            polls["n"] += 1
            return [_order(filled=polls["n"])]
        poller = OrderPoller(fetch, interval=0.0, idle_interval=0.0, supervisor=supervisor)
        real_next = poller.schedule.next
        calls = {"n": 0}

        def next_or_die(*args):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("the schedule broke")  # kills the polling task once
            return real_next(*args)
        poller.schedule.next = next_or_die
        watch = poller.watch("ByNetLiq")
        seen = []
        try:
            while len(seen) < 6:
                seen.append((await asyncio.wait_for(anext(watch), 5)).filled)
        finally:
            await watch.aclose()
            await poller.close()
            await supervisor.close()
        return supervisor, seen, calls["n"]

    supervisor, seen, calls = arun(scenario())
    assert supervisor.restarts == {POLL_TASK: 1} and calls > 3
    assert seen == sorted(seen) and len(set(seen)) == 6  # it delivered again after the restart


# -- the websocket order relay -----------------------------------------------------------
def test_websocket_order_relay_killed_comes_back_and_relays_again(arun):
    def sor(n):
        return [{"topic": "sor", "args": [{"orderId": 1234567001, "acct": "ByNetLiq", "status": "Submitted",
                                            "filledQuantity": str(10 * n), "remainingQuantity": str(1000 - 10 * n)}]}]
    gateway = Gateway({"sor+{}": sor})

    async def scenario():
        async with serve(gateway.handler, "127.0.0.1", 0) as server:
            supervisor = _supervisor()
            broker = IbkrBroker("https://127.0.0.1:9/v1/api", supervisor=supervisor)

            async def fetch(_account):
                return [_order()]
            broker._poller = OrderPoller(fetch, interval=3600, supervisor=supervisor)
            broker.stream = IbkrStream(gateway.url(server), None, lambda: "tok", supervisor=supervisor)
            watch = broker._poller.watch("ByNetLiq")
            await asyncio.wait_for(anext(watch), 5)  # the first poll
            broker._poller.apply_sor = _once(broker._poller.apply_sor, RuntimeError("relay bug"))
            supervisor.start(SOR_TASK, broker._relay_sor, label="order updates (websocket)")
            try:
                update = await asyncio.wait_for(anext(watch), 5)  # from the frame after the restart
            finally:
                await watch.aclose()
                await broker._poller.close()
                await broker.stream.close()
                await supervisor.close()
            return supervisor, update

    supervisor, update = arun(scenario())
    assert supervisor.restarts == {SOR_TASK: 1} and gateway.asked["sor+{}"] == 2  # re-subscribed after the restart
    assert update.filled == 20  # the second subscription's frame


# -- the quote pump --------------------------------------------------------------------
def test_quote_pump_killed_comes_back_and_streams_again(arun):
    gateway = Gateway({"smd+265598": lambda n: [{"topic": "smd+265598", "31": "168.42", "84": "168.41"}]})

    class Contracts:
        async def conid(self, symbol):
            return 265598

    async def scenario():
        async with serve(gateway.handler, "127.0.0.1", 0) as server:
            supervisor = _supervisor()
            stream = IbkrStream(gateway.url(server), None, lambda: "tok", supervisor=supervisor)
            contracts = Contracts()
            contracts.conid = _once_async(contracts.conid, RuntimeError("lookup bug"))
            quotes = stream_quotes(stream, contracts, ["AAPL"], supervisor=supervisor)
            try:
                quote = await asyncio.wait_for(anext(quotes), 5)
            finally:
                await quotes.aclose()
                await stream.close()
                await supervisor.close()
            return supervisor, quote

    supervisor, quote = arun(scenario())
    assert supervisor.restarts == {QUOTES_TASK: 1} and quote.last == Decimal("168.42")


# -- the tickle keep-alive and the session recovery ------------------------------------------
class ScriptedClient:
    """What IbkrSession needs of IbkrClient: ``post``/``get`` answered from a script."""

    def __init__(self) -> None:
        self.reprime = None
        self.posts: list[str] = []

    async def post(self, path, json=None, *, params=None, idempotent=None):
        self.posts.append(path)
        if path == "/tickle":
            return {"session": "0123456789abcdef0123", "iserver": {"authStatus": {"authenticated": True}}}
        return {"authenticated": True, "competing": False, "connected": True}

    async def get(self, path, *, params=None):
        return {"accounts": ["DU100001"]}


def test_tickle_keep_alive_killed_comes_back_and_tickles_again(arun):
    async def scenario():
        supervisor = _supervisor()
        client = ScriptedClient()
        session = IbkrSession(client, login_url="https://127.0.0.1:9/", tickle_interval=0.01, supervisor=supervisor)
        session._tickle_once = _once_async(session._tickle_once, RuntimeError("tickle bug"))
        session._start_tickle_loop()
        while client.posts.count("/tickle") < 3:
            await asyncio.sleep(0.01)
        await session.close()
        await supervisor.close()
        return supervisor, session

    supervisor, session = arun(scenario())
    assert supervisor.restarts == {KEEP_ALIVE_TASK: 1}
    assert session.session_token == "0123456789abcdef0123"


def test_session_recovery_killed_comes_back_and_recovers(arun):
    async def scenario():
        supervisor = _supervisor()
        session = IbkrSession(ScriptedClient(), login_url="https://127.0.0.1:9/", poll_interval=0.01,
                              supervisor=supervisor)
        session._establish = _once_async(session._establish, RuntimeError("recovery bug"))
        session._start_recovery()
        await asyncio.wait_for(session._recover_task, 5)
        state = session.state
        await session.close()
        await supervisor.close()
        return supervisor, session._establish.calls["n"], state

    supervisor, calls, state = arun(scenario())
    assert supervisor.restarts == {RECOVERY_TASK: 1} and calls == 2
    assert state.status is ConnectionStatus.CONNECTED


# -- the session watcher ---------------------------------------------------------------
def test_session_watcher_killed_comes_back_and_resuppresses_after_the_next_reconnect(arun):
    async def scenario():
        supervisor = _supervisor()
        broker = IbkrBroker("https://127.0.0.1:9/v1/api", supervisor=supervisor)
        broker.orders._suppressed = ["o163"]
        sent = []

        async def suppress(ids):
            sent.append(list(broker.orders.suppressed))
        broker.orders.suppress = _once_async(suppress, RuntimeError("watcher bug"))
        broker.session.publish(ConnectionState(status=ConnectionStatus.CONNECTED))
        supervisor.start(WATCHER_TASK, broker._after_reconnects, label="session watcher")
        for _round in range(2):
            await asyncio.sleep(0.05)
            broker.session.publish(ConnectionState(status=ConnectionStatus.RECONNECTING))
            await asyncio.sleep(0.05)
            broker.session.publish(ConnectionState(status=ConnectionStatus.CONNECTED))
        while not sent:
            await asyncio.sleep(0.01)
        await broker.session.close()
        await supervisor.close()
        return supervisor, sent

    supervisor, sent = arun(scenario())
    assert supervisor.restarts == {WATCHER_TASK: 1} and sent == [["o163"]]


# -- the reconnecting websocket --------------------------------------------------------------
def test_reconnecting_websocket_loop_survives_an_unexpected_error_and_delivers_again(arun):
    gateway = Gateway({})

    async def scenario():
        async with serve(gateway.handler, "127.0.0.1", 0) as server:
            supervisor = _supervisor()
            ws = ReconnectingWebSocket(gateway.url(server), None, backoff=Backoff(initial=0.01, maximum=0.05),
                                       supervisor=supervisor)
            ws._connect_once = _once_async(ws._connect_once, RuntimeError("handler bug"))
            frames = ws.frames()
            await ws.start()
            try:
                frame = await asyncio.wait_for(anext(frames), 5)
            finally:
                await frames.aclose()
                await ws.close()
                await supervisor.close()
            return supervisor, frame

    supervisor, frame = arun(scenario())
    assert supervisor.item_failures == {WS_TASK: 1} and frame["topic"] == "system"
    assert gateway.connections == 1  # the failed attempt never dialled; the next one did


# -- the bar polling -------------------------------------------------------------------------
def test_bar_polling_survives_an_unexpected_error_and_polls_again(arun):
    async def scenario():
        supervisor = _supervisor()
        broker = IbkrBroker("https://127.0.0.1:9/v1/api", poll_interval=0.0, supervisor=supervisor)
        broker.contracts.remember("AAPL", 265598, Instrument.equity("AAPL", broker_id="265598"))

        async def request(method, path, *, params=None, json=None, idempotent=None):
            return {"data": [{"o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 10, "t": 1747229400000}]}
        broker.client.request = request
        broker.fetch_bars = _once_async(broker.fetch_bars, RuntimeError("bar bug"))
        bars = broker.watch_bars("AAPL", Interval.M1)
        try:
            bar = await asyncio.wait_for(anext(bars), 5)
        finally:
            await bars.aclose()
            await supervisor.close()
        return supervisor, bar

    supervisor, bar = arun(scenario())
    assert supervisor.item_failures == {"bars": 1} and bar.close == Decimal("1.5")


# -- a task that keeps dying, seen by the user ---------------------------------------------
def test_a_poller_that_keeps_dying_shows_order_updates_failing_until_it_works(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            supervisor = _supervisor(failures=3, window=30.0)
            broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, poll_interval=0.01, session_poll=0.05,
                                pacer=Pacer(global_rate=1000), supervisor=supervisor)
            await broker.connect()
            states = broker.watch_connection()
            try:
                assert (await asyncio.wait_for(anext(states), 5)).status is ConnectionStatus.CONNECTED
                real_next = broker._poller.schedule.next
                broken = {"on": True}

                def next_or_die(*args):
                    if broken["on"]:
                        raise RuntimeError("schedule bug")
                    return real_next(*args)
                broker._poller.schedule.next = next_or_die
                watch = broker.watch_orders("DU100001")
                first = asyncio.ensure_future(anext(watch))  # starts the poller (no working orders: waits)
                failing = await asyncio.wait_for(anext(states), 10)
                polls = len(broker._poller.polls)
                broken["on"] = False  # the cause goes away: the next restart polls
                restored = await asyncio.wait_for(anext(states), 10)
                polled = len(broker._poller.polls) - polls
                first.cancel()
                await asyncio.gather(first, return_exceptions=True)
                await watch.aclose()
                return failing, restored, supervisor.restarts.get(POLL_TASK, 0), polled
            finally:
                await states.aclose()
                await broker.close()

    failing, restored, restarts, polled = arun(scenario(), timeout=60)
    assert failing.status is ConnectionStatus.RECONNECTING and failing.message == "order updates failing: see the log"
    assert restored.status is ConnectionStatus.CONNECTED and restarts >= 3 and polled >= 1
