"""OrderTracker.close() ends the poller also when it comes right after a poke (an
order action of the adapter), whatever the loop turns between them: the interleaving
in which asyncio.wait_for on Python 3.11 dropped the cancellation, so the poller went
on polling and close() (the adapter's, the conformance session's) never returned."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.tradelocker.tracker import OrderTracker


@pytest.mark.parametrize("turns", range(4))
def test_close_right_after_a_poke_stops_the_poller(arun, turns):
    async def scenario():
        fetches = []

        async def fetch():
            fetches.append("fetch")
            return []

        tracker = OrderTracker(fetch, 60.0, "TradeLocker test")
        tracker.start()
        for _ in range(2):  # the poller rests (interval 60 s) until poked
            await asyncio.sleep(0)
        tracker.poke()  # e.g. cancel_order, just before the session closes
        for _ in range(turns):
            await asyncio.sleep(0)
        try:
            async with asyncio.timeout(5.0):
                await tracker.close()
        except TimeoutError:
            return False, fetches
        return True, fetches

    closed, fetches = arun(scenario())
    assert closed, f"close() did not return: the cancelled poller went on ({len(fetches)} fetch(es))"
