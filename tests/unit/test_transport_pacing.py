"""Pacer: global sliding window, per-endpoint rules, concurrency caps, cool-down."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.errors import RateLimitedError
from desktop.brokers.transport import PaceRule, Pacer


class FakeClock:
    """Monotonic clock advanced only by the pacer's own sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t - start < window))
    return best


def test_burst_of_50_never_exceeds_10_per_second(arun):
    clock = FakeClock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def one(i: int) -> None:
        async with pacer.slot(f"/iserver/marketdata/history?conid={i}"):
            starts.append(clock())

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(50)))

    arun(main())
    assert len(starts) == 50
    assert _max_in_window(starts, 1.0) == 10
    # it paced rather than refusing: 50 calls need at least 4 s
    assert max(starts) - min(starts) >= 4.0


def test_window_counts_from_the_end_of_slow_requests(arun):
    """The server counts a request when it arrives (some time between our start and
    the response), so a slot is held until ``per`` seconds after the request ENDED."""
    clock = FakeClock()
    pacer = Pacer(None, [PaceRule("/slow", max_calls=2, per_seconds=1)], clock=clock, sleep=clock.sleep)
    finish = asyncio.Event()
    started: list[float] = []

    async def slow() -> None:
        async with pacer.slot("/slow"):
            started.append(clock())
            await finish.wait()

    async def main() -> None:
        held = [asyncio.create_task(slow()) for _ in range(2)]
        third = asyncio.create_task(slow())
        for _ in range(5):
            await asyncio.sleep(0)
        assert len(started) == 2 and not third.done()  # both slots in flight: no timed wait
        assert clock.sleeps == []
        clock.now += 3  # the two requests take 3 s
        finish.set()
        await asyncio.gather(*held, third)

    arun(main())
    assert started[2] - started[1] == 4.0  # 3 s in flight + 1 s window after they ended


def test_one_per_five_seconds_rule_ignores_query(arun):
    clock = FakeClock()
    pacer = Pacer(10, [PaceRule(r"/iserver/account/orders", max_calls=1, per_seconds=5)], clock=clock, sleep=clock.sleep)
    orders: list[float] = []
    others: list[float] = []

    async def main() -> None:
        for i in range(4):
            async with pacer.slot(f"/iserver/account/orders?accountId=DU10000{i}"):
                orders.append(clock())
        async with pacer.slot("/iserver/account/DU100001/orders"):  # order placement: not this rule
            others.append(clock())

    arun(main())
    assert [b - a for a, b in zip(orders, orders[1:])] == [5.0, 5.0, 5.0]
    assert others == [orders[-1]]  # no wait for a path the rule does not match


def test_first_matching_rule_wins_and_concurrency_cap(arun):
    pacer = Pacer(None, [PaceRule(r"/iserver/marketdata/history", max_concurrent=2), PaceRule(r"/iserver/.*", max_calls=1, per_seconds=60)])
    assert pacer.rules[0].matches("/iserver/marketdata/history?conid=1")
    in_flight = 0
    peak = 0
    release = asyncio.Event()

    async def one() -> None:
        nonlocal in_flight, peak
        async with pacer.slot("/iserver/marketdata/history"):
            in_flight += 1
            peak = max(peak, in_flight)
            await release.wait()
            in_flight -= 1

    async def main() -> None:
        tasks = [asyncio.create_task(one()) for _ in range(5)]
        for _ in range(5):
            await asyncio.sleep(0)
        assert in_flight == 2
        release.set()
        await asyncio.gather(*tasks)

    arun(main())
    assert peak == 2


def test_cool_down_refuses_then_recovers(arun):
    clock = FakeClock()
    seen: list[float] = []
    pacer = Pacer(10, clock=clock, sleep=clock.sleep, on_cool_down=seen.append)

    async def main() -> None:
        until = pacer.cool_down(60)
        assert seen == [until] and pacer.cooling_until == until
        with pytest.raises(RateLimitedError) as info:
            async with pacer.slot("/iserver/accounts"):
                pass
        assert info.value.retry_after == pytest.approx(60)
        clock.now += 30
        with pytest.raises(RateLimitedError) as info:
            async with pacer.slot("/iserver/accounts"):
                pass
        assert info.value.retry_after == pytest.approx(30)
        clock.now += 30
        assert pacer.cooling_until is None
        async with pacer.slot("/iserver/accounts"):
            pass

    arun(main())
    assert clock.sleeps == []  # refused at once, never waited


