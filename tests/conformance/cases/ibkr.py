"""The Interactive Brokers case: IbkrBroker against the gateway emulator (tests/fakes/ibkr)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from desktop.brokers.base import Broker
from desktop.domain import Order, OrderStatus

from .base import BrokerCase, Malformed, Session, Transport, order_seen


class IbkrCase(BrokerCase):
    """IbkrBroker against tests/fakes/ibkr (HTTPS + WSS on loopback, certificate pinned,
    pacing off on both sides as tests/ibkr does), trading client DU100001 of the
    emulator's paper advisor demo; the market moves with the emulator's paper broker."""

    id = "ibkr"
    account_id = "DU100001"
    advisor = True
    network = True
    step = 0.25
    malformed = {"live-orders-row": "_bad_live_order", "positions-row": "_bad_position",
                 "sor-frame-row": "_bad_sor_row"}
    @asynccontextmanager
    async def fake(self, workdir: Path) -> AsyncIterator[Any]:
        from tests.fakes.ibkr import running_gateway

        async with running_gateway(workdir) as gw:
            gw.state.pacing = False
            yield gw

    def build(self, session: Session) -> Broker:
        from desktop.brokers.ibkr import IbkrBroker
        from desktop.brokers.transport import Pacer

        gw = session.fake
        return IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, pacer=Pacer(global_rate=1000), poll_interval=0.05,
                          session_poll=0.05, reconcile_delay=0.01).bind(self.connection_id)

    async def last_price(self, session: Session) -> Decimal:
        return session.fake.paper.market.last_price(session.symbol)

    def move(self, session: Session, minutes: int) -> None:
        session.fake.paper.advance_minutes(minutes)

    def transport(self, session: Session) -> Transport:
        gw = session.fake
        return Transport(gw.host, gw.port, requests=len(gw.requests), websockets=len(gw.websockets))

    def order_posts(self, session: Session) -> int:
        return sum(1 for r in session.fake.requests if r.method == "POST" and r.path.startswith("/iserver/account/")
                   and r.path.endswith("/orders"))

    async def _bad_live_order(self, s: Session) -> Malformed:
        """A live-orders row whose ``totalSize`` (and ``remainingQuantity``) cannot be read."""
        gw = s.fake
        gw.inject("orders", _live_row(s.account_id, orderId=424242, totalSize="1O0", remainingQuantity="l0"))
        good = await s.create(await s.far_limit())
        return Malformed("a live-orders row with an unreadable totalSize", token="1O0",
                         read=lambda: s.broker.fetch_orders(s.account_id), key=lambda o: o.order_id,
                         survivors={good.order_id}, dropped="424242")

    async def _bad_position(self, s: Session) -> Malformed:
        """A row on page 0 of the positions whose ``position`` cannot be read."""
        gw = s.fake
        await s.fill(await s.marketable())
        gw.inject("positions", {"acctId": s.account_id, "conid": 272093, "ticker": "MSFT", "contractDesc": "MSFT",
                                "assetClass": "STK", "currency": "USD", "position": "12,5O", "avgPrice": 30.0,
                                "mktPrice": 31.0, "pageSize": 100})
        return Malformed("a positions row with an unreadable position", token="12,5O",
                         read=lambda: s.broker.fetch_positions(s.account_id), key=lambda p: p.symbol,
                         survivors={s.symbol}, dropped="MSFT")

    async def _bad_sor_row(self, s: Session) -> Malformed:
        """A websocket ``sor`` row whose ``orderId`` cannot be read, in the frame that
        reports a real change (the order cancelled at the gateway, as in TWS)."""
        gw = s.fake
        order = await s.create(await s.far_limit())
        watcher = await s.watch_orders()
        await gw.wait_ws(lambda: any(text.startswith("sor") and handled for text, handled in gw.ws_received))
        gw.inject("sor", _live_row(s.account_id, orderId="12x4", status="Filled"))
        _placed_to, paper_id = gw.state.paper_ids[int(order.order_id)]
        await gw.paper.cancel_order(s.account_id, paper_id)  # cancelled at the gateway (as in TWS): a sor frame says so

        async def read() -> list[Order]:
            return await watcher.until(order_seen(order.order_id, lambda o: o.status is OrderStatus.CANCELED),
                                       what=f"order {order.order_id} CANCELED")

        return Malformed("a sor frame row with an unreadable orderId", token="12x4", read=read,
                         key=lambda o: o.order_id, survivors={order.order_id}, dropped="12x4")


def _live_row(account: str, **fields: Any) -> dict[str, Any]:
    """A live-orders / sor row of AAPL in ``account`` with ``fields`` replacing the defaults."""
    row: dict[str, Any] = {"acct": account, "conid": "265598", "ticker": "AAPL", "side": "BUY", "orderType": "Limit",
                           "status": "Submitted", "totalSize": "10.0", "filledQuantity": "0.0",
                           "remainingQuantity": "10.0", "price": "1.00", "timeInForce": "DAY", "order_ref": "injected"}
    row.update(fields)
    return row
