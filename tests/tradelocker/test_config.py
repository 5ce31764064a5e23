"""``/trade/config``: rows zipped with the config's (shuffled) columns, rate limits
loaded into the pacer and never exceeded in a burst (NOTES.md section 4)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from desktop.brokers.tradelocker.columns import ColumnMaps
from desktop.domain import OrderRequest, OrderSide, OrderType, TimeInForce
from tests.fakes.tradelocker.columns import LISTED

from .conftest import ACCOUNT, connected, instrument


def test_config_columns_are_not_in_the_listed_order_and_rows_are_read_by_them(arun):
    async def scenario():
        results = []
        for seed in (3, 14):
            async with connected({"seed": seed}) as (fake, broker, _s):
                inst = await instrument(broker)
                last = fake.market.last_price("AAPL")
                order = await broker.create_order(OrderRequest(
                    connection_id="tl-1", account_id=ACCOUNT, instrument=inst, side=OrderSide.BUY,
                    type=OrderType.LIMIT, amount=Decimal("1.25"), limit_price=(last * Decimal("0.8")).quantize(
                        Decimal("0.01")), time_in_force=TimeInForce.GTC))
                listed = {o.order_id: o for o in await broker.fetch_orders(ACCOUNT)}
                balance = (await broker.fetch_balances(ACCOUNT))[0]
                results.append((fake.columns, broker.columns, order, listed[order.order_id], balance))
        return results

    (cols_a, maps_a, order_a, listed_a, bal_a), (cols_b, maps_b, order_b, listed_b, bal_b) = arun(scenario(), 30)
    for cols in (cols_a, cols_b):
        assert all(cols[k] != LISTED[k] and sorted(cols[k]) == sorted(LISTED[k]) for k in LISTED)
    assert cols_a["ordersConfig"] != cols_b["ordersConfig"]
    assert maps_a.columns["ordersConfig"] == tuple(cols_a["ordersConfig"])
    for order, listed, balance in ((order_a, listed_a, bal_a), (order_b, listed_b, bal_b)):
        assert listed.amount == Decimal("1.25") and listed.limit_price == order.limit_price
        assert listed.side is OrderSide.BUY and listed.is_working
        assert balance.cash == Decimal("100000.0") and balance.buying_power < balance.cash  # margin held


def test_a_hard_coded_column_order_would_read_the_wrong_fields():
    shuffled = {k: [{"id": c} for c in v] for k, v in
                __import__("tests.fakes.tradelocker.columns", fromlist=["x"]).shuffled_columns(14).items()}
    maps = ColumnMaps.from_config({k: {"columns": v} for k, v in shuffled.items()})
    row = [f"v-{c['id']}" for c in shuffled["positionsConfig"]]
    zipped = maps.zip("positionsConfig", row)
    assert all(zipped[c] == f"v-{c}" for c in LISTED["positionsConfig"])
    naive = dict(zip(LISTED["positionsConfig"], row))
    assert any(naive[c] != f"v-{c}" for c in LISTED["positionsConfig"])


def test_rate_limits_from_config_are_never_exceeded_in_a_burst(arun):
    rates = {"GET_POSITIONS": (3, "SECONDS", 1), "GET_ACCOUNTS_STATE": (2, "SECONDS", 1)}

    async def scenario():
        from tests.fakes.tradelocker import running_fake

        async with running_fake() as fake:
            fake.rates.update(rates)
            from desktop.brokers.tradelocker import TradeLockerBroker

            broker = TradeLockerBroker(fake.environment, email=fake.credentials["email"],
                                       password=fake.credentials["password"], server=fake.credentials["server"])
            await broker.connect()
            try:
                loaded = dict(broker.rate_limits)
                rules = {r.pattern: (r.max_calls, r.per_seconds, r.methods) for r in broker.pacer.rules}
                started = asyncio.get_running_loop().time()
                await asyncio.gather(*[broker.fetch_positions(ACCOUNT) for _ in range(7)],
                                     *[broker.fetch_balances(ACCOUNT) for _ in range(4)])
                took = asyncio.get_running_loop().time() - started
            finally:
                await broker.close()
            return loaded, rules, list(fake.windows.violations), took, fake

    loaded, rules, violations, took, fake = arun(scenario(), 30)
    assert loaded["GET_POSITIONS"] == (3, 1.0) and loaded["GET_ACCOUNTS_STATE"] == (2, 1.0)
    assert len(loaded) == 18  # every type the config lists
    assert any(v == (3, 1.0, frozenset({"GET"})) and "positions" in p for p, v in rules.items())
    assert violations == []  # the server never had to refuse one
    assert took >= 2.0  # 7 position requests at 3 per second need two more windows
    sent = [r for r in fake.requests if r.limit_type == "GET_POSITIONS"]
    assert len(sent) == 7
    for i in range(len(sent) - 3):
        assert sent[i + 3].at - sent[i].at >= 1.0 - 0.05  # no 4 within one second at the server


def test_the_server_enforces_its_limits_with_an_error(arun):
    import httpx

    async def scenario():
        from tests.fakes.tradelocker import running_fake

        async with running_fake() as fake:
            fake.rates["GET_POSITIONS"] = (1, "MINUTES", 1)
            async with httpx.AsyncClient(base_url=fake.base_url) as http:
                tokens = (await http.post("/auth/jwt/token", json=fake.credentials)).json()
                head = {"Authorization": f"Bearer {tokens['accessToken']}", "accNum": "1"}
                first = await http.get(f"/trade/accounts/{ACCOUNT}/positions", headers=head)
                second = await http.get(f"/trade/accounts/{ACCOUNT}/positions", headers=head)
            return first, second

    first, second = arun(scenario())
    assert first.status_code == 200 and first.json()["s"] == "ok"
    assert second.status_code == 429 and second.json() == {
        "s": "error", "errmsg": "Rate limit exceeded for GET_POSITIONS: at most 1 requests per 1 MINUTES"}
