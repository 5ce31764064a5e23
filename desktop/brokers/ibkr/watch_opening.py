"""The start of one ``watch_orders(source)`` whose source has no current snapshot yet.

The settled contract (:class:`desktop.brokers.base.Broker`): a watch FIRST yields the
source's working orders as they are when it starts, THEN every change. For a source
the poller has not polled while watched, the snapshot is the poller's next poll of it
(shared, never an extra request behind the 1-per-5-s pacing of
``GET /iserver/account/orders``, NOTES.md section 7). Changes that happen while the
watch waits for that poll (our own create/modify/cancel, a websocket ``sor`` frame)
are recorded here so that none is lost and none is mistaken for part of the snapshot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from desktop.domain import Order


class Opening:
    """A watch of ``source`` waiting for its first poll.

    The poller calls :meth:`record` for every order of ``source`` it publishes (with
    ``from_poll`` True for REST poll results, False for own results and ``sor``
    updates) and :meth:`polled` with the orders of the first successful poll.
    ``done`` is set then (or when the poller closes).
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.done = asyncio.Event()
        self._poll: list[Order] | None = None
        self._published: list[tuple[bool, Order]] = []

    def record(self, order: Order, *, from_poll: bool) -> None:
        """An order of the source was published while this watch was not subscribed."""
        if order.account_id == self.source:
            self._published.append((from_poll, order))

    def polled(self, orders: list[Order]) -> None:
        """The first successful poll answered ``orders`` (only the first one counts)."""
        if self._poll is None:
            self._poll = [o for o in orders if o.account_id == self.source]
        self.done.set()

    def initial(self, latest: Callable[[Order], Order | None]) -> list[Order]:
        """What the watch yields first, to be computed right before subscribing:

        1. the working orders of the first poll, each in its latest state
           (``latest(order)``), oldest first, except orders changed by something other
           than a poll meanwhile: those changed after the watch started;
        2. then those changes in the order they happened, ending with the order's
           latest state when a later poll changed it again.
        """
        touched = list(dict.fromkeys(o.order_id for from_poll, o in self._published if not from_poll))
        snapshot = [latest(o) or o for o in self._poll or () if o.order_id not in touched]
        first = sorted((o for o in snapshot if o.is_working), key=lambda o: o.created_at)
        later = [o for _from_poll, o in self._published if o.order_id in touched]
        last = {o.order_id: o for o in later}
        for order_id in touched:
            current = latest(last[order_id])
            if current is not None and current is not last[order_id]:
                later.append(current)
        return first + later
