"""Fault injection of the fake gateway over loopback HTTPS: the next N order POSTs (or
modifies, or any route) answered 500/502/503/504 *after* the order was placed, refused
before anything happened, dropped without an answer, or answered late; off by default."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.ibkr import running_gateway
from tests.fakes.ibkr.client import rest_client
from tests.fakes.ibkr.faults import MODIFY_POST, ORDER_PLACED, ORDER_POST, Faults

AAPL = 265598


def order(cid: str, **extra) -> dict:
    return {"conid": AAPL, "orderType": "LMT", "price": 1.0, "side": "BUY", "tif": "GTC", "quantity": 1, "cOID": cid,
            **extra}


async def refs(c, account: str = "DU100001") -> list[str]:
    """Client order ids of the account's live orders (what was really placed)."""
    rows = (await c.get("/iserver/account/orders", params={"accountId": account})).json()["orders"]
    return sorted(r["order_ref"] for r in rows)


async def post(c, cid: str, account: str = "DU100001") -> httpx.Response:
    return await c.post(f"/iserver/account/{account}/orders", json={"orders": [order(cid)]})


def test_error_status_after_the_order_was_placed(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            assert not gw.faults.active and gw.faults.armed == []  # off by default
            gw.state.pacing = False
            gw.state.questions = []
            await c.get("/iserver/accounts")
            for status in (500, 502, 503, 504):
                gw.faults.fail(ORDER_POST, status)
                r = await post(c, f"after-{status}")
                assert r.status_code == status and r.json() == {"error": r.reason_phrase, "statusCode": status}
            assert await refs(c) == ["after-500", "after-502", "after-503", "after-504"]  # each placed once
            assert (await post(c, "normal")).status_code == 200  # one fault, one request: disarmed again

            gw.faults.fail(ORDER_POST, 503, count=2)
            assert [(await post(c, f"n-{i}")).status_code for i in range(3)] == [503, 503, 200]
            gw.faults.fail(ORDER_POST, 500, after=False)  # refused before the gateway did anything
            assert (await post(c, "before")).status_code == 500
            assert "before" not in await refs(c) and "n-0" in await refs(c)
            gw.faults.fail(ORDER_POST, 502, body="<html><body>502 Bad Gateway</body></html>")
            r = await post(c, "html")
            assert r.status_code == 502 and r.headers["content-type"].startswith("text/html") and "html" in await refs(c)
            assert gw.faults.fired[:2] == [("POST", "/iserver/account/DU100001/orders", "status", 500),
                                           ("POST", "/iserver/account/DU100001/orders", "status", 502)]
            with pytest.raises(ValueError):
                gw.faults.fail(ORDER_POST, 200)
            with pytest.raises(ValueError):
                Faults().drop(ORDER_POST, count=0)
    arun(go(), timeout=60)


def test_placement_fault_fires_on_the_reply_that_places(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            gw.state.pacing = False
            await c.get("/iserver/accounts")
            gw.faults.fail(ORDER_PLACED, 502)
            question = await post(c, "asked", account="ByNetLiq")  # o354, o163, p6 first: nothing placed yet
            assert question.status_code == 200 and "id" in question.json()[0]
            answer = question.json()
            while True:
                r = await c.post(f"/iserver/reply/{answer[0]['id']}", json={"confirmed": True})
                if r.status_code != 200 or "order_id" in r.json()[0]:
                    break
                answer = r.json()
            assert r.status_code == 502 and await refs(c, "ByNetLiq") == ["asked"]  # the reply placed it
            gw.faults.fail(ORDER_PLACED, 500)
            gw.state.questions = []
            oid = (await post(c, "direct")).status_code  # placed without a question: this POST answers 500
            assert oid == 500 and "direct" in await refs(c)
            placed = (await post(c, "to-modify")).json()[0]["order_id"]
            gw.state.modify_questions = []
            gw.faults.fail(ORDER_PLACED, 504)  # a modify that was applied also counts
            r = await c.post(f"/iserver/account/DU100001/order/{placed}", json=order("to-modify", quantity=3))
            assert r.status_code == 504
            assert (await c.get(f"/iserver/account/order/status/{placed}")).json()["total_size"] == "3.0"
    arun(go(), timeout=60)


def test_dropped_and_late_answers_and_any_route(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            gw.state.pacing = False
            gw.state.questions = []
            gw.state.modify_questions = []
            await c.get("/iserver/accounts")
            gw.faults.drop(ORDER_POST)
            with pytest.raises(httpx.RemoteProtocolError):
                await post(c, "dropped")
            assert await refs(c) == ["dropped"]  # placed, but no answer ever came
            oid = (await c.get("/iserver/account/orders", params={"accountId": "DU100001"})).json()["orders"][0]["orderId"]
            gw.faults.drop(MODIFY_POST)
            with pytest.raises(httpx.RemoteProtocolError):
                await c.post(f"/iserver/account/DU100001/order/{oid}", json=order("dropped", quantity=2))
            assert (await c.get(f"/iserver/account/order/status/{oid}")).json()["total_size"] == "2.0"

            gw.faults.delay(ORDER_POST, 1.0)
            async with rest_client(gw, timeout=0.3) as impatient:
                with pytest.raises(httpx.ReadTimeout):
                    await post(impatient, "late")
            assert "late" in await refs(c)  # the gateway placed it while the client gave up

            gw.faults.fail(r"/iserver/account/orders", 504, method="GET")
            assert (await c.get("/iserver/account/orders")).status_code == 504
            assert (await c.get("/iserver/account/orders")).status_code == 200
            gw.faults.fail(r".*", 503, method="*", count=5)
            gw.faults.clear()
            assert (await c.post("/iserver/auth/status")).status_code == 200 and not gw.faults.active
    arun(go(), timeout=60)
