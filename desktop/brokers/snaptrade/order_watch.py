"""Order updates without a stream: the latest state of every order the adapter has
seen, published into one Topic, and one poller per watched account
(``GET /accounts/{id}/orders``; SnapTrade recommends at most one poll per account
per 15 s, NOTES.md section 6).

Every order the adapter learns (a poll, its own create/cancel/modify answer) goes
through :meth:`OrderBook.put`, which publishes it only when it changed and numbers
it; a watch's first items are the account's working orders as they are when it
starts plus anything that changed while its snapshot was on the way (see
:meth:`OrderBook.initial`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from desktop.brokers.errors import BrokerError
from desktop.brokers.streams import Topic
from desktop.brokers.transport import wait_event
from desktop.domain import Order

log = logging.getLogger(__name__)


def fingerprint(order: Order) -> tuple[Any, ...]:
    """What counts as a change of an order."""
    return (order.status, order.filled, order.amount, order.average, order.limit_price, order.stop_price,
            order.message)


class OrderBook:
    """Latest orders by ``(account_id, order_id)`` with a sequence number each, and
    the topic every change goes to."""

    def __init__(self) -> None:
        self.topic: Topic[Order] = Topic()
        self._latest: dict[tuple[str, str], tuple[int, Order]] = {}
        self._first: dict[tuple[str, str], tuple[int, bool]] = {}  # first seq, first learnt from a poll
        self.seq = 0

    def put(self, order: Order, *, polled: bool = False) -> Order:
        """Keep ``order``; publish it when new or changed. Returns it. The
        ``client_order_id`` learnt earlier is kept when the new state has none.
        ``polled``: learnt from a poll (not from our own order, cancel or modify)."""
        key = (order.account_id, order.order_id)
        previous = self._latest.get(key)
        if previous is not None and not order.client_order_id and previous[1].client_order_id:
            order = order.model_copy(update={"client_order_id": previous[1].client_order_id})
        if previous is not None and fingerprint(previous[1]) == fingerprint(order):
            return previous[1]
        self.seq += 1
        self._latest[key] = (self.seq, order)
        self._first.setdefault(key, (self.seq, polled))
        self.topic.publish(order)
        return order

    def get(self, account_id: str, order_id: str) -> Order | None:
        found = self._latest.get((account_id, order_id))
        return found[1] if found is not None else None

    def known_ids(self, account_id: str) -> set[str]:
        return {oid for (aid, oid) in self._latest if aid == account_id}

    def initial(self, account_id: str, since: int) -> list[Order]:
        """A new watch's first items: the working orders of ``account_id``, then the
        orders that closed after sequence number ``since`` (the watch's start) and
        were known before it or placed by us meanwhile (an order a poll first shows
        already closed is history, not a change)."""
        rows = [(seq, o, self._first[key]) for key, (seq, o) in self._latest.items() if key[0] == account_id]
        working = sorted((o for _s, o, _f in rows if o.is_working), key=lambda o: o.created_at)
        closed = [o for s, o, (first, polled) in sorted(rows, key=lambda r: r[0])
                  if s > since and not o.is_working and (first <= since or not polled)]
        return working + closed

    def close(self) -> None:
        self.topic.close()


class AccountPoller:
    """Polls one account's orders every ``interval`` seconds (``fetch()`` returns the
    parsed orders, each put into ``book``); :meth:`wake` polls at once (after our own
    order, cancel or modify). Failures are logged and retried next round."""

    def __init__(self, account_id: str, fetch: Callable[[], Awaitable[list[Order]]], book: OrderBook, *,
                 interval: float) -> None:
        self.account_id, self._fetch, self._book, self.interval = account_id, fetch, book, interval
        self._wake = asyncio.Event()
        self.watchers = 0
        self.task: asyncio.Task | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            await wait_event(self._wake, self.interval)  # not wait_for: it can drop a cancel (transport.waits)
            self._wake.clear()
            try:
                await self._fetch()  # the fetch puts what it reads into the book
            except asyncio.CancelledError:
                raise
            except BrokerError as exc:
                log.info("SnapTrade orders of %s: poll failed, trying again in %.0f s: %s", self.account_id,
                         self.interval, exc)
            except Exception:  # noqa: BLE001 - the poller must survive any bad answer
                log.exception("SnapTrade orders of %s: poll failed unexpectedly", self.account_id)
