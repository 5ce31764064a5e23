"""AccountPoller.run() ends when its task is cancelled right after a wake() (an order
action of the adapter, then close()), whatever the loop turns between them: with
asyncio.wait_for on Python 3.11 the cancel could be dropped and the poller went on."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.snaptrade.order_watch import AccountPoller, OrderBook


@pytest.mark.parametrize("turns", range(4))
def test_cancel_right_after_a_wake_ends_the_poller(arun, turns):
    async def scenario():
        fetches = []

        async def fetch():
            fetches.append("fetch")
            return []

        poller = AccountPoller("acc-1", fetch, OrderBook(), interval=60.0)
        poller.task = asyncio.get_running_loop().create_task(poller.run())
        for _ in range(2):  # the poller rests (interval 60 s) until woken
            await asyncio.sleep(0)
        poller.wake()  # e.g. after cancel_order, just before the adapter closes
        for _ in range(turns):
            await asyncio.sleep(0)
        poller.task.cancel()
        done, _pending = await asyncio.wait({poller.task}, timeout=5.0)
        return poller.task in done and poller.task.cancelled(), fetches

    ended, fetches = arun(scenario())
    assert ended, f"the cancelled poller went on ({len(fetches)} fetch(es))"
