"""Accounts and their data at the fake SnapTrade (api.yaml Account Information,
Reference Data): accounts, balances, positions/all, orders, recentOrders, quotes,
symbol search. Each linked account is a paper advisor client account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from desktop.domain import Order

from . import replies
from .app import ACCOUNT_KEY, BODY_KEY, USER_KEY, FakeSnapTrade, fake_of
from .catalog import USD, symbol_id, universal_symbol, uid
from .records import num, order_record, position_json
from .state import LinkedAccount, iso, now_utc

STALE_BROKERAGES = frozenset({"FIDELITY"})
"""Brokerages whose positions are a day old (data_freshness.as_of), as some are."""


async def account_json(fake: FakeSnapTrade, account: LinkedAccount) -> dict[str, Any]:
    """The ``Account`` object of a linked account (balance total = net liquidation)."""
    total = None
    if fake.state.populated(account):
        balance = (await fake.paper.fetch_balances(account.brokerage.client))[0]
        total = {"amount": num(balance.net_liquidation if balance.net_liquidation is not None else balance.cash),
                 "currency": "USD"}
    synced = iso(now_utc())
    return {
        "id": account.id, "brokerage_authorization": account.authorization_id,
        "name": f"{account.brokerage.name} {'Paper' if account.brokerage.paper else 'Individual'}",
        "number": account.brokerage.number, "institution_account_id": account.brokerage.client,
        "institution_name": account.brokerage.name, "created_date": iso(account.created),
        "funding_date": None, "opening_date": None,
        "sync_status": {"transactions": {"initial_sync_completed": fake.state.populated(account),
                                         "last_successful_sync": synced[:10], "first_transaction_date": None},
                        "holdings": {"initial_sync_completed": fake.state.populated(account),
                                     "last_successful_sync": synced}},
        "balance": {"total": total}, "status": "open", "raw_type": "Margin", "account_category": "INVESTMENT",
        "meta": {}, "portfolio_group": uid("portfolio", account.id), "cash_restrictions": [],
        "is_paper": account.brokerage.paper,
    }


async def list_accounts(request: web.Request) -> web.Response:
    fake = fake_of(request)
    return web.json_response([await account_json(fake, a) for a in fake.state.accounts_of(request[USER_KEY].user_id)])


async def get_account(request: web.Request) -> web.Response:
    return web.json_response(await account_json(fake_of(request), request[ACCOUNT_KEY]))


async def balances(request: web.Request) -> web.Response:
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    rows = await fake.paper.fetch_balances(account.brokerage.client)
    return web.json_response([{"currency": USD, "cash": num(b.cash), "buying_power": num(b.buying_power)}
                              for b in rows])


async def positions(request: web.Request) -> web.Response:
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    rows = await fake.paper.fetch_positions(account.brokerage.client)
    as_of = now_utc() - (timedelta(days=1) if account.brokerage.slug in STALE_BROKERAGES else timedelta(0))
    results = [position_json(p) for p in rows] + fake.injected.pop("positions", [])
    return web.json_response({"results": results, "data_freshness": {"as_of": iso(as_of)}})


def records(fake: FakeSnapTrade, orders: list[Order]) -> list[dict[str, Any]]:
    """The AccountOrderRecords of ``orders`` with the times they were placed (wall
    clock, as SnapTrade reports them), any status a test forced and the group id of
    a multi-leg order's legs (:meth:`FakeSnapTrade.place_legs`)."""
    out = []
    for order in orders:
        placed = fake.placed_at.get(order.order_id)
        if placed is not None:
            order = order.model_copy(update={"created_at": placed, "updated_at": max(placed, fake.changed_at(order))})
        record = order_record(order, fake.state.status_override.get(order.order_id))
        record["brokerage_group_order_id"] = fake.groups.get(order.order_id)
        out.append(record)
    return out


async def orders(request: web.Request) -> web.Response:
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    state = request.query.get("state", "all")
    if state not in ("all", "open", "executed"):
        return replies.bad_input("state must be all, open or executed")
    try:
        days = int(request.query.get("days", "30"))
    except ValueError:
        return replies.bad_input("days must be a whole number from 1 to 90")
    if not 1 <= days <= 90:
        return replies.bad_input("days must be a whole number from 1 to 90")
    rows = await fake.paper.fetch_orders(account.brokerage.client)
    if state == "open":
        rows = [o for o in rows if o.is_working]
    elif state == "executed":
        rows = [o for o in rows if o.filled > 0]
    return web.json_response(records(fake, rows) + fake.injected.pop("orders", []))


async def recent_orders(request: web.Request) -> web.Response:
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    only_executed = request.query.get("only_executed", "true").lower() != "false"
    since = now_utc() - timedelta(hours=24)
    rows = [o for o in await fake.paper.fetch_orders(account.brokerage.client)
            if fake.placed_at.get(o.order_id, o.created_at) >= since and (not only_executed or o.filled > 0)]
    return web.json_response({"orders": records(fake, rows)[-100:]})


def _symbol_text(fake: FakeSnapTrade, text: str, use_ticker: bool) -> str | None:
    if use_ticker:
        return text.upper() if text.upper() in fake.paper.market.symbols else None
    return next((s for s in fake.paper.market.symbols if symbol_id(s) == text), None)


async def quotes(request: web.Request) -> web.Response:
    fake = fake_of(request)
    wanted = [s for s in request.query.get("symbols", "").split(",") if s.strip()]
    if not wanted:
        return replies.bad_input("symbols is required")
    if len(wanted) > 10:
        return replies.bad_input("At most 10 symbols can be quoted at once")
    use_ticker = request.query.get("use_ticker", "false").lower() == "true"
    out = []
    for text in wanted:
        symbol = _symbol_text(fake, text.strip(), use_ticker)
        if symbol is None:
            continue
        quote = fake.paper.market.quote(symbol)
        instrument = fake.paper.market.instrument(symbol)
        out.append({"symbol": universal_symbol(symbol, instrument.description),
                    "last_trade_price": num(quote.last), "bid_price": num(quote.bid), "ask_price": num(quote.ask),
                    "bid_size": num(quote.bid_size), "ask_size": num(quote.ask_size)})
    return web.json_response(out)


async def search(request: web.Request) -> web.Response:
    fake = fake_of(request)
    body = request[BODY_KEY] or {}
    text = body.get("substring", "") if isinstance(body, dict) else ""
    if not isinstance(text, str):
        return replies.bad_input("substring must be text")
    found = fake.paper.market.search(text)[:20] if text.strip() else []
    return web.json_response([universal_symbol(i.symbol, i.description) for i in found])


def setup(app: web.Application, prefix: str) -> None:
    r = app.router
    r.add_get(prefix + "/accounts", list_accounts)
    r.add_get(prefix + "/accounts/{id}", get_account)
    r.add_get(prefix + "/accounts/{id}/balances", balances)
    r.add_get(prefix + "/accounts/{id}/positions/all", positions)
    r.add_get(prefix + "/accounts/{id}/orders", orders)
    r.add_get(prefix + "/accounts/{id}/recentOrders", recent_orders)
    r.add_get(prefix + "/accounts/{id}/quotes", quotes)
    r.add_post(prefix + "/accounts/{id}/symbols", search)
