"""Account endpoints of an FA (advisor) login.

Spec: ``GET /iserver/accounts`` (pre-flight; sets ``accounts_primed``),
``POST /iserver/account`` (switch the selected account or group; bad id 500),
``GET /portfolio/accounts``, ``GET /portfolio/subaccounts`` (runtime ``faclient``
with a lower-case c, ``parent.isMParent``), ``GET /iserver/account/allocation/accounts``
(values as strings), ``GET /iserver/account/allocation/group``,
``POST /iserver/account/allocation/group/single``.
"""

from __future__ import annotations

from aiohttp import web

from desktop.domain import Account

from .app import API, GW_KEY, JSON_KEY, FakeGateway, error
from .routes_session import SERVER_INFO

START_MS = 1_356_998_400_000  # account opening date shown in accountStatus (2013-01-01)


def accounts_payload(gw: FakeGateway) -> dict:
    """The ``/iserver/accounts`` object (also the websocket ``act`` args)."""
    ids = [a.account_id for a in gw.accounts]
    props = {a.account_id: {"hasChildAccounts": a.is_master, "supportsCashQty": True, "supportsFractions": False,
                            "allowCustomerTime": False, "autoFx": False, "isProp": False, "noFXConv": False,
                            "liteUnderPro": False} for a in gw.accounts}
    aliases = {"All": "All"} | {a.account_id: a.account_id for a in gw.accounts}
    return {
        "accounts": ids, "acctProps": props, "aliases": aliases,
        "allowFeatures": {"showGFIS": True, "showEUCostReport": False, "allowEventContract": False,
                          "allowFXConv": True, "allowFinancialLens": False, "allowMTA": True, "allowTypeAhead": True,
                          "allowEventTrading": False, "snapshotRefreshTimeout": 30, "liteUser": False,
                          "showWebNews": True, "research": True, "debugPnl": True, "showTaxOpt": False,
                          "showImpactDashboard": True, "allowDynAccount": False, "allowCrypto": False,
                          "allowFA": bool(gw.groups) or len(ids) > 1, "allowLiteUnderPro": False,
                          "allowedAssetTypes": "STK,OPT", "restrictTradeSubscription": False, "showUkUserLabels": False,
                          "sideBySide": True},
        "chartPeriods": {"STK": ["*"], "OPT": ["2h", "1d", "2d", "1w", "1m"]},
        "groups": ["All", *gw.group_names], "profiles": [], "selectedAccount": gw.state.selected_account,
        "serverInfo": dict(SERVER_INFO), "sessionId": gw.state.cookie[:8] + ".0000001e", "isFT": False,
        "isPaper": True,
    }


async def iserver_accounts(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    gw.state.accounts_primed = True
    return web.json_response(accounts_payload(gw))


async def switch_account(request: web.Request) -> web.Response:
    """``{"acctId": id}`` -> ``{"set": true, "acctId": id}``; an unknown id is 500."""
    gw = request.app[GW_KEY]
    acct = str((request.get(JSON_KEY) or {}).get("acctId", ""))
    if not (gw.is_account(acct) or gw.group(acct) is not None or acct == "All"):
        return error(f"Account {acct} is not valid for this user", 500)
    gw.state.selected_account = acct
    return web.json_response({"set": True, "acctId": acct})


def portfolio_account(gw: FakeGateway, account: Account) -> dict:
    """One ``/portfolio/accounts`` row. ``faclient`` is spelt as the runtime sends it."""
    parent = {"mmc": [], "accountId": "" if account.is_master else (account.parent_id or ""),
              "isMParent": account.is_master, "isMChild": False, "isMultiplex": False}
    return {
        "id": account.account_id, "PrepaidCrypto-Z": False, "PrepaidCrypto-P": False, "brokerageAccess": True,
        "accountId": account.account_id, "accountVan": account.account_id, "accountTitle": account.name,
        "displayName": account.name, "accountAlias": None, "accountStatus": START_MS, "currency": account.currency,
        "type": "DEMO", "tradingType": "STKNOPT", "businessType": "IB_PROSERVE", "category": "",
        "ibEntity": "IBLLC-US", "faclient": not account.is_master, "clearingStatus": "O", "covestor": False,
        "noClientTrading": False, "trackVirtualFXPortfolio": False, "parent": parent,
        "desc": f"{account.account_id} - {account.name}" if account.name else account.account_id,
        "acctCustType": "ADVISOR" if account.is_master else "INDIVIDUAL",
    }


async def portfolio_accounts(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    return web.json_response([portfolio_account(gw, a) for a in gw.accounts])


async def allocation_accounts(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    rows = []
    for v in await gw.paper.fetch_allocation_values():
        data = []
        if v.net_liquidation is not None:
            data.append({"key": "NetLiquidation", "value": f"{v.net_liquidation:.2f}"})
        if v.available_equity is not None:
            data.append({"key": "AvailableEquity", "value": f"{v.available_equity:.2f}"})
        rows.append({"name": v.account_id, "data": data})
    return web.json_response({"accounts": rows})


async def allocation_groups(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    return web.json_response({"data": [{"allocation_method": g.method.value, "name": g.name, "size": len(g.members)}
                                       for g in gw.groups]})


async def allocation_group_single(request: web.Request) -> web.Response:
    """``{"name"}`` -> ``{"name", "accounts": [{"name", "amount"?}], "default_method"}``."""
    gw = request.app[GW_KEY]
    name = str((request.get(JSON_KEY) or {}).get("name", ""))
    group = gw.group(name)
    if group is None:
        return error(f"group {name} not found", 400)
    accounts = []
    for m in group.members:
        row: dict = {"name": m.account_id}
        if not group.method.is_computed and m.amount is not None:
            row["amount"] = float(m.amount)
        accounts.append(row)
    return web.json_response({"name": group.name, "accounts": accounts, "default_method": group.method.value})


def setup(app: web.Application) -> None:
    app.router.add_get(API + "/iserver/accounts", iserver_accounts)
    app.router.add_post(API + "/iserver/account", switch_account)
    app.router.add_get(API + "/portfolio/accounts", portfolio_accounts)
    app.router.add_get(API + "/portfolio/subaccounts", portfolio_accounts)
    app.router.add_get(API + "/iserver/account/allocation/accounts", allocation_accounts)
    app.router.add_get(API + "/iserver/account/allocation/group", allocation_groups)
    app.router.add_post(API + "/iserver/account/allocation/group/single", allocation_group_single)
