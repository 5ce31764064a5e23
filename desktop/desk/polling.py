"""The one place a connection's snapshots are polled: balances, positions and new
fills per account (and an advisor's allocation groups), paced by the broker's
``capabilities.poll_interval``; plus the coalesced refresh an order change asks for.
Qt-free; used by :class:`~desktop.desk.session.LiveConnection`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from desktop.brokers import Broker, BrokerError
from desktop.domain import Instrument
from desktop.security.redaction import redact

from .state import DeskState

log = logging.getLogger(__name__)


class AccountRefresher:
    """Snapshot polling of one connection's accounts.

    ``refresh(account)`` reads balances, positions and fills since the newest seen;
    refreshes of one account run one at a time, whoever asks (the start, the poll
    loop, :meth:`schedule`): a snapshot read before another is never applied after it
    (a refresh that read the positions just before a fill, then waited on its paced
    fills request, would otherwise remove the filled position the poll had just shown).
    ``schedule(account)`` coalesces refreshes (one asked for while another runs makes
    it run once more afterwards, since the running one may have read from before the
    change); ``poll_loop()`` refreshes every account
    each ``poll_interval()`` seconds. A failing poll is logged and retried next round;
    it never ends the loop: each account's poll is task ``poll:<account>`` of
    ``failed(task, what, exc)`` (default: logged) and ``ok(task)``.

    Collaborators (the connection's): ``connection_id``, ``name``, ``broker``, ``state``;
    ``remember(instrument)`` keeps an instrument it reported; ``new_holdings(symbols)``
    is told of symbols newly held; ``spawn(coro, name)`` runs a task of the connection;
    ``poll_interval()`` seconds between rounds; ``advisor()`` whether to also reload
    allocation groups with ``load_allocation()``; ``failed`` / ``ok`` (the connection's
    supervisor) are told how each poll went.
    """

    def __init__(self, *, connection_id: str, name: str, broker: Broker, state: DeskState,
                 remember: Callable[[Instrument], None], new_holdings: Callable[[Iterable[str]], None],
                 spawn: Callable[[Awaitable, str], object], poll_interval: Callable[[], float],
                 advisor: Callable[[], bool], load_allocation: Callable[[], Awaitable[None]],
                 failed: Callable[[str, str, BaseException], None] | None = None,
                 ok: Callable[[str], None] = lambda _task: None) -> None:
        self.connection_id, self.name, self.broker, self.state = connection_id, name, broker, state
        self._remember, self._new_holdings, self._spawn = remember, new_holdings, spawn
        self._poll_interval, self._advisor, self._load_allocation = poll_interval, advisor, load_allocation
        self._failed, self._ok = failed or self._log_failure, ok
        self.fills_since: dict[str, datetime | None] = {}
        self._pending: set[str] = set()
        self._again: set[str] = set()
        self._reading: dict[str, asyncio.Lock] = {}  # per account: the refresh reading and applying it

    async def refresh(self, account_id: str) -> None:
        """One snapshot of ``account_id``, read and applied after any refresh of that
        account already under way (see the class docstring). Raises BrokerError."""
        async with self._reading.setdefault(account_id, asyncio.Lock()):
            await self._refresh_now(account_id)

    async def _refresh_now(self, account_id: str) -> None:
        broker, state = self.broker, self.state
        balances = await broker.fetch_balances(account_id)
        positions = await broker.fetch_positions(account_id)
        since = self.fills_since.get(account_id)
        fills = await broker.fetch_fills(account_id, since=since)
        for fill in fills:
            if since is None or fill.timestamp > since:
                since = fill.timestamp
        self.fills_since[account_id] = since
        state.add_fills(fills)
        state.put_balances(balances)
        for pos in positions:
            try:
                self._remember(pos.instrument)
            except Exception:  # noqa: BLE001 - an unreadable instrument must not lose the positions
                log.warning("%s: position without a usable instrument: %s", self.name, redact(repr(pos))[:500])
        new = state.replace_positions(self.connection_id, account_id, positions)
        if new:
            self._new_holdings(p.symbol for p in new)

    def schedule(self, account_id: str) -> None:
        """Refresh ``account_id`` soon (coalesced, see the class docstring)."""
        if account_id in self._pending:
            self._again.add(account_id)
            return
        self._pending.add(account_id)

        async def run() -> None:
            try:
                while True:
                    self._again.discard(account_id)
                    await self.refresh(account_id)
                    if account_id not in self._again:
                        break
            finally:
                self._pending.discard(account_id)

        self._spawn(run(), f"refresh:{account_id}")

    async def poll_loop(self) -> None:
        """Every ``poll_interval`` s: allocation groups (advisors), then each account."""
        while True:
            await asyncio.sleep(self._poll_interval())
            if self._advisor():
                await self._guarded("allocation groups", self._load_allocation())
            for account in self.state.accounts_of(self.connection_id):
                await self._guarded(account.account_id, self.refresh(account.account_id))

    async def _guarded(self, what: str, coro) -> None:
        task = f"poll:{what}"
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 - a bad snapshot must not end the loop
            self._failed(task, what, exc)
        else:
            self._ok(task)

    def _log_failure(self, _task: str, what: str, exc: BaseException) -> None:
        if isinstance(exc, BrokerError):
            log.warning("%s: poll of %s failed: %s", self.name, what, redact(str(exc)))
        else:
            log.error("%s: poll of %s failed", self.name, what, exc_info=exc)
