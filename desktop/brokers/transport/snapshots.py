"""Shared snapshots of slow, paced list endpoints. Broker-neutral.

Some list endpoints are paced per endpoint, whatever the account: IBKR's
``GET /iserver/account/orders`` and ``GET /iserver/account/trades`` allow one request
per 5 s each (specs/ibkr-cpapi/NOTES.md section 7). A UI asks for the orders and fills
of every account at start and a poller asks again each round; without sharing, the
same account's snapshot would be queued several times (10 accounts = 50 s per
endpoint per round). :class:`SnapshotCache` makes every caller of one key share one
snapshot.

Freshness rule (``get(key, fetch, newer_than=None)``):

1. a stored snapshot is returned as is while it is younger than ``max_age`` seconds
   (counted from when its response arrived) and its request was sent after
   ``newer_than`` and after the last :meth:`SnapshotCache.invalidate` of the key;
2. otherwise a request for the key already in flight is joined when it was sent
   after ``newer_than`` / the last invalidation;
3. otherwise a new request is started (the client's pacer queues it) and stored.

``max_age`` is typically the endpoint's pacing window: no newer snapshot could have
been fetched sooner anyway. Failures are not stored; everyone waiting for that
request gets the error. ``get(..., max_age=inf)`` accepts a stored snapshot of any
age that satisfies ``newer_than``; :meth:`SnapshotCache.prefetch` starts a request
under the same rule without waiting for it. The adapter invalidates a key after its
own changes (an order placed) or a stream message, so the next read is a new request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, NamedTuple

log = logging.getLogger(__name__)


class Stored(NamedTuple):
    """A stored snapshot: ``sent`` / ``arrived`` (the cache's clock) and ``value``."""

    sent: float
    arrived: float
    value: Any


class SnapshotCache:
    """Per-key snapshots shared by every caller (see the module docstring).

    ``max_age``: seconds a snapshot is reused; ``clock``: monotonic seconds (injectable).
    """

    def __init__(self, max_age: float = 5.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._stored: dict[Hashable, Stored] = {}
        self._inflight: dict[Hashable, tuple[float, asyncio.Task]] = {}  # key -> (sent, task)
        self._stale_before: dict[Hashable, float] = {}
        self.requests = 0  # requests started (diagnostics/tests)

    def peek(self, key: Hashable) -> Any | None:
        """The newest stored snapshot of ``key`` whatever its age, or None."""
        stored = self._stored.get(key)
        return stored.value if stored is not None else None

    def stored(self, key: Hashable) -> Stored | None:
        """The newest stored snapshot of ``key`` with its times, or None."""
        return self._stored.get(key)

    def invalidate(self, key: Hashable | None = None, *, where: Callable[[Hashable], bool] | None = None) -> None:
        """Mark ``key`` (or every key for which ``where(key)`` is true, or every key
        when both are None) stale: later reads need a request sent from now on."""
        now = self._clock()
        keys = [key] if key is not None else [k for k in {*self._stored, *self._inflight} if where is None or where(k)]
        for k in keys:
            self._stale_before[k] = now

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[Any]], *, newer_than: float | None = None,
                  max_age: float | None = None) -> Any:
        """The snapshot of ``key`` under the freshness rule; ``fetch()`` makes a new one.
        ``newer_than`` (this cache's clock) asks for a request sent at or after it;
        ``max_age`` overrides the cache's ``max_age`` for this read."""
        stored, task = self._lookup(key, fetch, newer_than, max_age)
        if task is None:
            return stored
        return await asyncio.shield(task)

    def prefetch(self, key: Hashable, fetch: Callable[[], Awaitable[Any]], *, newer_than: float | None = None) -> None:
        """Start a request for ``key`` unless the freshness rule is already met by a
        stored snapshot or a request in flight; do not wait for it (its failure is
        logged at INFO)."""
        self._lookup(key, fetch, newer_than, None)

    def _lookup(self, key: Hashable, fetch: Callable[[], Awaitable[Any]], newer_than: float | None,
                max_age: float | None) -> tuple[Any, asyncio.Task | None]:
        now = self._clock()
        floor = max(-math.inf if newer_than is None else newer_than, self._stale_before.get(key, -math.inf))
        stored = self._stored.get(key)
        limit = self.max_age if max_age is None else max_age
        if stored is not None and stored.sent >= floor and now - stored.arrived < limit:
            return stored.value, None
        inflight = self._inflight.get(key)
        if inflight is None or inflight[0] < floor:
            task = asyncio.get_running_loop().create_task(self._fetch(key, now, fetch), name=f"snapshot {key}")
            task.add_done_callback(_retrieve)
            inflight = (now, task)
            self._inflight[key] = inflight
            self.requests += 1
        return None, inflight[1]

    async def _fetch(self, key: Hashable, sent: float, fetch: Callable[[], Awaitable[Any]]) -> Any:
        try:
            value = await fetch()
            stored = self._stored.get(key)
            if stored is None or stored.sent <= sent:
                self._stored[key] = Stored(sent, self._clock(), value)
            return value
        finally:
            current = self._inflight.get(key)
            if current is not None and current[1] is asyncio.current_task():
                del self._inflight[key]

    async def close(self) -> None:
        """Cancel the requests in flight (their waiters get CancelledError)."""
        tasks = [task for _sent, task in self._inflight.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._inflight.clear()


def _retrieve(task: asyncio.Task) -> None:
    """Mark a failed fetch's exception as seen when every waiter was cancelled."""
    if not task.cancelled() and task.exception() is not None:
        log.info("snapshot request failed: %s", task.exception())
