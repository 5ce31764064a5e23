"""``/trade/config``, ``/trade/accounts/...``, ``/trade/orders/{id}`` and
``/trade/positions/{id}`` (specs/tradelocker/NOTES.md sections 4 and 5). Lists are
arrays of arrays laid out by the config's (shuffled) columns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from .columns import zip_row
from .engine import FakeOrder, Refused
from .place import parse_order
from .wire import decimal_field, fail, int_field, num, ok

CENT = Decimal("0.01")


def _fake(request: web.Request):
    from .app import FAKE_KEY

    return request.app[FAKE_KEY]


async def _json(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    try:
        return await request.json()
    except ValueError:
        raise Refused("The body must be JSON") from None


def _account_id(request: web.Request) -> str:
    from .app import ACCOUNT_KEY

    return request[ACCOUNT_KEY].account_id


def _rows(fake, kind: str, config: str, items: list[dict[str, Any]]) -> list[list[Any]]:
    columns = fake.columns[config]
    return [zip_row(columns, values) for values in [*items, *fake.injected.rows.get(kind, [])]]


def order_values(o: FakeOrder) -> dict[str, Any]:
    """An order's row values by column id (text numbers and ids)."""
    return {"id": str(o.oid), "tradableInstrumentId": str(o.inst.tid), "routeId": str(o.route_id), "qty": num(o.qty),
            "side": o.side, "type": o.type, "status": o.status, "filledQty": num(o.filled_qty),
            "avgPrice": num(o.avg_price) if o.avg_price is not None else "0", "price": num(o.price),
            "stopPrice": num(o.stop_price), "validity": o.validity, "expireDate": None,
            "createdDate": str(o.created), "lastModified": str(o.modified), "isOpen": "true" if o.is_open else "false",
            "positionId": str(o.position_id) if o.position_id is not None else "0", "stopLoss": num(o.stop_loss),
            "stopLossType": o.stop_loss_type, "takeProfit": num(o.take_profit), "takeProfitType": o.take_profit_type,
            "strategyId": o.strategy_id}


async def config(request: web.Request) -> web.Response:
    return ok(_fake(request).config())


async def accounts(request: web.Request) -> web.Response:
    fake = _fake(request)
    return ok([{"id": a.account_id, "accNum": a.acc_num, "name": a.name, "currency": a.currency,
                "tradingRules": {"hedging": True}, "riskRules": {}} for a in fake.engine.accounts.values()])


async def instruments(request: web.Request) -> web.Response:
    return ok({"instruments": [inst.listing() for inst in _fake(request).catalog]})


async def state(request: web.Request) -> web.Response:
    fake = _fake(request)
    eng, account_id = fake.engine, _account_id(request)
    acct = eng.accounts[account_id]
    equity = eng.equity(account_id)
    margin = eng.used_margin(account_id)
    open_pnl = equity - acct.cash
    values = {"balance": acct.cash, "projectedBalance": equity, "availableFunds": equity - margin,
              "blockedBalance": margin, "cashBalance": acct.cash, "unsettledCash": 0, "withdrawalAvailable": acct.cash,
              "stocksValue": 0, "optionValue": 0, "initialMarginReq": margin, "maintMarginReq": margin / 2,
              "marginWarningLevel": margin * Decimal("0.8"), "blockedForStocks": 0, "stockOrdersReq": 0,
              "stopOutLevel": margin / 2, "warningMarginReq": margin * Decimal("0.8"),
              "marginBeforeWarning": equity - margin, "todayGross": acct.today_gross, "todayNet": acct.today_gross,
              "todayFees": 0, "todayVolume": acct.today_volume, "todayTradesCount": acct.today_trades,
              "openGrossPnL": open_pnl, "openNetPnL": open_pnl,
              "positionsCount": sum(1 for p in eng.positions.values() if p.account_id == account_id),
              "ordersCount": sum(1 for o in eng.orders.values() if o.account_id == account_id and o.is_open)}
    row = [float(Decimal(values[c]).quantize(CENT)) if not isinstance(values[c], int) else values[c]
           for c in fake.columns["accountDetailsConfig"]]
    return ok({"accountDetailsData": row})


async def positions(request: web.Request) -> web.Response:
    fake = _fake(request)
    eng, account_id = fake.engine, _account_id(request)
    items = [{"id": str(p.pid), "tradableInstrumentId": str(p.inst.tid), "routeId": str(p.route_id), "side": p.side,
              "qty": num(p.qty), "avgPrice": num(p.avg_price),
              "stopLossId": str(p.sl_order) if p.sl_order else None,
              "takeProfitId": str(p.tp_order) if p.tp_order else None, "openDate": str(p.opened),
              "unrealizedPl": num(eng.pnl(p).quantize(CENT)), "strategyId": p.strategy_id}
             for p in eng.positions.values() if p.account_id == account_id]
    return ok({"positions": _rows(fake, "positions", "positionsConfig", items)})


def _in_range(request: web.Request, o: FakeOrder) -> bool:
    q = request.query
    if "tradableInstrumentId" in q and str(o.inst.tid) != q["tradableInstrumentId"]:
        return False
    if "from" in q and o.created < int_field(q["from"], "from"):
        return False
    if "to" in q and o.created > int_field(q["to"], "to"):
        return False
    return True


