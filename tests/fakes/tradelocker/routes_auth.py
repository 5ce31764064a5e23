"""``/auth/jwt/*``: login, refresh, the account list (specs/tradelocker/NOTES.md
section 3). The token answers are not enveloped; errors are ``{"s":"error"}``."""

from __future__ import annotations

from aiohttp import web

from .wire import fail, num


def _fake(request: web.Request):
    from .app import FAKE_KEY

    return request.app[FAKE_KEY]


async def _body(request: web.Request) -> dict | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def token(request: web.Request) -> web.Response:
    """``POST /auth/jwt/token {email, password, server}`` -> 201 token pair."""
    fake = _fake(request)
    body = await _body(request)
    if body is None:
        return fail("Bad Request: the body must be a JSON object with email, password and server", 400)
    missing = [k for k in ("email", "password", "server") if not str(body.get(k) or "").strip()]
    if missing:
        return fail(f"Bad Request: missing {', '.join(missing)}", 400)
    user = fake.users.get(str(body["email"]).strip().lower())
    if user is None or user != (body["password"], body["server"]):
        return fail("Invalid email, password or server", 401)
    fake.logins += 1
    return web.json_response(fake.tokens.pair(str(body["email"]).strip().lower()), status=201)


async def refresh(request: web.Request) -> web.Response:
    """``POST /auth/jwt/refresh {refreshToken}`` -> 201 new pair; 401 when the
    refresh token has expired (log in again)."""
    from .jwt import TokenError

    fake = _fake(request)
    body = await _body(request)
    if body is None or not isinstance(body.get("refreshToken"), str):
        return fail("Bad Request: refreshToken is required", 400)
    try:
        payload = fake.tokens.check(body["refreshToken"], "refresh")
    except TokenError as exc:
        return fail(f"Unauthorized: {exc}; log in again", 401)
    fake.refreshes += 1
    return web.json_response(fake.tokens.pair(payload["sub"]), status=201)


async def all_accounts(request: web.Request) -> web.Response:
    """``GET /auth/jwt/all-accounts`` (bearer, no accNum) -> {"accounts": [...]}."""
    fake = _fake(request)
    accounts = [{"id": a.account_id, "name": a.name, "currency": a.currency, "accNum": a.acc_num,
                 "accountBalance": num(fake.engine.equity(a.account_id).quantize(fake_cent())), "status": a.status}
                for a in fake.engine.accounts.values()]
    return web.json_response({"accounts": accounts})


def fake_cent():
    from decimal import Decimal

    return Decimal("0.01")


def add(app: web.Application, base: str) -> None:
    app.router.add_post(base + "/auth/jwt/token", token)
    app.router.add_post(base + "/auth/jwt/refresh", refresh)
    app.router.add_get(base + "/auth/jwt/all-accounts", all_accounts)
