"""Account activities at the fake SnapTrade (api.yaml
``AccountInformation_getAccountActivities``: GET /accounts/{id}/activities ->
``PaginatedUniversalActivity``): the linked account's paper fills as BUY/SELL
transactions, newest first (``external_reference_id`` = the order's
brokerage_order_id, as brokerages relate an order's transactions), plus any rows a
test added with :meth:`FakeSnapTrade.add_activity` (older trades, dividends...).
Query ``offset``, ``limit`` (default 1000) and ``type`` (comma-separated) apply."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from desktop.domain import Fill, OrderSide

from . import replies
from .app import ACCOUNT_KEY, fake_of
from .catalog import USD, uid, universal_symbol
from .records import num
from .state import LinkedAccount, iso


def activity_json(account: LinkedAccount, fill: Fill) -> dict[str, Any]:
    """The ``AccountUniversalActivity`` of a paper fill."""
    instrument = fill.instrument
    buy = fill.side is OrderSide.BUY
    multiplier = instrument.multiplier if instrument.is_option else 1
    option = None
    if instrument.is_option:
        contract = instrument.option
        option = {"id": uid("option", instrument.symbol), "ticker": instrument.symbol,
                  "option_type": "CALL" if contract.right.value.startswith("C") else "PUT",
                  "strike_price": num(contract.strike), "expiration_date": contract.expiry.isoformat(),
                  "is_mini_option": False, "underlying_symbol": universal_symbol(contract.underlying)}
    value = fill.amount * fill.price * multiplier
    return {
        "id": uid("activity", account.id, fill.fill_id),
        "symbol": None if instrument.is_option else universal_symbol(instrument.symbol, instrument.description),
        "option_symbol": option, "price": num(fill.price), "units": num(fill.amount),
        "amount": num(-(value + fill.commission) if buy else value - fill.commission), "currency": USD,
        "type": "BUY" if buy else "SELL",
        "option_type": (("BUY" if buy else "SELL") + "_TO_OPEN") if instrument.is_option else "",
        "description": f"{'Bought' if buy else 'Sold'} {fill.amount} {instrument.symbol} @ {fill.price}",
        "trade_date": iso(fill.timestamp), "settlement_date": iso(fill.timestamp), "fee": num(fill.commission),
        "fx_rate": None, "institution": account.brokerage.name, "external_reference_id": fill.order_id,
    }


async def activities(request: web.Request) -> web.Response:
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    try:
        offset = int(request.query.get("offset", "0"))
        limit = int(request.query.get("limit", "1000"))
    except ValueError:
        return replies.bad_input("offset and limit must be whole numbers")
    if offset < 0 or limit < 1:
        return replies.bad_input("offset must be 0 or more and limit 1 or more")
    types = {t.strip().upper() for t in request.query.get("type", "").split(",") if t.strip()}
    fills = await fake.paper.fetch_fills(account.brokerage.client)
    rows = [activity_json(account, f) for f in fills] + fake.extra_activities.get(account.id, [])
    rows = [r for r in rows if not types or str(r.get("type", "")).upper() in types]
    rows.sort(key=lambda r: r.get("trade_date") or "", reverse=True)
    return web.json_response({"data": rows[offset:offset + limit],
                              "pagination": {"offset": offset, "limit": limit, "total": len(rows)}})


def setup(app: web.Application, prefix: str) -> None:
    app.router.add_get(prefix + "/accounts/{id}/activities", activities)
