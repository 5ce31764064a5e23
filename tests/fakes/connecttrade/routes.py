"""The fake's REST endpoints (cookbook: NOTES.md section 3.2; users and connections:
section 2). Every answer is JSON; errors are ``{"message": ...}`` with the status."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from desktop.brokers.errors import BrokerError
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderStatus, TimeInForce

from .app import CT_KEY, JSON_KEY, USER_KEY, FakeConnectTrade, Linking
from .book import (ACCOUNTS, CREDENTIALS, ORDER_TYPES_IN, PAPER_ACCOUNT, READONLY_ACCOUNT, READONLY_CASH,
                   TRADING_ACCOUNT, WORKING_CT, LinkedAccount, iso, num, order_row, position_row, readonly_positions,
                   readonly_value)

MAX_CL_ORDER_ID = 30


def fail(message: str, status: int = 400) -> web.Response:
    """An error answer ``{"message": message}``."""
    return web.json_response({"message": message}, status=status)


def _ct(request: web.Request) -> FakeConnectTrade:
    return request.app[CT_KEY]


def _own_accounts(request: web.Request) -> list[LinkedAccount]:
    """The linked accounts of the calling user (users made with POST /users have none)."""
    ct = _ct(request)
    return ct.accounts if request.get(USER_KEY) == CREDENTIALS["user-id"] else []


def _last(ct: FakeConnectTrade):
    market = ct.paper.market

    def last(symbol: str) -> Decimal | None:
        return market.last_price(symbol) if symbol in market.symbols else None
    return last


async def get_accounts(request: web.Request) -> web.Response:
    return web.json_response([a.row() for a in _own_accounts(request)])


async def get_balances(request: web.Request) -> web.Response:
    ct = _ct(request)
    rows = []
    for account in _own_accounts(request):
        if account is TRADING_ACCOUNT:
            (bal,) = await ct.paper.fetch_balances(PAPER_ACCOUNT)
            rows.append({"account_id": account.account_id, "account_number": account.account_number,
                         "currency": "USD", "cash": num(bal.cash), "buying_power": num(bal.buying_power),
                         "equity": num(bal.net_liquidation)})
        elif account is READONLY_ACCOUNT:
            rows.append({"account_id": account.account_id, "account_number": account.account_number,
                         "currency": "USD", "cash": float(READONLY_CASH), "buying_power": "0",
                         "equity": num(readonly_value(_last(ct)))})
    return web.json_response(rows + ct.injected.get("balances", []))


async def get_positions(request: web.Request) -> web.Response:
    ct = _ct(request)
    rows: list[dict[str, Any]] = []
    accounts = _own_accounts(request)
    if TRADING_ACCOUNT in accounts:
        rows += [position_row(p, TRADING_ACCOUNT) for p in await ct.paper.fetch_positions(PAPER_ACCOUNT)]
    if READONLY_ACCOUNT in accounts:
        rows += readonly_positions(_last(ct))
    return web.json_response(rows + ct.injected.get("positions", []))


def _parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def get_orders(request: web.Request) -> web.Response:
    """GET /orders: ``status`` open/filled/all (default all), ``start_time`` (ISO UTC),
    ``symbols`` (comma-separated), ``sort`` (``last_exec_time:desc`` or ``:asc``),
    ``limit`` (default 100, at most 500)."""
    ct = _ct(request)
    q = request.query
    status = q.get("status", "all").lower()
    if status not in ("open", "filled", "all"):
        return fail(f"Invalid status '{status}': use open, filled or all")
    start = None
    if "start_time" in q:
        start = _parse_time(q["start_time"])
        if start is None:
            return fail(f"Invalid start_time '{q['start_time']}': use ISO 8601, e.g. 2025-06-02T00:00:00Z")
    try:
        limit = int(q.get("limit", "100"))
    except ValueError:
        return fail(f"Invalid limit '{q.get('limit')}'")
    if not 1 <= limit <= 500:
        return fail("limit must be between 1 and 500")
    symbols = {s.strip().upper() for s in q.get("symbols", "").split(",") if s.strip()}
    rows: list[dict[str, Any]] = []
    if TRADING_ACCOUNT in _own_accounts(request):
        orders = await ct.paper.fetch_orders(PAPER_ACCOUNT)
        fills = await ct.paper.fetch_fills(PAPER_ACCOUNT)
        rows = [order_row(o, fills) for o in orders]
    if status == "open":
        rows = [r for r in rows if r["normalized_status"] in WORKING_CT]
    elif status == "filled":
        rows = [r for r in rows if r["normalized_status"] == "FILLED"]
    if start is not None:
        rows = [r for r in rows if max(_parse_time(r["created_time"]), _parse_time(r["last_exec_time"])) >= start]
    if symbols:
        rows = [r for r in rows if r["symbol"] in symbols]
    field_name, _, direction = q.get("sort", "last_exec_time:desc").partition(":")
    if field_name not in ("last_exec_time", "created_time"):
        return fail(f"Invalid sort field '{field_name}'")
    rows.sort(key=lambda r: (r[field_name], r["order_id"]), reverse=direction != "asc")
    return web.json_response(rows[:limit] + ct.injected.get("orders", []))


def _decimal(body: dict, name: str, *, required: bool = True) -> Decimal | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ValueError(f"{name} is required")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} '{value}' is not a number") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name} must be a positive number")
    return number


async def post_orders(request: web.Request) -> web.Response:
    """POST /orders with the cookbook's body (NOTES.md section 3.2); ``limit_price`` /
    ``stop_price`` for LMT, STP and STP LMT. Answers ``{order_id, normalized_status,
    cl_order_id}``; a read-only account is refused (403)."""
    ct = _ct(request)
    body = request[JSON_KEY]
    if not isinstance(body, dict):
        return fail("Request body must be a JSON object")
    required = ("account_id", "cl_order_id", "broker", "side", "order_qty", "order_type", "order_tif", "instrument",
                "symbol")
    missing = [name for name in required if not body.get(name)]
    if missing:
        return fail(f"Missing required field(s): {', '.join(missing)}")
    account = ct.account(str(body["account_id"]))
    if account is None or account not in _own_accounts(request):
        return fail(f"Account {body['account_id']} not found", 404)
    if account.connection_type != "trade":
        return fail(f"Account {account.account_number} at {account.institution_name} is linked read-only: "
                    "trading is not enabled for this connection", 403)
    if body["broker"] != account.broker:
        return fail(f"broker '{body['broker']}' does not match account {account.account_number} ({account.broker})")
    cl_id = str(body["cl_order_id"])
    if len(cl_id) > MAX_CL_ORDER_ID:
        return fail(f"cl_order_id must be at most {MAX_CL_ORDER_ID} characters")
    if cl_id in ct.client_ids:
        return fail(f"Duplicate cl_order_id '{cl_id}'", 409)
    try:
        order_type = ORDER_TYPES_IN[str(body["order_type"])]
    except KeyError:
        return fail(f"Invalid order_type '{body['order_type']}': use MKT, LMT, STP or STP LMT")
    try:
        side = OrderSide(str(body["side"]).upper())
        tif = TimeInForce(str(body["order_tif"]).upper())
    except ValueError:
        return fail(f"Invalid side '{body['side']}' or order_tif '{body['order_tif']}'")
    try:
        qty = _decimal(body, "order_qty")
        limit = _decimal(body, "limit_price", required=order_type.needs_limit_price) if order_type.needs_limit_price else None
        stop = _decimal(body, "stop_price", required=order_type.needs_stop_price) if order_type.needs_stop_price else None
    except ValueError as exc:
        return fail(str(exc))
    symbol = str(body["symbol"]).strip()
    if body["instrument"] == "STK":
        if symbol.upper() not in ct.paper.market.symbols:
            return fail(f"Unknown symbol '{symbol}'")
        instrument = Instrument.equity(symbol.upper())
    elif body["instrument"] == "OPT":
        found = await ct.paper.search_instruments(symbol)
        if not found or not found[0].is_option:
            return fail(f"Unknown option '{symbol}': use the OCC symbol")
        instrument = found[0]
    else:
        return fail(f"Invalid instrument '{body['instrument']}': use STK or OPT")
    try:
        paper_request = OrderRequest(connection_id=ct.paper.connection_id, account_id=PAPER_ACCOUNT,
                                     instrument=instrument, side=side, type=order_type, amount=qty, limit_price=limit,
                                     stop_price=stop, time_in_force=tif, client_order_id=cl_id)
    except ValueError as exc:
        return fail(f"Invalid order: {exc}")
    ct.client_ids[cl_id] = ""
    try:
        order = await ct.paper.create_order(paper_request)
    except BrokerError as exc:
        ct.placements += 1
        orders = await ct.paper.fetch_orders(PAPER_ACCOUNT)
        rejected = next((o for o in orders if o.client_order_id == cl_id), None)
        if rejected is not None:
            ct.client_ids[cl_id] = rejected.order_id
        return fail(f"Order rejected: {exc.message}", 422)
    ct.placements += 1
    ct.client_ids[cl_id] = order.order_id
    fills = await ct.paper.fetch_fills(PAPER_ACCOUNT)
    row = order_row(order, fills)
    return web.json_response({"order_id": row["order_id"], "cl_order_id": cl_id,
                              "normalized_status": row["normalized_status"]})


async def delete_order(request: web.Request) -> web.Response:
    """DELETE /accounts/{account_id}/orders/{order_id}: ``{"message": ...}``."""
    ct = _ct(request)
    account = ct.account(request.match_info["account_id"])
    if account is None or account not in _own_accounts(request):
        return fail(f"Account {request.match_info['account_id']} not found", 404)
    if account.connection_type != "trade":
        return fail(f"Account {account.account_number} is linked read-only: orders cannot be cancelled here", 403)
    order_id = request.match_info["order_id"]
    orders = {o.order_id: o for o in await ct.paper.fetch_orders(PAPER_ACCOUNT)}
    if order_id not in orders:
        return fail(f"Order {order_id} not found", 404)
    if not orders[order_id].is_working:
        return fail(f"Order {order_id} is {orders[order_id].status.value.lower()} and can no longer be cancelled", 422)
    try:
        await ct.paper.cancel_order(PAPER_ACCOUNT, order_id)
    except BrokerError as exc:
        return fail(exc.message, 422)
    return web.json_response({"message": "Cancel request accepted", "order_id": order_id})


def _date(text: str | None, name: str) -> date:
    if not text:
        raise ValueError(f"{name} is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"Invalid {name} '{text}': use YYYY-MM-DD") from None


async def get_transactions(request: web.Request) -> web.Response:
    """GET /transactions?start_date&end_date (inclusive, YYYY-MM-DD): trades of the
    trading account (from its fills), its opening deposit, and the read-only
    account's dividends and interest."""
    ct = _ct(request)
    try:
        start = _date(request.query.get("start_date"), "start_date")
        end = _date(request.query.get("end_date"), "end_date")
    except ValueError as exc:
        return fail(str(exc))
    if end < start:
        return fail("end_date must not be before start_date")
    rows: list[dict[str, Any]] = []
    accounts = _own_accounts(request)
    today = ct.paper.market.clock.current_date
    if TRADING_ACCOUNT in accounts:
        first = ct.paper.market.clock.now - timedelta(days=30)
        rows.append({"transaction_id": "txn_dep_1", "account_id": TRADING_ACCOUNT.account_id,
                     "transaction_type": "DEPOSIT", "date": first.date().isoformat(), "amount": "100000",
                     "description": "Initial deposit"})
        for fill in await ct.paper.fetch_fills(PAPER_ACCOUNT):
            gross = fill.amount * fill.price * fill.instrument.multiplier
            amount = -gross if fill.side is OrderSide.BUY else gross
            rows.append({"transaction_id": f"txn_{fill.fill_id}", "account_id": TRADING_ACCOUNT.account_id,
                         "transaction_type": fill.side.value, "date": fill.timestamp.date().isoformat(),
                         "symbol": fill.symbol, "quantity": num(fill.amount), "price": num(fill.price),
                         "amount": num(amount - fill.commission), "description": f"{fill.side.value.title()} "
                         f"{num(fill.amount)} {fill.symbol} @ {num(fill.price)}"})
    if READONLY_ACCOUNT in accounts:
        for i, (days, kind, symbol, amount) in enumerate(((3, "DIVIDEND", "MSFT", "9.60"), (10, "INTEREST", None, "1.27"),
                                                           (17, "DIVIDEND", "BND", "12.75"))):
            row = {"transaction_id": f"txn_tt_{i}", "account_id": READONLY_ACCOUNT.account_id,
                   "transaction_type": kind, "date": (today - timedelta(days=days)).isoformat(), "amount": amount,
                   "description": f"{kind.title()}{' ' + symbol if symbol else ''}"}
            if symbol:
                row["symbol"] = symbol
            rows.append(row)
    rows = [r for r in rows if start <= date.fromisoformat(r["date"]) <= end]
    rows.sort(key=lambda r: (r["date"], r["transaction_id"]))
    return web.json_response(rows)


