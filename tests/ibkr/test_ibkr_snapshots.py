"""SnapshotCache (shared live-orders / trades snapshots, 1 request per 5 s per endpoint)
and its use by OrderDesk, the order poller and IbkrBroker.fetch_orders/fetch_fills."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.errors import UnavailableError
from desktop.brokers.ibkr.contracts import ConidCache
from desktop.brokers.ibkr.live_orders import OrderPoller
from desktop.brokers.ibkr.orders import OrderDesk
from desktop.brokers.transport import SnapshotCache
from desktop.brokers.transport import PaceRule, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_fresh_snapshot_reused_in_flight_joined_then_refetched(arun):
    clock = Clock()
    calls: list[int] = []
    gate = asyncio.Event()

    async def fetch():
        calls.append(1)
        await gate.wait()
        return len(calls)

    async def main():
        cache = SnapshotCache(5.0, clock=clock)
        waiters = [asyncio.ensure_future(cache.get("k", fetch)) for _ in range(5)]
        await asyncio.sleep(0)
        gate.set()
        first = await asyncio.gather(*waiters)  # five callers, one request
        clock.now += 4.9
        reused = await cache.get("k", fetch)
        clock.now += 0.2  # older than max_age now
        refreshed = await cache.get("k", fetch)
        return first, reused, refreshed, cache.requests

    first, reused, refreshed, requests = arun(main())
    assert first == [1] * 5 and reused == 1 and refreshed == 2 and requests == 2


def test_fresh_invalidate_and_failures(arun):
    clock = Clock()
    answers = iter([UnavailableError("down"), "a", "b", "c"])

    async def fetch():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def main():
        cache = SnapshotCache(5.0, clock=clock)
        with pytest.raises(UnavailableError):
            await cache.get("k", fetch)  # a failure is not stored
        assert await cache.get("k", fetch) == "a"
        assert await cache.get("k", fetch) == "a"
        clock.now += 0.1
        assert await cache.get("k", fetch, newer_than=clock()) == "b"  # fresh: a request sent from now on
        clock.now += 0.1
        cache.invalidate("k")
        assert await cache.get("k", fetch) == "c"
        assert cache.peek("k") == "c" and cache.peek("other") is None
        await cache.close()

    arun(main())


def test_a_cancelled_caller_does_not_cancel_the_shared_request(arun):
    gate = asyncio.Event()

    async def fetch():
        await gate.wait()
        return "v"

    async def main():
        cache = SnapshotCache(5.0)
        a = asyncio.ensure_future(cache.get("k", fetch))
        b = asyncio.ensure_future(cache.get("k", fetch))
        await asyncio.sleep(0)
        a.cancel()
        gate.set()
        return await b, cache.requests

    assert arun(main()) == ("v", 1)


class CountingRequester:
    """Answers live orders / trades with empty lists through a real Pacer with IBKR's
    1-per-window rules (window ``window`` seconds), recording each request."""

    def __init__(self, window: float) -> None:
        self.pacer = Pacer(None, [PaceRule(r"/iserver/account/orders", max_calls=1, per_seconds=window),
                                  PaceRule(r"/iserver/account/trades", max_calls=1, per_seconds=window)])
        self.calls: list[tuple[str, str]] = []

    async def request(self, method, path, *, params=None, json=None, idempotent=None):
        async with self.pacer.slot(path):
            self.calls.append((path, (params or {}).get("accountId")))
            return {"orders": [], "snapshot": True} if path.endswith("/orders") else []


def test_ui_start_and_poller_share_one_request_per_account(arun):
    """The UI's fetch_orders/fetch_fills for every account and group plus the poller's
    first round ask each account once per endpoint, not once per caller."""
    targets = ["DU100001", "DU100002", "DU100003", "DU100004", "Everyone", "Shares"]
    client = CountingRequester(window=0.02)

    async def main():
        desk = OrderDesk(client, ConidCache(client), groups=lambda: {"Everyone", "Shares"},
                         client_accounts=lambda: set(targets[:4]), cache_seconds=5.0)
        poller = OrderPoller(desk.live_orders, interval=60)
        watches = [poller.watch(t) for t in targets]
        firsts = [asyncio.ensure_future(anext(w, None)) for w in watches]
        ui = [desk.live_orders(t) for t in targets] + [desk.fills(t) for t in targets]
        ui += [desk.live_orders(t) for t in targets]  # a second UI panel asking again
        await asyncio.gather(*ui)
        for w in firsts:
            w.cancel()
        await poller.close()
        await desk.close()

    arun(main())
    orders = [acct for path, acct in client.calls if path.endswith("/orders")]
    trades = [acct for path, acct in client.calls if path.endswith("/trades")]
    assert sorted(orders) == sorted(targets) and sorted(trades) == sorted(targets)
