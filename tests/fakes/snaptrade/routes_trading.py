"""Trading at the fake SnapTrade (api.yaml Trading): check impact, place a checked
trade by its id (5-minute life), place without a check (``/trade/place``, equities by
universal_symbol_id, options by OCC symbol), cancel and replace, multi-leg orders
(``/accounts/{id}/trading/options``: MARKET legs, records sharing a group id). Orders go to the
linked account's paper client account; a read-only connection or brokerage refuses
(403, code 1066)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from desktop.brokers.errors import BrokerError, NotFoundError
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderType, TimeInForce
from desktop.domain.occ import OccSymbolError, parse_occ
from desktop.domain.options import PositionEffect

from . import replies
from .app import ACCOUNT_KEY, BODY_KEY, USER_KEY, FakeSnapTrade, fake_of
from .catalog import USD, symbol_id
from .records import num, order_record
from .routes_accounts import records
from .state import TRADE_LIFETIME, CheckedTrade, LinkedAccount, now_utc

ORDER_TYPES = {"Market": OrderType.MARKET, "Limit": OrderType.LIMIT, "Stop": OrderType.STOP,
               "StopLimit": OrderType.STOP_LIMIT}
TIFS = {"Day": TimeInForce.DAY, "GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC, "FOK": TimeInForce.FOK}
EQUITY_ACTIONS = {"BUY": OrderSide.BUY, "SELL": OrderSide.SELL}
OPTION_ACTIONS = {"BUY_TO_OPEN": (OrderSide.BUY, PositionEffect.OPEN), "BUY_TO_CLOSE": (OrderSide.BUY, PositionEffect.CLOSE),
                  "SELL_TO_OPEN": (OrderSide.SELL, PositionEffect.OPEN),
                  "SELL_TO_CLOSE": (OrderSide.SELL, PositionEffect.CLOSE)}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


class Refused(Exception):
    """A request the fake refuses: ``response`` is the answer."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _number(body: dict[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Refused(replies.bad_input(f"{name} must be a number"))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Refused(replies.bad_input(f"{name} must be a number")) from None
    if not number.is_finite() or number <= 0:
        raise Refused(replies.bad_input(f"{name} must be a positive number"))
    return number


def _may_trade(account: LinkedAccount, fake: FakeSnapTrade) -> None:
    auth = fake.state.authorizations[account.authorization_id]
    if not account.brokerage.allows_trading:
        raise Refused(replies.no_permission(f"{account.brokerage.name} does not support trading through SnapTrade"))
    if auth.type != "trade":
        raise Refused(replies.no_permission("This connection is read-only; reconnect it with trading access to trade"))
    if auth.disabled:
        raise Refused(replies.detail_error(402, "This connection is disabled; reconnect it first", 3003))


