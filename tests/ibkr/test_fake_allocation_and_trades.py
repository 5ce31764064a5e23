"""The fake gateway over loopback HTTPS: ``/iserver/account/trades`` follows the
selected account (``POST /iserver/account``), and an order's
``jsonPayload.allocation_profile`` is honoured (SHARE / CASH) or refused with an
error, never ignored."""

from __future__ import annotations

from decimal import Decimal

from tests.fakes.ibkr import running_gateway
from tests.fakes.ibkr.client import confirm_all, rest_client

AAPL = 265598
CLIENTS = ["DU100001", "DU100002", "DU100003", "DU100004"]


def order(cid: str, qty: int, **extra) -> dict:
    return {"conid": AAPL, "orderType": "MKT", "side": "BUY", "tif": "DAY", "quantity": qty, "cOID": cid, **extra}


def profile(alloc_type: str, *rows: tuple[str, float]) -> dict:
    return {"jsonPayload": {"allocation_profile": {"alloc_type": alloc_type,
                                                   "allocations": [{"account": a, "amount": n} for a, n in rows]}}}


async def prime(gw, c) -> None:
    gw.state.pacing = False
    await c.get("/iserver/accounts")
    await c.get("/iserver/marketdata/snapshot", params={"conids": str(AAPL)})


async def place(c, account: str, body: dict) -> tuple[list | dict, list]:
    return await confirm_all(c, (await c.post(f"/iserver/account/{account}/orders", json={"orders": [body]})).json())


async def trades(c, **params) -> list[dict]:
    r = await c.get("/iserver/account/trades", params=params or None)
    assert r.status_code == 200, r.text
    return r.json()


def test_trades_follow_the_selected_account(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            await prime(gw, c)
            for account, cid in (("DU100001", "own-1"), ("DU100002", "own-2"), ("ByNetLiq", "grp")):
                answer, _ = await place(c, account, order(cid, 20))
                assert "order_id" in answer[0], answer
            gw.paper.advance_minutes(3)
            every = await trades(c)  # the advisor account is selected at login: every client's executions
            assert {t["account"] for t in every} == set(CLIENTS)
            await c.post("/iserver/account", json={"acctId": "DU100001"})
            mine = await trades(c)
            assert mine and {t["account"] for t in mine} == {"DU100001"}
            assert {t["order_ref"] for t in mine} == {"own-1", "grp"}  # its own order and its share of the group's
            await c.post("/iserver/account", json={"acctId": "ByNetLiq"})
            group = await trades(c)
            assert {(t["order_ref"], t["account_allocation_name"]) for t in group} == {("grp", "ByNetLiq")}
            assert sum(t["size"] for t in group) == 20
            other = await trades(c, accountId="DU100002")  # accountId still picks another account
            assert {t["order_ref"] for t in other} == {"own-2", "grp"}
            await c.post("/iserver/account", json={"acctId": "DF100000"})
            assert len(await trades(c)) == len(every)
            r = await c.get("/iserver/account/trades", params={"accountId": "NOPE"})
            assert r.status_code == 500
    arun(go(), timeout=60)


def test_allocation_profile_share_and_cash_are_honoured(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            await prime(gw, c)
            answer, asked = await place(c, "DF100000", order("adhoc-share", 100, **profile(
                "SHARE", ("DU100001", 60), ("DU100002", 40))))
            assert asked == [["p6"]] and "order_id" in answer[0], answer  # distributed: p6 as for a group
            share_id = int(answer[0]["order_id"])
            price = (gw.paper.market.quote("AAPL").ask * Decimal("1.02")).quantize(Decimal("0.01"))
            cash = {"DU100003": 20_000, "DU100004": 10_000}
            size = sum(int(Decimal(v) / price) for v in cash.values())
            answer, _ = await place(c, "DF100000", order("adhoc-cash", size, orderType="LMT", price=float(price),
                                                         **profile("CASH", *cash.items())))
            assert "order_id" in answer[0], answer
            cash_id = int(answer[0]["order_id"])
            gw.paper.advance_minutes(5)

            live = (await c.get("/iserver/account/orders", params={"accountId": "DF100000"})).json()["orders"]
            assert {(r["orderId"], r["order_ref"], r["totalSize"], r["status"]) for r in live} == {
                (share_id, "adhoc-share", "100.0", "Filled"), (cash_id, "adhoc-cash", f"{size}.0", "Filled")}
            for client in CLIENTS:  # the per-account pieces are not separate orders of the clients
                rows = (await c.get("/iserver/account/orders", params={"accountId": client})).json()["orders"]
                assert rows == [], (client, rows)
            by_account: dict[str, Decimal] = {}
            for t in await trades(c, accountId="DF100000", days="1"):
                assert t["order_id"] in (share_id, cash_id) and t["account_allocation_name"] == "DF100000"
                by_account[t["account"]] = by_account.get(t["account"], Decimal(0)) + Decimal(str(t["size"]))
            assert by_account == {"DU100001": 60, "DU100002": 40, "DU100003": int(20_000 / price),
                                  "DU100004": int(10_000 / price)}
            status = (await c.get(f"/iserver/account/order/status/{share_id}")).json()
            assert status["order_status"] == "Filled" and status["cum_fill"] == "100.0"

            low = float((price / 2).quantize(Decimal("0.01")))
            working, _ = await place(c, "DF100000", order("adhoc-working", 30, orderType="LMT", price=low,
                                                          **profile("SHARE", ("DU100001", 10), ("DU100004", 20))))
            assert isinstance(working, list), working
            wid = working[0]["order_id"]
            cancel = (await c.delete(f"/iserver/account/DF100000/order/{wid}")).json()
            assert cancel["msg"] == "Request was submitted"
            assert (await c.get(f"/iserver/account/order/status/{wid}")).json()["order_status"] == "Cancelled"
            for client in ("DU100001", "DU100004"):
                assert all(not o.is_open for o in await gw.paper.fetch_orders(client))
    arun(go(), timeout=60)


def test_allocation_profile_that_cannot_be_honoured_is_refused(tmp_path, arun):
    async def go():
        async with running_gateway(tmp_path) as gw, rest_client(gw) as c:
            await prime(gw, c)
            cases = [
                ("DU100001", order("r1", 10, **profile("SHARE", ("DU100002", 10))), "advisor account DF100000"),
                ("ByNetLiq", order("r2", 10, **profile("SHARE", ("DU100002", 10))), "is a group"),
                ("DF100000", order("r3", 10, **profile("PERCENT", ("DU100002", 10))), "SHARE or CASH"),
                ("DF100000", order("r4", 10, **profile("SHARE", ("DU999999", 10))), "not a client account"),
                ("DF100000", order("r5", 10, **profile("SHARE", ("DU100002", 0))), "greater than 0"),
                ("DF100000", order("r6", 10, **profile("SHARE", ("DU100002", 4), ("DU100003", 4))), "8"),
                ("DF100000", order("r7", 10, jsonPayload={"allocation_profile": "SHARE"}), "must be an object"),
                ("DF100000", order("r8", 10, **profile("CASH", ("DU100002", 1_000_000))), "quantity is 10"),
            ]
            for account, body, words in cases:
                r = await c.post(f"/iserver/account/{account}/orders", json={"orders": [body]})
                assert r.status_code == 200 and words in r.json()["error"], (body["cOID"], r.text)
            for client in CLIENTS:
                assert await gw.paper.fetch_orders(client) == []  # nothing placed anywhere
    arun(go(), timeout=60)
