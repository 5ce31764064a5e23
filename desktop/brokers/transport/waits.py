"""Resting until an :class:`asyncio.Event` is set or a timeout passes, without ever
losing a cancellation. Broker-neutral.

``await asyncio.wait_for(event.wait(), timeout)`` is NOT safe for that on Python 3.11
(the oldest we support): it awaits the event in a task of its own, and when the task
calling it is cancelled in the loop turns between the event being set and wait_for
resuming, it returns the inner result and DROPS the cancellation (CPython gh-86296;
3.12 rebuilt wait_for on :func:`asyncio.timeout`). A poller resting between rounds
that way (``wait_for(wake.wait(), interval)``, woken by a ``poke()`` after an order
action) then goes on polling after ``task.cancel()``, and a ``close()`` awaiting the
task never returns. :func:`wait_event` awaits the event in the caller's own task under
:func:`asyncio.timeout`, so a cancellation always reaches the caller.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float | None) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass (None: no limit); True
    when the event is set (it is not cleared). Returns at once, without yielding, when
    it is set already. A cancellation of the caller always propagates as
    CancelledError, whatever happens to the event meanwhile."""
    if event.is_set():
        return True
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True
