"""Users, the Connection Portal link, partner data, brokerages and authorizations
(connections) of the fake SnapTrade (api.yaml Authentication / Connections)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import replies
from .app import BODY_KEY, USER_KEY, fake_of
from .catalog import BROKERAGES, brokerage
from .state import Authorization, iso, now_utc


def authorization_json(auth: Authorization) -> dict[str, Any]:
    """The ``BrokerageAuthorization`` object."""
    return {"id": auth.id, "created_date": iso(auth.created), "brokerage": auth.brokerage.as_json(),
            "name": f"Connection-{auth.brokerage.slug.lower()}", "type": auth.type, "disabled": auth.disabled,
            "disabled_date": iso(auth.disabled_date) if auth.disabled_date else None, "meta": {},
            "updated_date": iso(auth.created), "is_eligible_for_payout": False, "data_freshness_mode": "standard"}


async def status(request: web.Request) -> web.Response:
    return web.json_response({"version": 151, "timestamp": iso(now_utc()), "online": True})


async def register_user(request: web.Request) -> web.Response:
    fake = fake_of(request)
    if fake.state.personal:
        return replies.default_error(403, "Personal API keys cannot register users; the key identifies its user",
                                     1140)
    body = request[BODY_KEY] or {}
    user_id = body.get("userId") if isinstance(body, dict) else None
    if not isinstance(user_id, str) or not user_id.strip():
        return replies.bad_input("userId is required")
    if user_id in fake.state.users:
        return replies.default_error(400, "User already exist", 1010)
    user = fake.state.register(user_id)
    return web.json_response({"userId": user.user_id, "userSecret": user.secret})


async def delete_user(request: web.Request) -> web.Response:
    fake = fake_of(request)
    user_id = request.query.get("userId", "")
    if fake.state.users.pop(user_id, None) is None:
        return replies.not_found(f"User {user_id}")
    for auth in [a for a in fake.state.authorizations.values() if a.user_id == user_id]:
        fake.state.remove(auth.id)
    return web.json_response({"status": "deleted", "detail": f"User {user_id} queued for deletion",
                              "userId": user_id})


async def login(request: web.Request) -> web.Response:
    fake = fake_of(request)
    body = request[BODY_KEY] or {}
    if not isinstance(body, dict):
        return replies.bad_input("The body must be an object")
    kind = body.get("connectionType", "read")
    if kind not in ("read", "trade", "trade-if-available"):
        return replies.bad_input("connectionType must be read, trade or trade-if-available")
    reconnect = body.get("reconnect")
    if reconnect and reconnect not in fake.state.authorizations:
        return replies.not_found(f"Authorization {reconnect}")
    broker = body.get("broker")
    if broker and brokerage(broker) is None:
        return replies.bad_input(f"Unknown broker {broker}")
    session = fake.state.new_portal(request[USER_KEY].user_id, kind, broker, reconnect)
    return web.json_response({"redirectURI": f"{fake.base_url}/portal/{session.id}", "sessionId": session.id})


async def partners(request: web.Request) -> web.Response:
    return web.json_response({
        "slug": "tradedesk-fake", "name": "Tradedesk (fake)", "logo_url": "https://example.invalid/logo.png",
        "allowed_brokerages": [b.as_json() for b in BROKERAGES], "can_access_trades": True,
        "can_access_holdings": True, "can_access_account_history": True, "can_access_reference_data": True,
        "can_access_portfolio_management": False, "can_access_orders": True, "redirect_uri": "", "pin_required": False})


async def brokerages(request: web.Request) -> web.Response:
    return web.json_response([b.as_json() for b in BROKERAGES])


def _own(request: web.Request, authorization_id: str) -> Authorization | None:
    auth = fake_of(request).state.authorizations.get(authorization_id)
    return auth if auth is not None and auth.user_id == request[USER_KEY].user_id else None


async def list_authorizations(request: web.Request) -> web.Response:
    user = request[USER_KEY]
    auths = [a for a in fake_of(request).state.authorizations.values() if a.user_id == user.user_id]
    return web.json_response([authorization_json(a) for a in auths])


async def get_authorization(request: web.Request) -> web.Response:
    auth = _own(request, request.match_info["id"])
    return web.json_response(authorization_json(auth)) if auth else replies.not_found("Authorization")


async def delete_connection(request: web.Request) -> web.Response:
    connection_id = request.match_info["id"]
    if _own(request, connection_id) is None:
        return replies.not_found(f"Connection {connection_id}")
    fake_of(request).state.remove(connection_id)
    return web.json_response({"detail": f"Connection {connection_id} queued for deletion",
                              "connection_id": connection_id})


async def refresh(request: web.Request) -> web.Response:
    auth = _own(request, request.match_info["id"])
    if auth is None:
        return replies.not_found("Authorization")
    if auth.disabled:
        return replies.detail_error(402, "This connection is disabled; reconnect it first", 3003)
    auth.refreshed += 1
    return web.json_response({"detail": f"Connection {auth.id} scheduled for refresh"})


async def disable(request: web.Request) -> web.Response:
    auth = _own(request, request.match_info["id"])
    if auth is None:
        return replies.not_found("Authorization")
    auth.disabled, auth.disabled_date = True, now_utc()
    return web.json_response({"detail": f"Connection {auth.id} disabled"})


def setup(app: web.Application, prefix: str) -> None:
    r = app.router
    r.add_get(prefix + "/", status) if prefix else r.add_get("/", status)
    r.add_post(prefix + "/snapTrade/registerUser", register_user)
    r.add_delete(prefix + "/snapTrade/deleteUser", delete_user)
    r.add_post(prefix + "/snapTrade/login", login)
    r.add_get(prefix + "/snapTrade/partners", partners)
    r.add_get(prefix + "/brokerages", brokerages)
    r.add_get(prefix + "/authorizations", list_authorizations)
    r.add_get(prefix + "/authorizations/{id}", get_authorization)
    r.add_delete(prefix + "/connection/{id}", delete_connection)
    r.add_post(prefix + "/authorizations/{id}/refresh", refresh)
    r.add_post(prefix + "/authorizations/{id}/disable", disable)
