"""The fake Client Portal Gateway's quirks: TLS pin, session gates, pacing, the reply
flow, FA order visibility, portfolio per account, and the websocket."""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl

import httpx
import pytest

from tests.fakes.ibkr import running_gateway
from tests.fakes.ibkr.client import confirm_all, next_topic, ws_connect
from tests.fakes.ibkr.client import rest_client as client

GROUP_ORDER = {"conid": 265598, "orderType": "MKT", "side": "BUY", "tif": "DAY", "quantity": 100, "cOID": "grp-1"}


def test_served_certificate_matches_fingerprint_and_rotates(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw:
            async def served() -> str:
                ctx = gw.client_ssl_context()
                _r, w = await asyncio.open_connection("127.0.0.1", gw.port, ssl=ctx)
                der = w.get_extra_info("ssl_object").getpeercert(binary_form=True)
                w.close()
                digest = hashlib.sha256(der).hexdigest().upper()
                return ":".join(digest[i:i + 2] for i in range(0, 64, 2))
            first = gw.fingerprint
            assert await served() == first
            await gw.rotate_certificate()
            assert gw.fingerprint != first and await served() == gw.fingerprint
            with pytest.raises(ssl.SSLCertVerificationError):  # the old pin no longer verifies
                await asyncio.open_connection("127.0.0.1", gw.port, ssl=ssl.create_default_context())
    arun(go())


def test_login_gates_and_brokerage_session(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path, authenticated=False) as gw, client(gw) as c:
            assert (await c.post("/iserver/auth/status")).status_code == 401
            async with httpx.AsyncClient(verify=gw.client_ssl_context()) as browser:
                page = await browser.post(gw.login_url + "login")
                assert "Client login succeeds" in page.text
            status = (await c.post("/iserver/auth/status")).json()
            assert status["authenticated"] and status["established"] and not status["competing"]
            assert (await c.get("/sso/validate")).json()["IS_MASTER"] is True
            gw.state.competing = True
            assert (await c.post("/iserver/auth/status")).json()["competing"] is True
            assert (await c.get("/iserver/accounts")).status_code == 400
            await c.post("/iserver/auth/ssodh/init", json={"publish": True, "compete": True})
            assert (await c.post("/iserver/auth/status")).json()["authenticated"] is True
            assert (await c.post("/logout")).json() == {"status": True}
            assert (await c.get("/iserver/accounts")).status_code == 401
    arun(go())


def test_accounts_first_and_daily_reset(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path, start_established=False) as gw, client(gw) as c:
            gw.state.pacing = False
            r = await c.get("/iserver/accounts")
            assert r.status_code == 400 and "no bridge" in r.json()["error"]
            await c.post("/iserver/auth/ssodh/init", json={"publish": True, "compete": True})
            r = await c.get("/iserver/account/orders")
            assert r.status_code == 400 and r.json()["error"] == "Please query /accounts first"
            accounts = (await c.get("/iserver/accounts")).json()
            assert accounts["accounts"] == ["DF100000", "DU100001", "DU100002", "DU100003", "DU100004"]
            assert accounts["groups"][0] == "All" and "ByNetLiq" in accounts["groups"]
            assert accounts["allowFeatures"]["allowFA"] is True
            assert (await c.get("/iserver/account/orders")).status_code == 200
            gw.daily_reset()
            assert "no bridge" in (await c.get("/iserver/account/orders")).json()["error"]
            await c.post("/iserver/auth/ssodh/init", json={"publish": True})
            assert (await c.get("/iserver/account/orders")).json()["error"] == "Please query /accounts first"
            await c.get("/iserver/accounts")
            assert (await c.get("/iserver/account/orders")).status_code == 200
    arun(go())


def test_pacing_answers_429_and_records_requests(tmp_path, arun):
    now = [1000.0]

    async def go():
        async with running_gateway(tmp_path) as gw, client(gw) as c:
            gw.state.clock = lambda: now[0]
            assert (await c.post("/tickle")).status_code == 200
            assert (await c.post("/tickle")).status_code == 429  # 1 per second
            now[0] += 1.0
            assert (await c.post("/tickle")).status_code == 200
            now[0] += 1.0
            codes = [(await c.post("/iserver/auth/status")).status_code for _ in range(11)]
            assert codes[:10] == [200] * 10 and codes[10] == 429  # 10 req/s through the gateway
            assert [r.path for r in gw.requests[:2]] == ["/tickle", "/tickle"] and gw.requests[0].t == 1000.0
            gw.state.pacing = False
            assert (await c.post("/iserver/auth/status")).status_code == 200
    arun(go())


def test_group_order_reply_flow_visibility_and_trades(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, client(gw) as c:
            gw.state.pacing = False
            await c.get("/iserver/accounts")
            first = (await c.post("/iserver/account/ByNetLiq/orders", json={"orders": [GROUP_ORDER]})).json()
            final, asked = await confirm_all(c, first)
            assert asked == [["o354"], ["p6"]]  # a market order: no price precaution (o163)
            order_id = int(final[0]["order_id"])
            gw.paper.advance_minutes(2)
            # the lesson's quirk: the group order shows only under the group
            switched = (await c.post("/iserver/account", json={"acctId": "DU100001"})).json()
            assert switched == {"set": True, "acctId": "DU100001"}
            assert (await c.get("/iserver/account/orders")).json()["orders"] == []
            await c.post("/iserver/account", json={"acctId": "ByNetLiq"})
            rows = (await c.get("/iserver/account/orders")).json()["orders"]
            assert [(r["orderId"], r["order_ref"], r["status"]) for r in rows] == [(order_id, "grp-1", "Filled")]
            trades = (await c.get("/iserver/account/trades", params={"accountId": "ByNetLiq"})).json()
            assert {t["account"] for t in trades} == {"DU100001", "DU100002", "DU100003", "DU100004"}
            assert {(t["account_allocation_name"], t["order_ref"], t["order_id"]) for t in trades} == {
                ("ByNetLiq", "grp-1", order_id)}
            assert sum(t["size"] for t in trades) == 100 and all(isinstance(t["price"], str) for t in trades)
            positions = (await c.get("/portfolio/DU100001/positions/0")).json()
            assert positions[0]["conid"] == 265598 and positions[0]["position"] > 0
            r = await c.get("/portfolio/ByNetLiq/positions/0")
            assert r.status_code == 500 and "allocation group" in r.json()["error"]
            assert (await c.post("/iserver/account", json={"acctId": "NOPE"})).status_code == 500
            again = (await c.post("/iserver/account/ByNetLiq/orders", json={"orders": [GROUP_ORDER]})).json()
            assert "already registered" in (await confirm_all(c, again))[0]["error"]
    arun(go())


def test_reply_declined_unknown_and_suppressed(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, client(gw) as c:
            gw.state.pacing = False
            await c.get("/iserver/accounts")
            order = dict(GROUP_ORDER, cOID="declined")
            question = (await c.post("/iserver/account/Everyone/orders", json={"orders": [order]})).json()
            declined = (await c.post(f"/iserver/reply/{question[0]['id']}", json={"confirmed": False})).json()
            assert "error" in declined
            r = await c.post(f"/iserver/reply/{question[0]['id']}", json={"confirmed": True})
            assert r.status_code == 200  # the spec's orderReplyNotFound: an error body, not a 400
            assert r.json() == {"error": f"reply id not found: '{question[0]['id']}'"}
            assert (await c.get("/iserver/account/orders", params={"accountId": "Everyone"})).json()["orders"] == []
            await c.post("/iserver/questions/suppress", json={"messageIds": ["o354", "o163", "p6"]})
            placed = (await c.post("/iserver/account/Everyone/orders", json={"orders": [order]})).json()
            assert "order_id" in placed[0]
            gw.state.questions = [("o383",)]
            asked = (await c.post("/iserver/account/DU100002/orders",
                                  json={"orders": [dict(order, cOID="x2")]})).json()
            assert asked[0]["messageIds"] == ["o383"]
    arun(go())


def test_modify_cancel_and_status(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, client(gw) as c:
            gw.state.pacing = False
            await c.get("/iserver/accounts")
            gw.state.questions = []
            body = {"conid": 8314, "orderType": "LMT", "price": 150.00, "side": "BUY", "tif": "GTC", "quantity": 10,
                    "cOID": "lmt-1"}
            oid = (await c.post("/iserver/account/DU100003/orders", json={"orders": [body]})).json()[0]["order_id"]
            answer = (await c.post(f"/iserver/account/DU100003/order/{oid}", json=dict(body, quantity=20))).json()
            modified, _asked = await confirm_all(c, answer)  # o163 when 150 is far from IBM's market
            assert modified[0]["order_id"] == oid
            status = (await c.get(f"/iserver/account/order/status/{oid}")).json()
            assert status["total_size"] == "20.0" and status["order_status"] == "Submitted"
            cancel = (await c.delete(f"/iserver/account/DU100003/order/{oid}")).json()
            assert cancel == {"msg": "Request was submitted", "order_id": oid, "conid": "8314", "account": "DU100003"}
            assert (await c.get(f"/iserver/account/order/status/{oid}")).json()["order_status"] == "Cancelled"
            assert "doesn't exist" in (await c.delete("/iserver/account/DU100003/order/999")).json()["error"]
    arun(go())


def test_snapshot_preflight_then_string_fields(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, client(gw) as c:
            gw.state.pacing = False
            await c.get("/iserver/accounts")
            params = {"conids": "265598,8314", "fields": "31,84,86,88"}
            assert (await c.get("/iserver/marketdata/snapshot", params=params)).json() == [
                {"conid": 265598, "conidEx": "265598"}, {"conid": 8314, "conidEx": "8314"}]
            rows = (await c.get("/iserver/marketdata/snapshot", params=params)).json()
            assert all(isinstance(r["31"], str) and isinstance(r["84"], str) for r in rows)
    arun(go())


def test_websocket_session_system_frame_and_quotes(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, client(gw) as c:
            gw.state.pacing = False
            async with await ws_connect(gw, None) as ws:
                assert json.loads(await ws.recv()) == {"message": "waiting for session"}
            session = (await c.post("/tickle")).json()["session"]
            gw.state.ws_system_gate = asyncio.Event()
            async with await ws_connect(gw, session) as ws:
                await ws.send('smd+8314+{"fields":["31"]}')  # before the system frame: dropped
                await gw.wait_ws(lambda: len(gw.ws_received) == 1)
                gw.state.ws_system_gate.set()
                assert (await next_topic(ws, "system"))["success"] == gw.state.user_name
                assert "DU100001" in (await next_topic(ws, "act"))["args"]["accounts"]
                assert (await next_topic(ws, "sts"))["args"]["authenticated"] is True
                await ws.send('smd+265598+{"fields":["31","84","86"]}')
                first = await next_topic(ws, "smd")
                assert first["topic"] == "smd+265598" and {"31", "84", "86"} <= set(first)
                gw.paper.advance_minutes(1)
                update = await next_topic(ws, "smd")
                assert update["topic"] == "smd+265598"  # never smd+8314: that one was dropped
                assert all(update[k] != first[k] for k in ("31", "84", "86") if k in update)
                assert gw.ws_received[0] == ('smd+8314+{"fields":["31"]}', False)
                gw.daily_reset()
                assert (await next_topic(ws, "sts"))["args"] == {"authenticated": False}
                with pytest.raises(Exception):
                    await asyncio.wait_for(ws.recv(), 5)
    arun(go())


def test_websocket_orders_heartbeat_and_abrupt_drop(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, client(gw) as c:
            gw.state.pacing = False
            gw.state.ws_heartbeat = 0.05
            gw.state.questions = []
            await c.get("/iserver/accounts")
            session = (await c.post("/tickle")).json()["session"]
            async with await ws_connect(gw, session) as ws:
                await next_topic(ws, "sts")
                await ws.send("sor+{}")
                await gw.wait_ws(lambda: any(t == "sor+{}" for t, _ in gw.ws_received))
                await c.post("/iserver/account/Shares/orders", json={"orders": [dict(GROUP_ORDER, cOID="s-1")]})
                frame = await next_topic(ws, "sor")
                assert frame["args"][0]["acct"] == "Shares" and frame["args"][0]["order_ref"] == "s-1"
                assert "hb" in await next_topic(ws, "system")
                await gw.drop_websockets()
                with pytest.raises(Exception):
                    while True:
                        await asyncio.wait_for(ws.recv(), 5)
    arun(go())
