"""Contract test: every JSON body the fake gateway serves validates against IBKR's
OpenAPI v2.29 schema for that path, method and status (tests/contracts/README.md).

Schema handling: ``$ref`` resolved inline; OpenAPI 3.0 ``nullable`` -> JSON-Schema
``null`` type; ``oneOf`` checked as ``anyOf`` (spec quirk: the variants of e.g. the
order-submission answer declare no ``required`` fields, so any array of objects
matches several and strict ``oneOf`` would reject every valid body; the history
answer even lists the same variant three times). Real-gateway quirks that differ from
the spec follow the spec where it declares a type (see tests/fakes/ibkr/payloads.py,
e.g. summary ``currency``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import jsonschema

from tests.fakes.ibkr import running_gateway

SPEC = Path(__file__).resolve().parent.parent / "contracts" / "ibkr-cpapi-fake-subset-v2.29.0.json"


def _convert(node, spec: dict, depth: int = 0):
    """OpenAPI 3.0 schema -> JSON Schema (draft 7) with refs inlined."""
    if isinstance(node, list):
        return [_convert(n, spec, depth) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        if depth > 20:
            return {}
        target = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        return _convert(target, spec, depth + 1)
    out = {k: _convert(v, spec, depth) for k, v in node.items()
           if k not in ("nullable", "example", "examples", "discriminator", "xml", "externalDocs", "deprecated",
                        "readOnly", "writeOnly")}
    if "oneOf" in out:
        out["anyOf"] = out.pop("oneOf")
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def response_schema(spec: dict, path: str, method: str, status: int) -> dict | None:
    response = spec["paths"][path][method]["responses"].get(str(status))
    if response is None:
        return None
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return None if schema is None else _convert(schema, spec)


ORDER = {"conid": 265598, "orderType": "MKT", "side": "BUY", "tif": "DAY", "quantity": 100, "cOID": "contract-grp"}
LIMIT = {"conid": 272093, "orderType": "LMT", "price": 20.0, "side": "BUY", "tif": "GTC", "quantity": 10,
         "cOID": "contract-lmt"}


class Checker:
    """Calls the fake and validates each JSON answer against the spec's schema for its
    path template, method and status; ``checked`` lists (template, method, status)."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.checked: list[tuple[str, str, int]] = []

    async def __call__(self, c: httpx.AsyncClient, method: str, template: str, url: str, body=None,
                       status: int = 200, **params):
        r = await c.request(method.upper(), url, json=body, params=params or None)
        assert r.status_code == status, (method, url, r.status_code, r.text[:300])
        data = r.json()
        schema = response_schema(self.spec, template, method, r.status_code)
        if schema is not None:
            jsonschema.validate(data, schema, cls=jsonschema.Draft7Validator)
        self.checked.append((template, method, r.status_code))
        return data


