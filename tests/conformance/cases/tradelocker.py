"""The TradeLocker case: TradeLockerBroker against the fake TradeLocker server
(tests/fakes/tradelocker: HTTP on loopback under /backend-api, JWT, accNum, shuffled
config columns, rate limits enforced by the server and paced by the adapter)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop.brokers.base import Broker
from desktop.domain import TimeInForce

from .base import BrokerCase, Malformed, Session, Transport


class TradeLockerCase(BrokerCase):
    """TradeLockerBroker against tests/fakes/tradelocker, trading account 1163012
    (accNum 1) in lots of AAPL CFDs; the market moves with the fake's paper market."""

    id = "tradelocker"
    account_id = "1163012"
    network = True
    step = 0.1
    malformed = {"orders-row": "_bad_order_row", "positions-row": "_bad_position_row"}
    time_in_force = TimeInForce.GTC  # limit and stop orders are GTC only (NOTES.md section 5)

    @asynccontextmanager
    async def fake(self, workdir: Path) -> AsyncIterator[Any]:
        from tests.fakes.tradelocker import running_fake

        async with running_fake() as fake:
            fake.advance_minutes(5)
            yield fake

    @asynccontextmanager
    async def session(self, workdir: Path) -> AsyncIterator[Session]:
        async with self.fake(workdir) as fake:
            session = Session(self, workdir, fake)
            await session.connect()
            try:
                yield session
            finally:
                await session.close()

    def build(self, session: Session) -> Broker:
        from desktop.brokers.tradelocker import TradeLockerBroker

        fake = session.fake
        return TradeLockerBroker(fake.environment, email=fake.credentials["email"],
                                 password=fake.credentials["password"], server=fake.credentials["server"],
                                 poll_interval=0.05, reconcile_delay=0.01).bind(self.connection_id)

    async def last_price(self, session: Session) -> Decimal:
        return session.fake.market.last_price(session.symbol)

    def move(self, session: Session, minutes: int) -> None:
        session.fake.advance_minutes(minutes)

    def transport(self, session: Session) -> Transport:
        fake = session.fake
        return Transport(fake.host, fake.port, requests=len(fake.requests))

    def order_posts(self, session: Session) -> int:
        return session.fake.order_posts()

    def _aapl(self, s: Session):
        return next(i for i in s.fake.catalog if i.symbol == s.symbol)

    async def _bad_order_row(self, s: Session) -> Malformed:
        """An orders row whose ``qty`` cannot be read."""
        inst = self._aapl(s)
        s.fake.inject("orders", {"id": "424242", "tradableInstrumentId": str(inst.tid), "routeId": str(inst.trade_route),
                                 "qty": "1O0", "side": "buy", "type": "limit", "status": "New", "filledQty": "0",
                                 "price": "1.00", "validity": "GTC", "isOpen": "true"})
        good = await s.create(await s.far_limit())
        return Malformed("an orders row with an unreadable qty", token="1O0",
                         read=lambda: s.broker.fetch_orders(s.account_id), key=lambda o: o.order_id,
                         survivors={good.order_id}, dropped="424242")

    async def _bad_position_row(self, s: Session) -> Malformed:
        """A positions row whose ``qty`` cannot be read, beside a real position."""
        inst = self._aapl(s)
        await s.fill(await s.marketable())
        s.fake.inject("positions", {"id": "515151", "tradableInstrumentId": str(inst.tid), "routeId": str(inst.trade_route),
                                    "side": "buy", "qty": "12,5O", "avgPrice": "30.0", "openDate": "0"})
        return Malformed("a positions row with an unreadable qty", token="12,5O",
                         read=lambda: s.broker.fetch_positions(s.account_id), key=lambda p: p.position_id,
                         survivors={p.position_id for p in await s.broker.fetch_positions(s.account_id)},
                         dropped="515151")
