"""Contract look-ups (ConidCache: secdef search, /trsrv/stocks fallback, option
conids) and paged positions against a scripted requester (spec-shaped payloads; split
from test_ibkr_mapping.py)."""

from __future__ import annotations

import pytest


class _Script:
    """Requester answering GETs from {(path, frozen params): payload}; records calls."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    async def request(self, method, path, *, params=None, json=None, idempotent=None):
        self.calls.append((method, path, params))
        key = (path, tuple(sorted((params or {}).items())))
        for k, v in self.answers.items():
            if k == key or k == path:
                return v
        raise AssertionError(f"unexpected {method} {path} {params}")


def test_conids_search_fallback_and_options(arun):
    from desktop.brokers.errors import NotFoundError
    from desktop.brokers.ibkr.contracts import ConidCache

    ibm = [{"conid": "8314", "symbol": "IBM", "companyName": "INTL BUSINESS MACHINES CORP",
            "sections": [{"secType": "STK"}, {"secType": "OPT", "months": "NOV26;DEC26"}]},
           {"conid": "41645598", "symbol": "IBM", "companyName": "INTL BUSINESS MACHINES CORP",
            "sections": [{"secType": "STK"}]}]
    client = _Script({
        ("/iserver/secdef/search", (("secType", "STK"), ("symbol", "IBM"))): ibm,
        ("/iserver/secdef/search", (("secType", "STK"), ("symbol", "GOOG"))): [],
        ("/trsrv/stocks", (("symbols", "GOOG"),)): {"GOOG": [{"name": "ALPHABET INC-CL C", "contracts": [
            {"conid": 1, "exchange": "MEXI", "isUS": False}, {"conid": 208813720, "exchange": "NASDAQ", "isUS": True}]}]},
        ("/iserver/secdef/search", (("secType", "STK"), ("symbol", "ZZZZ"))): [],
        ("/trsrv/stocks", (("symbols", "ZZZZ"),)): {},
        "/iserver/secdef/strikes": {"call": [200.0, 217.5, 220.0], "put": [217.5]},
        "/iserver/secdef/info": [
            {"conid": 730679583, "maturityDate": "20261113", "right": "C", "strike": 217.5},
            {"conid": 730679999, "maturityDate": "20261120", "right": "C", "strike": 217.5}],
    })
    cache = ConidCache(client)

    async def scenario():
        ibm_conid = await cache.conid("ibm")
        again = await cache.conid("IBM")
        inst = await cache.instrument("IBM")
        goog = await cache.conid("GOOG")
        with pytest.raises(NotFoundError):
            await cache.conid("ZZZZ")
        opt = await cache.option_instrument("IBM   261120C00217500")
        with pytest.raises(NotFoundError):
            await cache.option_conid("IBM   261120C00230000")  # strike not listed
        with pytest.raises(NotFoundError):
            await cache.option_conid("not an option")
        found = await cache.search("IBM")
        return ibm_conid, again, inst, goog, opt, found

    ibm_conid, again, inst, goog, opt, found = arun(scenario())
    assert ibm_conid == again == 8314 and inst.broker_id == "8314" and inst.description.startswith("INTL")
    assert goog == 208813720
    assert opt.broker_id == "730679999" and opt.is_option
    info_params = [c[2] for c in client.calls if c[1] == "/iserver/secdef/info"][0]
    assert info_params == {"conid": "8314", "sectype": "OPT", "month": "NOV26", "strike": "217.5", "right": "C",
                           "exchange": "SMART"}
    assert [i.symbol for i in found] == ["IBM"]
    searches = [c for c in client.calls if c[1] == "/iserver/secdef/search" and c[2]["symbol"] == "IBM"]
    assert len(searches) == 2  # conid cached after the first; search() asks again


def test_positions_pages_until_short_page(arun):
    from desktop.brokers.errors import InvalidRequestError
    from desktop.brokers.ibkr.positions import fetch_positions

    def row(i):
        return {"acctId": "DU1", "assetClass": "STK", "conid": 1000 + i, "ticker": f"S{i}", "position": 1,
                "avgPrice": 10, "pageSize": 100}

    client = _Script({"/portfolio/DU1/positions/0": [row(i) for i in range(100)],
                      "/portfolio/DU1/positions/1": [row(100)]})
    positions = arun(fetch_positions(client, "DU1"))
    assert len(positions) == 101
    assert [c[1] for c in client.calls] == ["/portfolio/DU1/positions/0", "/portfolio/DU1/positions/1"]
    with pytest.raises(InvalidRequestError):
        arun(fetch_positions(client, "Everyone", is_group=lambda a: a == "Everyone"))
