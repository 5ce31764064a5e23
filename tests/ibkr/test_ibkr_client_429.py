"""IbkrClient's answer to HTTP 429 (NOTES.md section 7) against the fake Client Portal
Gateway (tests.fakes.ibkr, whose pacing answers 429): a path with its own IBKR limit
pauses only that endpoint and a GET is retried once after it; any other path (the
global 10 req/s) pauses everything and publishes COOL_DOWN.

The client's Pacer and the gateway share a fake clock that moves only when the pacer
sleeps, so the tests never wait in real time.
"""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.errors import RateLimitedError
from desktop.brokers.ibkr.client import IBKR_PACE_RULES, IbkrClient
from desktop.brokers.ibkr.client_pacing import PACE_MARGIN
from desktop.brokers.transport import Pacer
from desktop.domain import ConnectionStatus
from tests.fakes.ibkr import running_gateway
from tests.ibkr.test_ibkr_client import pinned_server
from tests.unit.test_transport_loopback import Reply


async def _opened(gw, **kwargs) -> IbkrClient:
    client = IbkrClient(gw.base_url, pinned_sha256=gw.fingerprint, timeout=5.0, **kwargs)
    await client.open()
    return client


def _count(gw, method: str, path: str) -> int:
    return sum(1 for r in gw.requests if r.method == method and r.path == path)


