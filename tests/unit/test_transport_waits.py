"""wait_event: True once the event is set, False after the timeout, and a cancellation
of the waiting task is never lost, also when the event is set in the same loop turns
(asyncio.wait_for on Python 3.11 drops it then: CPython gh-86296)."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.transport import wait_event

TURNS = range(4)
"""Loop turns to let pass (asyncio.sleep(0), never a timed sleep) at each step, so every
interleaving of "event set" and "task cancelled" up to that depth is covered."""


def test_true_when_set_before_or_while_waiting_false_after_the_timeout(arun):
    async def scenario():
        event = asyncio.Event()
        timed_out = await wait_event(event, 0.01)
        waiting = asyncio.get_running_loop().create_task(wait_event(event, None))
        await asyncio.sleep(0)
        event.set()
        return timed_out, await waiting, await wait_event(event, 0)

    assert arun(scenario()) == (False, True, True)


@pytest.mark.parametrize("before", TURNS)
@pytest.mark.parametrize("between", TURNS)
def test_a_cancel_right_after_the_event_is_set_ends_the_waiting_task(arun, before, between):
    async def scenario():
        event = asyncio.Event()
        rounds = []

        async def rest_between_rounds():  # a poller's loop: rest until woken, then poll
            while True:
                await wait_event(event, 60.0)
                event.clear()
                rounds.append("polled")

        task = asyncio.get_running_loop().create_task(rest_between_rounds())
        for _ in range(before):
            await asyncio.sleep(0)
        event.set()  # a poke ...
        for _ in range(between):
            await asyncio.sleep(0)
        task.cancel()  # ... and close() right after it
        done, _pending = await asyncio.wait({task}, timeout=5.0)
        return task in done and task.cancelled(), rounds

    ended, rounds = arun(scenario())
    assert ended, f"the cancelled task went on resting and polling (rounds after the cancel: {rounds})"
