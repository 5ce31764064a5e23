"""Life cycle: capabilities after connect, close() ending every watch_* iterator and
being idempotent, and a network adapter really talking to its fake over loopback."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import Interval, OrderType


def test_capabilities_are_read_after_connect(run, case):
    async def scenario(s):
        return s.broker.capabilities, s.broker.capabilities

    caps, again = run(scenario)
    assert isinstance(caps, BrokerCapabilities), type(caps)
    assert caps == again
    assert OrderType.LIMIT in caps.order_types and case.time_in_force in caps.time_in_force  # what the suite places
    assert all(isinstance(i, Interval) for i in caps.intervals)
    assert caps.poll_interval > 0
    assert caps.allocation_groups is case.advisor


def test_close_ends_every_watch_and_is_idempotent(run):
    async def scenario(s):
        caps = s.broker.capabilities
        await s.create(await s.far_limit())  # so watch_orders has a working order to yield
        orders = await s.watch_orders()
        await orders.first()
        watchers = [orders]
        firsts = []
        if getattr(caps, "quotes", True):
            quotes = await s.watch(s.broker.watch_quotes([s.symbol]), "watch_quotes")
            firsts.append(await quotes.first(drive=s.move))
            s.check_owned(firsts[-1])
            watchers.append(quotes)
        if caps.intervals:
            bars = await s.watch(s.broker.watch_bars(s.symbol, caps.intervals[0]), f"watch_bars({caps.intervals[0].value})")
            firsts.append(await bars.first(drive=s.move))
            watchers.append(bars)
        running = [w.what for w in watchers if w.finished.is_set()]
        await s.broker.close()
        ended = {w.what: await w.ended(timeout=5) for w in watchers}
        errors = {w.what: repr(w.error) for w in watchers if w.error is not None}
        await asyncio.wait_for(s.broker.close(), 5)  # idempotent: returns, raises nothing
        return caps, [f.symbol == s.symbol for f in firsts], running, ended, errors

    caps, right_symbol, finished_early, ended, errors = run(scenario)
    assert not finished_early, f"ended before close(): {finished_early}"
    assert len(ended) == 1 + bool(getattr(caps, "quotes", True)) + bool(caps.intervals)
    assert all(ended.values()), f"still running 5 s after close(): {[w for w, done in ended.items() if not done]}"
    assert not errors, f"ended by raising instead of finishing: {errors}"
    assert all(right_symbol), "a first quote or bar is not of the symbol watched"


def test_close_right_after_connect_twice(run):
    async def scenario(s):
        await asyncio.wait_for(s.broker.close(), 5)
        await asyncio.wait_for(s.broker.close(), 5)
        return True

    assert run(scenario)


def test_network_adapter_uses_real_loopback_sockets(run, case):
    if not case.network:
        pytest.skip(f"{case.id} runs in-process: no sockets to check")

    async def scenario(s):
        at_connect = case.transport(s)
        reader, writer = await asyncio.open_connection(at_connect.host, at_connect.port)  # the fake really listens
        writer.close()
        await writer.wait_closed()
        quotes = await s.watch(s.broker.watch_quotes([s.symbol]), "watch_quotes")
        quote = await quotes.first(drive=s.move)
        s.check_owned(quote)
        return at_connect, quote.symbol == s.symbol, case.transport(s)

    at_connect, right_symbol, later = run(scenario)
    assert ipaddress.ip_address(at_connect.host).is_loopback, at_connect.host
    assert at_connect.port > 0
    assert at_connect.requests > 0, "connect() sent no request to the fake"
    assert later.requests >= at_connect.requests
    assert right_symbol
    if later.websockets is not None:
        assert later.websockets >= 1, "quotes arrived without a websocket to the fake"
