"""Helpers of the SnapTrade tests: an adapter for a running fake, fast pacing."""

from __future__ import annotations

from contextlib import asynccontextmanager
from decimal import Decimal

from desktop.brokers.snaptrade import SnapTradeBroker
from desktop.brokers.transport import Pacer
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderType

USER = "trader-1"


def broker_for(fake, *, user_secret: str | None = None, user_id: str = USER, **kw) -> SnapTradeBroker:
    """An unconnected SnapTradeBroker for ``fake`` (Commercial or Personal as the fake
    is), polling fast, pacing off (the fake's own limits still apply)."""
    kw.setdefault("pacer", Pacer(global_rate=1000))
    kw.setdefault("poll_interval", 0.05)
    kw.setdefault("reconcile_delay", 0.01)
    secrets: dict[str, str] = {}
    broker = SnapTradeBroker(fake.base_url, client_id=fake.state.client_id, consumer_key=fake.state.consumer_key,
                             personal=fake.state.personal, user_id=None if fake.state.personal else user_id,
                             user_secret=user_secret, **kw)
    broker.bind("snap-1", lambda field, value: secrets.__setitem__(field, value))
    broker.saved_secrets = secrets  # type: ignore[attr-defined]
    return broker


def link_all(fake, user_id: str = USER) -> None:
    """Link every brokerage of the fake (Fidelity read-only brokerage, the rest trade)."""
    uid = fake.state.PERSONAL_USER if fake.state.personal else user_id
    for slug in ("ALPACA", "ALPACA-PAPER", "FIDELITY", "SCHWAB"):
        fake.link(uid, slug, "trade")


def limit(account: str, price, amount="10", side=OrderSide.BUY, symbol="AAPL", **kw) -> OrderRequest:
    return OrderRequest(connection_id="snap-1", account_id=account, instrument=Instrument.equity(symbol), side=side,
                        type=OrderType.LIMIT, amount=Decimal(amount), limit_price=Decimal(price), **kw)


def tick(price: Decimal) -> Decimal:
    return price.quantize(Decimal("0.01"))


@asynccontextmanager
async def linked_broker(tmp_path, **kw):
    """A running fake with every brokerage linked and a broker connected to it that
    has read the accounts: yields ``(fake, broker)``; closes the broker, then the
    fake. ``kw`` as for :func:`broker_for`."""
    from tests.fakes.snaptrade import running_snaptrade

    async with running_snaptrade(tmp_path) as fake:
        broker = broker_for(fake, **kw)
        await broker.connect()
        link_all(fake)
        await broker.fetch_accounts()
        try:
            yield fake, broker
        finally:
            await broker.close()