# -- users and connections (NOTES.md section 2, C1) ---------------------------------------
async def post_users(request: web.Request) -> web.Response:
    ct = _ct(request)
    body = request[JSON_KEY]
    user_id = body.get("user_id") if isinstance(body, dict) else None
    if not user_id:
        return fail("user_id is required")
    if user_id in ct.users:
        return fail(f"User {user_id} already exists", 409)
    secret = "ct_usecret_" + secrets.token_urlsafe(16)
    ct.users[user_id] = secret
    return web.json_response({"user_id": user_id, "user_secret": secret})


def _connections(ct: FakeConnectTrade, request: web.Request) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for account in _own_accounts(request):
        entry = out.setdefault(account.connection_id, {"connection_id": account.connection_id,
                                                       "broker": account.broker,
                                                       "connection_type": account.connection_type, "accounts": []})
        entry["accounts"].append({"account_id": account.account_id, "account_number": account.account_number,
                                  "institution_name": account.institution_name})
    return list(out.values())


async def get_connections(request: web.Request) -> web.Response:
    return web.json_response(_connections(_ct(request), request))


async def post_connections(request: web.Request) -> web.Response:
    ct = _ct(request)
    body = request[JSON_KEY]
    if not isinstance(body, dict):
        return fail("Request body must be a JSON object")
    kind, broker = body.get("connection_type"), body.get("broker")
    if kind not in ("trade", "readonly"):
        return fail("connection_type must be trade or readonly")
    if not broker:
        return fail("broker is required")
    ref = uuid.uuid4().hex[:12]
    expires = iso(datetime.now(timezone.utc) + timedelta(minutes=10))
    ct.linking[ref] = Linking(kind, str(broker), str(body.get("redirect_url") or ""), expires)
    return web.json_response({"connection_request_url": f"{ct.base_url}/connect/{ref}", "expires_at": expires})


