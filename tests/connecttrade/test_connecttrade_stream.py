"""mdstream through the adapter: history by backfill, live bars, and recovery from a
dropped stream and from an expired token within 2 s, with no missing and no
duplicate bar."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from desktop.brokers.errors import NotFoundError
from desktop.domain import Interval
from tests.fakes.connecttrade import running_connecttrade

from .support import adapter_for


async def _collect(broker, symbol, interval, into: list, event: asyncio.Event):
    async for bar in broker.watch_bars(symbol, interval):
        into.append(bar)
        event.set()


async def _wait_for(bars, event, predicate, timeout):
    async with asyncio.timeout(timeout):
        while not predicate(bars):
            event.clear()
            await event.wait()


def _check_no_gap_no_duplicate(bars, truth):
    starts = [b.start for b in bars]
    assert starts == sorted(starts), "a bar went back in time"
    for a, b in zip(bars, bars[1:]):
        assert not (a.start == b.start and a == b), f"duplicate bar {a.start}"
    final = {b.start: b for b in bars}
    expected = {b.start: b for b in truth}
    assert sorted(final) == sorted(expected), (
        f"missing {sorted(set(expected) - set(final))}, extra {sorted(set(final) - set(expected))}")
    for start, bar in expected.items():
        assert final[start].close == bar.close and final[start].volume == bar.volume


@pytest.mark.parametrize("outage", ["dropped", "token-expired"])
def test_stream_recovers_within_2s_without_gap_or_duplicate(tmp_path, arun, outage):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            bars, event = [], asyncio.Event()
            task = asyncio.get_running_loop().create_task(_collect(broker, "AAPL", Interval.M1, bars, event))
            try:
                await _wait_for(bars, event, lambda b: len(b) >= 1, 5)
                for _ in range(3):
                    ct.paper.advance_minutes(1)
                newest = ct.paper.market.minute_bar("AAPL").start
                await _wait_for(bars, event, lambda b: b[-1].start >= newest, 5)
                tokens_before = len(ct.tokens)
                connections_before = broker._bars.ws.connections
                if outage == "dropped":
                    await ct.drop_streams()
                else:
                    await ct.expire_tokens()
                for _ in range(4):  # the market moves on while the stream is down
                    ct.paper.advance_minutes(1)
                newest = ct.paper.market.minute_bar("AAPL").start
                started = time.monotonic()
                await _wait_for(bars, event, lambda b: b[-1].start >= newest, 2.0)
                recovered = time.monotonic() - started
                ct.paper.advance_minutes(1)
                newest = ct.paper.market.minute_bar("AAPL").start
                await _wait_for(bars, event, lambda b: b[-1].start >= newest, 2.0)
                truth = await ct.paper.fetch_bars("AAPL", Interval.M1, start=bars[0].start,
                                                  end=bars[-1].start + timedelta(minutes=1))
                return (bars, truth, recovered, len(ct.tokens) - tokens_before,
                        broker._bars.ws.connections - connections_before)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await broker.close()

    bars, truth, recovered, new_tokens, reconnects = arun(scenario(), timeout=30)
    assert recovered < 2.0
    assert reconnects >= 1 and new_tokens >= 1  # a fresh token for the new connection
    assert len(truth) >= 8
    _check_no_gap_no_duplicate(bars, truth)


def test_history_by_backfill_and_unknown_symbol(tmp_path, arun):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            try:
                daily = await broker.fetch_bars("MSFT", Interval.D1, limit=20)
                truth = await ct.paper.fetch_bars("MSFT", Interval.D1, limit=20)
                with pytest.raises(NotFoundError) as unknown:
                    await broker.fetch_bars("NOPE", Interval.D1, limit=5)
                auths = [m for m in ct.stream_messages if m.get("action") == "authenticate"]
                subs = [m for m in ct.stream_messages if m.get("action") == "subscribe"]
            finally:
                await broker.close()
            return daily, truth, unknown.value, auths, subs

    daily, truth, unknown, auths, subs = arun(scenario(), timeout=30)
    assert [(b.start, b.close) for b in daily] == [(b.start, b.close) for b in truth]
    assert "NOPE" in unknown.message
    assert all(a["version"] == "v1.0" and a["access_token"].startswith("mdt_") for a in auths)
    assert subs[0] | {"request_id": None} == {"action": "subscribe", "channel": "bars", "symbol": "MSFT",
                                              "interval": "1d", "session": "USEqCore", "request_id": None,
                                              "backfill_nbars": 20}


def test_unreadable_bar_message_is_logged_and_skipped(tmp_path, arun, caplog):
    import logging

    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            ct.inject("bars", {"type": "bar", "channel": "bars", "symbol": "IBM", "interval": "1d",
                               "t": "2012-01-03T00:00:00Z", "o": "1", "h": "1", "l": "1", "c": "1e999999999"})
            broker = adapter_for(ct)
            await broker.connect()
            try:
                return await broker.fetch_bars("IBM", Interval.D1, limit=3)
            finally:
                await broker.close()

    with caplog.at_level(logging.WARNING):
        bars = arun(scenario(), timeout=30)
    assert len(bars) == 3 and all(b.close < 1000 for b in bars)
    assert any("1e999999999" in r.getMessage() for r in caplog.records)
