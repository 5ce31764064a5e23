"""A burst of requests through IbkrClient's default pacing never breaks IBKR's limits
(NOTES.md section 7): the gateway emulator enforces the same limits and answers 429 to
any excess, and its request log is checked window by window.

The client's Pacer and the emulator share a fake clock that advances only when the
pacer sleeps, so the burst runs without waiting in real time.
"""

from __future__ import annotations

import asyncio

from desktop.brokers.ibkr.client import IBKR_PACE_RULES, IbkrClient
from desktop.brokers.ibkr.client_pacing import PACE_MARGIN
from desktop.brokers.transport import Pacer
from tests.fakes.ibkr import running_gateway


class _Clock:
    """Monotonic time moved only by the pacer's sleeps (shared with the emulator)."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


def _max_in_window(times: list[float], width: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_a_burst_stays_within_every_limit_and_is_never_refused(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            clock = _Clock()
            gw.state.clock = clock
            pacer = Pacer(10, IBKR_PACE_RULES, margin=PACE_MARGIN, clock=clock, sleep=clock.sleep)
            client = IbkrClient(gw.base_url, pinned_sha256=gw.fingerprint, timeout=5.0, pacer=pacer)
            await client.open()
            await client.get("/iserver/accounts")
            gw.requests.clear()
            calls = ([client.get("/iserver/accounts") for _ in range(40)]
                     + [client.get("/iserver/account/orders", params={"accountId": a})
                        for a in ("DU100001", "DU100002", "ByNetLiq")]
                     + [client.get("/iserver/account/trades", params={"accountId": a})
                        for a in ("DU100003", "Everyone")]
                     + [client.post("/tickle") for _ in range(3)])
            results = await asyncio.gather(*calls, return_exceptions=True)
            await client.close()
            errors = [r for r in results if isinstance(r, BaseException)]
            assert errors == []  # the emulator refused nothing (it answers 429 to any excess)
            sent = [r for r in gw.requests if r.path != "/"]
            assert len(sent) == len(calls)
            assert _max_in_window([r.t for r in sent], 1.0) <= 10  # 10 requests/s through the gateway
            for path, per in (("/iserver/account/orders", 5.0), ("/iserver/account/trades", 5.0), ("/tickle", 1.0)):
                times = [r.t for r in sent if r.path == path]
                assert len(times) >= 2 and _max_in_window(times, per) == 1, path  # 1 per window

    arun(main())