def _order_request(fake: FakeSnapTrade, account: LinkedAccount, body: Any, *, options: bool) -> OrderRequest:
    """The paper OrderRequest of a ManualTradeForm(WithOptions) ``body``; Refused when invalid."""
    if not isinstance(body, dict):
        raise Refused(replies.bad_input("The body must be an object"))
    for name in ("account_id", "action", "order_type", "time_in_force"):
        if body.get(name) in (None, ""):
            raise Refused(replies.bad_input(f"{name} is required"))
    if body["account_id"] != account.id:
        raise Refused(replies.not_found(f"Account {body['account_id']}"))
    kind = ORDER_TYPES.get(body["order_type"])
    tif = TIFS.get(body["time_in_force"])
    if kind is None:
        raise Refused(replies.bad_input("order_type must be one of Limit, Market, StopLimit, Stop"))
    if tif is None:
        raise Refused(replies.bad_input("time_in_force must be one of FOK, Day, GTC, IOC"))
    price, stop = _number(body, "price"), _number(body, "stop")
    units, notional = _number(body, "units"), _number(body, "notional_value")
    if kind.needs_limit_price and price is None:
        raise Refused(replies.bad_input(f"price is required for {body['order_type']} orders"))
    if kind.needs_stop_price and stop is None:
        raise Refused(replies.bad_input(f"stop is required for {body['order_type']} orders"))
    if (units is None) == (notional is None):
        raise Refused(replies.bad_input("Exactly one of units and notional_value must be given"))
    client_id = body.get("client_order_id")
    if client_id is not None and not (isinstance(client_id, str) and _UUID.match(client_id)):
        raise Refused(replies.bad_input("client_order_id must be a UUID"))
    symbol, universal = body.get("symbol"), body.get("universal_symbol_id")
    if (symbol is None) == (universal is None):
        raise Refused(replies.bad_input("Exactly one of symbol and universal_symbol_id must be given"))
    effect = None
    if symbol is not None:
        if not options:
            raise Refused(replies.bad_input("universal_symbol_id is required"))
        if not account.brokerage.options:
            raise Refused(replies.bad_input(f"{account.brokerage.name} does not trade options through SnapTrade"))
        if not isinstance(symbol, str) or len(symbol) != 21:
            raise Refused(replies.bad_input("symbol must be a 21-character OCC option symbol"))
        try:
            contract = parse_occ(symbol)
        except OccSymbolError as exc:
            raise Refused(replies.bad_input(f"symbol is not an OCC option symbol: {exc}")) from None
        if body["action"] not in OPTION_ACTIONS:
            raise Refused(replies.bad_input("action must be BUY_TO_OPEN, BUY_TO_CLOSE, SELL_TO_OPEN or SELL_TO_CLOSE"))
        side, effect = OPTION_ACTIONS[body["action"]]
        instrument = Instrument.for_option(contract)
    else:
        found = next((s for s in fake.paper.market.symbols if symbol_id(s) == universal), None)
        if found is None:
            raise Refused(replies.not_found(f"Symbol {universal}"))
        if body["action"] not in EQUITY_ACTIONS:
            raise Refused(replies.bad_input("action must be BUY or SELL for a share"))
        side = EQUITY_ACTIONS[body["action"]]
        instrument = fake.paper.market.instrument(found)
    if notional is not None:
        if not account.brokerage.fractional:
            raise Refused(replies.bad_input(f"{account.brokerage.name} does not take notional (dollar) orders"))
        if kind is not OrderType.MARKET or tif is not TimeInForce.DAY:
            raise Refused(replies.bad_input("notional_value orders must be Market and Day"))
        last = fake.paper.market.last_price(instrument.symbol) or Decimal(0)
        units = (notional / last).to_integral_value(rounding="ROUND_FLOOR") if last > 0 else Decimal(0)
        if units <= 0:
            raise Refused(replies.bad_input("notional_value buys less than one share"))
    try:
        return OrderRequest(connection_id=fake.paper.connection_id, account_id=account.brokerage.client,
                            instrument=instrument, side=side, type=kind, amount=units, limit_price=price,
                            stop_price=stop, time_in_force=tif, position_effect=effect,
                            client_order_id=client_id or uuid.uuid4().hex)
    except ValueError as exc:
        raise Refused(replies.bad_input(str(exc).splitlines()[-1].strip())) from None


async def _place(fake: FakeSnapTrade, request: OrderRequest) -> web.Response:
    try:
        order = await fake.paper.create_order(request)
    except BrokerError as exc:
        return replies.bad_input(f"The brokerage rejected the order: {exc.message}")
    fake.placed_at.setdefault(order.order_id, now_utc())
    return web.json_response(records(fake, [order])[0])