def test_cool_down_wakes_a_waiting_caller_with_an_error(arun):
    clock = FakeClock()

    async def sleep(seconds: float) -> None:
        pacer.cool_down(120)  # a 429 arrives while this caller waits its turn
        clock.now += seconds

    pacer = Pacer(None, [PaceRule("/tickle", max_calls=1, per_seconds=1)], clock=clock, sleep=sleep)

    async def main() -> None:
        async with pacer.slot("/tickle"):
            pass
        with pytest.raises(RateLimitedError):
            async with pacer.slot("/tickle"):
                pass

    arun(main())


def test_cool_down_wakes_callers_waiting_for_in_flight_requests(arun):
    pacer = Pacer(1)
    finish = asyncio.Event()

    async def held() -> None:
        async with pacer.slot("/a"):
            await finish.wait()

    async def main() -> None:
        first = asyncio.create_task(held())
        await asyncio.sleep(0)
        waiting = asyncio.create_task(held())
        await asyncio.sleep(0)
        pacer.cool_down(30)
        with pytest.raises(RateLimitedError):
            await waiting
        finish.set()
        await first

    arun(main())


def test_pace_rule_validation():
    with pytest.raises(ValueError):
        PaceRule("/x", max_calls=1)
    with pytest.raises(ValueError):
        PaceRule("/x")


async def _try(pacer: Pacer, path: str) -> bool:
    """True when ``path`` got a slot, False when refused with RateLimitedError."""
    try:
        async with pacer.slot(path):
            return True
    except RateLimitedError:
        return False


def test_endpoint_cool_down_refuses_only_that_endpoint(arun):
    clock = FakeClock()
    seen: list[float] = []
    rules = [PaceRule(r"/portfolio/accounts", max_calls=1, per_seconds=5), PaceRule(r"/fyi/.*", max_calls=1, per_seconds=1)]
    pacer = Pacer(10, rules, clock=clock, sleep=clock.sleep, on_cool_down=seen.append)

    async def main() -> None:
        until = pacer.cool_down(5, path="/portfolio/accounts?x=1")  # the rule's pattern cools down
        assert pacer.cooling_until is None and seen == []  # not global, no on_cool_down
        assert pacer.endpoint_cooling_until("/portfolio/accounts") == until == 1005.0
        with pytest.raises(RateLimitedError) as info:
            async with pacer.slot("/portfolio/accounts"):
                pass
        assert info.value.retry_after == pytest.approx(5) and "/portfolio/accounts" in info.value.message
        assert await _try(pacer, "/iserver/accounts")  # other endpoints keep working
        assert await _try(pacer, "/portfolio/subaccounts")
        pacer.cool_down(30, pattern=r"/fyi/.*")
        assert not await _try(pacer, "/fyi/unreadnumber") and not await _try(pacer, "/fyi/deliveryoptions")
        assert pacer.cool_down(1, path="/portfolio/accounts") == until  # never shortened
        clock.now += 5
        assert pacer.endpoint_cooling_until("/portfolio/accounts") is None
        assert await _try(pacer, "/portfolio/accounts")
        assert not await _try(pacer, "/fyi/notifications")  # its own cool-down still runs

    arun(main())
    assert clock.sleeps == []  # slot() refuses a cooled endpoint at once, never waits


def test_endpoint_cool_down_without_rule_cools_exactly_that_path(arun):
    pacer = Pacer(None)

    async def main() -> None:
        pacer.cool_down(10, path="/iserver/account/orders?force=true")
        assert not await _try(pacer, "/iserver/account/orders")
        assert await _try(pacer, "/iserver/account/DU1/orders")  # not a regex prefix / wildcard

    arun(main())


