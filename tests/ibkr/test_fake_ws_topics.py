"""The fake gateway's websocket over loopback WSS: the ``str`` (trades), ``ssd``
(account summary) and ``sld`` (ledger) topics and the ``tic`` reply in IBKR's
shapes, heartbeats at their interval, and the silenced gateway (open socket,
nothing sent) that stale-stream tests need."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.fakes.ibkr import GatewayState, running_gateway
from tests.fakes.ibkr.client import TopicReader, next_topic, rest_client, ws_connect

AAPL = 265598


async def ready_socket(gw, c):
    session = (await c.post("/tickle")).json()["session"]
    ws = await ws_connect(gw, session)
    await next_topic(ws, "sts")
    return ws, session


def test_trades_summary_ledger_and_tic(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            gw.state.pacing = False
            gw.state.questions = []
            gw.state.ledger_interval = 0.05
            await c.get("/iserver/accounts")
            await c.post("/iserver/account", json={"acctId": "DU100001"})
            ws, session = await ready_socket(gw, c)
            async with ws:
                frames = TopicReader(ws)
                await ws.send("tic")
                tic = await frames.next("tic")
                assert tic["alive"] is True and tic["id"] == session and isinstance(tic["lastAccessed"], int)

                await ws.send('ssd+DU100001+{"keys":["NetLiquidation","TotalCashValue-S"],"fields":["monetaryValue"]}')
                first = await frames.next("ssd+DU100001")
                rest = (await c.get("/portfolio/DU100001/summary")).json()
                assert {e["key"]: e["monetaryValue"] for e in first["result"]} == {
                    "NetLiquidation": rest["netliquidation"]["amount"],
                    "TotalCashValue-S": rest["totalcashvalue-s"]["amount"]}
                assert all(set(e) == {"key", "monetaryValue"} for e in first["result"])
                await ws.send('sld+DU100001+{"keys":["LedgerListBASE"]}')
                ledger = await frames.next("sld+DU100001")
                rest_ledger = (await c.get("/portfolio/DU100001/ledger")).json()["BASE"]
                assert [e["key"] for e in ledger["result"]] == ["LedgerListBASE"]
                assert ledger["result"][0]["cashbalance"] == rest_ledger["cashbalance"]
                await ws.send('str+{"realtimeUpdatesOnly":true,"days":1}')
                await gw.wait_ws(lambda: any(t.startswith("str+") for t, _ in gw.ws_received))

                order = {"conid": AAPL, "orderType": "MKT", "side": "BUY", "tif": "DAY", "quantity": 10, "cOID": "ws-1"}
                oid = (await c.post("/iserver/account/DU100001/orders", json={"orders": [order]})).json()[0]["order_id"]
                gw.paper.advance_minutes(2)
                trades = await frames.next("str")
                assert {(t["order_id"], t["order_ref"], t["account"]) for t in trades["args"]} == {
                    (int(oid), "ws-1", "DU100001")}
                rest_trades = (await c.get("/iserver/account/trades")).json()
                assert {t["execution_id"] for t in trades["args"]} == {t["execution_id"] for t in rest_trades}
                cash = await frames.next_matching(lambda f: f.get("topic") == "ssd+DU100001" and any(
                    e["key"] == "TotalCashValue-S" for e in f["result"]))  # the fill moved the cash
                value = {e["key"]: e["monetaryValue"] for e in cash["result"]}["TotalCashValue-S"]
                assert value < rest["totalcashvalue-s"]["amount"]  # 10 AAPL bought
                moved = await frames.next("sld+DU100001")  # within the ledger interval: the changed currency
                assert moved["result"][0]["cashbalance"] < ledger["result"][0]["cashbalance"]

                await ws.send("usd+DU100001+{}")
                await frames.next_matching(lambda f: f == {"result": "unsubscribed from summary"})
                await ws.send('ssd+NOPE+{}')
                assert "not valid" in (await frames.next("ssd+NOPE"))["error"]
    arun(go(), timeout=60)


def test_heartbeat_interval_and_silenced_gateway(tmp_path, arun):
    assert GatewayState().ws_heartbeat == 10.0  # IBKR's documented ~10 s system heartbeat

    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            gw.state.pacing = False
            gw.state.ws_heartbeat = 0.2
            ws, _session = await ready_socket(gw, c)
            async with ws:
                beats = []
                while len(beats) < 3:
                    frame = await next_topic(ws, "system")
                    if "hb" in frame:
                        beats.append(time.monotonic())
                assert all(b - a >= 0.19 for a, b in zip(beats, beats[1:]))  # one per interval, not faster

                await ws.send('smd+265598+{"fields":["31","84","86"]}')
                await next_topic(ws, "smd+265598")
                gw.silence_websockets()
                gw.paper.advance_minutes(3)  # quotes move, heartbeats are due: nothing may arrive
                await ws.send("tic")
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(ws.recv(), 0.6)  # three heartbeat periods of silence
                await asyncio.wait_for(await ws.ping(), 5)  # the socket is open: pings are still answered
                gw.silence_websockets(pongs=True)
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(await ws.ping(), 0.5)
                gw.resume_websockets()
                assert "hb" in await next_topic(ws, "system")  # talking again on the same socket
                gw.paper.advance_minutes(1)
                assert (await next_topic(ws, "smd+265598"))["conid"] == AAPL
    arun(go(), timeout=60)