async def impact(request: web.Request) -> web.Response:
    fake = fake_of(request)
    body = request[BODY_KEY]
    account = fake.state.accounts.get(body.get("account_id", "")) if isinstance(body, dict) else None
    if account is None or account.user_id != request[USER_KEY].user_id:
        return replies.not_found("Account")
    try:
        _may_trade(account, fake)
        order = _order_request(fake, account, body, options=False)
    except Refused as refused:
        return refused.response
    price = order.limit_price or fake.paper.market.last_price(order.symbol) or Decimal(0)
    commission = fake.paper.estimate_commission(order, price) or Decimal(0)
    balance = (await fake.paper.fetch_balances(account.brokerage.client))[0]
    cost = order.amount * price * order.side.sign
    remaining = balance.cash - cost - commission
    trade = CheckedTrade(uuid.uuid4().hex, account.user_id, account.id, dict(body), fake.state.clock() + TRADE_LIFETIME)
    fake.state.trades[trade.id] = trade
    account_simple = {"id": account.id, "name": f"{account.brokerage.name}", "number": account.brokerage.number,
                      "sync_status": {}}
    return web.json_response({
        "trade": {"id": trade.id, "account": account.id, "order_type": body["order_type"],
                  "time_in_force": body["time_in_force"],
                  "symbol": {"universal_symbol_id": body["universal_symbol_id"], "currency": USD,
                             "brokerage_symbol_id": symbol_id(order.symbol + ":" + account.id)},
                  "action": body["action"], "units": num(order.amount), "price": num(price)},
        "trade_impacts": [{"account": account.id, "currency": USD["id"], "remaining_cash": num(remaining),
                           "estimated_commission": num(commission), "forex_fees": 0}],
        "combined_remaining_balance": {"account": account_simple, "currency": USD, "cash": num(remaining)},
    })


async def place_checked(request: web.Request) -> web.Response:
    fake = fake_of(request)
    trade = fake.state.trades.get(request.match_info["trade_id"])
    if trade is None or trade.user_id != request[USER_KEY].user_id:
        return replies.not_found("Trade")
    if trade.placed:
        return replies.bad_input("This trade has already been placed")
    if fake.state.clock() > trade.expires:
        return replies.bad_input("This trade has expired (trades last 5 minutes); check its impact again")
    account = fake.state.accounts.get(trade.account_id)
    if account is None:
        return replies.not_found("Account")
    try:
        _may_trade(account, fake)
        order = _order_request(fake, account, trade.body, options=False)
    except Refused as refused:
        return refused.response
    trade.placed = True
    return await _place(fake, order)


async def place(request: web.Request) -> web.Response:
    fake = fake_of(request)
    body = request[BODY_KEY]
    account = fake.state.accounts.get(body.get("account_id", "")) if isinstance(body, dict) else None
    if account is None or account.user_id != request[USER_KEY].user_id:
        return replies.not_found("Account")
    if not fake.state.populated(account):
        return replies.populating()
    try:
        _may_trade(account, fake)
        order = _order_request(fake, account, body, options=True)
    except Refused as refused:
        return refused.response
    return await _place(fake, order)


async def cancel(request: web.Request) -> web.Response:
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    body = request[BODY_KEY]
    order_id = body.get("brokerage_order_id") if isinstance(body, dict) else None
    if not isinstance(order_id, str) or not order_id:
        return replies.bad_input("brokerage_order_id is required")
    try:
        _may_trade(account, fake)
        order = await fake.paper.cancel_order(account.brokerage.client, order_id)
    except Refused as refused:
        return refused.response
    except NotFoundError:
        return replies.not_found(f"Order {order_id}")
    except BrokerError as exc:
        return replies.bad_input(f"The order cannot be canceled: {exc.message}")
    return web.json_response({"brokerage_order_id": order.order_id, "raw_response": {"status": order.status.value}})


async def replace(request: web.Request) -> web.Response:
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    body = request[BODY_KEY]
    if not isinstance(body, dict) or not body.get("brokerage_order_id"):
        return replies.bad_input("brokerage_order_id is required")
    try:
        _may_trade(account, fake)
        price, stop, units = _number(body, "price"), _number(body, "stop"), _number(body, "units")
        order = await fake.paper.modify_order(account.brokerage.client, body["brokerage_order_id"], amount=units,
                                              limit_price=price, stop_price=stop)
    except Refused as refused:
        return refused.response
    except NotFoundError:
        return replies.not_found(f"Order {body['brokerage_order_id']}")
    except BrokerError as exc:
        return replies.bad_input(f"The order cannot be replaced: {exc.message}")
    return web.json_response(order_record(order) | records(fake, [order])[0])


def setup(app: web.Application, prefix: str) -> None:
    r = app.router
    r.add_post(prefix + "/trade/impact", impact)
    r.add_post(prefix + "/trade/place", place)
    r.add_post(prefix + "/trade/{trade_id}", place_checked)
    r.add_post(prefix + "/accounts/{id}/trading/cancel", cancel)
    r.add_post(prefix + "/accounts/{id}/trading/replace", replace)
    setup_mleg(app, prefix)


