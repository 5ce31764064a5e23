"""The SnapTrade case: SnapTradeBroker against the fake SnapTrade (tests/fakes/snaptrade)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop.brokers.base import Broker

from .base import BrokerCase, Malformed, Session, Transport

USER = "conformance-user"


def _account() -> str:
    from tests.fakes.snaptrade.state import account_uid

    return account_uid(USER, "ALPACA")


class SnapTradeCase(BrokerCase):
    """SnapTradeBroker (Commercial key, user registered by the fake beforehand) against
    tests/fakes/snaptrade over loopback HTTP, trading its Alpaca account (the paper
    advisor demo's client DU100001); limits raised on both sides, polling every
    0.05 s; the market moves with the fake's paper broker."""

    id = "snaptrade"
    account_id = _account()
    network = True
    step = 0.25
    malformed = {"orders-row": "_bad_order_row", "positions-row": "_bad_position_row"}

    @asynccontextmanager
    async def fake(self, workdir: Path) -> AsyncIterator[Any]:
        from tests.fakes.snaptrade import running_snaptrade

        async with running_snaptrade(workdir) as fake:
            fake.state.customer_limit = 100_000
            fake.state.register(USER)
            for slug in ("ALPACA", "FIDELITY"):
                fake.link(USER, slug, "trade")
            yield fake

    def build(self, session: Session) -> Broker:
        from desktop.brokers.snaptrade import SnapTradeBroker
        from desktop.brokers.transport import Pacer

        fake = session.fake
        return SnapTradeBroker(fake.base_url, client_id=fake.state.client_id, consumer_key=fake.state.consumer_key,
                               user_id=USER, user_secret=fake.state.users[USER].secret, pacer=Pacer(global_rate=1000),
                               poll_interval=0.05, reconcile_delay=0.01).bind(self.connection_id)

    async def last_price(self, session: Session) -> Decimal:
        return session.fake.paper.market.last_price(session.symbol)

    def move(self, session: Session, minutes: int) -> None:
        session.fake.paper.advance_minutes(minutes)

    def transport(self, session: Session) -> Transport:
        fake = session.fake
        return Transport(fake.host, fake.port, requests=len(fake.requests))

    def order_posts(self, session: Session) -> int:
        return sum(1 for r in session.fake.requests if r.method == "POST" and r.path.startswith("/trade/")
                   and r.path != "/trade/impact")

    async def _bad_order_row(self, s: Session) -> Malformed:
        """An orders row whose ``total_quantity`` cannot be read, beside a real order."""
        good = await s.create(await s.far_limit())
        row = dict(good.raw, brokerage_order_id="bad-424242", total_quantity="1O0")
        s.fake.inject("orders", row)
        s.broker._cache.invalidate()  # the next read is a new request (the row rides on it)
        return Malformed("an orders row with an unreadable total_quantity", token="1O0",
                         read=lambda: s.broker.fetch_orders(s.account_id), key=lambda o: o.order_id,
                         survivors={good.order_id}, dropped="bad-424242")

    async def _bad_position_row(self, s: Session) -> Malformed:
        """A positions row whose ``units`` cannot be read, beside a real position."""
        await s.fill(await s.marketable())
        s.fake.inject("positions", {"instrument": {"kind": "stock", "id": "00000000-0000-0000-0000-00000000beef",
                                                   "symbol": "MSFT", "raw_symbol": "MSFT"},
                                    "units": "12,5O", "price": "31.0", "cost_basis": "30.0", "currency": "USD"})
        return Malformed("a positions row with unreadable units", token="12,5O",
                         read=lambda: s.broker.fetch_positions(s.account_id), key=lambda p: p.symbol,
                         survivors={s.symbol}, dropped="MSFT")
