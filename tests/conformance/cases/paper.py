"""The paper broker cases: the embedded paper broker and its advisor demo, replay loop
off, the market moved with ``advance_minutes``; their "fake" is their own SQLite store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

from desktop.brokers.base import Broker
from desktop.domain import OrderStatus

from .base import BrokerCase, Malformed, Session, order_seen


class PaperCase(BrokerCase):
    """The embedded paper broker, replay loop off, driven with ``advance_minutes``. Its
    "fake" is its own SQLite store (the replayed market is in-process)."""

    id = "paper"
    account_id = "PAPER"
    step = 0.05
    malformed = {"store-orders-row": "_corrupt_order", "store-fills-row": "_corrupt_fill"}

    @asynccontextmanager
    async def fake(self, workdir: Path) -> AsyncIterator[Path]:
        yield workdir / "paper.sqlite"

    def build(self, session: Session) -> Broker:
        from desktop.brokers.paper import PaperBroker

        return PaperBroker(session.fake, autostart=False).bind(self.connection_id)

    async def last_price(self, session: Session) -> Decimal:
        return session.broker.market.last_price(session.symbol)

    def move(self, session: Session, minutes: int) -> None:
        session.broker.advance_minutes(minutes)

    async def _corrupt_order(self, s: Session) -> Malformed:
        """A closed order's row of the store that no longer validates, read on the next connect."""
        watcher = await s.watch_orders()
        closed = []
        for _ in range(2):  # closed orders live only in the orders table (working ones are in the engine state too)
            order = await s.create(await s.far_limit())
            await s.broker.cancel_order(s.account_id, order.order_id)
            await watcher.until(order_seen(order.order_id, lambda o: o.status is OrderStatus.CANCELED))
            closed.append(order.order_id)
        bad, good = closed
        await s.reconnect(lambda: _corrupt_row(s.fake, "orders", "order_id", bad, "amount", "12x"))
        return Malformed("a corrupt order row in the store", token=bad,
                         read=lambda: s.broker.fetch_orders(s.account_id), key=lambda o: o.order_id,
                         survivors={good}, dropped=bad)

    async def _corrupt_fill(self, s: Session) -> Malformed:
        """A fill's row of the store that no longer validates, read on the next connect."""
        first = await s.fill(await s.marketable())
        second = await s.fill(await s.marketable())
        fills = await s.broker.fetch_fills(s.account_id)
        bad = next(f.fill_id for f in fills if f.order_id == first.order_id)
        good = {f.fill_id for f in fills if f.order_id == second.order_id}
        await s.reconnect(lambda: _corrupt_row(s.fake, "fills", "fill_id", bad, "price", "-x-"))
        return Malformed("a corrupt fill row in the store", token=bad,
                         read=lambda: s.broker.fetch_fills(s.account_id), key=lambda f: f.fill_id,
                         survivors=good, dropped=bad)


class PaperAdvisorCase(PaperCase):
    """The paper advisor demo (master DF100000, clients DU100001-4), trading client
    DU100001; bound through the ``connection_id=`` keyword instead of bind()."""

    id = "paper-advisor"
    account_id = "DU100001"
    advisor = True

    def build(self, session: Session) -> Broker:
        from desktop.brokers.paper import PaperBroker

        return PaperBroker(session.fake, autostart=False, advisor=True, connection_id=self.connection_id)


def _corrupt_row(path: Path, table: str, key_column: str, key: str, field_name: str, value: str) -> None:
    """Set ``field_name`` of the JSON in row ``key`` of ``table`` to ``value`` (which no
    longer validates), in the closed store file at ``path``."""
    db = sqlite3.connect(path)
    try:
        (data,) = db.execute(f"SELECT data FROM {table} WHERE {key_column} = ?", (key,)).fetchone()
        row = json.loads(data)
        row[field_name] = value
        db.execute(f"UPDATE {table} SET data = ? WHERE {key_column} = ?", (json.dumps(row), key))
        db.commit()
    finally:
        db.close()