def test_every_served_endpoint_matches_the_spec(tmp_path, arun):
    spec = json.loads(SPEC.read_text())
    call = Checker(spec)
    checked = call.checked

    async def go():
        async with running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            async with httpx.AsyncClient(base_url=gw.base_url, verify=gw.client_ssl_context(), timeout=10) as c:
                await call(c, "post", "/iserver/auth/status", "/iserver/auth/status")
                await call(c, "post", "/iserver/auth/ssodh/init", "/iserver/auth/ssodh/init", {"publish": True, "compete": True})
                await call(c, "post", "/tickle", "/tickle")
                await call(c, "get", "/sso/validate", "/sso/validate")
                accounts = await call(c, "get", "/iserver/accounts", "/iserver/accounts")
                assert accounts["groups"] == ["All", "Everyone", "ByNetLiq", "ByEquity", "Shares", "Growth"]
                await call(c, "post", "/iserver/account", "/iserver/account", {"acctId": "DU100001"})
                rows = await call(c, "get", "/portfolio/accounts", "/portfolio/accounts")
                assert [r["parent"]["isMParent"] for r in rows] == [True, False, False, False, False]
                await call(c, "get", "/portfolio/subaccounts", "/portfolio/subaccounts")
                await call(c, "get", "/iserver/account/allocation/accounts", "/iserver/account/allocation/accounts")
                await call(c, "get", "/iserver/account/allocation/group", "/iserver/account/allocation/group")
                single = await call(c, "post", "/iserver/account/allocation/group/single",
                                    "/iserver/account/allocation/group/single", {"name": "Shares"})
                assert [a["amount"] for a in single["accounts"]] == [40, 30, 20, 10]
                await call(c, "get", "/iserver/secdef/search", "/iserver/secdef/search", symbol="AAPL")
                await call(c, "post", "/iserver/secdef/search", "/iserver/secdef/search", {"symbol": "IBM"})
                await call(c, "get", "/trsrv/stocks", "/trsrv/stocks", symbols="AAPL,IBM")
                await call(c, "get", "/iserver/secdef/strikes", "/iserver/secdef/strikes", conid="265598",
                           sectype="OPT", month="MAR13")
                await call(c, "get", "/iserver/secdef/info", "/iserver/secdef/info", conid="265598", sectype="STK")
                for _ in range(2):  # pre-flight, then data
                    await call(c, "get", "/iserver/marketdata/snapshot", "/iserver/marketdata/snapshot",
                               conids="265598,8314", fields="31,84,86,85,88,7762")
                history = await call(c, "get", "/iserver/marketdata/history", "/iserver/marketdata/history",
                                     conid="265598", period="1w", bar="1d")
                assert history["points"] == len(history["data"]) > 0
                await call(c, "post", "/iserver/account/{accountId}/orders/whatif",
                           "/iserver/account/ByNetLiq/orders/whatif", {"orders": [ORDER]})
                answer = await call(c, "post", "/iserver/account/{accountId}/orders",
                                    "/iserver/account/ByNetLiq/orders", {"orders": [ORDER]})
                while "id" in answer[0]:
                    answer = await call(c, "post", "/iserver/reply/{replyId}", f"/iserver/reply/{answer[0]['id']}",
                                        {"confirmed": True})
                group_order = answer[0]["order_id"]
                await call(c, "post", "/iserver/questions/suppress", "/iserver/questions/suppress",
                           {"messageIds": ["o163"]})
                await call(c, "post", "/iserver/questions/suppress/reset", "/iserver/questions/suppress/reset")
                gw.state.questions = []
                placed = await call(c, "post", "/iserver/account/{accountId}/orders",
                                    "/iserver/account/DU100002/orders", {"orders": [LIMIT]})
                oid = placed[0]["order_id"]
                await call(c, "post", "/iserver/account/{accountId}/order/{orderId}",
                           f"/iserver/account/DU100002/order/{oid}", dict(LIMIT, quantity=12))
                await call(c, "get", "/iserver/account/order/status/{orderId}", f"/iserver/account/order/status/{oid}")
                await call(c, "get", "/iserver/account/orders", "/iserver/account/orders", accountId="DU100002")
                await call(c, "delete", "/iserver/account/{accountId}/order/{orderId}",
                           f"/iserver/account/DU100002/order/{oid}")
                gw.paper.advance_minutes(3)
                live = await call(c, "get", "/iserver/account/orders", "/iserver/account/orders", accountId="ByNetLiq")
                assert [str(o["orderId"]) for o in live["orders"]] == [group_order]
                trades = await call(c, "get", "/iserver/account/trades", "/iserver/account/trades", days="1")
                assert {t["account_allocation_name"] for t in trades} == {"ByNetLiq"}
                await call(c, "get", "/iserver/account/pnl/partitioned", "/iserver/account/pnl/partitioned")
                positions = await call(c, "get", "/portfolio/{accountId}/positions/{pageId}",
                                       "/portfolio/DU100001/positions/0")
                assert positions and positions[0]["acctId"] == "DU100001"
                await call(c, "get", "/portfolio/{accountId}/summary", "/portfolio/DU100001/summary")
                await call(c, "get", "/portfolio/{accountId}/ledger", "/portfolio/DU100001/ledger")
                await call(c, "post", "/portfolio/{accountId}/positions/invalidate",
                           "/portfolio/DU100001/positions/invalidate")
                await call(c, "post", "/iserver/marketdata/unsubscribe", "/iserver/marketdata/unsubscribe",
                           {"conid": 265598})
                await call(c, "get", "/iserver/marketdata/unsubscribeall", "/iserver/marketdata/unsubscribeall")
                await call(c, "post", "/logout", "/logout")

    arun(go(), timeout=60)
    served = {(p, m) for p, item in spec["paths"].items() for m in item if m in ("get", "post", "put", "delete")}
    assert served == {(p, m) for p, m, _ in checked}, served ^ {(p, m) for p, m, _ in checked}