async def orders(request: web.Request) -> web.Response:
    fake = _fake(request)
    account_id = _account_id(request)
    items = [order_values(o) for o in fake.engine.orders.values()
             if o.account_id == account_id and o.is_open and _in_range(request, o)]
    return ok({"orders": _rows(fake, "orders", "ordersConfig", items)})


async def orders_history(request: web.Request) -> web.Response:
    fake = _fake(request)
    account_id = _account_id(request)
    items = [order_values(o) for o in fake.engine.orders.values()
             if o.account_id == account_id and not o.is_open and _in_range(request, o)]
    return ok({"ordersHistory": _rows(fake, "ordersHistory", "ordersHistoryConfig", items)})


async def executions(request: web.Request) -> web.Response:
    fake = _fake(request)
    account_id = _account_id(request)
    mine = {o.oid for o in fake.engine.orders.values() if o.account_id == account_id}
    items = [{"id": str(e.eid), "price": num(e.price), "side": e.side, "createdDate": str(e.created),
              "qty": num(e.qty), "orderId": str(e.order_id), "positionId": str(e.position_id),
              "tradableInstrumentId": str(e.tid)} for e in fake.engine.executions if e.order_id in mine]
    return ok({"executions": _rows(fake, "executions", "filledOrdersConfig", items)})


async def place(request: web.Request) -> web.Response:
    fake = _fake(request)
    fields = parse_order(await _json(request), fake.by_tid)
    inst = fields.pop("inst")
    order = fake.engine.place(_account_id(request), inst, **fields)
    return ok({"orderId": str(order.oid)})


async def cancel_all(request: web.Request) -> web.Response:
    fake = _fake(request)
    account_id = _account_id(request)
    tid = request.query.get("tradableInstrumentId")
    for o in list(fake.engine.orders.values()):
        if o.account_id == account_id and o.is_open and o.role == "entry" and (tid is None or str(o.inst.tid) == tid):
            fake.engine.cancel(account_id, o.oid)
    return ok({})


async def modify_order(request: web.Request) -> web.Response:
    fake = _fake(request)
    body = await _json(request)
    if not isinstance(body, dict) or not body:
        raise Refused("Nothing to modify: send price, stopPrice, qty, stopLoss or takeProfit")
    oid = int_field(request.match_info["order_id"], "orderId")
    fake.engine.modify(_account_id(request), oid, body, decimal_field)
    return ok({})


async def cancel_order(request: web.Request) -> web.Response:
    fake = _fake(request)
    fake.engine.cancel(_account_id(request), int_field(request.match_info["order_id"], "orderId"))
    return ok({})


async def close_position(request: web.Request) -> web.Response:
    fake = _fake(request)
    body = await _json(request)
    qty = decimal_field(body, "qty") if isinstance(body, dict) else None
    pid = int_field(request.match_info["position_id"], "positionId")
    fake.engine.close_position(_account_id(request), pid, qty or Decimal(0))
    return ok({})


async def modify_position(request: web.Request) -> web.Response:
    fake = _fake(request)
    body = await _json(request)
    if not isinstance(body, dict) or not ({"stopLoss", "takeProfit"} & set(body)):
        raise Refused("Nothing to modify: send stopLoss and/or takeProfit")
    pid = int_field(request.match_info["position_id"], "positionId")
    sl, tp = decimal_field(body, "stopLoss"), decimal_field(body, "takeProfit")
    sl_type = body.get("stopLossType") or "absolute"
    if sl is not None and sl_type not in ("absolute", "offset", "trailingOffset"):
        raise Refused(f"stopLossType must be absolute, offset or trailingOffset, not {sl_type!r}")
    fake.engine.set_protection(_account_id(request), pid, sl, tp, "stopLoss" in body and sl is None,
                               "takeProfit" in body and tp is None, sl_type=sl_type)
    return ok({})


async def close_all(request: web.Request) -> web.Response:
    fake = _fake(request)
    account_id = _account_id(request)
    tid = request.query.get("tradableInstrumentId")
    for p in list(fake.engine.positions.values()):
        if p.account_id == account_id and (tid is None or str(p.inst.tid) == tid):
            fake.engine.close_position(account_id, p.pid, Decimal(0))
    return ok({})


def add(app: web.Application, base: str) -> None:
    r = app.router
    a = base + "/trade/accounts/{account_id}"
    r.add_get(base + "/trade/config", config)
    r.add_get(base + "/trade/accounts", accounts)
    r.add_get(a + "/instruments", instruments)
    r.add_get(a + "/state", state)
    r.add_get(a + "/positions", positions)
    r.add_delete(a + "/positions", close_all)
    r.add_get(a + "/orders", orders)
    r.add_post(a + "/orders", place)
    r.add_delete(a + "/orders", cancel_all)
    r.add_get(a + "/ordersHistory", orders_history)
    r.add_get(a + "/executions", executions)
    r.add_patch(base + "/trade/orders/{order_id}", modify_order)
    r.add_delete(base + "/trade/orders/{order_id}", cancel_order)
    r.add_patch(base + "/trade/positions/{position_id}", modify_position)
    r.add_delete(base + "/trade/positions/{position_id}", close_position)


__all__ = ["add", "fail"]
