"""Contract lookup and market data from the paper market (equities only).

Spec: ``GET|POST /iserver/secdef/search``, ``GET /trsrv/stocks``,
``GET /iserver/secdef/strikes`` and ``GET /iserver/secdef/info`` (no options here:
empty strikes, ``[]`` info), ``GET /iserver/marketdata/history`` (5 concurrent; every
documented bar size, ``period``/``startTime``/``direction``/``outsideRth``: see
:mod:`.history`),
``GET /iserver/marketdata/snapshot`` (the first call per conid is a pre-flight
answering only ``conid``/``conidEx``; its fields persist), ``POST
/iserver/marketdata/unsubscribe``, ``GET /iserver/marketdata/unsubscribeall``.
"""

from __future__ import annotations

import time

from aiohttp import web

from . import history as bars_history
from .app import API, GW_KEY, JSON_KEY, error
from .payloads import BY_CONID, CONTRACTS, bar_point, ibkr_time, quote_fields

DEFAULT_FIELDS = ["31", "84", "86"]


def _search_row(c) -> dict:
    return {"conid": str(c.conid), "companyHeader": f"{c.company} - {c.exchange}", "companyName": c.company,
            "symbol": c.symbol, "description": c.exchange, "restricted": None, "fop": None, "opt": None,
            "war": None, "sections": [{"secType": "STK"}]}


async def secdef_search(request: web.Request) -> web.Response:
    body = request.get(JSON_KEY) if request.method == "POST" else None
    params = body if isinstance(body, dict) else request.query
    text = str(params.get("symbol", "")).strip().upper()
    if not text:
        return error("symbol required", 400)
    by_name = str(params.get("name", "")).lower() == "true"
    hits = [c for c in CONTRACTS if c.symbol == text or (by_name and text in c.company)]
    hits += [c for c in CONTRACTS if c not in hits and c.symbol.startswith(text)]
    return web.json_response([_search_row(c) for c in hits])


async def trsrv_stocks(request: web.Request) -> web.Response:
    out = {}
    for sym in filter(None, (s.strip().upper() for s in request.query.get("symbols", "").split(","))):
        out[sym] = [{"name": c.company, "chineseName": "", "assetClass": "STK",
                     "contracts": [{"conid": c.conid, "exchange": c.exchange, "isUS": True}]}
                    for c in CONTRACTS if c.symbol == sym]
    return web.json_response(out)


async def strikes(request: web.Request) -> web.Response:
    return web.json_response({"call": [], "put": []})


async def secdef_info(request: web.Request) -> web.Response:
    return web.json_response([])


async def history(request: web.Request) -> web.Response:
    """``{symbol, text, timePeriod, barLength (s), points, startTime, data:[{o,h,l,c,v,t}], ...}``;
    parameters and bars as :mod:`.history` describes (every documented bar size)."""
    gw = request.app[GW_KEY]
    q = request.query
    try:
        contract = BY_CONID[int(q.get("conid", ""))]
    except (KeyError, ValueError):
        return error(f"invalid conid {q.get('conid')!r}", 400)
    try:
        req = bars_history.parse_request(q, gw.paper.replay_now)
    except bars_history.HistoryError as exc:
        return error(str(exc), 400)
    with gw.pacer.history_slot() as admitted:
        if not admitted and gw.state.pacing:
            return error("Too Many Requests (history: 5 concurrent)", 429)
        bars = await bars_history.history_bars(gw.paper, contract.symbol, req)
    body = {"serverId": "20477", "symbol": contract.symbol, "text": contract.company, "priceFactor": 100,
            "startTime": ibkr_time(bars[0].start) if bars else "", "high": "", "low": "",
            "timePeriod": q.get("period", "1d"), "barLength": req.bar_seconds,
            "mdAvailability": "S", "mktDataDelay": 0, "outsideRth": req.outside_rth,
            "volumeFactor": 1, "priceDisplayRule": 1, "priceDisplayValue": "2", "negativeCapable": False,
            "messageVersion": 2, "data": [bar_point(b) for b in bars], "points": len(bars), "travelTime": 1,
            "direction": -1}  # the spec's answer schema: "Value will always be -1" (enum [-1])
    if bars:
        volume = sum(b.volume for b in bars)
        body["high"] = f"{max(b.high for b in bars) * 100:.0f}/{volume:.0f}/0"
        body["low"] = f"{min(b.low for b in bars) * 100:.0f}/{volume:.0f}/0"
    return web.json_response(body)


async def snapshot(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    try:
        conids = [int(c) for c in request.query.get("conids", "").split(",") if c.strip()]
    except ValueError:
        return error("conids must be integers", 400)
    if not conids:
        return error("conids required", 400)
    fields = [f for f in request.query.get("fields", "").split(",") if f] or DEFAULT_FIELDS
    rows = []
    now_ms = int(time.time() * 1000)
    for conid in conids:
        gw.state.market_data_requested.add(conid)
        row = {"conid": conid, "conidEx": str(conid)}
        contract = BY_CONID.get(conid)
        if conid not in gw.state.snapshot_fields:
            gw.state.snapshot_fields[conid] = fields  # pre-flight: the fields persist, no data yet
        elif contract is not None:
            values = quote_fields(gw.paper.market.quote(contract.symbol), contract)
            wanted = set(gw.state.snapshot_fields[conid]) | set(fields)
            row.update({k: v for k, v in values.items() if k in wanted})
            row.update({"_updated": now_ms, "server_id": "q0", "6119": "q0", "6509": "RpB"})
        rows.append(row)
    return web.json_response(rows)


async def unsubscribe(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    conid = (request.get(JSON_KEY) or {}).get("conid")
    try:
        gw.state.snapshot_fields.pop(int(conid), None)
    except (TypeError, ValueError):
        return error("conid required", 400)
    return web.json_response({"success": True})


async def unsubscribe_all(request: web.Request) -> web.Response:
    request.app[GW_KEY].state.snapshot_fields.clear()
    return web.json_response({"unsubscribed": True})


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(API + "/iserver/secdef/search", secdef_search)
    r.add_post(API + "/iserver/secdef/search", secdef_search)
    r.add_get(API + "/trsrv/stocks", trsrv_stocks)
    r.add_get(API + "/iserver/secdef/strikes", strikes)
    r.add_get(API + "/iserver/secdef/info", secdef_info)
    r.add_get(API + "/iserver/marketdata/history", history)
    r.add_get(API + "/iserver/marketdata/snapshot", snapshot)
    r.add_post(API + "/iserver/marketdata/unsubscribe", unsubscribe)
    r.add_get(API + "/iserver/marketdata/unsubscribeall", unsubscribe_all)
