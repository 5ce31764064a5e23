"""The bookkeeping under :class:`desktop.brokers.transport.pacing.Pacer`: a sliding
window of request slots and a wake-up for callers waiting for one to be released.
Broker-neutral; times are the pacer's monotonic seconds."""

from __future__ import annotations

import asyncio


class SlidingWindow:
    """Sliding window: at most ``max_calls`` requests in any ``per`` seconds.

    A request occupies the window from its start until ``per`` seconds after it
    FINISHED: the server sees it arrive somewhere in between, so counting from the end
    guarantees the server's own window (counted on arrival) is never exceeded,
    whatever the network or event-loop delays.
    """

    def __init__(self, max_calls: int, per: float, entries: list[list[float | None]] | None = None) -> None:
        self.max_calls = max_calls
        self.per = per
        self.entries: list[list[float | None]] = list(entries or [])  # [start, end or None while in flight]

    def resized(self, max_calls: int, per: float) -> "SlidingWindow":
        """A window with other limits that keeps this one's requests (the same entry
        objects, so requests in flight still record their end in it)."""
        return SlidingWindow(max_calls, per, self.entries)

    def wait_time(self, now: float) -> float | None:
        """0 when a request may start now, else seconds to wait, or None when every
        slot is held by a request still in flight (wait for one to finish)."""
        self.entries = [e for e in self.entries if e[1] is None or now - e[1] < self.per]
        if len(self.entries) < self.max_calls:
            return 0.0
        finished = [e[1] for e in self.entries if e[1] is not None]
        if not finished:
            return None
        return min(finished) + self.per - now

    def record(self, now: float) -> list[float | None]:
        """Take a slot from ``now``; set the returned entry's [1] when the request ends."""
        entry: list[float | None] = [now, None]
        self.entries.append(entry)
        return entry


class Released:
    """Wakes the callers waiting for an in-flight request to finish."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future] = []

    async def wait(self) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        finally:
            if future in self._waiters:
                self._waiters.remove(future)

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)
