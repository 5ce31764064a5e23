"""The Connect Trade case: ConnectTradeBroker against the fake Connect Trade API
(tests/fakes/connecttrade), trading its Alpaca account (the paper broker's PAPER
account behind it); the market moves with the fake's paper broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop.brokers.base import Broker

from .base import BrokerCase, Malformed, Session, Transport


class ConnectTradeCase(BrokerCase):
    """ConnectTradeBroker over loopback HTTP + WS against the fake, polling fast,
    the fake's rate limits off (the adapter's pacer is relaxed as well)."""

    id = "connecttrade"
    account_id = "acct_alp_7f3a91"
    network = True
    step = 0.1
    malformed = {"orders-row": "_bad_order_row", "positions-row": "_bad_position_row"}

    @asynccontextmanager
    async def fake(self, workdir: Path) -> AsyncIterator[Any]:
        from tests.fakes.connecttrade import running_connecttrade

        async with running_connecttrade(workdir, pacing=False) as ct:
            yield ct

    def build(self, session: Session) -> Broker:
        from tests.connecttrade.support import adapter_for

        return adapter_for(session.fake, connection_id=self.connection_id)

    async def last_price(self, session: Session) -> Decimal:
        return session.fake.paper.market.last_price(session.symbol)

    def move(self, session: Session, minutes: int) -> None:
        session.fake.paper.advance_minutes(minutes)

    def transport(self, session: Session) -> Transport:
        ct = session.fake
        return Transport(ct.host, ct.port, requests=len(ct.requests), websockets=len(ct.streams))

    def order_posts(self, session: Session) -> int:
        return session.fake.order_posts()

    async def _bad_order_row(self, s: Session) -> Malformed:
        """An orders row whose ``order_qty`` cannot be read."""
        s.fake.inject("orders", {"order_id": "424242", "account_id": s.account_id, "symbol": "AAPL", "side": "BUY",
                                 "order_qty": "1O0", "order_type": "LMT", "limit_price": "1.00",
                                 "normalized_status": "OPEN", "fills": []})
        good = await s.create(await s.far_limit())
        return Malformed("an orders row with an unreadable order_qty", token="1O0",
                         read=lambda: s.broker.fetch_orders(s.account_id), key=lambda o: o.order_id,
                         survivors={good.order_id}, dropped="424242")

    async def _bad_position_row(self, s: Session) -> Malformed:
        """A positions row whose ``quantity`` cannot be read."""
        await s.fill(await s.marketable())
        s.fake.inject("positions", {"account_id": s.account_id, "symbol": "MSFT", "quantity": "12,5O",
                                    "last_price": "31.0", "unrealized_pl": "1.0"})
        return Malformed("a positions row with an unreadable quantity", token="12,5O",
                         read=lambda: s.broker.fetch_positions(s.account_id), key=lambda p: p.symbol,
                         survivors={s.symbol}, dropped="MSFT")
