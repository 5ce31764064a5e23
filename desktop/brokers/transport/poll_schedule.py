"""Which source (an account, a group, ...) a poller asks for next. Broker-neutral.

Made for list endpoints paced per login, not per source: IBKR's
``GET /iserver/account/orders`` allows one request every 5 s for the whole login
(specs/ibkr-cpapi/NOTES.md section 7), so an advisor with 5 accounts and 5 groups
cannot poll each every 5 s. :class:`PollSchedule` spends the requests where changes
are likely:

1. **urgent** sources first, in the order they were touched: one with an order we
   just created, modified or cancelled, or one a stream message named;
2. then sources with **working** orders, least recently polled first, each at most
   every ``working_interval`` seconds;
3. then **idle** sources (no working order), least recently polled first, each at
   most every ``idle_interval`` seconds.

When working and idle sources are both due, every ``idle_every``-th poll goes to an
idle one, so sources nobody is trading still get looked at (orders placed elsewhere)
while the working ones keep most of the requests. The schedule only chooses; the
poller spaces its requests and the client's pacer enforces the limits anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable


class PollSchedule:
    """Priority schedule over the watched sources (see the module docstring).

    Seconds: ``working_interval``, ``idle_interval``; ``idle_every`` (>= 1): share of
    polls an idle source may take while working ones are due; ``clock``: monotonic
    seconds (injectable for tests).
    """

    def __init__(self, *, working_interval: float = 5.0, idle_interval: float = 30.0, idle_every: int = 3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.working_interval = working_interval
        self.idle_interval = idle_interval
        self.idle_every = max(1, idle_every)
        self._clock = clock
        self._last: dict[str, float] = {}
        self._urgent: dict[str, None] = {}  # insertion-ordered set
        self._busy_polls = 0  # polls of urgent/working sources since the last idle one

    def touch(self, source: str) -> None:
        """Poll ``source`` next (after sources touched before it)."""
        self._urgent.setdefault(source, None)

    def polled(self, source: str) -> None:
        """Record that a poll of ``source`` just finished (or failed)."""
        self._last[source] = self._clock()

    def last_polled(self, source: str) -> float | None:
        """Clock time of the last finished poll of ``source``, or None."""
        return self._last.get(source)

    def next(self, sources: Iterable[str], working: Callable[[str], bool]) -> tuple[str | None, float]:
        """``(source, 0)`` to poll now, or ``(None, seconds)`` until one is due
        (``inf`` when nothing is watched). ``working(source)``: whether it has
        working orders."""
        watched = list(dict.fromkeys(sources))
        now = self._clock()
        for source in list(self._urgent):
            del self._urgent[source]
            if source in watched:
                self._busy_polls += 1
                return source, 0.0
        never = [s for s in watched if s not in self._last]
        if never:
            self._busy_polls += 1
            return never[0], 0.0
        busy, idle, waits = [], [], []
        for s in watched:
            has_working = working(s)
            interval = self.working_interval if has_working else self.idle_interval
            age = now - self._last[s]
            if age >= interval:
                (busy if has_working else idle).append((self._last[s], s))
            else:
                waits.append(interval - age)
        if idle and (not busy or self._busy_polls >= self.idle_every - 1):
            self._busy_polls = 0
            return min(idle)[1], 0.0
        if busy:
            self._busy_polls += 1
            return min(busy)[1], 0.0
        return None, min(waits, default=float("inf"))
