"""fetch_fills for IBKR: ``GET /iserver/account/trades`` snapshots, with one group
request standing in for one request per client after a group order fills.

``/iserver/account/trades`` is paced at one request per 5 s (NOTES.md section 7).
The gateway accepts a group in ``accountId`` (NOTES.md sections 3-4): the answer
lists every client's allocated executions (``account`` = the client,
``account_allocation_name`` = the group). After a group order fills, the UI asks
for the fills of every client of the group; answering each from its own request
would take one 5 s slot per client.

Freshness rule of :meth:`TradesBook.fills` (snapshots shared through
:class:`~desktop.brokers.transport.snapshots.SnapshotCache`, clock = monotonic seconds):

* :meth:`TradesBook.note_group_fill` records the time T at which a group order's
  filled quantity was seen to change (REST poll, own order or websocket ``sor``).
* A **group**'s fills come from a snapshot of the group requested at or after T
  (else the usual 5 s reuse).
* A **client**'s fills, when some group G containing it has a change T_G newer than
  the request of the client's own stored snapshot, are the union (by
  ``execution_id``) of the client's own stored snapshot, whatever its age (it still
  covers the client's non-group fills), and the client's rows of G's snapshot
  requested at or after T_G (one request shared by every client of G, reused
  whatever its age until the next change). A fresh own snapshot is then requested
  in the background at low priority, and once it was sent after T_G the client is
  back to the usual rule. Without a stored own snapshot the call waits for one.
* Otherwise a client's fills come from its own snapshot, reused while younger than
  the pacing window (5 s).

Trades requests of this book take turns through a priority gate: group requests
before clients' own snapshots, so a fill's allocations are not queued behind
background refreshes.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

from desktop.brokers.transport import SnapshotCache
from desktop.domain import Fill

from .order_body import fill_from_trade
from .parse import PAYLOADS, text
from .requester import Requester

GROUP_PRIORITY = 0
CLIENT_PRIORITY = 1


class PriorityGate:
    """One holder at a time; waiters are served lowest ``priority`` first, then in
    arrival order. Cancelled waiters leave the queue."""

    def __init__(self) -> None:
        self._busy = False
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._seq = itertools.count()

    @asynccontextmanager
    async def hold(self, priority: int) -> AsyncIterator[None]:
        if self._busy:
            future = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._seq), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release()  # handed the gate, then cancelled: pass it on
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiters:
            _priority, _seq, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # the gate passes straight to this waiter
                return
        self._busy = False


class TradesBook:
    """Fills of one IBKR session under the module's freshness rule.

    ``snapshots``: the cache shared with the live orders (keys ``("trades", id,
    days)``); ``groups()``: allocation group names; ``client_accounts()``: client
    account ids; ``members(group)``: the group's client ids, or None when unknown
    (then every client is assumed a member); ``clock``: the cache's clock.
    """

    def __init__(self, client: Requester, snapshots: SnapshotCache, *, groups: Callable[[], set[str]] = set,
                 client_accounts: Callable[[], set[str]] = set,
                 members: Callable[[str], set[str] | None] = lambda _group: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self.snapshots = snapshots
        self._groups = groups
        self._client_accounts = client_accounts
        self._members = members
        self._clock = clock
        self._gate = PriorityGate()
        self._fill_changes: dict[str, float] = {}

    def note_group_fill(self, group: str) -> None:
        """A group order of ``group`` changed its filled quantity now."""
        self._fill_changes[group] = self._clock()

    def _fetcher(self, account_id: str, days: int, priority: int) -> Callable[[], Any]:
        async def fetch() -> Any:
            async with self._gate.hold(priority):
                return await self._client.request("GET", "/iserver/account/trades",
                                                  params={"days": days, "accountId": account_id})
        return fetch

    def _pending_groups(self, account_id: str, days: int) -> list[tuple[str, float]]:
        own = self.snapshots.stored(("trades", account_id, days))
        own_sent = own.sent if own is not None else -math.inf
        pending = []
        for group, changed in self._fill_changes.items():
            members = self._members(group)
            if changed > own_sent and (members is None or account_id in members):
                pending.append((group, changed))
        return pending

    async def fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """Executions of ``account_id`` (a client: its own fills, with
        ``allocation_group`` set for group-order allocations; a group: the fills
        allocated from it) at or after ``since``, oldest first, under the module's
        freshness rule. Trades go back at most 7 days (``days`` = 1..7). Raises
        BrokerError when a needed request fails."""
        days = 1
        if since is not None:
            age = datetime.now(timezone.utc) - since
            days = max(1, min(7, age.days + 1))
        key = ("trades", account_id, days)
        is_group = account_id in self._groups()
        if is_group:
            rows = _rows(await self.snapshots.get(key, self._fetcher(account_id, days, GROUP_PRIORITY),
                                                  newer_than=self._fill_changes.get(account_id)))
        else:
            pending = self._pending_groups(account_id, days)
            group_rows = await asyncio.gather(*(
                self.snapshots.get(("trades", g, days), self._fetcher(g, days, GROUP_PRIORITY),
                                   newer_than=changed, max_age=math.inf) for g, changed in pending))
            own_fetch = self._fetcher(account_id, days, CLIENT_PRIORITY)
            own = self.snapshots.stored(key)
            if own is None or not pending:
                own_rows = _rows(await self.snapshots.get(key, own_fetch))
            else:
                own_rows = _rows(own.value)
                self.snapshots.prefetch(key, own_fetch, newer_than=max(changed for _g, changed in pending))
            merged: dict[Any, Any] = {}
            for row in [*own_rows, *(r for payload in group_rows for r in _rows(payload))]:
                merged[(text(row.get("execution_id")) if isinstance(row, dict) else "") or id(row)] = row
            rows = list(merged.values())
        known = self._client_accounts()
        out = []
        for row in rows:
            fill = fill_from_trade(row, accounts=known)
            if fill is None:
                continue
            if (fill.allocation_group == account_id) if is_group else (fill.account_id == account_id):
                if since is None or _after(fill.timestamp, since):
                    out.append(fill)
        out.sort(key=lambda f: f.timestamp)
        return out


def _rows(payload: Any) -> list:
    """The rows of a trades payload (a list); anything else is logged once and empty."""
    if isinstance(payload, list):
        return payload
    if payload not in (None, {}):
        PAYLOADS.skip("a trades answer that is not a list", payload)
    return []


def _after(when: datetime, since: datetime) -> bool:
    """``when >= since``, a naive ``since`` taken as UTC."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when >= since