def test_global_cool_down_still_refuses_every_endpoint(arun):
    clock = FakeClock()
    pacer = Pacer(10, [PaceRule(r"/portfolio/accounts", max_calls=1, per_seconds=5)], clock=clock, sleep=clock.sleep)

    async def main() -> None:
        pacer.cool_down(5, path="/portfolio/accounts")
        pacer.cool_down(60)
        for path in ("/portfolio/accounts", "/iserver/accounts", "/tickle"):
            with pytest.raises(RateLimitedError) as info:
                async with pacer.slot(path):
                    pass
            assert info.value.retry_after == pytest.approx(60)
        with pytest.raises(RateLimitedError):  # no waiting through a global cool-down
            await pacer.wait_cooled("/portfolio/accounts", max_wait=100)

    arun(main())
    assert clock.sleeps == []


def test_endpoint_cool_down_wakes_only_waiters_of_that_endpoint(arun):
    clock = FakeClock()
    rules = [PaceRule("/tickle", max_calls=1, per_seconds=1), PaceRule("/other", max_calls=1, per_seconds=1)]

    async def sleep(seconds: float) -> None:
        pacer.cool_down(30, path="/tickle")  # a 429 for /tickle arrives while both wait
        clock.now += seconds

    pacer = Pacer(None, rules, clock=clock, sleep=sleep)

    async def main() -> None:
        assert await _try(pacer, "/tickle") and await _try(pacer, "/other")
        assert not await _try(pacer, "/tickle")  # refused after waiting for its window
        assert await _try(pacer, "/other")  # waited for its window, then went through

    arun(main())


def test_wait_cooled_waits_for_a_short_endpoint_cool_down(arun):
    clock = FakeClock()
    pacer = Pacer(10, clock=clock, sleep=clock.sleep)

    async def main() -> None:
        await pacer.wait_cooled("/portfolio/accounts")  # nothing cooling: returns at once
        assert clock.sleeps == []
        pacer.cool_down(5, path="/portfolio/accounts")
        await pacer.wait_cooled("/portfolio/accounts", max_wait=15)
        assert clock.sleeps == [5.0]
        assert await _try(pacer, "/portfolio/accounts")
        pacer.cool_down(20, path="/portfolio/accounts")
        with pytest.raises(RateLimitedError) as info:  # longer than max_wait: refused at once
            await pacer.wait_cooled("/portfolio/accounts", max_wait=15)
        assert info.value.retry_after == pytest.approx(20) and "/portfolio/accounts" in info.value.message
        assert clock.sleeps == [5.0]

    arun(main())


def test_wait_cooled_is_cancellable(arun):
    pacer = Pacer(10)  # real clock and asyncio.sleep

    async def main() -> None:
        pacer.cool_down(300, path="/portfolio/accounts")
        waiter = asyncio.create_task(pacer.wait_cooled("/portfolio/accounts"))
        await asyncio.sleep(0)
        assert not waiter.done()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    arun(main())


def test_configure_replaces_limits_for_later_requests_and_keeps_counted_ones(arun):
    """Limits loaded at runtime (e.g. TradeLocker's /trade/config): a new rule applies
    to the next request, a kept rule keeps the requests it already counted, and
    global_rate=None lifts the global limit."""
    clock = FakeClock()
    pacer = Pacer(None, [PaceRule(r"/orders", max_calls=1, per_seconds=5.0)], clock=clock, sleep=clock.sleep)

    async def one(path: str) -> float:
        start = clock.now
        async with pacer.slot(path):
            pass
        return clock.now - start

    async def main():
        waits = [await one("/orders")]
        pacer.configure(rules=[PaceRule(r"/orders", max_calls=1, per_seconds=2.0),
                               PaceRule(r"/quotes", max_calls=1, per_seconds=1.0)])
        waits.append(await one("/orders"))  # the kept rule remembers the first request: 2 s from its end
        waits += [await one("/quotes"), await one("/quotes")]
        pacer.configure(global_rate=1)
        waits.append(await one("/other"))
        waits.append(await one("/other"))
        pacer.configure(global_rate=None, rules=[])
        waits += [await one("/orders"), await one("/orders")]
        return waits

    assert arun(main()) == [0, pytest.approx(2.0), 0, pytest.approx(1.0), 0, pytest.approx(1.0), 0, 0]
    assert pacer.global_rate is None and pacer.rules == ()
