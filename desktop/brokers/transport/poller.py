"""Polling for brokers without streams: fetch a list every N seconds and publish
what changed. Broker-neutral.

:class:`ChangePoller` turns a ``fetch()`` of raw rows (SnapTrade's recent orders,
TradeLocker's arrays of arrays) into ``watch_*`` updates: each row is parsed into a
domain object, compared by key with the last one published, and published into a
:class:`~desktop.brokers.streams.Topic` only when new or changed. One unreadable row
is logged and skipped; a failing poll is logged and tried again next round; the loop
ends only when cancelled. Pacing stays the client's job (its Pacer); ``interval`` is
just the rest between rounds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from desktop.brokers.errors import BrokerError
from desktop.brokers.streams import Topic

log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


def _same(item: T) -> Any:
    return item


class ChangePoller(Generic[R, T]):
    """Polls ``fetch()`` (async, returns raw rows) every ``interval`` seconds.

    ``parse(row)`` -> T (default: the row itself); a row it cannot read (any
    exception) is logged at WARNING with the error, not the row, and skipped.
    ``key(item)``: the item's identity (an order id); ``fingerprint(item)``: what
    counts as a change (default: the item itself, compared with ==). ``topic``: where
    new and changed items go. ``name``: for the log. ``sleep``: injectable.

    ``latest`` maps each key to the last item published. Items missing from a later
    poll are not reported (a broker's "recent" list drops old rows).
    """

    def __init__(self, fetch: Callable[[], Awaitable[Iterable[R]]], topic: Topic[T], *,
                 key: Callable[[T], Hashable], parse: Callable[[R], T] = _same,  # type: ignore[assignment]
                 fingerprint: Callable[[T], Any] = _same, interval: float = 15.0, name: str = "poller",
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._fetch = fetch
        self.topic = topic
        self._key = key
        self._parse = parse
        self._fingerprint = fingerprint
        self.interval = interval
        self.name = name
        self._sleep = sleep
        self.latest: dict[Hashable, T] = {}
        self.rounds = 0  # polls attempted (diagnostics/tests)

    async def poll_once(self) -> list[T]:
        """One round: fetch, parse, publish the new and changed items and return them.
        Raises what ``fetch`` raises (:meth:`run` logs it and goes on)."""
        self.rounds += 1
        rows = await self._fetch()
        changed: list[T] = []
        for row in rows:
            try:
                item = self._parse(row)
                key = self._key(item)
            except Exception as exc:  # noqa: BLE001 - one bad row must not hide the others
                log.warning("%s: skipped an unreadable item (%s: %s)", self.name, exc.__class__.__name__, exc)
                continue
            previous = self.latest.get(key)
            if previous is not None and self._fingerprint(previous) == self._fingerprint(item):
                continue
            self.latest[key] = item
            changed.append(item)
            self.topic.publish(item)
        return changed

    async def run(self) -> None:
        """Poll forever, ``interval`` seconds between the end of one round and the
        start of the next; a failed round is logged (BrokerError at INFO, anything
        else with its traceback) and the next one runs as usual. Ends only when
        cancelled."""
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except BrokerError as exc:
                log.info("%s: poll failed, trying again in %.0f s: %s", self.name, self.interval, exc)
            except Exception:  # noqa: BLE001 - the loop must survive any bad answer
                log.exception("%s: poll failed unexpectedly, trying again in %.0f s", self.name, self.interval)
            await self._sleep(self.interval)
