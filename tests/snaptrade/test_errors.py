"""SnapTrade's error answers as the adapter reports them: 429 with and without
rate-limit headers (and the cool-down state), the fake's own limit, 425 while an
account is being populated, 410 on a retired endpoint, a 5xx after an order POST
reconciled through recentOrders without a second order, a Personal key's per-account
window."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop.brokers.errors import BrokerError, RateLimitedError, UnavailableError
from desktop.domain import ConnectionStatus, OrderStatus

from tests.fakes.snaptrade import running_snaptrade

from .helpers import broker_for, limit, link_all, tick


async def _connected(fake, **kw):
    broker = broker_for(fake, **kw)
    await broker.connect()
    link_all(fake)
    await broker.fetch_accounts()
    return broker


def test_a_cool_down_ends_with_connected_again(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            states = []
            over = asyncio.Event()

            async def watch():
                async for state in broker.watch_connection():
                    states.append(state.status)
                    if state.status is ConnectionStatus.CONNECTED:
                        over.set()

            task = asyncio.get_running_loop().create_task(watch())
            await asyncio.sleep(0)
            fake.state.throttle_seconds = 1
            fake.state.throttle_next.append(True)
            with pytest.raises(RateLimitedError):
                await broker.fetch_balances(fake.account_for("ALPACA").id)
            await asyncio.wait_for(over.wait(), 5)
            balances = await broker.fetch_balances(fake.account_for("ALPACA").id)  # requests flow again
            task.cancel()
            await broker.close()
            return states, balances

    states, balances = arun(scenario(), timeout=30)
    assert states == [ConnectionStatus.COOL_DOWN, ConnectionStatus.CONNECTED] and balances


def test_429_with_headers_waits_what_they_say_and_shows_a_cool_down(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            states = []

            async def watch():
                async for state in broker.watch_connection():
                    states.append(state)

            task = asyncio.get_running_loop().create_task(watch())
            await asyncio.sleep(0)
            fake.state.throttle_next.append(True)
            with pytest.raises(RateLimitedError) as err:
                await broker.fetch_balances(fake.account_for("ALPACA").id)
            with pytest.raises(RateLimitedError) as paused:  # paused on our side: nothing sent
                await broker.fetch_accounts()
            sent = len(fake.requests)
            await asyncio.sleep(0)
            task.cancel()
            await broker.close()
            return err.value, paused.value, states, sent, len(fake.requests)

    err, paused, states, sent, after = arun(scenario(), timeout=30)
    assert err.retry_after == 7 and "Request was throttled" in err.message
    assert 0 < paused.retry_after <= 7
    assert states and states[0].status is ConnectionStatus.COOL_DOWN and "7 s" in states[0].message
    assert after == sent


def test_429_without_headers_backs_off_on_its_own(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            fake.state.throttle_next.append(False)
            with pytest.raises(RateLimitedError) as err:
                await broker.fetch_balances(fake.account_for("ALPACA").id)
            answered = [r for r in fake.requests if r.status == 429]
            await broker.close()
            return err.value, answered

    err, answered = arun(scenario(), timeout=30)
    assert len(answered) == 1
    assert err.retry_after == 60  # no Retry-After, no X-RateLimit-*: the kit's first global pause


def test_the_fakes_customer_limit_answers_429_with_its_window(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            fake.state.customer_limit = len(fake.requests) + 1  # room for one more
            account = fake.account_for("ALPACA").id
            await broker.fetch_balances(account)
            with pytest.raises(RateLimitedError) as err:
                await broker.fetch_positions(account)
            await broker.close()
            return err.value

    err = arun(scenario(), timeout=30)
    assert 50 <= err.retry_after <= 60


def test_personal_key_has_a_per_account_window(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path, personal=True) as fake:
            broker = await _connected(fake)
            fake.state.account_limit = 2
            alpaca, schwab = fake.account_for("ALPACA").id, fake.account_for("SCHWAB").id
            await broker.fetch_balances(alpaca)
            await broker.fetch_positions(alpaca)
            with pytest.raises(RateLimitedError) as err:
                await broker.fetch_balances(alpaca)
            other = await broker.fetch_balances(schwab)  # another account's window, and no global pause
            accounts = await broker.fetch_accounts()
            await broker.close()
            return err.value, other, accounts, fake.state.users

    err, other, accounts, users = arun(scenario(), timeout=30)
    assert "/accounts/" in err.message and err.retry_after > 0
    assert other and len(accounts) == 4
    assert set(users) == {"personal"}  # no registerUser with a Personal key


def test_425_while_populating_then_data(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path, populate_seconds=3600) as fake:
            broker = await _connected(fake)
            account = fake.account_for("ALPACA").id
            with pytest.raises(UnavailableError) as err:
                await broker.fetch_positions(account)
            fake.state.finish_populating()
            positions = await broker.fetch_positions(account)
            await broker.close()
            return err.value, positions

    err, positions = arun(scenario(), timeout=30)
    assert err.message.startswith("SnapTrade is still loading this account") and err.code == "3012"
    assert positions == []


def test_410_on_a_retired_endpoint(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            account = fake.account_for("ALPACA").id
            with pytest.raises(BrokerError) as err:
                await broker.client.call("GET", f"/accounts/{account}/holdings")
            await broker.close()
            return err.value

    err = arun(scenario(), timeout=30)
    assert err.code == "410" and "no longer" in err.message


def test_500_after_an_order_post_is_reconciled_without_a_second_order(tmp_path, arun):
    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            account = fake.account_for("ALPACA").id
            price = fake.paper.market.last_price("AAPL")
            fake.state.fail_next["POST /trade/place"] = 500  # the order is placed, the answer is a 500
            order = await broker.create_order(limit(account, tick(price * Decimal("0.7")), amount="7"))
            posts = [r for r in fake.requests if r.method == "POST" and r.path == "/trade/place"]
            paper = await fake.paper.fetch_orders("DU100001")
            await broker.close()
            return order, posts, paper

    order, posts, paper = arun(scenario(), timeout=30)
    assert len(posts) == 1 and posts[0].status == 500
    assert len(paper) == 1 and order.order_id == paper[0].order_id
    assert order.status is OrderStatus.ACCEPTED and order.amount == 7


def test_503_after_an_order_post_with_nothing_placed_says_state_unknown(tmp_path, arun):
    from desktop.brokers.transport import OrderStateUnknownError

    async def scenario():
        async with running_snaptrade(tmp_path) as fake:
            broker = await _connected(fake)
            account = fake.account_for("FIDELITY").id  # the fake refuses it (read-only brokerage) ...
            broker.trade_refusal = lambda _account: None  # ... and the adapter is made to send it anyway
            fake.state.fail_next["POST /trade/place"] = 503
            with pytest.raises(OrderStateUnknownError) as err:
                await broker.create_order(limit(account, "10"))
            posts = [r for r in fake.requests if r.path == "/trade/place"]
            await broker.close()
            return err.value, posts

    err, posts = arun(scenario(), timeout=30)
    assert len(posts) == 1 and "state is unknown" in err.message