def test_fidelity_answers_match_the_spec(tmp_path, arun):
    """The answers the IBKR-fidelity work added (issue 10) are shaped as the spec says:
    an unknown reply id (200 + error body), o163 on a far limit and on its modify,
    every documented bar size with startTime and both directions, trades of the
    selected account, an allocation_profile order and its refusal."""
    call = Checker(json.loads(SPEC.read_text()))
    orders, reply = "/iserver/account/{accountId}/orders", "/iserver/reply/{replyId}"

    async def confirm(c, answer, asked: list | None = None):
        while isinstance(answer, list) and "id" in answer[0]:
            if asked is not None:
                asked.append(answer[0]["messageIds"])
            answer = await call(c, "post", reply, f"/iserver/reply/{answer[0]['id']}", {"confirmed": True})
        return answer

    async def go():
        async with running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            async with httpx.AsyncClient(base_url=gw.base_url, verify=gw.client_ssl_context(), timeout=10) as c:
                await call(c, "get", "/iserver/accounts", "/iserver/accounts")
                missing = await call(c, "post", reply, "/iserver/reply/0f0f0f0f-0000-4000-8000-000000000000",
                                     {"confirmed": True})
                assert "reply id not found" in missing["error"]
                ask = gw.paper.market.quote("MSFT").ask
                far = dict(LIMIT, price=float((ask * Decimal("0.35")).quantize(Decimal("0.01"))), cOID="far")
                question = await call(c, "post", orders, "/iserver/account/DU100003/orders", {"orders": [far]})
                asked: list = []
                oid = (await confirm(c, question, asked))[0]["order_id"]
                assert asked == [["o354"], ["o163"]]  # no MSFT market data asked for yet, and a far limit
                modify = "/iserver/account/{accountId}/order/{orderId}"
                again = await call(c, "post", modify, f"/iserver/account/DU100003/order/{oid}",
                                   dict(far, price=float((ask * Decimal("0.3")).quantize(Decimal("0.01")))))
                assert again[0]["messageIds"] == ["o163"]
                await confirm(c, again)
                await call(c, "post", "/iserver/account/{accountId}/orders/whatif",
                           "/iserver/account/DU100003/orders/whatif", {"orders": [far]})
                share = dict(ORDER, cOID="adhoc", quantity=50, jsonPayload={"allocation_profile": {
                    "alloc_type": "SHARE", "allocations": [{"account": "DU100001", "amount": 30},
                                                           {"account": "DU100002", "amount": 20}]}})
                placed = await confirm(c, await call(c, "post", orders, "/iserver/account/DF100000/orders",
                                                     {"orders": [share]}))
                assert "order_id" in placed[0]
                refused = await call(c, "post", orders, "/iserver/account/DU100001/orders",
                                     {"orders": [dict(share, cOID="adhoc-2")]})
                assert "advisor account" in refused["error"]
                gw.paper.advance_minutes(3)
                await call(c, "post", "/iserver/account", "/iserver/account", {"acctId": "DU100002"})
                trades = await call(c, "get", "/iserver/account/trades", "/iserver/account/trades")
                assert trades and {t["account"] for t in trades} == {"DU100002"}
                history = "/iserver/marketdata/history"
                for bar in ("1min", "2min", "3min", "5min", "10min", "15min", "30min", "1h", "2h", "3h", "4h", "8h",
                            "1d", "1w", "1m"):
                    period = {"1w": "1y", "1m": "2y", "1d": "1m"}.get(bar, "2d")
                    body = await call(c, "get", history, history, conid="265598", bar=bar, period=period)
                    assert body["data"], bar
                start = (gw.paper.replay_now - timedelta(days=10)).strftime("%Y%m%d-%H:%M:%S")
                for direction in ("-1", "1"):
                    body = await call(c, "get", history, history, conid="265598", bar="1h", period="2d",
                                      startTime=start, direction=direction, outsideRth="true")
                    assert body["data"] and body["outsideRth"] is True
                await call(c, "get", history, history, status=400, conid="265598", bar="7min", period="1d")

    arun(go(), timeout=60)
