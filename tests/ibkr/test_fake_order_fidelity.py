"""The fake gateway's order questions and refusals as IBKR documents them, over
loopback HTTPS: ``o163`` only for a limit further than the 3% precaution from the
market (ask for a buy), for any target; a far limit is warned about and then placed,
never refused by the paper broker's price band; an unknown reply id is HTTP 200 with
the spec's error body."""

from __future__ import annotations

from decimal import Decimal

from tests.fakes.ibkr import running_gateway
from tests.fakes.ibkr.client import confirm_all, rest_client

AAPL = 265598


def limit(price: Decimal, cid: str, qty: int = 10) -> dict:
    return {"conid": AAPL, "orderType": "LMT", "price": float(price.quantize(Decimal("0.01"))), "side": "BUY",
            "tif": "GTC", "quantity": qty, "cOID": cid}


async def primed(gw, c) -> Decimal:
    """Accounts queried, AAPL market data requested (so no o354); the ask now."""
    gw.state.pacing = False
    await c.get("/iserver/accounts")
    await c.get("/iserver/marketdata/snapshot", params={"conids": str(AAPL), "fields": "31,84,86"})
    return gw.paper.market.quote("AAPL").ask


def test_o163_only_beyond_the_percentage_constraint_and_a_far_limit_is_placed(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            ask = await primed(gw, c)
            post = lambda account, body: c.post(f"/iserver/account/{account}/orders", json={"orders": [body]})  # noqa: E731
            near = (await post("DU100001", limit(ask * Decimal("0.971"), "near"))).json()
            assert "order_id" in near[0]  # 2.9% under the ask: no question
            question = (await post("DU100001", limit(ask * Decimal("0.968"), "edge"))).json()
            assert question[0]["messageIds"] == ["o163"]  # 3.2% under: the precaution asks
            assert "Percentage constraint of 3%" in question[0]["message"][0]
            far = (await post("DU100001", limit(ask * Decimal("0.35"), "far-below"))).json()
            placed, asked = await confirm_all(c, far)
            assert asked == [["o163"]] and "order_id" in placed[0], placed  # warned, then placed: not refused
            above, asked = await confirm_all(c, (await post("DU100002", limit(ask * Decimal("1.65"), "far-above"))).json())
            assert asked == [["o163"]] and "order_id" in above[0], above
            gw.paper.advance_minutes(2)
            rows = {r["order_ref"]: r for r in (await c.get("/iserver/account/orders",
                                                            params={"accountId": "DU100001"})).json()["orders"]}
            assert rows["far-below"]["status"] == "Submitted" and rows["far-below"]["price"] == f"{ask * Decimal('0.35'):.2f}"
            filled = (await c.get("/iserver/account/orders", params={"accountId": "DU100002"})).json()["orders"]
            assert [(r["order_ref"], r["status"]) for r in filled] == [("far-above", "Filled")]
            preview = (await c.post("/iserver/account/DU100003/orders/whatif",
                                    json={"orders": [limit(ask * Decimal("0.3"), "preview")]})).json()
            assert preview.get("error") is None and "amount" in preview  # a far limit previews too

            # Group orders: p6 always, o163 only for the far limit (not for every group order).
            _, asked = await confirm_all(c, (await post("ByNetLiq", limit(ask * Decimal("1.01"), "grp-near", 100))).json())
            assert asked == [["p6"]]
            _, asked = await confirm_all(c, (await post("ByNetLiq", limit(ask * Decimal("0.5"), "grp-far", 100))).json())
            assert asked == [["o163"], ["p6"]]
            gw.state.price_percentage = None  # the precaution left blank: never asked
            _, asked = await confirm_all(c, (await post("DU100003", limit(ask * Decimal("0.5"), "no-precaution"))).json())
            assert asked == []
    arun(go(), timeout=60)


def test_modify_to_a_far_limit_asks_o163_then_applies(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            ask = await primed(gw, c)
            body = limit(ask * Decimal("0.99"), "mod-1")
            oid = (await c.post("/iserver/account/DU100004/orders", json={"orders": [body]})).json()[0]["order_id"]
            same = (await c.post(f"/iserver/account/DU100004/order/{oid}", json=dict(body, quantity=12))).json()
            assert same[0]["order_id"] == oid  # the limit stays near: no question
            far = dict(body, quantity=12, price=float((ask * Decimal("0.4")).quantize(Decimal("0.01"))))
            answer, asked = await confirm_all(c, (await c.post(f"/iserver/account/DU100004/order/{oid}", json=far)).json())
            assert asked == [["o163"]] and answer[0]["order_id"] == oid
            status = (await c.get(f"/iserver/account/order/status/{oid}")).json()
            assert status["price"] == f"{far['price']:.2f}" and status["order_status"] == "Submitted"
    arun(go(), timeout=60)


def test_unknown_or_used_reply_id_is_http_200_with_an_error_body(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            ask = await primed(gw, c)
            r = await c.post("/iserver/reply/99097238-9824-4830-84ef-46979aa22593", json={"confirmed": True})
            assert r.status_code == 200
            assert r.json() == {"error": "reply id not found: '99097238-9824-4830-84ef-46979aa22593'"}
            question = (await c.post("/iserver/account/DU100001/orders",
                                     json={"orders": [limit(ask * Decimal("0.5"), "once")]})).json()
            reply_id = question[0]["id"]
            assert "order_id" in (await c.post(f"/iserver/reply/{reply_id}", json={"confirmed": True})).json()[0]
            again = await c.post(f"/iserver/reply/{reply_id}", json={"confirmed": True})
            assert again.status_code == 200 and again.json() == {"error": f"reply id not found: '{reply_id}'"}
    arun(go(), timeout=60)
