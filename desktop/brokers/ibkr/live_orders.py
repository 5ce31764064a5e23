"""watch_orders for IBKR: REST polling of live orders (the source of truth), woken
early by websocket ``sor`` frames.

``GET /iserver/account/orders`` is limited to 1 request per 5 s (the client's pacer
waits for the slot), so one poller serves every watched account and group in turn
(round-robin) and publishes only orders that changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from desktop.brokers.errors import BrokerError
from desktop.brokers.streams import Topic
from desktop.domain import Order

log = logging.getLogger("desktop.brokers.ibkr")

Fetch = Callable[[str], Awaitable[list[Order]]]


def _fingerprint(order: Order) -> tuple:
    return (order.status, order.filled, order.amount, order.average, order.limit_price, order.stop_price, order.message)


class OrderPoller:
    """Round-robin poller of live orders.

    ``fetch(account_id)`` returns the current live orders of an account or group (fresh);
    ``interval``: seconds to rest after each full round (the pacer adds its own waits).
    ``watch(account_id)`` yields the current orders, then each changed order, until
    :meth:`close`. :meth:`wake` starts the next round at once (a ``sor`` frame, or after
    our own create/modify/cancel).
    """

    def __init__(self, fetch: Fetch, *, interval: float = 5.0) -> None:
        self._fetch = fetch
        self._interval = interval
        self._topic: Topic[Order] = Topic()
        self._watched: dict[str, int] = {}
        self._seen: dict[tuple[str, str], tuple] = {}
        self._latest: dict[tuple[str, str], Order] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._closed = False

    def wake(self) -> None:
        """Poll again now instead of after the interval."""
        self._wake.set()

    def remember(self, order: Order) -> None:
        """Publish an order we learned of ourselves (create/modify/cancel result)."""
        self._publish_if_changed(order)
        self.wake()

    def _publish_if_changed(self, order: Order) -> None:
        key = (order.account_id, order.order_id)
        self._latest[key] = order
        fp = _fingerprint(order)
        if self._seen.get(key) != fp:
            self._seen[key] = fp
            self._topic.publish(order)

    async def watch(self, account_id: str) -> AsyncIterator[Order]:
        """Orders of ``account_id``: a snapshot first, then changes, until close()."""
        if self._closed:
            return
        try:
            initial = list(await self._fetch(account_id))
        except BrokerError as exc:
            log.info("IBKR: first live orders of %s failed: %s", account_id, exc)
            initial = []
        fetched = {o.order_id for o in initial}
        # orders published while the snapshot was in flight (e.g. our own new order)
        initial += [o for (acct, oid), o in self._latest.items() if acct == account_id and oid not in fetched]
        for o in initial:
            self._seen.setdefault((o.account_id, o.order_id), _fingerprint(o))
        self._watched[account_id] = self._watched.get(account_id, 0) + 1
        self._ensure_task()
        try:
            async for order in self._topic.subscribe(lambda o: o.account_id == account_id, initial=initial):
                yield order
        finally:
            self._watched[account_id] -= 1
            if not self._watched[account_id]:
                del self._watched[account_id]

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ibkr live orders")

    async def _run(self) -> None:
        while not self._closed and self._watched:
            self._wake.clear()
            for account_id in list(self._watched):
                if self._closed:
                    return
                await self.poll_once(account_id)
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass

    async def poll_once(self, account_id: str) -> None:
        """Fetch one account's live orders and publish those that changed."""
        try:
            orders = await self._fetch(account_id)
        except BrokerError as exc:
            log.info("IBKR: polling live orders of %s failed: %s", account_id, exc)
            return
        for order in orders:
            self._publish_if_changed(order)

    async def close(self) -> None:
        """Stop polling and end every watch() iterator (idempotent)."""
        self._closed = True
        self._topic.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
