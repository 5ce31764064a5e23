"""Market data and instrument information on the INFO route
(specs/tradelocker/NOTES.md section 5): ``/trade/instruments/{id}``,
``/trade/sessions/{id}``, ``/trade/sessionStatuses/{id}``, ``/trade/quotes``,
``/trade/history``, ``/trade/dailyBar``, ``/trade/depth``."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from aiohttp import web

from desktop.domain import Interval

from .catalog import OPEN_STATUS, SESSIONS, FakeInstrument
from .engine import Refused
from .wire import int_field, ok

RESOLUTIONS = {"1m": Interval.M1, "5m": Interval.M5, "15m": Interval.M15, "1H": Interval.H1, "1D": Interval.D1}
"""The resolutions this fake serves (TradeLocker also has 30m, 4H, 1W, 1M: refused here)."""
KNOWN = ("1M", "1W", "1D", "4H", "1H", "30m", "15m", "5m", "1m")


def _fake(request: web.Request):
    from .app import FAKE_KEY

    return request.app[FAKE_KEY]


def _instrument(request: web.Request, tid_text: str | None = None) -> FakeInstrument:
    """The instrument named by the query (or ``tid_text``), checked against its INFO route."""
    fake = _fake(request)
    q = request.query
    tid = int_field(tid_text if tid_text is not None else q.get("tradableInstrumentId"), "tradableInstrumentId")
    inst = fake.by_tid.get(tid)
    if inst is None:
        raise Refused(f"Unknown tradableInstrumentId {tid}", 404)
    if "routeId" not in q:
        raise Refused("routeId is required (the instrument's INFO route)")
    route = int_field(q["routeId"], "routeId")
    if route == inst.trade_route:
        raise Refused(f"routeId {route} is a TRADE route; market data needs the INFO route")
    if route != inst.info_route:
        raise Refused(f"routeId {route} is not a route of instrument {tid}")
    return inst


async def details(request: web.Request) -> web.Response:
    return ok(_instrument(request, request.match_info["tid"]).details())


async def session(request: web.Request) -> web.Response:
    sid = int_field(request.match_info["sid"], "sessionId")
    if sid not in SESSIONS:
        raise Refused(f"Unknown session {sid}", 404)
    return ok({"id": sid, "name": SESSIONS[sid], "holidays": [], "sessions": []})


async def session_status(request: web.Request) -> web.Response:
    sid = int_field(request.match_info["sid"], "sessionStatusId")
    if sid != OPEN_STATUS:
        raise Refused(f"Unknown session status {sid}", 404)
    if _fake(request).market_closed:  # as a real server says it outside trading hours
        return ok({"id": sid, "name": "Closed", "allowedOperations": {"openPosition": False, "closePosition": False,
                                                                        "modifyPosition": True},
                   "allowedOrderTypes": ["limit", "stop"]})
    return ok({"id": sid, "name": "Open", "allowedOperations": {"openPosition": True, "closePosition": True,
                                                                  "modifyPosition": True},
               "allowedOrderTypes": ["market", "limit", "stop"]})


async def quotes(request: web.Request) -> web.Response:
    fake = _fake(request)
    inst = _instrument(request)
    quote = fake.market.quote(inst.symbol)
    if quote.bid is None:
        raise Refused(f"No quote for {inst.symbol} yet")
    return ok({"ap": float(quote.ask), "bp": float(quote.bid), "as": float(quote.ask_size or 0),
               "bs": float(quote.bid_size or 0)})


def _ms(value: str, name: str) -> datetime:
    return datetime.fromtimestamp(int_field(value, name) / 1000, timezone.utc)


async def history(request: web.Request) -> web.Response:
    fake = _fake(request)
    inst = _instrument(request)
    q = request.query
    resolution = q.get("resolution", "")
    if resolution not in KNOWN:
        raise Refused(f"resolution must be one of {', '.join(KNOWN)}, not {resolution!r}")
    if resolution not in RESOLUTIONS:
        raise Refused(f"resolution {resolution} is not available on this server")
    if "from" not in q or "to" not in q:
        raise Refused("from and to (milliseconds) are required")
    interval = RESOLUTIONS[resolution]
    start, end = _ms(q["from"], "from"), _ms(q["to"], "to")
    span = (end - start) / interval.duration
    if span > fake.history_bars:
        raise Refused(f"Too many bars requested ({span:.0f}); the limit is {fake.history_bars} "
                      "(QUOTES_HISTORY_BARS)")
    bars = fake.market.fetch_bars(inst.symbol, interval, start, end)
    if not bars:
        return web.json_response({"s": "no_data", "nb": None})
    return ok({"barDetails": [{"t": int(b.start.timestamp() * 1000), "o": float(b.open), "h": float(b.high),
                               "l": float(b.low), "c": float(b.close), "v": float(b.volume)} for b in bars]})


async def daily_bar(request: web.Request) -> web.Response:
    fake = _fake(request)
    inst = _instrument(request)
    bar = fake.market.current_bar(inst.symbol, Interval.D1)
    if bar is None:
        return web.json_response({"s": "no_data"})
    return ok({"o": float(bar.open), "h": float(bar.high), "l": float(bar.low), "c": float(bar.close),
               "v": float(bar.volume)})


async def depth(request: web.Request) -> web.Response:
    fake = _fake(request)
    inst = _instrument(request)
    quote = fake.market.quote(inst.symbol)
    tick = inst.tick
    asks = [[float(quote.ask + i * tick), float((quote.ask_size or Decimal(100)) * (i + 1))] for i in range(5)]
    bids = [[float(quote.bid - i * tick), float((quote.bid_size or Decimal(100)) * (i + 1))] for i in range(5)]
    return ok({"asks": asks, "bids": bids})


def add(app: web.Application, base: str) -> None:
    r = app.router
    r.add_get(base + "/trade/instruments/{tid}", details)
    r.add_get(base + "/trade/sessions/{sid}", session)
    r.add_get(base + "/trade/sessionStatuses/{sid}", session_status)
    r.add_get(base + "/trade/quotes", quotes)
    r.add_get(base + "/trade/history", history)
    r.add_get(base + "/trade/dailyBar", daily_bar)
    r.add_get(base + "/trade/depth", depth)
