"""Helpers shared by the desk tests: waiting for a condition, and paper orders."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from desktop.brokers.paper import ACCOUNT_ID
from desktop.domain import OrderRequest, OrderSide, OrderType


def wait_for(predicate, timeout=5.0):
    """Await until ``predicate()`` is true (polled every 10 ms); TimeoutError after ``timeout`` s."""
    async def waiter():
        while not predicate():
            await asyncio.sleep(0.01)
    return asyncio.wait_for(waiter(), timeout)


def buy(conn, amount=10, order_type=OrderType.MARKET, limit=None) -> OrderRequest:
    """A buy of AAPL at ``conn``'s paper account."""
    return OrderRequest(connection_id=conn.id, account_id=ACCOUNT_ID, instrument=conn.instrument_for("AAPL"),
                        side=OrderSide.BUY, type=order_type, amount=D(amount), limit_price=limit)


def resting(conn, amount=1) -> OrderRequest:
    """A buy limit of AAPL 20% under the market: it rests (works) without filling."""
    low = (conn.broker.market.last_price("AAPL") * D("0.8")).quantize(D("0.01"))
    return buy(conn, amount, OrderType.LIMIT, low)
