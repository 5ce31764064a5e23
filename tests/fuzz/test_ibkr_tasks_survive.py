"""End to end: hostile payloads through the adapter's real long-running tasks, and
no task stops: after every hostile item the next good one still arrives.

- quotes: a loopback websocket server (the gateway's protocol: ``system`` frame,
  then quotes once ``smd+<conid>`` was asked for) sends mutated ``smd`` frames,
  garbage, deeply nested and oversized frames, each followed by a good quote with a
  price of its own; ``IbkrStream`` + ``stream_quotes`` (the quote pump) must deliver
  every good price, in order;
- websocket order updates: the same with ``sor`` frames into the broker's real relay
  (``IbkrBroker._relay_sor``) and ``OrderPoller`` (``watch_orders``);
- the live-order poller over a scripted source answering mutated
  ``/iserver/account/orders`` payloads between good ones;
- the chart's bar polling (``IbkrBroker.watch_bars``) over a scripted history source.

Each run also checks that nothing was restarted and the safety nets caught nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal

import pytest
from websockets.asyncio.server import serve

from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.ibkr.live_orders import SOR_TASK, OrderPoller
from desktop.brokers.ibkr.marketdata import stream_quotes
from desktop.brokers.ibkr.order_body import orders_from_live
from desktop.brokers.ibkr.parse import PAYLOADS
from desktop.brokers.ibkr.stream import IbkrStream
from desktop.brokers.transport import Backoff, Supervisor
from desktop.domain import Instrument, Interval, Order, OrderSide, OrderStatus, OrderType

from .conftest import RandomChooser, count_case, mutate
from .test_ibkr_frame_fuzz import FRAMES, GARBAGE
from .test_ibkr_payload_fuzz import HISTORY, LIVE_ORDER

HOSTILE_ITEMS = 300
SYSTEM = json.dumps({"topic": "system", "success": "fakeuser", "isFT": False, "isPaper": True})


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.CRITICAL, logger="desktop.brokers")


def _supervisor() -> Supervisor:
    return Supervisor(name="IBKR", backoff=lambda: Backoff(initial=0.01, maximum=0.05))


def _hostile_frames(family: str, seed: int, oversized: int) -> list[str]:
    """Mutated frames of ``family``, with garbage, deep nesting and frames larger
    than the stream's limit (``oversized`` bytes) mixed in."""
    chooser = RandomChooser(seed)
    out = []
    for i in range(HOSTILE_ITEMS):
        if i % 25 == 0:
            out.append(GARBAGE[(i // 25) % len(GARBAGE)][:oversized - 1])
        elif i % 25 == 1:
            out.append(json.dumps({**FRAMES[family], "pad": "x" * oversized}))
        else:
            try:
                out.append(json.dumps(mutate(FRAMES[family], chooser), allow_nan=True))
            except (TypeError, ValueError):
                out.append("{}")
    return out


class Gateway:
    """A loopback websocket speaking the gateway's protocol: ``system`` first, then,
    once a message starting with ``expect`` arrived, every text of ``texts``."""

    def __init__(self, expect: str, texts: list[str]) -> None:
        self.expect = expect
        self.texts = texts
        self.connections = 0

    async def handler(self, conn) -> None:
        self.connections += 1
        await conn.send(SYSTEM)
        async for message in conn:
            if isinstance(message, str) and message.startswith(self.expect):
                for text in self.texts:
                    try:
                        text.encode("utf-8")
                    except UnicodeEncodeError:  # a lone surrogate: send the raw bytes (invalid UTF-8)
                        await conn.send(text.encode("utf-8", "surrogateescape"))
                    else:
                        await conn.send(text)


class Contracts:
    async def conid(self, symbol: str) -> int:
        return 265598


def _subsequence(wanted: list, seen: list) -> bool:
    it = iter(seen)
    return all(any(w == s for s in it) for w in wanted)


async def _collect(items, good: list, key) -> list:
    """``key(item)`` of each item of the async iterator ``items`` (None: left out)
    until every value of ``good`` was seen (10 s at most for each item)."""
    seen: list = []
    while not set(good) <= set(seen):
        value = key(await asyncio.wait_for(anext(items), 10))
        if value is not None:
            seen.append(value)
    return seen


def _fills(order: Order) -> tuple[int, str] | None:
    """(filled, average) of the test's order; None for any other."""
    if order.order_id != str(LIVE_ORDER["orderId"]):
        return None
    return int(order.filled), f"{order.average}" if order.average is not None else ""


def _survived(supervisor: Supervisor, caught_before: int) -> None:
    """Nothing was restarted, no item failed, no reader's net caught anything."""
    assert supervisor.restarts == {} and supervisor.item_failures == {}
    assert PAYLOADS.caught == caught_before


def _delivered(task: str, good: list, seen: list, supervisor: Supervisor, caught_before: int) -> None:
    """Every good item arrived, in order, and the task survived (counted as cases)."""
    count_case(f"end-to-end: {task} (hostile items)", HOSTILE_ITEMS)
    assert _subsequence(good, seen)
    _survived(supervisor, caught_before)


def test_quote_pump_delivers_every_good_quote_after_hostile_frames(arun):
    limit = 20_000
    hostile = _hostile_frames("smd", 11, limit)
    good = [f"{100 + k}.25" for k in range(HOSTILE_ITEMS)]
    texts = [t for pair in zip(hostile, (json.dumps({"topic": "smd+265598", "31": g, "84": g}) for g in good))
             for t in pair]
    gateway = Gateway("smd+265598", texts)

    async def scenario():
        async with serve(gateway.handler, "127.0.0.1", 0, max_size=None) as server:
            supervisor = _supervisor()
            stream = IbkrStream(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/api/ws", None,
                                lambda: "tok", supervisor=supervisor, idle_timeout=None)
            stream.websocket.max_frame_bytes = limit
            seen: list[str] = []
            wanted = {Decimal(g) for g in good}
            try:
                async for quote in stream_quotes(stream, Contracts(), ["AAPL"], supervisor=supervisor):
                    if quote.last in wanted and quote.bid == quote.last and (not seen or seen[-1] != f"{quote.last}"):
                        seen.append(f"{quote.last}")  # a hostile frame after it may repeat the merged fields
                        if len(seen) == len(good):
                            break
            finally:
                await stream.close()
                await supervisor.close()
            return seen, supervisor

    before = PAYLOADS.caught
    seen, supervisor = arun(scenario(), timeout=60)
    count_case("end-to-end: quote pump over a loopback websocket (hostile items)", HOSTILE_ITEMS)
    assert seen == good  # every good quote, in order, after each hostile frame
    assert gateway.connections == 1
    _survived(supervisor, before)


def _order(amount: int = 1000) -> Order:
    return Order(broker="ibkr", account_id="ByNetLiq", order_id="1234567001", client_order_id="c0ffee",
                 instrument=Instrument.equity("AAPL", broker_id="265598"), side=OrderSide.BUY, type=OrderType.LIMIT,
                 amount=Decimal(amount), limit_price=Decimal("190.00"), status=OrderStatus.ACCEPTED,
                 allocation_group="ByNetLiq")


def test_websocket_order_relay_delivers_every_good_update_after_hostile_frames(arun):
    hostile = _hostile_frames("sor", 12, 20_000)
    good = [(k + 1, f"{100 + k}.0625") for k in range(HOSTILE_ITEMS)]
    frames = [json.dumps({"topic": "sor", "args": [{"orderId": 1234567001, "acct": "ByNetLiq", "status": "Submitted",
                                                    "filledQuantity": str(f), "remainingQuantity": str(1000 - f),
                                                    "avgPrice": avg}]}) for f, avg in good]
    gateway = Gateway("sor+{}", [t for pair in zip(hostile, frames) for t in pair])

    async def scenario():
        async with serve(gateway.handler, "127.0.0.1", 0, max_size=None) as server:
            supervisor = _supervisor()
            broker = IbkrBroker("https://127.0.0.1:9/v1/api", supervisor=supervisor)

            async def fetch(_account):
                return [_order()]
            broker._poller = OrderPoller(fetch, interval=3600, supervisor=supervisor)
            broker.stream = IbkrStream(f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/api/ws", None,
                                       lambda: "tok", supervisor=supervisor, idle_timeout=None)
            broker.stream.websocket.max_frame_bytes = 20_000
            watch = broker._poller.watch("ByNetLiq")
            first = await asyncio.wait_for(anext(watch), 10)  # the snapshot: polled once
            assert first.order_id == "1234567001"
            supervisor.start(SOR_TASK, broker._relay_sor, label="order updates (websocket)")
            try:
                seen = await _collect(watch, good, _fills)
            finally:
                await watch.aclose()
                await broker._poller.close()
                await broker.stream.close()
                await supervisor.close()
            return seen, supervisor

    before = PAYLOADS.caught
    seen, supervisor = arun(scenario(), timeout=60)
    _delivered("websocket order relay (sor) over a loopback websocket", good, seen, supervisor, before)  # every good update arrived, in order


def test_live_order_poller_delivers_every_good_poll_after_hostile_payloads(arun):
    chooser = RandomChooser(13)
    good = [(k + 1, f"{100 + k}.0625") for k in range(HOSTILE_ITEMS)]
    answers = []
    for filled, avg in good:
        answers.append(mutate({"orders": [LIVE_ORDER], "snapshot": True}, chooser))
        answers.append({"orders": [{**LIVE_ORDER, "acct": "ByNetLiq", "filledQuantity": str(filled),
                                    "totalSize": "1000", "remainingQuantity": str(1000 - filled), "avgPrice": avg}]})

    async def scenario():
        supervisor = _supervisor()
        served = iter(answers)

        async def fetch(account):
            payload = next(served, answers[-1])
            return orders_from_live(payload, account_id=account, groups={"ByNetLiq"})  # may raise PayloadError
        poller = OrderPoller(fetch, interval=0.0, idle_interval=0.0, supervisor=supervisor)
        watch = poller.watch("ByNetLiq")
        try:
            seen = await _collect(watch, good, _fills)
        finally:
            await watch.aclose()
            await poller.close()
            await supervisor.close()
        return seen, supervisor

    before = PAYLOADS.caught
    seen, supervisor = arun(scenario(), timeout=60)
    _delivered("live-order poller over a scripted source", good, seen, supervisor, before)


def test_bar_polling_delivers_every_good_bar_after_hostile_histories(arun):
    chooser = RandomChooser(14)
    start_ms = 1747229400000
    good = [Decimal(f"{200 + k}.5") for k in range(HOSTILE_ITEMS)]
    answers = []
    for k, close in enumerate(good):
        answers.append(mutate(HISTORY, chooser))
        answers.append({"data": [{"o": 199.0, "h": 1000.0, "l": 1.0, "c": float(close), "v": 1000,
                                  "t": start_ms + k * 60_000}]})

    async def scenario():
        supervisor = _supervisor()
        broker = IbkrBroker("https://127.0.0.1:9/v1/api", poll_interval=0.0, supervisor=supervisor)
        broker.contracts.remember("AAPL", 265598, Instrument.equity("AAPL", broker_id="265598"))
        served = iter(answers)

        async def request(method, path, *, params=None, json=None, idempotent=None):
            return next(served, answers[-1])
        broker.client.request = request
        bars = broker.watch_bars("AAPL", Interval.M1)
        try:
            seen = await _collect(bars, good, lambda bar: bar.close)
        finally:
            await bars.aclose()
            await supervisor.close()
        return seen, supervisor

    before = PAYLOADS.caught
    seen, supervisor = arun(scenario(), timeout=60)
    _delivered("bar polling over a scripted history source", good, seen, supervisor, before)