MLEG_ACTIONS = {"BUY": (OrderSide.BUY, None), "SELL": (OrderSide.SELL, None), **OPTION_ACTIONS}


def _mleg_legs(fake: FakeSnapTrade, account: LinkedAccount, body: Any) -> list[OrderRequest]:
    """The paper OrderRequests of a ``MlegTradeForm`` (market legs); Refused when invalid."""
    if not isinstance(body, dict) or not isinstance(body.get("legs"), list) or not body["legs"]:
        raise Refused(replies.bad_input("legs is required"))
    if body.get("order_type") not in ("MARKET", "LIMIT", "STOP_LOSS_MARKET", "STOP_LOSS_LIMIT"):
        raise Refused(replies.bad_input("order_type must be one of MARKET, LIMIT, STOP_LOSS_MARKET, STOP_LOSS_LIMIT"))
    if body["order_type"] != "MARKET":  # a net price over legs is beyond the paper market
        raise Refused(replies.bad_input("This brokerage takes MARKET multi-leg orders only"))
    tif = TIFS.get(body.get("time_in_force"))
    if tif is None:
        raise Refused(replies.bad_input("time_in_force must be one of FOK, Day, GTC, IOC"))
    legs = []
    for leg in body["legs"]:
        instrument = leg.get("instrument") if isinstance(leg, dict) else None
        units = leg.get("units") if isinstance(leg, dict) else None
        if not isinstance(instrument, dict) or not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise Refused(replies.bad_input("each leg needs an instrument and whole units above 0"))
        if leg.get("action") not in MLEG_ACTIONS:
            raise Refused(replies.bad_input("action must be BUY, SELL, BUY_TO_OPEN, BUY_TO_CLOSE, SELL_TO_OPEN or "
                                            "SELL_TO_CLOSE"))
        side, effect = MLEG_ACTIONS[leg["action"]]
        symbol = instrument.get("symbol")
        if instrument.get("instrument_type") == "OPTION":
            if not isinstance(symbol, str) or len(symbol) != 21 or effect is None:
                raise Refused(replies.bad_input("an OPTION leg needs a 21-character OCC symbol and a TO_OPEN or "
                                                "TO_CLOSE action"))
            try:
                target = Instrument.for_option(parse_occ(symbol))
            except OccSymbolError as exc:
                raise Refused(replies.bad_input(f"symbol is not an OCC option symbol: {exc}")) from None
        elif instrument.get("instrument_type") == "EQUITY" and effect is None:
            if not isinstance(symbol, str) or symbol.upper() not in fake.paper.market.symbols:
                raise Refused(replies.not_found(f"Symbol {symbol}"))
            target = fake.paper.market.instrument(symbol.upper())
        else:
            raise Refused(replies.bad_input("instrument_type must be OPTION (with a TO_OPEN/TO_CLOSE action) or "
                                            "EQUITY (BUY or SELL)"))
        legs.append(OrderRequest(connection_id=fake.paper.connection_id, account_id=account.brokerage.client,
                                 instrument=target, side=side, type=OrderType.MARKET, amount=Decimal(units),
                                 time_in_force=tif, position_effect=effect))
    return legs


async def place_mleg(request: web.Request) -> web.Response:
    """``Trading_placeMlegOrder``: each leg a paper order, their records sharing one
    ``brokerage_group_order_id`` (the answer's ``brokerage_order_id``)."""
    fake, account = fake_of(request), request[ACCOUNT_KEY]
    try:
        _may_trade(account, fake)
        if not account.brokerage.options:
            raise Refused(replies.bad_input(f"{account.brokerage.name} does not trade options through SnapTrade"))
        legs = _mleg_legs(fake, account, request[BODY_KEY])
    except Refused as refused:
        return refused.response
    try:
        group, orders = await fake.place_legs(account, legs)
    except BrokerError as exc:
        return replies.bad_input(f"The brokerage rejected the order: {exc.message}")
    return web.json_response({"brokerage_order_id": group, "orders": records(fake, orders)})


def setup_mleg(app: web.Application, prefix: str) -> None:
    app.router.add_post(prefix + "/accounts/{id}/trading/options", place_mleg)
