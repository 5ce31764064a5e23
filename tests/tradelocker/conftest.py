"""Shared setup of the TradeLocker adapter tests: the fake server and a connected
adapter over real loopback sockets."""

from __future__ import annotations

from contextlib import asynccontextmanager
from decimal import Decimal

import pytest

from desktop.brokers.tradelocker.parse import PAYLOADS

ACCOUNT = "1163012"


@pytest.fixture(autouse=True)
def _fresh_payload_log():
    PAYLOADS.forget()
    yield


@asynccontextmanager
async def connected(fake_kw: dict | None = None, minutes: int = 5, **broker_kw):
    """``(fake, broker, secrets)``: the fake started (its market played ``minutes``),
    the adapter connected; ``secrets`` collects what the adapter saved."""
    from desktop.brokers.tradelocker import TradeLockerBroker
    from tests.fakes.tradelocker import running_fake

    async with running_fake(**(fake_kw or {})) as fake:
        fake.advance_minutes(minutes)
        secrets: dict[str, str] = {}
        broker_kw.setdefault("poll_interval", 0.05)
        broker_kw.setdefault("reconcile_delay", 0.01)
        broker = TradeLockerBroker(fake.environment, email=fake.credentials["email"],
                                   password=broker_kw.pop("password", fake.credentials["password"]),
                                   server=fake.credentials["server"], **broker_kw)
        broker.bind("tl-1", lambda field, value: secrets.__setitem__(field, value))
        await broker.connect()
        try:
            yield fake, broker, secrets
        finally:
            await broker.close()


async def instrument(broker, symbol: str = "AAPL"):
    return (await broker.catalog.resolve(symbol)).instrument


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))
