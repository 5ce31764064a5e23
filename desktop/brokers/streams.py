"""Fan-out of one producer to many ``watch_*`` async iterators (broker-agnostic).

Adapters publish parsed domain objects into a :class:`Topic`; each ``subscribe()``
call gets its own buffer. A topic created with ``key`` coalesces: a slow subscriber
sees only the newest item per key (quotes, forming bars) instead of an unbounded
backlog; without ``key`` every item is delivered in order (orders, fills).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


END = object()
"""Put into a queue read by :func:`drain` to end the iteration."""


async def drain(queue: asyncio.Queue) -> AsyncIterator:
    """Yield the items put into ``queue`` until :data:`END` arrives.

    The consumer side of the per-subscriber queues adapters keep for their watchers;
    the producer puts :data:`END` on close().
    """
    while True:
        item = await queue.get()
        if item is END:
            return
        yield item


@contextmanager
def counted(counts: dict[K, int], keys: Iterable[K]) -> Iterator[None]:
    """Count one more watcher of each of ``keys`` in ``counts`` while inside the block;
    a key whose count drops back to 0 is removed."""
    keys = list(keys)
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    try:
        yield
    finally:
        for key in keys:
            counts[key] -= 1
            if not counts[key]:
                del counts[key]


class _Subscriber(Generic[T]):
    def __init__(self, accept: Callable[[T], bool], key: Callable[[T], Hashable] | None) -> None:
        self.accept = accept
        self.key = key
        self.items: OrderedDict[Hashable, T] = OrderedDict()
        self.seq = 0
        self.ready = asyncio.Event()
        self.closed = False

    def put(self, item: T) -> None:
        if self.key is not None:
            k = self.key(item)
            self.items.pop(k, None)
            self.items[k] = item
        else:
            self.seq += 1
            self.items[self.seq] = item
        self.ready.set()


class Topic(Generic[T]):
    """A broadcast point. ``publish(item)`` never blocks; ``subscribe(accept)`` yields
    the items ``accept`` returns True for, until ``close()`` or cancellation."""

    def __init__(self, key: Callable[[T], Hashable] | None = None) -> None:
        self._key = key
        self._subs: list[_Subscriber[T]] = []

    @property
    def subscriber_count(self) -> int:
        return len(self._subs)

    def publish(self, item: T) -> None:
        for sub in self._subs:
            if sub.accept(item):
                sub.put(item)

    def close(self) -> None:
        """End every subscription (their iterators finish normally)."""
        for sub in self._subs:
            sub.closed = True
            sub.ready.set()

    async def subscribe(self, accept: Callable[[T], bool] = lambda _item: True, initial: list[T] | None = None) -> AsyncIterator[T]:
        """Iterate items accepted by ``accept``, starting with ``initial`` (a snapshot)."""
        sub: _Subscriber[T] = _Subscriber(accept, self._key)
        for item in initial or ():
            sub.put(item)
        self._subs.append(sub)
        try:
            while True:
                await sub.ready.wait()
                sub.ready.clear()
                while sub.items:
                    _, item = sub.items.popitem(last=False)
                    yield item
                if sub.closed:
                    return
        finally:
            self._subs.remove(sub)
