"""Portfolio endpoints, per account only (never per allocation group).

Spec: ``GET /portfolio/{accountId}/summary``, ``GET /portfolio/{accountId}/ledger``,
``GET /portfolio/{accountId}/positions/{pageId}`` (100 per page, from 0),
``POST /portfolio/{accountId}/positions/invalidate``,
``GET /iserver/account/pnl/partitioned``. A group name or unknown id gives 500
``{"error": ...}`` (the spec's "bad value such as a wrong accountId").
"""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from desktop.brokers.errors import BrokerError
from desktop.domain import Balance

from .app import API, GW_KEY, FakeGateway, error
from .payloads import ledger, position, summary

PAGE_SIZE = 100


def _bad_account(gw: FakeGateway, account: str) -> web.Response | None:
    if gw.group(account) is not None:
        return error(f"{account} is an allocation group; portfolio data is per account", 500)
    if not gw.is_account(account):
        return error(f"Account {account} is not valid for this user", 500)
    return None


async def balance_of(gw: FakeGateway, account: str) -> Balance:
    """The account's paper balance (all zero for one without a ledger, e.g. the advisor)."""
    try:
        balances = await gw.paper.fetch_balances(account)
    except BrokerError:
        balances = []
    if balances:
        return balances[0]
    return Balance(broker=gw.paper.name, account_id=account, cash=Decimal(0), buying_power=Decimal(0),
                   net_liquidation=Decimal(0))


async def get_summary(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    account = request.match_info["account"]
    if (bad := _bad_account(gw, account)) is not None:
        return bad
    return web.json_response(summary(await balance_of(gw, account), account, gw.paper.replay_now))


async def get_ledger(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    account = request.match_info["account"]
    if (bad := _bad_account(gw, account)) is not None:
        return bad
    return web.json_response(ledger(await balance_of(gw, account), account, gw.paper.replay_now))


async def get_positions(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    account, page = request.match_info["account"], request.match_info["page"]
    if (bad := _bad_account(gw, account)) is not None:
        return bad
    if not page.isdigit():
        return error(f"invalid page {page}", 400)
    try:
        held = await gw.paper.fetch_positions(account)
    except BrokerError:
        held = []
    start = int(page) * PAGE_SIZE
    rows = [position(p) for p in held[start:start + PAGE_SIZE]]
    return web.json_response(rows + (gw.injected("positions") if page == "0" else []))


async def invalidate(request: web.Request) -> web.Response:
    return web.json_response({"message": "success"})


async def pnl_partitioned(request: web.Request) -> web.Response:
    """``{"upnl": {"<acct>.Core": {rowType, dpl, nl, upl, el, mv}}}`` per client."""
    gw = request.app[GW_KEY]
    return web.json_response({"upnl": {f"{a}.Core": await pnl_row(gw, a) for a in gw.client_ids}})


async def pnl_row(gw: FakeGateway, account: str) -> dict:
    """One P&L partition (numbers): net liquidation, unrealized and daily P&L, value."""
    b = await balance_of(gw, account)
    nlv = float(b.net_liquidation if b.net_liquidation is not None else b.cash)
    upl = float(b.unrealized_pnl or 0)
    return {"rowType": 1, "dpl": upl, "nl": nlv, "upl": upl, "el": float(b.buying_power), "uel": float(b.buying_power),
            "mv": nlv - float(b.cash)}


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(API + "/portfolio/{account}/summary", get_summary)
    r.add_get(API + "/portfolio/{account}/ledger", get_ledger)
    r.add_get(API + "/portfolio/{account}/positions/{page}", get_positions)
    r.add_post(API + "/portfolio/{account}/positions/invalidate", invalidate)
    r.add_get(API + "/iserver/account/pnl/partitioned", pnl_partitioned)
