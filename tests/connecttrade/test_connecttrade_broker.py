"""The Connect Trade adapter against the fake over loopback: accounts, balances,
positions, orders (market, limit, stop, stop-limit, options), cancel, the read-only
account, maybe-sent reconciliation, error messages, transactions, user provisioning."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from desktop.brokers.connecttrade.linking import provision_user
from desktop.brokers.errors import AuthError, InvalidRequestError, OrderRejectedError
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderStatus, OrderType
from tests.fakes.connecttrade import CREDENTIALS, READONLY_ACCOUNT, TRADING_ACCOUNT, running_connecttrade

from .support import adapter_for

TRADE, RO = TRADING_ACCOUNT.account_id, READONLY_ACCOUNT.account_id


def request(account=TRADE, type_=OrderType.MARKET, amount=10, **kw) -> OrderRequest:
    return OrderRequest(connection_id="conn-ct", account_id=account, instrument=kw.pop("instrument", Instrument.equity("AAPL")),
                        side=kw.pop("side", OrderSide.BUY), type=type_, amount=Decimal(amount), **kw)


async def until(predicate, ct, *, tries=200, step=1):
    import asyncio
    for _ in range(tries):
        result = await predicate()
        if result:
            return result
        ct.paper.advance_minutes(step)
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met")


def test_accounts_balances_positions(tmp_path, arun):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            try:
                accounts = await broker.fetch_accounts()
                (bal,) = await broker.fetch_balances(TRADE)
                (ro_bal,) = await broker.fetch_balances(RO)
                ro_pos = await broker.fetch_positions(RO)
                requests = list(ct.requests)
            finally:
                await broker.close()
            return accounts, bal, ro_bal, ro_pos, requests, ct.paper.market.last_price("MSFT")

    accounts, bal, ro_bal, ro_pos, requests, msft = arun(scenario(), timeout=30)
    assert [(a.account_id, a.name, a.kind) for a in accounts] == [
        (TRADE, "Alpaca PA3X9Q2L7M", "brokerage"), (RO, "tastytrade 5WT48213", "read-only")]
    assert all(a.connection_id == "conn-ct" and a.broker == "connecttrade" for a in accounts)
    assert (bal.cash, bal.buying_power) == (Decimal("100000"), Decimal("100000"))
    assert (ro_bal.cash, ro_bal.buying_power) == (Decimal("12500.0"), Decimal("0"))
    by_symbol = {p.symbol: p for p in ro_pos}
    assert sorted(by_symbol) == ["BND", "MSFT", "VTI"]  # GOOG's row has quantity 0
    assert by_symbol["BND"].unrealized_pnl is None  # null in the answer: unknown, not 0
    assert by_symbol["MSFT"].unrealized_pnl == (msft - Decimal("25.10")) * 120
    assert by_symbol["MSFT"].average_price == Decimal("25.10")
    assert by_symbol["VTI"].market_value == Decimal("2900.0")
    assert all({"client-id", "client-secret", "user-id", "user-secret"} <= r.headers for r in requests)


def test_orders_market_limit_stop_cancel_and_fills(tmp_path, arun):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            try:
                last = ct.paper.market.last_price("AAPL")
                market = await broker.create_order(request())
                far = (last * Decimal("0.7")).quantize(Decimal("0.01"))
                limit = await broker.create_order(request(type_=OrderType.LIMIT, limit_price=far, amount=5))
                stop = await broker.create_order(request(type_=OrderType.STOP, amount=1,
                                                         stop_price=(last * Decimal("1.4")).quantize(Decimal("0.01"))))
                stop_limit = await broker.create_order(request(type_=OrderType.STOP_LIMIT, amount=1,
                                                               stop_price=(last * Decimal("1.3")).quantize(Decimal("0.01")),
                                                               limit_price=(last * Decimal("1.4")).quantize(Decimal("0.01"))))

                async def filled():
                    orders = {o.order_id: o for o in await broker.fetch_orders(TRADE)}
                    return orders if orders[market.order_id].status is OrderStatus.FILLED else None
                orders = await until(filled, ct)
                fills = await broker.fetch_fills(TRADE)
                cancelled = await broker.cancel_order(TRADE, limit.order_id)
                after = {o.order_id: o for o in await broker.fetch_orders(TRADE)}
                bodies = [r.json for r in ct.requests if r.method == "POST" and r.path == "/orders"]
            finally:
                await broker.close()
            return market, limit, stop, stop_limit, orders, fills, cancelled, after, bodies

    market, limit, stop, stop_limit, orders, fills, cancelled, after, bodies = arun(scenario(), timeout=60)
    assert [b["order_type"] for b in bodies] == ["MKT", "LMT", "STP", "STP LMT"]
    assert all(len(b["cl_order_id"]) <= 30 and b["broker"] == "ALPACA" and b["instrument"] == "STK" for b in bodies)
    assert bodies[0]["order_qty"] == "10" and bodies[1]["limit_price"] == str(limit.limit_price)
    assert orders[market.order_id].client_order_id == market.client_order_id  # the full id, though 30 were sent
    assert orders[limit.order_id].status is OrderStatus.ACCEPTED
    mine = [f for f in fills if f.order_id == market.order_id]
    assert sum(f.amount for f in mine) == 10 and all(f.side is OrderSide.BUY and f.symbol == "AAPL" for f in mine)
    assert orders[market.order_id].average == sum(f.amount * f.price for f in mine) / 10
    assert cancelled.status in (OrderStatus.CANCELED, OrderStatus.PENDING_CANCEL)
    assert after[limit.order_id].status is OrderStatus.CANCELED
    assert {stop.type, stop_limit.type} == {OrderType.STOP, OrderType.STOP_LIMIT}


def test_read_only_account_refuses_before_sending(tmp_path, arun):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            try:
                with pytest.raises(OrderRejectedError) as refused:
                    await broker.create_order(request(account=RO))
                # and the fake refuses it too, with its message, if it is sent anyway
                broker.book.read_only[RO] = False
                with pytest.raises(OrderRejectedError) as server:
                    await broker.create_order(request(account=RO))
            finally:
                await broker.close()
            return refused.value, server.value, ct.order_posts()

    local, server, posts = arun(scenario(), timeout=30)
    assert "read-only" in local.message and "tastytrade 5WT48213" in local.message
    assert posts == 1
    assert "linked read-only" in server.message and server.message.startswith("Connect Trade refused")


@pytest.mark.parametrize("drop", [False, True], ids=["http-500", "dropped"])
def test_maybe_sent_order_is_reconciled_never_resent(tmp_path, arun, drop):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            try:
                ct.fail_next("POST", "/orders", 500, after=True, drop=drop)
                req = request()
                order = await broker.create_order(req)
            finally:
                await broker.close()
            return req, order, ct.order_posts(), ct.placements

    req, order, posts, placed = arun(scenario(), timeout=30)
    assert posts == 1 and placed == 1
    assert order.client_order_id == req.client_order_id and order.order_id


def test_errors_in_plain_words(tmp_path, arun, caplog):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            bad = adapter_for(ct, user_secret="wrong")
            with pytest.raises(AuthError) as auth:
                await bad.connect()
            await bad.close()
            broker = adapter_for(ct)
            await broker.connect()
            try:
                with pytest.raises(OrderRejectedError) as huge:
                    await broker.create_order(request(amount=10_000_000))
                with pytest.raises(InvalidRequestError) as modify:
                    await broker.modify_order(TRADE, "1", limit_price=Decimal(1))
            finally:
                await broker.close()
            return auth.value, huge.value, modify.value

    auth, huge, modify = arun(scenario(), timeout=30)
    assert "Invalid user-secret" in auth.message and "user ID and secret" in auth.message
    assert huge.message.startswith("Connect Trade refused: Order rejected:")
    assert "cancel the order and place a new one" in modify.message


def test_transactions_option_order_and_cancel_all(tmp_path, arun):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            try:
                await broker.create_order(request())
                await until(lambda: broker.fetch_fills(TRADE), ct)
                today = ct.paper.market.clock.current_date
                from datetime import timedelta
                txns = await broker.fetch_transactions(None, today - timedelta(days=40), today)
                ro_only = await broker.fetch_transactions(RO, today - timedelta(days=40), today)
                chain = await ct.paper.fetch_option_chain("AAPL")
                contract = chain.contracts[0] if hasattr(chain, "contracts") else None
                option_body = None
                if contract is not None:
                    inst = Instrument.for_option(contract)
                    await broker.create_order(request(instrument=inst, type_=OrderType.LIMIT, amount=1,
                                                      limit_price=Decimal("0.05")))
                    option_body = [r.json for r in ct.requests if r.method == "POST" and r.path == "/orders"][-1]
                last = ct.paper.market.last_price("AAPL")
                for _ in range(2):
                    await broker.create_order(request(type_=OrderType.LIMIT, amount=1,
                                                      limit_price=(last * Decimal("0.6")).quantize(Decimal("0.01"))))
                cancelled = await broker.cancel_all_working(TRADE)
                left = [o for o in await broker.fetch_orders(TRADE) if o.is_working]
            finally:
                await broker.close()
            return txns, ro_only, option_body, cancelled, left

    txns, ro_only, option_body, cancelled, left = arun(scenario(), timeout=60)
    kinds = [t.transaction_type for t in txns]
    assert "BUY" in kinds and "DEPOSIT" in kinds and "DIVIDEND" in kinds
    buy = next(t for t in txns if t.transaction_type == "BUY")
    assert buy.symbol == "AAPL" and buy.amount < 0 and buy.account_id == TRADE
    assert {t.account_id for t in ro_only} == {RO}
    if option_body is not None:
        assert option_body["instrument"] == "OPT" and len(option_body["symbol"]) >= 15
    assert len(cancelled) >= 2 and left == []


def test_provision_user_returns_the_secret_once(tmp_path, arun):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            user_id, secret = await provision_user(ct.base_url, CREDENTIALS["client-id"], CREDENTIALS["client-secret"])
            broker = adapter_for(ct, user_id=user_id, user_secret=secret)
            await broker.connect()
            accounts = await broker.fetch_accounts()
            await broker.close()
            return user_id, secret, accounts, ct.users

    user_id, secret, accounts, users = arun(scenario(), timeout=30)
    assert users[user_id] == secret and accounts == []


def test_malformed_order_row_is_logged_and_skipped(tmp_path, arun, caplog):
    async def scenario():
        async with running_connecttrade(tmp_path, pacing=False) as ct:
            broker = adapter_for(ct)
            await broker.connect()
            try:
                good = await broker.create_order(request())
                ct.inject("orders", {"order_id": "bad-1", "account_id": TRADE, "symbol": "AAPL", "side": "BUY",
                                     "order_qty": "1O0", "order_type": "MKT", "normalized_status": "OPEN"})
                orders = await broker._orders_snapshot(fresh=True)
            finally:
                await broker.close()
            return good, orders

    with caplog.at_level(logging.WARNING):
        good, orders = arun(scenario(), timeout=30)
    assert good.order_id in {o.order_id for o in orders} and "bad-1" not in {o.order_id for o in orders}
    assert any("1O0" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
