"""The fake's wire rules, spoken to with plain HTTP (NOTES.md): the envelope, JWT
on everything but the token calls, accNum required on /trade/* and an accountId in
its place refused, routes by kind, the place-order rules, ids above 2**53 as text."""

from __future__ import annotations

import httpx

ACCOUNT = "1163012"


async def _login(http, fake):
    tokens = (await http.post("/auth/jwt/token", json=fake.credentials)).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}, tokens


def test_auth_and_accnum_rules(arun):
    from tests.fakes.tradelocker import running_fake

    async def scenario():
        async with running_fake() as fake:
            async with httpx.AsyncClient(base_url=fake.base_url) as http:
                auth, tokens = await _login(http, fake)
                return {
                    "bad login": await http.post("/auth/jwt/token", json={**fake.credentials, "password": "x"}),
                    "no token": await http.get("/auth/jwt/all-accounts"),
                    "accounts": await http.get("/auth/jwt/all-accounts", headers=auth),
                    "no accNum": await http.get(f"/trade/accounts/{ACCOUNT}/orders", headers=auth),
                    "accountId as accNum": await http.get(f"/trade/accounts/{ACCOUNT}/orders",
                                                          headers={**auth, "accNum": ACCOUNT}),
                    "other account": await http.get("/trade/accounts/1163019/orders", headers={**auth, "accNum": "1"}),
                    "ok": await http.get(f"/trade/accounts/{ACCOUNT}/orders", headers={**auth, "accNum": "1"}),
                    "refresh": await http.post("/auth/jwt/refresh", json={"refreshToken": tokens["refreshToken"]}),
                    "refresh with access": await http.post("/auth/jwt/refresh",
                                                           json={"refreshToken": tokens["accessToken"]}),
                }

    r = arun(scenario())
    assert r["bad login"].status_code == 401 and r["bad login"].json()["s"] == "error"
    assert r["no token"].status_code == 401
    accounts = r["accounts"].json()["accounts"]
    assert {(a["id"], a["accNum"]) for a in accounts} == {("1163012", "1"), ("1163019", "2")}
    assert r["no accNum"].status_code == 400 and "accNum" in r["no accNum"].json()["errmsg"]
    assert "is an accountId" in r["accountId as accNum"].json()["errmsg"]
    assert r["other account"].status_code == 403
    assert r["ok"].json() == {"s": "ok", "d": {"orders": []}}
    assert r["refresh"].status_code == 201 and set(r["refresh"].json()) == {"accessToken", "refreshToken", "expireDate"}
    assert r["refresh with access"].status_code == 401


def test_routes_and_place_order_rules(arun):
    from tests.fakes.tradelocker import running_fake

    async def scenario():
        async with running_fake() as fake:
            fake.advance_minutes(3)
            inst = next(i for i in fake.catalog if i.symbol == "AAPL")
            base = {"qty": "0.5", "routeId": inst.trade_route, "side": "buy", "validity": "IOC",
                    "tradableInstrumentId": inst.tid, "type": "market"}
            path = f"/trade/accounts/{ACCOUNT}/orders"
            async with httpx.AsyncClient(base_url=fake.base_url) as http:
                auth, _t = await _login(http, fake)
                head = {**auth, "accNum": "1"}
                out = {
                    "quote on TRADE route": await http.get("/trade/quotes", headers=head, params={
                        "tradableInstrumentId": inst.tid, "routeId": inst.trade_route}),
                    "order on INFO route": await http.post(path, headers=head, json={**base, "routeId": inst.info_route}),
                    "market GTC": await http.post(path, headers=head, json={**base, "validity": "GTC"}),
                    "limit IOC": await http.post(path, headers=head, json={**base, "type": "limit", "price": 1}),
                    "stop without stopPrice": await http.post(path, headers=head, json={**base, "type": "stop",
                                                                                       "validity": "GTC"}),
                    "long strategyId": await http.post(path, headers=head, json={**base, "strategyId": "s" * 32}),
                    "missing side": await http.post(path, headers=head, json={k: v for k, v in base.items()
                                                                             if k != "side"}),
                    "bad sl type": await http.post(path, headers=head, json={**base, "stopLoss": 1,
                                                                            "stopLossType": "trailing"}),
                    "ok": await http.post(path, headers=head, json={**base, "strategyId": "s" * 31}),
                }
                out["positions"] = await http.get(f"/trade/accounts/{ACCOUNT}/positions", headers=head)
                out["config"] = await http.get("/trade/config", headers=head)
            return out

    r = arun(scenario())
    assert "INFO route" in r["quote on TRADE route"].json()["errmsg"]
    assert "TRADE route" in r["order on INFO route"].json()["errmsg"]
    assert r["market GTC"].json()["errmsg"] == "validity must be IOC for market orders, not 'GTC'"
    assert r["limit IOC"].json()["errmsg"] == "validity must be GTC for limit orders, not 'IOC'"
    assert r["stop without stopPrice"].json()["errmsg"] == "stopPrice is required for stop orders"
    assert "31 characters" in r["long strategyId"].json()["errmsg"]
    assert "side" in r["missing side"].json()["errmsg"]
    assert "stopLossType" in r["bad sl type"].json()["errmsg"]
    order_id = r["ok"].json()["d"]["orderId"]
    assert isinstance(order_id, str) and int(order_id) > 2**53
    config = r["config"].json()["d"]
    row = r["positions"].json()["d"]["positions"][0]
    columns = [c["id"] for c in config["positionsConfig"]["columns"]]
    assert isinstance(row[columns.index("id")], str) and int(row[columns.index("id")]) > 2**53
    assert list(config) == ["customerAccess", "positionsConfig", "ordersConfig", "ordersHistoryConfig",
                            "filledOrdersConfig", "accountDetailsConfig", "rateLimits", "limits"]
