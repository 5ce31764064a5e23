"""watch_orders for IBKR: prioritised REST polling of live orders (the source of
truth), plus websocket ``sor`` rows applied at once.

``GET /iserver/account/orders`` is limited to 1 request per 5 s (the client's pacer
waits for the slot), so one poller serves every watched account and group. It asks
:class:`~desktop.brokers.transport.poll_schedule.PollSchedule` which source is next
(urgent ones, then those with working orders, idle ones at most every ~30 s) and
publishes only orders that changed.

``sor`` rows (:mod:`desktop.brokers.ibkr.sor_updates`) are merged into the last
Order of that id and published immediately; their source is then polled next, and
that REST answer corrects the frame. A REST answer to a request that started before
an order's latest ``sor`` update is ignored for that order (it is older news).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from desktop.brokers.errors import BrokerError
from desktop.brokers.streams import Topic
from desktop.brokers.transport import PayloadError, PollSchedule, Supervisor, wait_event
from desktop.domain import Order

from .sor_updates import merge_sor, parse_sor_row
from .watch_opening import Opening

log = logging.getLogger("desktop.brokers.ibkr")

POLL_TASK = "live orders"
"""The supervised task name of the poller (label "order updates")."""
SOR_TASK = "sor"
"""The supervised task name of the websocket order relay (label "order updates (websocket)")."""

Fetch = Callable[[str], Awaitable[list[Order]]]
OnChange = Callable[[Order | None, Order], None]


def _fingerprint(order: Order) -> tuple:
    return (order.status, order.filled, order.amount, order.average, order.limit_price, order.stop_price, order.message)


class OrderPoller:
    """Prioritised poller of live orders.

    ``fetch(account_id)`` returns the current live orders of an account or group;
    ``interval``: seconds to rest after each poll (the endpoint's pacing window, so
    the next source is chosen when a request could actually be sent; :meth:`wake`
    cuts the rest short); ``idle_interval``: seconds between polls of a source with
    no working order (default 6 x ``interval``: 30 s at IBKR's pacing);
    ``idle_every``: see PollSchedule. ``on_change(previous, order)`` is called for
    each changed order before it is published (previous None when new).
    ``clock``: monotonic seconds (injectable). ``supervisor`` runs the polling task
    (:data:`POLL_TASK`: restarted if it dies; a poll or a row that fails unexpectedly
    is logged and skipped; repeated failures surface as "order updates failing");
    a private one when None.

    ``watch(account_id)`` yields the working orders of the account or group when the
    watch starts, then every new or changed order, until :meth:`close` (see
    :meth:`watch`).
    """

    def __init__(self, fetch: Fetch, *, interval: float = 5.0, idle_interval: float | None = None,
                 idle_every: int = 3, on_change: OnChange | None = None,
                 clock: Callable[[], float] = time.monotonic, supervisor: Supervisor | None = None) -> None:
        self._fetch = fetch
        self._supervisor = supervisor or Supervisor(name="IBKR")
        self._interval = interval
        self._clock = clock
        self.schedule = PollSchedule(working_interval=interval,
                                     idle_interval=6 * interval if idle_interval is None else idle_interval,
                                     idle_every=idle_every, clock=clock)
        self.on_change = on_change
        self._topic: Topic[Order] = Topic()
        self._watched: dict[str, int] = {}
        self._latest: dict[tuple[str, str], Order] = {}
        self._by_id: dict[str, tuple[str, str]] = {}
        self._sor_at: dict[tuple[str, str], float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._first_polls: dict[str, asyncio.Future] = {}
        self._openings: dict[str, list[Opening]] = {}  # watches waiting for their source's first poll
        self._fresh: set[str] = set()  # sources polled successfully while watched
        self._changed_at: dict[str, float] = {}  # source -> last own/sor change
        self._closed = False
        self.polls: deque[str] = deque(maxlen=1000)  # sources in the order polled (diagnostics/tests)

    # -- inputs ---------------------------------------------------------------------
    def wake(self, source: str | None = None) -> None:
        """Poll ``source`` next (None: every watched source, one after another)."""
        for s in [source] if source is not None else list(self._watched):
            self.schedule.touch(s)
        self._wake.set()

    def remember(self, order: Order) -> None:
        """Publish an order we learned of ourselves (create/modify/cancel result) and
        poll its account or group next."""
        self._changed_at[order.account_id] = self._clock()
        self._publish_if_changed(order, from_poll=False)
        self.wake(order.account_id)

    def latest(self, order_id: str) -> Order | None:
        """The last known state of order ``order_id`` (REST, own, or ``sor``), or None."""
        key = self._by_id.get(str(order_id))
        return self._latest.get(key) if key is not None else None

    def apply_sor(self, rows: Iterable[object]) -> set[str]:
        """Merge the rows of one ``sor`` frame into the orders we know and publish the
        changed ones now. Returns the sources (accounts/groups) to re-read: those of
        changed orders and of unknown orders whose ``acct`` is watched; they are polled
        next. Malformed rows are logged and skipped."""
        touched: set[str] = set()
        for row in rows:
            with self._supervisor.item(SOR_TASK, row, label="order updates (websocket)"):
                self._apply_sor_row(row, touched)
        for source in touched:
            self._changed_at[source] = self._clock()
            self.schedule.touch(source)
        if touched:
            self._wake.set()
        return touched

    def _apply_sor_row(self, row: object, touched: set[str]) -> None:
        update = parse_sor_row(row)
        if update is None:
            return
        key = self._by_id.get(update.order_id)
        if key is None:
            if update.account in self._watched:
                touched.add(update.account)
            return
        merged = merge_sor(self._latest[key], update)
        if merged is None:
            return
        if self._publish_if_changed(merged, from_poll=False):
            self._sor_at[key] = self._clock()
            touched.add(key[0])

    def _publish_if_changed(self, order: Order, *, from_poll: bool) -> bool:
        key = (order.account_id, order.order_id)
        previous = self._latest.get(key)
        self._latest[key] = order
        self._by_id[order.order_id] = key
        if previous is not None and _fingerprint(previous) == _fingerprint(order):
            return False
        if self.on_change is not None:
            try:
                self.on_change(previous, order)
            except Exception:  # noqa: BLE001 - a hook must not stop the poller
                log.exception("IBKR: order change hook failed")
        self._topic.publish(order)
        for opening in self._openings.get(order.account_id, ()):
            opening.record(order, from_poll=from_poll)
        return True

    def _has_working(self, source: str) -> bool:
        return any(o.is_working for (acct, _oid), o in self._latest.items() if acct == source)

    # -- watch ----------------------------------------------------------------------
    async def watch(self, account_id: str) -> AsyncIterator[Order]:
        """Orders of ``account_id`` (an account or group): FIRST its working orders as
        they are when the watch starts (oldest first; possibly none), THEN every new or
        changed order, until close(); nothing that changes in between is lost.

        While the source is watched and was polled since, the snapshot is what the
        poller knows. Otherwise it is the poller's next poll of the source (never
        polled: right after the urgent sources; polled before it was last unwatched:
        next), shared with every other caller; the watch never queues a request of
        its own behind the pacer. Changes meanwhile (our own orders, ``sor`` frames)
        follow the snapshot (:class:`~desktop.brokers.ibkr.watch_opening.Opening`)."""
        if self._closed:
            return
        self._watched[account_id] = self._watched.get(account_id, 0) + 1
        try:
            self._ensure_task()
            initial = await self._initial(account_id)
            if initial is None:
                return
            async for order in self._topic.subscribe(lambda o: o.account_id == account_id, initial=initial):
                yield order
        finally:
            self._watched[account_id] -= 1
            if not self._watched[account_id]:
                del self._watched[account_id]
                self._fresh.discard(account_id)

    async def _initial(self, account_id: str) -> list[Order] | None:
        """The first items of a watch (see :meth:`watch`), or None when closed. The
        caller subscribes right after, with no await in between."""
        if account_id in self._fresh:
            working = [o for (acct, _oid), o in self._latest.items() if acct == account_id and o.is_working]
            return sorted(working, key=lambda o: o.created_at)
        opening = Opening(account_id)
        self._openings.setdefault(account_id, []).append(opening)
        if self.schedule.last_polled(account_id) is not None:
            self.schedule.touch(account_id)  # polled in an earlier watch: poll it next
        self._wake.set()
        try:
            await opening.done.wait()
            if self._closed:
                return None
            return opening.initial(lambda o: self._latest.get((o.account_id, o.order_id)))
        finally:
            waiting = self._openings.get(account_id, [])
            if opening in waiting:
                waiting.remove(opening)
            if not waiting:
                self._openings.pop(account_id, None)

    async def snapshot(self, account_id: str) -> list[Order]:
        """The live orders of ``account_id`` (fetch_orders): while a watched source was
        never polled, the result of the poller's first poll of it; otherwise
        ``fetch`` (the shared snapshot). Raises BrokerError as ``fetch`` does."""
        if account_id in self._watched and self.schedule.last_polled(account_id) is None and not self._closed:
            future = self._first_polls.get(account_id)
            if future is None:
                future = self._first_polls[account_id] = asyncio.get_running_loop().create_future()
                future.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._ensure_task()
            self._wake.set()
            started, orders = await asyncio.shield(future)
            if self._changed_at.get(account_id, float("-inf")) < started:
                return list(orders)
            # our own order (or a sor frame) changed the source after that poll was sent: a newer snapshot
        return list(await self._fetch(account_id))

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            self._task = self._supervisor.start(POLL_TASK, self._run, label="order updates")

    async def _run(self) -> None:
        while not self._closed and self._watched:
            source, wait = self.schedule.next(list(self._watched), self._has_working)
            if source is None:
                await self._rest(wait)
                continue
            await self.poll_once(source)
            await self._rest(self._interval)

    async def _rest(self, seconds: float) -> None:
        """Sleep ``seconds`` unless woken (an urgent source) first."""
        await wait_event(self._wake, None if seconds == float("inf") else seconds)  # not wait_for (transport.waits)
        self._wake.clear()

    async def poll_once(self, account_id: str) -> None:
        """Fetch one account's live orders and publish those that changed (except
        orders a ``sor`` frame updated after this request started)."""
        started = self._clock()
        self.polls.append(account_id)
        try:
            orders = list(await self._fetch(account_id))
        except BrokerError as exc:
            log.info("IBKR: polling live orders of %s failed: %s", account_id, exc)
            self._polled(account_id, exc, started)
            return
        except Exception as exc:  # noqa: BLE001 - logged, counted; the next poll runs as usual
            self._supervisor.failed(POLL_TASK, exc, account_id, label="order updates")
            self._polled(account_id, PayloadError(f"The live orders of {account_id} could not be read"), started)
            return
        for order in orders:
            with self._supervisor.item(POLL_TASK, order, label="order updates"):
                key = (order.account_id, order.order_id)
                if self._sor_at.get(key, float("-inf")) > started:
                    continue  # older than what the websocket told us; the next poll decides
                self._publish_if_changed(order, from_poll=True)
        self._supervisor.ok(POLL_TASK)
        self._polled(account_id, orders, started)

    def _polled(self, account_id: str, outcome: list[Order] | BrokerError, started: float) -> None:
        """Record a finished poll and hand its outcome to a snapshot() and to the
        watches waiting for it."""
        self.schedule.polled(account_id)
        if not isinstance(outcome, BrokerError):
            if account_id in self._watched:
                self._fresh.add(account_id)
            for opening in self._openings.get(account_id, ()):
                opening.polled(outcome)
        first = self._first_polls.pop(account_id, None)
        if first is not None and not first.done():
            if isinstance(outcome, BrokerError):
                first.set_exception(outcome)
            else:
                first.set_result((started, outcome))

    async def close(self) -> None:
        """Stop polling and end every watch() iterator (idempotent)."""
        self._closed = True
        self._topic.close()
        for openings in self._openings.values():
            for opening in openings:
                opening.done.set()
        for future in self._first_polls.values():
            future.cancel()
        self._first_polls.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
