"""An OrderRequest as SnapTrade's order bodies (specs/snaptrade/api.yaml
``ManualTradeFormWithOptions`` for ``/trade/place``, ``ManualTradeForm`` for
``/trade/impact``, ``ManualTradeReplaceForm`` for ``/trading/replace``).

Equities go by ``universal_symbol_id`` (``symbol`` null), options by their
21-character OCC symbol (``universal_symbol_id`` null) with BUY_TO_OPEN etc.;
``units`` (shares or contracts) or, for a dollar amount, ``notional_value`` (Market,
Day); ``client_order_id`` a canonical UUID made from the request's own id.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import InvalidRequestError
from desktop.brokers.transport.decimals import json_number
from desktop.domain import Order, OrderRequest, OrderType, TimeInForce

from .statuses import ORDER_TYPE_NAMES, TIF_NAMES, option_action


def client_uuid(client_order_id: str) -> str:
    """The canonical UUID of a client order id: itself when it is one (any case,
    with or without hyphens, e.g. 32 hex digits), else a UUID derived from it."""
    try:
        return str(uuid.UUID(client_order_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tradedesk:{client_order_id}"))


def _prices(request: OrderRequest) -> dict[str, Any]:
    return {"order_type": ORDER_TYPE_NAMES[request.type], "time_in_force": TIF_NAMES[request.time_in_force],
            "price": json_number(request.limit_price), "stop": json_number(request.stop_price)}


def place_body(request: OrderRequest, account_id: str, universal_symbol_id: str | None, *,
               notional: Decimal | None = None) -> dict[str, Any]:
    """The ``/trade/place`` body. ``notional``: a dollar amount instead of units
    (InvalidRequestError unless Market and Day)."""
    body: dict[str, Any] = {"account_id": account_id, **_prices(request)}
    if request.instrument.is_option:
        body.update(action=option_action(request.side, request.position_effect), symbol=request.instrument.symbol,
                    universal_symbol_id=None)
    else:
        if not universal_symbol_id:
            raise InvalidRequestError(f"SnapTrade does not know {request.symbol} at this account", field="symbol")
        body.update(action=request.side.value, universal_symbol_id=universal_symbol_id, symbol=None)
    if notional is not None:
        _check_notional(request)
        body.update(units=None, notional_value=json_number(notional))
    else:
        body.update(units=json_number(request.amount), notional_value=None)
    body["client_order_id"] = client_uuid(request.client_order_id)
    return body


def impact_body(request: OrderRequest, account_id: str, universal_symbol_id: str) -> dict[str, Any]:
    """The ``/trade/impact`` body (equities only: the spec's ManualTradeForm; a
    dollar-amount request sends ``notional_value`` and null ``units``)."""
    if request.instrument.is_option:
        raise InvalidRequestError("SnapTrade checks the impact of share orders only; submit option orders directly",
                                  field="symbol")
    body = {"account_id": account_id, "action": request.side.value, "universal_symbol_id": universal_symbol_id,
            "units": json_number(request.amount), **_prices(request)}
    if request.notional is not None:
        _check_notional(request)
        body.update(units=None, notional_value=json_number(request.notional))
    return body


def _check_notional(request: OrderRequest) -> None:
    if request.type is not OrderType.MARKET or request.time_in_force is not TimeInForce.DAY:
        raise InvalidRequestError("A dollar-amount order must be a market order good for the day (SnapTrade)",
                                  field="notional")


def replace_body(order: Order, *, amount: Decimal | None, limit_price: Decimal | None,
                 stop_price: Decimal | None) -> dict[str, Any]:
    """The ``/trading/replace`` body for ``order`` with the new values."""
    action = (option_action(order.side, order.position_effect) if order.instrument.is_option else order.side.value)
    body: dict[str, Any] = {"brokerage_order_id": order.order_id, "action": action,
                            "order_type": ORDER_TYPE_NAMES[order.type], "time_in_force": TIF_NAMES[order.time_in_force],
                            "price": json_number(limit_price if limit_price is not None else order.limit_price),
                            "stop": json_number(stop_price if stop_price is not None else order.stop_price),
                            "units": json_number(amount if amount is not None else order.amount)}
    if order.instrument.is_option:
        body["symbol"] = order.instrument.symbol
    return body