class _FakeClock:
    """Monotonic clock shared by the client's Pacer and the gateway's pacing; it moves
    only when the pacer sleeps. ``gate``: when set, sleeps wait for it first."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.sleeping = asyncio.Event()
        self.gate: asyncio.Event | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.sleeping.set()
        if self.gate is not None:
            await self.gate.wait()
        self.now += seconds
        await asyncio.sleep(0)


async def _frozen_gateway_client(gw, clock: _FakeClock, **kwargs) -> IbkrClient:
    """A client without pacing of its own (so the gateway's pacing answers 429) whose
    Pacer and the gateway share ``clock``."""
    gw.state.clock = clock
    return await _opened(gw, pacer=Pacer(None, clock=clock, sleep=clock.sleep), **kwargs)


async def _global_429(client: IbkrClient, gw) -> RateLimitedError:
    """Exceed the gateway's 10 req/s (frozen clock) with /iserver/accounts, a path
    without a per-endpoint limit, and return the error of the refused request."""
    for _ in range(20):
        try:
            await client.get("/iserver/accounts")
        except RateLimitedError as exc:
            return exc
    raise AssertionError("the gateway never answered 429")


def test_global_429_cools_everything_down_and_publishes_state(arun, tmp_path):
    states = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _frozen_gateway_client(gw, _FakeClock(), on_state=states.append)
            error = await _global_429(client, gw)
            assert error.retry_after == 60 and "paused for 60 s" in error.message
            seen = len(gw.requests)
            for path in ("/iserver/accounts", "/portfolio/accounts"):
                with pytest.raises(RateLimitedError) as again:  # refused locally, not sent, not retried
                    await client.get(path)
                assert again.value.retry_after == 60
            with pytest.raises(RateLimitedError):
                await client.post("/tickle")
            assert len(gw.requests) == seen
            assert client.pacer.cooling_until is not None
            await client.close()

    arun(main())
    assert [s.status for s in states] == [ConnectionStatus.COOL_DOWN]
    assert states[0].until is not None and states[0].until.tzinfo is not None


def test_cool_down_doubles_up_to_ten_minutes(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _frozen_gateway_client(gw, _FakeClock())
            waits = [(await _global_429(client, gw)).retry_after]
            for _ in range(4):
                client.pacer._cooling_until = None  # skip the wait itself
                with pytest.raises(RateLimitedError) as info:
                    await client.get("/iserver/accounts")
                waits.append(info.value.retry_after)
            await client.close()
            return waits

    assert arun(main()) == [60, 120, 240, 480, 600]


def test_endpoint_429_pauses_only_that_endpoint_and_retries_the_get_once(arun, tmp_path):
    """The app restarted within 5 s: GET /portfolio/accounts (1 per 5 s) is refused;
    only that endpoint pauses, other requests go on, and the GET is sent again after
    the endpoint's cool-down instead of failing."""
    states = []
    clock = _FakeClock()

    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _frozen_gateway_client(gw, clock, on_state=states.append)
            first = await client.get("/portfolio/accounts")  # the previous app instance's call
            clock.gate = asyncio.Event()
            again = asyncio.create_task(client.get("/portfolio/accounts"))
            sleeping = asyncio.ensure_future(clock.sleeping.wait())
            await asyncio.wait({again, sleeping}, return_when=asyncio.FIRST_COMPLETED)
            assert not again.done(), again.exception()  # refused (429), waiting for the endpoint cool-down
            assert clock.sleeps == [5.0]  # max(the 5 s window, 5 s)
            assert client.pacer.cooling_until is None
            assert client.pacer.endpoint_cooling_until("/portfolio/accounts") == pytest.approx(1005.0)
            assert "DU100001" in (await client.get("/iserver/accounts"))["accounts"]  # other endpoints work
            assert await client.get("/portfolio/subaccounts")
            assert isinstance(await client.post("/tickle"), dict)
            assert not again.done()
            clock.gate.set()
            assert await again == first
            assert _count(gw, "GET", "/portfolio/accounts") == 3  # first, refused, retried once
            await client.close()

    arun(main())
    assert states == []  # an endpoint cool-down is no connection state


def test_restart_within_five_seconds_keeps_orders_flowing(arun, tmp_path):
    """The reported problem: the restarted app's first GET /portfolio/accounts gets a
    429 (the old instance called it < 5 s ago). With the default pacing rules the
    user's order still goes out at once and the accounts call succeeds after 5 s."""
    clock = _FakeClock()

    def default_pacer() -> Pacer:
        return Pacer(10, IBKR_PACE_RULES, clock=clock, sleep=clock.sleep, margin=PACE_MARGIN)

    async def main():
        async with running_gateway(tmp_path) as gw:
            gw.state.clock = clock
            old = await _opened(gw, pacer=default_pacer())
            accounts = await old.get("/portfolio/accounts")
            await old.close()
            states = []
            new = await _opened(gw, pacer=default_pacer(), on_state=states.append)  # the restarted app
            clock.gate = asyncio.Event()
            accounts_call = asyncio.create_task(new.get("/portfolio/accounts"))
            sleeping = asyncio.ensure_future(clock.sleeping.wait())
            await asyncio.wait({accounts_call, sleeping}, return_when=asyncio.FIRST_COMPLETED)
            assert not accounts_call.done(), accounts_call.exception()
            await new.get("/iserver/accounts")
            order = {"orders": [{"acctId": "DU100001", "conid": 265598, "cOID": "td-restart-1", "orderType": "LMT",
                                 "side": "BUY", "tif": "DAY", "quantity": 1, "price": 100}]}
            answer = await new.post("/iserver/account/DU100001/orders", order)  # not paused
            assert answer and _count(gw, "POST", "/iserver/account/DU100001/orders") == 1
            clock.gate.set()
            assert await accounts_call == accounts
            assert states == []
            await new.close()

    arun(main())


def test_endpoint_429_retried_get_refused_again_is_raised(arun, tmp_path):
    clock = _FakeClock()

    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _frozen_gateway_client(gw, clock)
            await client.get("/portfolio/accounts")

            async def stuck_sleep(seconds: float) -> None:  # the gateway's clock stands still
                clock.sleeps.append(seconds)

            client.pacer._sleep = stuck_sleep
            client.pacer._clock = lambda: clock.now + sum(clock.sleeps)  # only our clock moves
            with pytest.raises(RateLimitedError) as info:
                await client.get("/portfolio/accounts")
            assert _count(gw, "GET", "/portfolio/accounts") == 3  # one retry only
            assert clock.sleeps == [5.0]
            assert info.value.retry_after == 10.0  # the endpoint's second 429: doubled
            assert "/portfolio/accounts" in info.value.message and info.value.code == "429"
            await client.close()

    arun(main())


def test_endpoint_cool_down_longer_than_the_wait_bound_is_not_waited_for(arun, tmp_path):
    states = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _frozen_gateway_client(gw, _FakeClock(), on_state=states.append)
            await client.get("/sso/validate")  # 1 per minute
            with pytest.raises(RateLimitedError) as info:
                await client.get("/sso/validate")
            assert info.value.retry_after == 60 and "GET /sso/validate" in info.value.message
            assert _count(gw, "GET", "/sso/validate") == 2  # no retry, no waiting
            with pytest.raises(RateLimitedError) as local:  # refused locally while it cools
                await client.get("/sso/validate")
            assert "/sso/validate" in local.value.message
            assert _count(gw, "GET", "/sso/validate") == 2
            assert await client.get("/iserver/accounts")
            await client.close()

    arun(main())
    assert states == []


def test_endpoint_429_on_a_post_is_not_retried_and_doubles_per_endpoint(arun, tmp_path):
    clock = _FakeClock()

    async def main():
        async with running_gateway(tmp_path) as gw:
            client = await _frozen_gateway_client(gw, clock)
            await client.post("/tickle")  # 1 per second
            waits = []
            for _ in range(6):
                client.pacer._endpoints.clear()  # skip the wait itself
                with pytest.raises(RateLimitedError) as info:
                    await client.post("/tickle", idempotent=True)
                waits.append(info.value.retry_after)
            assert _count(gw, "POST", "/tickle") == 7  # never re-sent
            assert clock.sleeps == []
            assert client.pacer.cooling_until is None
            # another endpoint's 429 starts its own sequence
            await client.get("/sso/validate")
            with pytest.raises(RateLimitedError) as other:
                await client.get("/sso/validate")
            assert other.value.retry_after == 60
            # a success of the endpoint starts its sequence again
            client.pacer._endpoints.clear()
            clock.now += 1
            assert isinstance(await client.post("/tickle"), dict)
            with pytest.raises(RateLimitedError) as fresh:
                await client.post("/tickle")
            assert fresh.value.retry_after == 5
            await client.close()
            return waits

    assert arun(main()) == [5, 10, 20, 40, 80, 120]


def test_endpoint_retry_after_header_is_honoured(arun):
    clock = _FakeClock()

    async def main():
        async with pinned_server(pacer=Pacer(None, clock=clock, sleep=clock.sleep)) as (server, client):
            server.on("GET", "/v1/api/portfolio/accounts",
                      Reply(429, {"error": "Too Many Requests"}, {"Retry-After": "2"}), Reply(200, [{"id": "DU100001"}]))
            assert await client.get("/portfolio/accounts") == [{"id": "DU100001"}]
            return server.count("GET", "/v1/api/portfolio/accounts")

    assert arun(main()) == 2
    assert clock.sleeps == [2.0]


def test_endpoint_cool_down_lengths_per_rule():
    from desktop.brokers.transport import Throttle

    cool_downs = Throttle(IBKR_PACE_RULES)
    history = cool_downs.rule_for("/iserver/marketdata/history")  # 5 concurrent, no window
    performance = cool_downs.rule_for("/pa/performance")  # 1 per 15 min
    assert cool_downs.rule_for("/iserver/accounts") is None  # global limit only
    assert cool_downs.rule_for("/iserver/account/DU100001/orders") is None  # order placement
    assert [cool_downs.next_seconds(history, None) for _ in range(3)] == [5, 10, 20]
    assert [cool_downs.next_seconds(performance, None) for _ in range(2)] == [900, 900]  # its window caps
    assert cool_downs.next_seconds(history, 3.0) == 3.0  # Retry-After wins
    cool_downs.succeeded("/iserver/marketdata/history")
    assert cool_downs.next_seconds(history, None) == 5
