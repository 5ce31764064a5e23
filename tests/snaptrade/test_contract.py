"""Contract test: every JSON body the fake SnapTrade serves validates against the
schema of SnapTrade's api.yaml for that path, method and status
(tests/contracts/snaptrade/README.md).

Schema handling: ``$ref`` inlined; OpenAPI 3.0 ``nullable`` -> a JSON-Schema "null"
type (also on ``allOf`` wrappers, which the spec uses for nullable references);
``oneOf`` checked as ``anyOf`` (the Instrument variants share every required field,
so strict oneOf would refuse every stock). Statuses the spec lists no JSON schema for
(e.g. a 410) are checked for their documented body shape instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema

from desktop.brokers.snaptrade.signing import SnapTradeSigner
from desktop.brokers.transport.rest_request import RestRequest
from desktop.domain import Instrument
from tests.fakes.snaptrade import running_snaptrade

SPEC = Path(__file__).resolve().parent.parent / "contracts" / "snaptrade" / "snaptrade-api-subset.json"
USER = "contract-user"


def _convert(node, spec: dict, depth: int = 0):
    if isinstance(node, list):
        return [_convert(n, spec, depth) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        if depth > 30:
            return {}
        target = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        return _convert(target, spec, depth + 1)
    out = {k: _convert(v, spec, depth) for k, v in node.items()
           if k not in ("nullable", "example", "examples", "discriminator", "deprecated", "readOnly", "writeOnly",
                        "format")}
    if "oneOf" in out:
        out["anyOf"] = out.pop("oneOf")
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        elif "allOf" in out:
            out = {"anyOf": [{"type": "null"}, {k: v for k, v in out.items()}]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def response_schema(spec: dict, template: str, method: str, status: int) -> dict | None:
    response = spec["paths"][template][method]["responses"].get(str(status))
    if response is None:
        return None
    if "$ref" in response:
        response = _convert(response, spec)
    schema = (response.get("content") or {}).get("application/json", {}).get("schema")
    return None if schema is None else _convert(schema, spec)


class Checker:
    """Signed calls to the fake; each JSON answer validated against its schema."""

    def __init__(self, fake, spec: dict, user_secret: str) -> None:
        self.fake, self.spec, self.secret = fake, spec, user_secret
        self.signer = SnapTradeSigner(fake.state.client_id, fake.state.consumer_key)
        self.checked: list[tuple[str, str, int]] = []

    async def __call__(self, c: httpx.AsyncClient, method: str, template: str, path: str, *, body=None,
                       status: int = 200, user: bool = True, **params):
        query = {"userId": USER, "userSecret": self.secret, **params} if user else params
        request = RestRequest.build(method, path, params=query, json=body)
        self.signer(request)
        r = await c.request(method, self.fake.base_url + request.target, content=request.body,
                            headers=request.headers)
        assert r.status_code == status, (method, path, r.status_code, r.text[:300])
        data = r.json()
        schema = response_schema(self.spec, template, method.lower(), status)
        if schema is not None:
            jsonschema.validate(data, schema)
            self.checked.append((template, method, status))
        return data


def test_every_answer_matches_the_spec(tmp_path, arun):
    spec = json.loads(SPEC.read_text())

    async def scenario():
        async with running_snaptrade(tmp_path, populate_seconds=3600) as fake:
            async with httpx.AsyncClient() as c:
                check = Checker(fake, spec, "")
                answer = await check(c, "POST", "/snapTrade/registerUser", "/snapTrade/registerUser",
                                     body={"userId": USER}, user=False)
                check.secret = answer["userSecret"]
                await check(c, "GET", "/", "/", user=False)
                await check(c, "GET", "/snapTrade/partners", "/snapTrade/partners", user=False)
                await check(c, "GET", "/brokerages", "/brokerages", user=False)
                portal = await check(c, "POST", "/snapTrade/login", "/snapTrade/login",
                                     body={"connectionType": "trade"})
                form = await c.post(portal["redirectURI"] + "/link", data={"broker": "SCHWAB"})
                assert form.status_code == 200 and "connected" in form.text
                auths = await check(c, "GET", "/authorizations", "/authorizations")
                accounts = await check(c, "GET", "/accounts", "/accounts")
                account = accounts[0]["id"]
                populating = await check(c, "GET", "/accounts/{accountId}/balances", f"/accounts/{account}/balances",
                                         status=425)
                assert populating["code"] == 3012
                fake.state.finish_populating()
                await check(c, "GET", "/authorizations/{authorizationId}", f"/authorizations/{auths[0]['id']}")
                await check(c, "GET", "/accounts/{accountId}", f"/accounts/{account}")
                await check(c, "GET", "/accounts/{accountId}/balances", f"/accounts/{account}/balances")
                symbols = await check(c, "POST", "/accounts/{accountId}/symbols", f"/accounts/{account}/symbols",
                                      body={"substring": "AAPL"})
                aapl = next(s for s in symbols if s["symbol"] == "AAPL")
                last = fake.paper.market.last_price("AAPL")
                await check(c, "GET", "/accounts/{accountId}/quotes", f"/accounts/{account}/quotes",
                            symbols="AAPL,MSFT", use_ticker="true")
                order = {"account_id": account, "action": "BUY", "universal_symbol_id": aapl["id"],
                         "order_type": "Limit", "time_in_force": "Day", "price": float(round(last * 7 / 10, 2)),
                         "units": 5}
                impact = await check(c, "POST", "/trade/impact", "/trade/impact", body=order)
                placed = await check(c, "POST", "/trade/{tradeId}", f"/trade/{impact['trade']['id']}",
                                     body={"wait_to_confirm": True})
                forced = await check(c, "POST", "/trade/place", "/trade/place",
                                     body={**order, "symbol": None, "stop": None, "notional_value": None,
                                           "client_order_id": "550e8400-e29b-41d4-a716-446655440000",
                                           "price": float(round(last * 11 / 10, 2))})
                fake.paper.advance_minutes(5)
                await check(c, "POST", "/accounts/{accountId}/trading/replace", f"/accounts/{account}/trading/replace",
                            body={"brokerage_order_id": placed["brokerage_order_id"], "action": "BUY",
                                  "order_type": "Limit", "time_in_force": "Day",
                                  "price": float(round(last * 6 / 10, 2)), "units": 5})
                await check(c, "GET", "/accounts/{accountId}/orders", f"/accounts/{account}/orders", state="all")
                await check(c, "GET", "/accounts/{accountId}/recentOrders", f"/accounts/{account}/recentOrders",
                            only_executed="false")
                await check(c, "GET", "/accounts/{accountId}/positions/all", f"/accounts/{account}/positions/all")
                activities = await check(c, "GET", "/accounts/{accountId}/activities",
                                         f"/accounts/{account}/activities", type="BUY,SELL")
                chain = await fake.paper.fetch_option_chain("AAPL")
                expiry = chain.quotes[0].contract.expiry
                call, put = (next(q for q in chain.quotes if q.ask and q.contract.expiry == expiry
                                  and q.contract.right.value.startswith(r)) for r in ("C", "P"))
                legs = [{"instrument": {"symbol": Instrument.for_option(q.contract).symbol, "instrument_type": "OPTION"},
                         "action": "BUY_TO_OPEN", "units": 1} for q in (call, put)]
                mleg = await check(c, "POST", "/accounts/{accountId}/trading/options",
                                   f"/accounts/{account}/trading/options",
                                   body={"order_type": "MARKET", "time_in_force": "Day", "legs": legs})
                await check(c, "POST", "/accounts/{accountId}/trading/cancel", f"/accounts/{account}/trading/cancel",
                            body={"brokerage_order_id": placed["brokerage_order_id"]})
                gone = await check(c, "GET", "/accounts/{accountId}/holdings", f"/accounts/{account}/holdings",
                                   status=410)
                await check(c, "POST", "/authorizations/{authorizationId}/refresh",
                            f"/authorizations/{auths[0]['id']}/refresh")
                await check(c, "POST", "/authorizations/{authorizationId}/disable",
                            f"/authorizations/{auths[0]['id']}/disable")
                await check(c, "DELETE", "/connection/{connectionId}", f"/connection/{auths[0]['id']}")
                await check(c, "DELETE", "/snapTrade/deleteUser", "/snapTrade/deleteUser", user=False, userId=USER)
                return check.checked, forced, gone, activities, mleg

    checked, forced, gone, activities, mleg = arun(scenario(), timeout=60)
    assert len(mleg["orders"]) == 2
    assert {o["brokerage_group_order_id"] for o in mleg["orders"]} == {mleg["brokerage_order_id"]}
    assert activities["data"] and activities["data"][0]["external_reference_id"] == forced["brokerage_order_id"]
    assert forced["status"] in ("EXECUTED", "ACCEPTED", "PENDING") and isinstance(forced["total_quantity"], str)
    assert gone == {"detail": "This endpoint is no longer available for your account."}
    assert len({t for t, _m, _s in checked}) >= 20, checked
