"""Session endpoints: auth status, brokerage session, tickle, SSO validation, logout,
and the browser login page.

Spec: ``POST /iserver/auth/status``, ``POST /iserver/auth/ssodh/init``, ``POST /tickle``,
``GET /sso/validate``, ``POST /logout`` (OpenAPI v2.29); ``POST /iserver/reauthenticate``
(not in the spec; ibind calls it). The login page (``GET /``, ``POST /login``) stands in
for IBKR's browser login with 2FA.
"""

from __future__ import annotations

import time

from aiohttp import web

from .app import API, GW_KEY, JSON_KEY, FakeGateway

SERVER_INFO = {"serverName": "FakeGateway", "serverVersion": "Build 10.99.0, fake"}
SSO_LIFETIME_MS = 24 * 3600 * 1000


def auth_status(gw: FakeGateway) -> dict:
    """The auth-status object (also embedded in /tickle).

    ``authenticated``: logged in and not competing; ``established``: the brokerage
    session exists (False until ``ssodh/init`` when started without one, and after a
    daily reset)."""
    st = gw.state
    return {"authenticated": st.authenticated and not st.competing, "competing": st.competing,
            "connected": True, "established": st.established, "message": "", "fail": "",
            "MAC": "98:F2:B3:23:BF:A0", "hardware_info": "fake|98:F2:B3:23:BF:A0", "serverInfo": dict(SERVER_INFO)}


def _with_cookie(gw: FakeGateway, response: web.StreamResponse) -> web.StreamResponse:
    response.set_cookie("x-sess-uuid", gw.state.cookie, secure=True, httponly=True)
    return response


async def status(request: web.Request) -> web.Response:
    return web.json_response(auth_status(request.app[GW_KEY]))


async def ssodh_init(request: web.Request) -> web.Response:
    """Body ``{"publish": true, "compete": true}``; ``compete`` ends a competing session."""
    gw = request.app[GW_KEY]
    body = request.get(JSON_KEY) or {}
    if gw.state.competing and body.get("compete"):
        gw.state.competing = False
    if not gw.state.competing:
        gw.state.established = True
    return web.json_response(auth_status(gw))


async def reauthenticate(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    if not gw.state.competing:
        gw.state.established = True
    return web.json_response({"message": "triggered"})


async def tickle(request: web.Request) -> web.Response:
    """``{"session", "ssoExpires", "collission", "userId", "hmds", "iserver":{"authStatus"}}``."""
    gw = request.app[GW_KEY]
    body = {"session": gw.state.session, "ssoExpires": SSO_LIFETIME_MS, "collission": gw.state.competing,
            "userId": gw.state.user_id, "hmds": {"error": "no bridge"}, "iserver": {"authStatus": auth_status(gw)}}
    return _with_cookie(gw, web.json_response(body))


async def validate(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    now = int(time.time() * 1000)
    return web.json_response({
        "USER_ID": gw.state.user_id, "USER_NAME": gw.state.user_name, "RESULT": True, "AUTH_TIME": now,
        "SF_ENABLED": False, "IS_FREE_TRIAL": False, "CREDENTIAL": gw.state.user_name, "IP": "127.0.0.1",
        "EXPIRES": SSO_LIFETIME_MS, "QUALIFIED_FOR_MOBILE_AUTH": False, "LANDING_APP": "UNIVERSAL",
        "IS_MASTER": True, "lastAccessed": now, "loginType": 2, "PAPER_USER_NAME": gw.state.user_name,
        "features": {"envs": "PROD", "wlms": True, "realtime": True, "bond": True, "optionChains": True,
                     "calendar": True, "newMf": True},
        "region": "NJ",
    })


async def logout(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    gw.state.authenticated = False
    gw.state.established = False
    gw.state.accounts_primed = False
    for conn in list(gw.websockets):
        conn.reset()
    return web.json_response({"status": True})


LOGIN_PAGE = """<!doctype html><html><head><title>Fake IBKR Client Portal Gateway</title></head>
<body><h1>Fake IBKR Client Portal Gateway</h1><p>{message}</p>
<form method="post" action="/login"><button type="submit">Log in</button></form></body></html>"""


async def login_page(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    message = "Client login succeeds" if gw.state.authenticated else "Log in to the paper advisor account."
    return _with_cookie(gw, web.Response(text=LOGIN_PAGE.format(message=message), content_type="text/html"))


async def login(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    gw.log_in()
    return _with_cookie(gw, web.Response(text=LOGIN_PAGE.format(message="Client login succeeds"),
                                         content_type="text/html"))


def setup(app: web.Application) -> None:
    app.router.add_post(API + "/iserver/auth/status", status)
    app.router.add_get(API + "/iserver/auth/status", status)
    app.router.add_post(API + "/iserver/auth/ssodh/init", ssodh_init)
    app.router.add_post(API + "/iserver/reauthenticate", reauthenticate)
    app.router.add_post(API + "/tickle", tickle)
    app.router.add_get(API + "/tickle", tickle)
    app.router.add_get(API + "/sso/validate", validate)
    app.router.add_post(API + "/logout", logout)
    app.router.add_get("/", login_page)
    app.router.add_post("/login", login)