async def visit_link(request: web.Request) -> web.Response:
    """What the broker's OAuth page does once the user approves: the redirect
    carries ``?connection_id=...`` (the fake links no new account)."""
    ct = _ct(request)
    link = ct.linking.pop(request.match_info["ref"], None)
    if link is None:
        return web.Response(text="This link has expired.", status=410)
    connection_id = f"conn_{link.broker.lower()}_{uuid.uuid4().hex[:4]}"
    if link.redirect_url:
        raise web.HTTPFound(f"{link.redirect_url}?connection_id={connection_id}")
    return web.Response(text=f"Linked: {connection_id}")


async def delete_connection(request: web.Request) -> web.Response:
    ct = _ct(request)
    connection_id = request.match_info["connection_id"]
    if not any(a.connection_id == connection_id for a in _own_accounts(request)):
        return fail(f"Connection {connection_id} not found", 404)
    ct.accounts = [a for a in ct.accounts if a.connection_id != connection_id]
    return web.json_response({"message": f"Connection {connection_id} revoked"})


async def get_token(request: web.Request) -> web.Response:
    """GET /connections/{connection_id}/token: ``{"access_token", "expires_in"}``."""
    ct = _ct(request)
    connection_id = request.match_info["connection_id"]
    if not any(a.connection_id == connection_id for a in _own_accounts(request)):
        return fail(f"Connection {connection_id} not found", 404)
    token = ct.issue_token(connection_id)
    return web.json_response({"access_token": token.value, "expires_in": int(ct.token_ttl)})


def setup(app: web.Application) -> None:
    """Add the REST routes to ``app``."""
    r = app.router
    r.add_get("/accounts", get_accounts)
    r.add_get("/balances", get_balances)
    r.add_get("/positions", get_positions)
    r.add_get("/orders", get_orders)
    r.add_post("/orders", post_orders)
    r.add_delete("/accounts/{account_id}/orders/{order_id}", delete_order)
    r.add_get("/transactions", get_transactions)
    r.add_post("/users", post_users)
    r.add_get("/connections", get_connections)
    r.add_post("/connections", post_connections)
    r.add_delete("/connections/{connection_id}", delete_connection)
    r.add_get("/connections/{connection_id}/token", get_token)
    r.add_get("/connect/{ref}", visit_link)


__all__ = ["setup", "ACCOUNTS", "OrderStatus"]
