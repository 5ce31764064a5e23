"""The one place a connection's snapshots are polled: balances, positions and new
fills per account (and an advisor's allocation groups), paced by the broker's
``capabilities.poll_interval``; plus the coalesced refresh an order change asks for.
Qt-free; used by :class:`~desktop.desk.session.LiveConnection`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from desktop.brokers import BrokerError
from desktop.security.redaction import redact

if TYPE_CHECKING:
    from .session import LiveConnection

log = logging.getLogger(__name__)


class AccountRefresher:
    """Snapshot polling of one connection's accounts.

    ``refresh(account)`` reads balances, positions and fills since the newest seen;
    ``schedule(account)`` coalesces refreshes (one in flight per account; one asked
    for while another runs makes it run once more afterwards, since the running one
    may have read from before the change); ``poll_loop()`` refreshes every account
    each ``poll_interval`` seconds. A failing poll is logged and retried next round;
    it never ends the loop.
    """

    def __init__(self, connection: "LiveConnection") -> None:
        self.connection = connection
        self.fills_since: dict[str, datetime | None] = {}
        self._pending: set[str] = set()
        self._again: set[str] = set()

    async def refresh(self, account_id: str) -> None:
        """One snapshot of ``account_id``. Raises BrokerError."""
        conn = self.connection
        broker, state = conn.broker, conn.state
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
            conn.remember(pos.instrument)
        new = state.replace_positions(conn.id, account_id, positions)
        if new:
            conn.positions_changed(p.symbol for p in new)

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

        self.connection.spawn(run(), f"refresh:{account_id}")

    async def poll_loop(self) -> None:
        """Every ``poll_interval`` s: allocation groups (advisors), then each account."""
        conn = self.connection
        while True:
            await asyncio.sleep(conn.poll_interval)
            if conn.is_advisor:
                await self._guarded("allocation groups", conn.load_allocation())
            for account in conn.state.accounts_of(conn.id):
                await self._guarded(account.account_id, self.refresh(account.account_id))

    async def _guarded(self, what: str, coro) -> None:
        try:
            await coro
        except BrokerError as exc:
            log.warning("%s: poll of %s failed: %s", self.connection.name, what, redact(str(exc)))
        except Exception:  # noqa: BLE001 - a bad snapshot must not end the loop
            log.exception("%s: poll of %s failed", self.connection.name, what)
