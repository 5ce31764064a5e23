"""Prioritised live-order polling (desktop.brokers.transport.poll_schedule / live_orders):
urgent sources first, working before idle, idle at most every idle_interval, and
watch()/fetch_orders sharing the poller's first poll instead of queueing their own."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from desktop.brokers.ibkr.live_orders import OrderPoller
from desktop.brokers.ibkr.order_body import orders_from_live
from desktop.brokers.transport import PollSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _drain(schedule: PollSchedule, sources, working, clock: Clock, steps: int, step: float = 5.0) -> list[str]:
    """Poll whatever is due every ``step`` seconds (one pacing slot) for ``steps`` slots."""
    out = []
    for _ in range(steps):
        source, _wait = schedule.next(sources, working)
        if source is not None:
            schedule.polled(source)
            out.append(source)
        else:
            out.append("-")
        clock.now += step
    return out


def test_urgent_then_working_then_idle_at_most_every_idle_interval():
    clock = Clock()
    s = PollSchedule(working_interval=5, idle_interval=30, idle_every=3, clock=clock)
    sources = ["A", "B", "G"]
    working = {"G"}.__contains__
    # never polled: each once, in order
    assert _drain(s, sources, working, clock, 3) == ["A", "B", "G"]
    # G works: it takes every slot until A and B are 30 s old; then 1 slot in 3 goes to
    # an idle source, each idle one at most every 30 s
    got = _drain(s, sources, working, clock, 9)  # t+15 .. t+55
    assert got == ["G", "G", "G", "A", "G", "G", "B", "G", "G"]
    # a touched idle source jumps the queue at once
    s.touch("B")
    assert s.next(sources, working)[0] == "B"


def test_idle_sources_only_every_idle_interval_and_wait_reported():
    clock = Clock()
    s = PollSchedule(working_interval=5, idle_interval=30, clock=clock)
    idle = lambda _s: False  # noqa: E731
    assert _drain(s, ["A", "B"], idle, clock, 2, step=1.0) == ["A", "B"]
    source, wait = s.next(["A", "B"], idle)
    assert source is None and wait == 28.0  # A polled at t+0, now t+2
    got = _drain(s, ["A", "B"], idle, clock, 60, step=1.0)  # one minute
    assert got.count("A") == 2 and got.count("B") == 2  # each about every 30 s, never more


def test_touched_sources_keep_their_order_and_unwatched_are_dropped():
    clock = Clock()
    s = PollSchedule(clock=clock)
    for src in ("A", "B"):
        s.polled(src)
    s.touch("B")
    s.touch("gone")
    s.touch("A")
    assert s.next(["A", "B"], lambda _s: False)[0] == "B"
    assert s.next(["A", "B"], lambda _s: False)[0] == "A"  # "gone" is not watched: skipped
    assert s.next(["A", "B"], lambda _s: False)[0] is None


ROW = {"acct": "ByNetLiq", "conid": 265598, "orderId": 1234567001, "order_ref": "cid-1", "ticker": "AAPL",
       "totalSize": "100", "filledQuantity": "0", "price": "190", "origOrderType": "LIMIT", "side": "BUY",
       "timeInForce": "DAY", "status": "Submitted"}


def test_poller_polls_our_changed_group_next_and_never_fetches_for_watch(arun):
    """Five watched sources: watch() itself fetches nothing; after the first round the
    group we place an order to is polled before the idle accounts."""
    rows: dict[str, list] = {}
    calls: list[str] = []
    first_round = asyncio.Event()

    async def fetch(source):
        calls.append(source)
        if len(calls) == 5:
            first_round.set()
        return orders_from_live({"orders": rows.get(source, [])}, account_id=source, groups={"ByNetLiq"})

    async def scenario():
        poller = OrderPoller(fetch, interval=0.01, idle_interval=60)
        sources = ["DU1", "DU2", "DU3", "DU4", "ByNetLiq"]
        watches = [poller.watch(s) for s in sources]
        firsts = [asyncio.ensure_future(anext(w)) for w in watches]
        snapshot = await asyncio.wait_for(poller.snapshot("DU3"), 2)  # fetch_orders: the poller's first poll
        await asyncio.wait_for(first_round.wait(), 2)
        assert calls == sources and snapshot == []  # one request per source, in watch order
        rows["ByNetLiq"] = [ROW]
        own = orders_from_live({"orders": [ROW]}, account_id="ByNetLiq", groups={"ByNetLiq"})[0]
        poller.remember(own)
        got = await asyncio.wait_for(firsts[4], 2)
        while len(calls) < 6:
            await asyncio.sleep(0.01)
        # then the group again (working), not the idle accounts (idle_interval 60 s)
        while len(calls) < 8:
            await asyncio.sleep(0.01)
        for f in firsts:
            f.cancel()
        await poller.close()
        return got, list(calls)

    got, calls_made = arun(scenario())
    assert got.order_id == "1234567001" and got.amount == Decimal(100)
    assert calls_made[5:8] == ["ByNetLiq"] * 3
