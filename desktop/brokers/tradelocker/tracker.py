"""``watch_orders`` without a stream: one poller per account over ``/orders`` and
``/ordersHistory`` (specs/tradelocker/NOTES.md section 5), publishing every order
whose state changed as a full snapshot.

The watch contract (desktop/brokers/base.py): a watch first yields the account's
working orders as they are when it starts, then every change. The baseline is taken
at connect (:meth:`OrderTracker.baseline`) and kept current by every order the
adapter reads (its own actions, fetch_orders: :meth:`OrderTracker.absorb`); a watch
takes its snapshot from it and subscribes in the same step, without awaiting
anything, so no change falls between them. Polling starts with the first watch;
after the adapter's own order actions the poller is woken at once
(:meth:`OrderTracker.poke`). The poller rests with
:func:`~desktop.brokers.transport.wait_event`, never ``asyncio.wait_for``, which on
Python 3.11 can drop the cancellation of :meth:`OrderTracker.close` right after a
poke and leave ``close()`` waiting forever (see :mod:`desktop.brokers.transport.waits`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from desktop.brokers.errors import BrokerError
from desktop.brokers.streams import Topic
from desktop.brokers.transport import wait_event
from desktop.domain import Order

log = logging.getLogger(__name__)


class OrderTracker:
    """Polls ``fetch()`` (every order of the account: working and history) every
    ``interval`` seconds, or sooner when poked."""

    def __init__(self, fetch: Callable[[], Awaitable[list[Order]]], interval: float, name: str) -> None:
        self._fetch = fetch
        self.interval = interval
        self.name = name
        self.topic: Topic[Order] = Topic()
        self.latest: dict[str, Order] = {}
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._based = False

    async def baseline(self) -> None:
        """Take the account's orders as the baseline, publishing nothing."""
        for order in await self._fetch():
            self.latest[order.order_id] = order
        self._based = True

    def start(self) -> None:
        """Start polling (once)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"{self.name} orders")

    def poke(self) -> None:
        """Poll now (after an order action of this adapter)."""
        self._wake.set()

    def absorb(self, orders: list[Order]) -> None:
        """Publish what changed among ``orders`` (a fetch made elsewhere)."""
        for order in orders:
            if self.latest.get(order.order_id) != order:
                self.latest[order.order_id] = order
                self.topic.publish(order)

    async def watch(self) -> AsyncIterator[Order]:
        if not self._based:
            await self.baseline()
        self.start()
        initial = sorted((o for o in self.latest.values() if o.is_working), key=lambda o: o.created_at)
        async for order in self.topic.subscribe(initial=initial):
            yield order

    async def _run(self) -> None:
        while True:
            await wait_event(self._wake, self.interval)
            self._wake.clear()
            try:
                self.absorb(await self._fetch())
            except asyncio.CancelledError:
                raise
            except BrokerError as exc:
                log.info("%s: order poll failed, trying again: %s", self.name, exc)
            except Exception:  # noqa: BLE001 - the poller must survive any bad answer
                log.exception("%s: order poll failed unexpectedly", self.name)

    async def close(self) -> None:
        """End every watch and stop polling (waits until the poller has stopped)."""
        self.topic.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
