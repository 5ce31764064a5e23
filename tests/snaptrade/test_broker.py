"""SnapTradeBroker end to end against the fake SnapTrade over loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.brokers.errors import AuthError, OrderRejectedError
from desktop.domain import OrderStatus

from tests.fakes.snaptrade import running_snaptrade

from .helpers import broker_for, limit, link_all, tick


def test_commercial_registers_links_lists_and_trades(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = broker_for(fake)
            await broker.connect()
            secret = broker.saved_secrets["user_secret"]
            assert fake.state.users["trader-1"].secret == secret
            assert await broker.fetch_accounts() == []
            link_all(fake)
            accounts = {a.account.institution_name if False else a.name: a for a in await broker.fetch_accounts()}
            alpaca = fake.account_for("ALPACA").id
            price = fake.paper.market.last_price("AAPL")
            order = await broker.create_order(limit(alpaca, tick(price * Decimal("0.7"))))
            assert order.status in (OrderStatus.ACCEPTED, OrderStatus.SUBMITTED)
            listed = await broker.fetch_orders(alpaca)
            assert order.order_id in {o.order_id for o in listed}
            canceled = await broker.cancel_order(alpaca, order.order_id)
            assert canceled.status is OrderStatus.CANCELED
            fidelity = fake.account_for("FIDELITY").id
            with pytest.raises(OrderRejectedError) as refused:
                await broker.create_order(limit(fidelity, tick(price * Decimal("0.7"))))
            await broker.close()
            return accounts, refused.value.message, [r for r in fake.requests if r.path == "/trade/place"]

    accounts, refusal, places = arun(scenario(), timeout=60)
    assert len(accounts) == 4
    assert "does not allow trading" in refusal
    assert len(places) == 1  # the read-only account's order was never sent


def test_wrong_consumer_key_is_a_credentials_or_clock_problem(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            from desktop.brokers.snaptrade import SnapTradeBroker
            from desktop.brokers.transport import Pacer

            broker = SnapTradeBroker(fake.base_url, client_id=fake.state.client_id, consumer_key="wrong",
                                     user_id="u", pacer=Pacer(global_rate=1000))
            with pytest.raises(AuthError) as err:
                await broker.connect()
            return err.value

    err = arun(scenario(), timeout=30)
    assert err.code == "1076" and "consumer key" in err.message and "clock" in err.message


def test_a_user_id_registered_before_without_its_secret_says_what_to_do(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            fake.state.register("trader-1")  # registered earlier; this connection lost the secret
            broker = broker_for(fake)
            with pytest.raises(AuthError) as err:
                await broker.connect()
            return err.value

    err = arun(scenario(), timeout=30)
    assert "already has a user 'trader-1'" in err.message and "another user id" in err.message
