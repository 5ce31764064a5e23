"""Order endpoints: place (with the reply flow), reply, suppress, what-if, modify,
cancel, live orders, order status and trades.

Spec paths (OpenAPI v2.29): ``POST /iserver/account/{accountId}/orders``,
``POST /iserver/reply/{replyId}``, ``POST /iserver/questions/suppress`` (+ ``/reset``),
``POST /iserver/account/{accountId}/orders/whatif``,
``POST|DELETE /iserver/account/{accountId}/order/{orderId}``,
``GET /iserver/account/orders``, ``GET /iserver/account/order/status/{orderId}``,
``GET /iserver/account/trades``. ``{accountId}`` may be an allocation group name.
Live orders follow the FA lesson: without ``accountId`` only the *selected* account's
orders are listed, and group orders only under the group. Trades, too, are "for the
currently selected account" (IBKR's description of ``/iserver/account/trades``;
``accountId`` as ibind sends it picks another): a client's executions, a group's,
or, for the advisor account, every client's. Orders with an ``allocation_profile``
are listed under the advisor account (:mod:`.adhoc`).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from desktop.brokers.errors import BrokerError
from desktop.domain import Order

from . import adhoc, order_flow
from .app import API, GW_KEY, JSON_KEY, FakeGateway, error
from .payloads import STATUS, contract_of, live_order, order_status, trade

FILTERS = {"inactive": "Inactive", "pending_submit": "PendingSubmit", "pre_submitted": "PreSubmitted",
           "submitted": "Submitted", "filled": "Filled", "pending_cancel": "PendingCancel",
           "cancelled": "Cancelled", "warn_state": "WarnState"}


def _known_target(gw: FakeGateway, account: str) -> bool:
    return gw.is_account(account) or gw.group(account) is not None


async def _delayed(gw: FakeGateway, body: Any, status: int = 200) -> web.Response:
    if gw.state.post_delay > 0:
        await asyncio.sleep(gw.state.post_delay)
    return web.json_response(body, status=status)


async def place_orders(request: web.Request) -> web.Response:
    """Body ``{"orders": [order]}`` (a bare list is accepted as the Campus example sends)."""
    gw = request.app[GW_KEY]
    account = request.match_info["account"]
    body = request.get(JSON_KEY)
    orders = body.get("orders") if isinstance(body, dict) else body
    if not isinstance(orders, list) or not orders or not isinstance(orders[0], dict):
        return error("Request body must be {\"orders\": [...]}", 400)
    if not _known_target(gw, account):
        return error(f"Account {account} is not valid for this user", 500)
    if len(orders) > 1:
        return web.json_response({"error": "the fake gateway places one order per request (no brackets)"})
    try:
        result = await order_flow.submit(gw, account, orders[0])
    except order_flow.OrderInputError as exc:
        return web.json_response({"error": str(exc)})
    return await _delayed(gw, result)


async def reply(request: web.Request) -> web.Response:
    """``{"confirmed": bool}``; always 200 (an unknown reply id is an error body)."""
    gw = request.app[GW_KEY]
    body = request.get(JSON_KEY)
    confirmed = isinstance(body, dict) and bool(body.get("confirmed"))
    return await _delayed(gw, await order_flow.answer(gw, request.match_info["reply_id"], confirmed))


async def suppress(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    ids = (request.get(JSON_KEY) or {}).get("messageIds") or []
    gw.state.suppressed.update(str(i) for i in ids)
    return web.json_response({"status": "submitted"})


async def suppress_reset(request: web.Request) -> web.Response:
    request.app[GW_KEY].state.suppressed.clear()
    return web.json_response({"status": "submitted"})


async def whatif(request: web.Request) -> web.Response:
    """Cost and equity impact from the paper broker's ``preview_order`` (the same
    model as the paper broker's own what-if); every value a string, e.g.
    "1,977.60 USD (10 Shares)". A preview the broker refuses is ``{"error": ...}``."""
    gw = request.app[GW_KEY]
    account = request.match_info["account"]
    body = request.get(JSON_KEY) or {}
    orders = body.get("orders") if isinstance(body, dict) else body
    if not _known_target(gw, account):
        return error(f"Account {account} is not valid for this user", 500)
    try:
        req = order_flow.parse_order((orders or [{}])[0], account)
        preview = await gw.paper.preview_order(req)
    except order_flow.OrderInputError as exc:
        return web.json_response({"error": str(exc)})
    except BrokerError as exc:
        return web.json_response({"error": str(exc)})
    value, commission = preview.amount or Decimal(0), preview.commission or Decimal(0)
    equity = preview.equity_before or Decimal(0)
    change = (preview.equity_after or equity) - equity
    fmt = "{:,.2f}".format
    return web.json_response({
        "amount": {"amount": f"{fmt(value)} USD ({req.amount} Shares)", "commission": f"{fmt(commission)} USD",
                   "total": f"{fmt(value + commission)} USD"},
        "equity": {"current": fmt(equity), "change": fmt(change), "after": fmt(equity + change)},
        "initial": {"current": "0.00", "change": fmt(value), "after": fmt(value)},
        "maintenance": {"current": "0.00", "change": fmt(value), "after": fmt(value)},
        "position": {"current": "0", "change": str(req.amount), "after": str(req.amount)},
        "warn": preview.warning, "error": preview.error or None,
    })


async def _find(gw: FakeGateway, ibkr_id: int) -> tuple[str, Order] | None:
    """(account or group it was placed to, the order as IBKR shows it) or None."""
    if (rec := gw.state.adhoc.get(ibkr_id)) is not None:
        return rec.account, await adhoc.view_of(gw, rec)
    found = gw.state.paper_ids.get(ibkr_id)
    if found is None:
        return None
    account, paper_id = found
    try:
        orders = await gw.paper.fetch_orders(account)
    except BrokerError:
        return None
    for order in orders:
        if order.order_id == paper_id:
            return account, order
    return None


def _wanted(order: Order, body: dict[str, Any], account: str):
    """The modified order the body asks for (it repeats every field; conid optional)."""
    return order_flow.parse_order({**body, "conid": body.get("conid", contract_of(order.symbol).conid)}, account)


async def apply_modify(gw: FakeGateway, account: str, ibkr_id: str, body: dict[str, Any]) -> list[dict] | dict:
    """Change quantity/prices of order ``ibkr_id`` to the values in ``body``."""
    found = await _find(gw, int(ibkr_id))
    if found is None or found[0] != account:
        return {"error": f"OrderID {ibkr_id} doesn't exist"}
    _acct, order = found
    try:
        wanted = _wanted(order, body, account)
        if (rec := gw.state.adhoc.get(int(ibkr_id))) is not None:
            updated = await adhoc.modify(gw, rec, wanted, order_flow.confirm_all)
        else:
            updated = await gw.paper.modify_order(account, order.order_id, amount=wanted.amount,
                                                  limit_price=wanted.limit_price, stop_price=wanted.stop_price,
                                                  confirm=order_flow.confirm_all)
    except (order_flow.OrderInputError, adhoc.AllocationProfileError, BrokerError) as exc:
        return {"error": str(exc)}
    gw.state.placements += 1
    return [{"order_id": ibkr_id, "order_status": STATUS[updated.status], "encrypt_message": "1"}]


async def _modify_questions(gw: FakeGateway, account: str, ibkr_id: str, body: dict) -> list[tuple[str, ...]]:
    """``state.modify_questions`` when set, else ``o163`` for a new limit far from the market."""
    if gw.state.modify_questions is not None:
        asked = list(gw.state.modify_questions)
    else:
        found = await _find(gw, int(ibkr_id))
        asked = []
        if found is not None:
            try:
                far = order_flow.price_question(gw, _wanted(found[1], body, account))
            except order_flow.OrderInputError:
                far = None  # apply_modify answers the error
            asked = [far] if far is not None else []
    return [q for q in asked if not set(q) <= gw.state.suppressed]


async def modify(request: web.Request) -> web.Response:
    """Body: one order object (not a list) repeating every field."""
    gw = request.app[GW_KEY]
    account, ibkr_id = request.match_info["account"], request.match_info["order_id"]
    body = request.get(JSON_KEY)
    if not isinstance(body, dict) or not ibkr_id.isdigit():
        return error("modify takes a single order object", 400)
    questions = await _modify_questions(gw, account, ibkr_id, body)
    if questions:
        pending = order_flow.PendingReply("modify", account, {"body": body, "desc": "modify"}, questions, ibkr_id)
        return web.json_response(order_flow.question_payload(gw, pending))
    return web.json_response(await apply_modify(gw, account, ibkr_id, body))


async def cancel(request: web.Request) -> web.Response:
    """``{"msg": "Request was submitted", "order_id", "conid", "account"}`` (strings)."""
    gw = request.app[GW_KEY]
    account, ibkr_id = request.match_info["account"], request.match_info["order_id"]
    found = await _find(gw, int(ibkr_id)) if ibkr_id.isdigit() else None
    if found is None or found[0] != account:
        return web.json_response({"error": f"OrderID {ibkr_id} doesn't exist"})
    _acct, order = found
    try:
        if (rec := gw.state.adhoc.get(int(ibkr_id))) is not None:
            await adhoc.cancel(gw, rec)
        else:
            await gw.paper.cancel_order(account, order.order_id)
    except BrokerError as exc:
        return web.json_response({"error": str(exc)})
    return web.json_response({"msg": "Request was submitted", "order_id": ibkr_id,
                              "conid": str(contract_of(order.symbol).conid), "account": account})


async def listed_orders(gw: FakeGateway, account: str) -> list[dict]:
    """Live-order rows of ``account`` (a client, a group, or the advisor account,
    which holds the ``allocation_profile`` orders); their children are not listed."""
    rows = [live_order(await adhoc.view_of(gw, rec), rec.ibkr_id, account)
            for rec in gw.state.adhoc.values() if rec.account == account]
    try:
        orders = await gw.paper.fetch_orders(account) if _known_target(gw, account) else []
    except BrokerError:  # e.g. the master, which holds no orders of its own
        orders = []
    rows += [live_order(o, gw.state.ibkr_order_id(account, o.order_id), account) for o in orders
             if adhoc.parent_of(gw, o.order_id) is None]
    return rows


async def live_orders(request: web.Request) -> web.Response:
    """``{"orders": [...], "snapshot": true}`` for ``accountId`` or the selected account."""
    gw = request.app[GW_KEY]
    if request.query.get("force", "").lower() == "true":
        return web.json_response({"orders": [], "snapshot": False})
    account = request.query.get("accountId") or gw.state.selected_account
    wanted = {FILTERS[f] for f in request.query.get("filters", "").split(",") if f in FILTERS}
    rows = [row for row in await listed_orders(gw, account) if not wanted or row["status"] in wanted]
    rows += gw.injected("orders")
    return web.json_response({"orders": rows, "snapshot": True})


async def single_status(request: web.Request) -> web.Response:
    gw = request.app[GW_KEY]
    raw = request.match_info["order_id"]
    found = await _find(gw, int(raw)) if raw.isdigit() else None
    if found is None:
        return error(f"OrderID {raw} doesn't exist", 400)
    account, order = found
    return web.json_response(order_status(order, int(raw), account))


async def trade_rows(gw: FakeGateway, target: str, since) -> list[dict]:
    """Execution rows of ``target`` since ``since``, newest first: a client's own (its
    group and allocation-profile shares included), a group's (every client's fills
    of that group's orders), or every client's for the advisor account / "All"."""
    group = gw.group(target)
    clients = gw.client_ids if group is not None or target in (gw.master_id, "All") else [target]
    rows = []
    for acct in clients:
        try:
            fills = await gw.paper.fetch_fills(acct, since)
        except BrokerError:
            continue
        for fill in fills:
            if group is not None and fill.allocation_group != group.name:
                continue
            parent = adhoc.parent_of(gw, fill.order_id)
            placed_to = parent.account if parent is not None else fill.allocation_group or fill.account_id
            rows.append(trade(fill, gw.state.ibkr_order_id(placed_to, fill.order_id), placed_to))
    rows.sort(key=lambda r: r["trade_time_r"], reverse=True)
    return rows


async def trades(request: web.Request) -> web.Response:
    """Executions of the selected account (or ``accountId``), newest first, for the
    last ``days`` (1-7; default: today only). See :func:`trade_rows`."""
    gw = request.app[GW_KEY]
    try:
        days = max(1, min(7, int(request.query.get("days", "1"))))
    except ValueError:
        return error("days must be 1..7", 400)
    target = request.query.get("accountId") or gw.state.selected_account
    if gw.group(target) is None and not gw.is_account(target) and target != "All":
        return error(f"Account {target} is not valid for this user", 500)
    since = gw.paper.replay_now - timedelta(days=days)
    return web.json_response(await trade_rows(gw, target, since))


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post(API + "/iserver/account/{account}/orders", place_orders)
    r.add_post(API + "/iserver/account/{account}/orders/whatif", whatif)
    r.add_post(API + "/iserver/reply/{reply_id}", reply)
    r.add_post(API + "/iserver/questions/suppress", suppress)
    r.add_post(API + "/iserver/questions/suppress/reset", suppress_reset)
    r.add_post(API + "/iserver/account/{account}/order/{order_id}", modify)
    r.add_delete(API + "/iserver/account/{account}/order/{order_id}", cancel)
    r.add_get(API + "/iserver/account/orders", live_orders)
    r.add_get(API + "/iserver/account/order/status/{order_id}", single_status)
    r.add_get(API + "/iserver/account/trades", trades)
