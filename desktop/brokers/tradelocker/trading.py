"""Orders and positions at TradeLocker (specs/tradelocker/NOTES.md section 5).

- place: ``POST /trade/accounts/{accountId}/orders`` on the instrument's TRADE route,
  by the place-order rules: market orders IOC, limit and stop orders GTC, stopPrice
  for stop orders, the stop-loss/take-profit fields, ``strategyId`` (at most 31
  characters) carrying the client order id (:func:`~.rows.strategy_tag`);
- NEVER re-sent (the official client retries it and can duplicate orders): after a
  timeout, a dropped connection or a 5xx the order is looked up by its strategyId in
  ``/orders`` and ``/ordersHistory`` (the kit's
  :func:`~desktop.brokers.transport.submit_once`);
- modify ``PATCH /trade/orders/{id}``; cancel ``DELETE /trade/orders/{id}``; cancel all
  ``DELETE /trade/accounts/{accountId}/orders``; close a position ``DELETE
  /trade/positions/{id}`` with ``{"qty": "…"}`` ("0" = all); close all ``DELETE
  /trade/accounts/{accountId}/positions``; a position's SL/TP ``PATCH
  /trade/positions/{id}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import InvalidRequestError, NotFoundError
from desktop.brokers.transport import submit_once
from desktop.domain import (Order, OrderRequest, OrderSide, OrderStatus, OrderType, ProtectionType, QuestionHandler,
                            order_from_request)

from . import parse, rows
from .wire import number

log = logging.getLogger(__name__)


def _qty_text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


class Trading:
    """The order half of :class:`~.broker.TradeLockerBroker` (a mixin)."""

    def _check_type(self, request: OrderRequest) -> str:
        if request.type is OrderType.STOP_LIMIT:
            raise InvalidRequestError("TradeLocker has no stop-limit orders: use a stop (then market) or a limit order",
                                      field="type")
        if request.type is OrderType.MARKET:
            return "IOC"  # a market order at TradeLocker is always immediate-or-cancel
        if request.time_in_force.value != "GTC":
            raise InvalidRequestError(f"TradeLocker {request.type.value.lower()} orders are good till cancelled: "
                                      f"choose GTC, not {request.time_in_force.value}", field="time_in_force")
        return "GTC"

    def _check_amount(self, request: OrderRequest, inst) -> None:
        minimum = inst.min_amount or inst.lot_size
        if request.amount < minimum:
            raise InvalidRequestError(f"amount {request.amount} lots is below {inst.symbol}'s minimum of "
                                      f"{minimum} lots", field="amount")
        if inst.lot_size > 0 and request.amount % inst.lot_size:
            raise InvalidRequestError(f"amount {request.amount} lots is not a multiple of {inst.symbol}'s lot step "
                                      f"{inst.lot_size}", field="amount")

    def place_body(self, request: OrderRequest, listed, validity: str) -> dict[str, Any]:
        """The place-order body of ``request`` (NOTES.md section 5's shape)."""
        if listed.trade_route is None:
            raise InvalidRequestError(f"TradeLocker lists no TRADE route of {listed.symbol} for this login",
                                      field="instrument")
        body: dict[str, Any] = {
            "price": number(request.limit_price) if request.type is OrderType.LIMIT else 0,
            "qty": _qty_text(request.amount), "routeId": listed.trade_route,
            "side": "buy" if request.side is OrderSide.BUY else "sell", "validity": validity,
            "tradableInstrumentId": listed.tid, "type": request.type.value.lower(),
            "stopPrice": number(request.stop_price) if request.type is OrderType.STOP else None,
            "stopLoss": None, "stopLossType": None, "takeProfit": None, "takeProfitType": None,
            "strategyId": rows.strategy_tag(request.client_order_id)}
        if request.stop_loss is not None:
            body["stopLoss"] = number(request.stop_loss)
            body["stopLossType"] = rows.WIRE_PROTECTION[request.stop_loss_type]
        if request.take_profit is not None:
            body["takeProfit"] = number(request.take_profit)
            body["takeProfitType"] = rows.WIRE_PROTECTION[request.take_profit_type]
        return body

    async def create_order(self, request: OrderRequest, *, confirm: QuestionHandler | None = None) -> Order:
        """Place ``request`` once (see the module docstring). A repeat of a client
        order id this session placed returns that order, unsent. Raises
        InvalidRequestError (a rule the ticket can fix, naming the field),
        OrderRejectedError (TradeLocker's errmsg), OrderStateUnknownError (sent, and
        not found afterwards)."""
        self.check_request(request)
        acc = self.account(request.account_id)
        validity = self._check_type(request)
        listed = await self.catalog.resolve(request.symbol)
        self._check_amount(request, listed.instrument)
        tag = rows.strategy_tag(request.client_order_id)
        if tag in self.known_tags:
            found = await self._find(acc, tag=tag)
            if found is not None:
                log.info("TradeLocker: %s was placed already as %s; not sent again", request.client_order_id,
                         found.order_id)
                return found
        self.known_tags[tag] = request.client_order_id
        body = self.place_body(request, listed, validity)
        path = f"/trade/accounts/{acc.account_id}/orders"
        result = await submit_once(lambda: self.call("POST", path, acc, json=body, idempotent=False),
                                   lambda: self._find(acc, tag=tag), attempts=3, delay=self.reconcile_delay,
                                   what=request.describe())
        self.tracker(acc).poke()
        if isinstance(result, Order):
            return result
        order_id = parse.ident(result.get("orderId") if isinstance(result, dict) else None, "orderId")
        if order_id is None:
            found = await self._find(acc, tag=tag)
            if found is not None:
                return found
            raise NotFoundError("TradeLocker accepted the order but sent no orderId; check your orders")
        found = await self._find(acc, order_id=order_id)
        if found is not None:
            return found
        return order_from_request(request.model_copy(update={"instrument": listed.instrument}), self.name, order_id,
                                  OrderStatus.ACCEPTED)

    async def _find(self, acc, *, tag: str | None = None, order_id: str | None = None) -> Order | None:
        """The order with strategyId ``tag`` or id ``order_id`` in /orders, then
        /ordersHistory (the newest when several carry the tag)."""
        for endpoint, key, config in (("orders", "orders", "ordersConfig"),
                                      ("ordersHistory", "ordersHistory", "ordersHistoryConfig")):
            found = [o for o in self._orders_of(acc, await self._rows(acc, endpoint, key, config))
                     if (order_id is not None and o.order_id == order_id)
                     or (tag is not None and (o.raw or {}).get("strategyId") == tag)]
            if found:
                order = max(found, key=lambda o: o.created_at)
                tracker = self._trackers.get(acc.account_id)
                if tracker is not None:
                    tracker.absorb([order])
                return order
        return None

    async def _order_after(self, acc, order_id: str, fallback: Order | None, status: OrderStatus) -> Order:
        self.tracker(acc).poke()
        found = await self._find(acc, order_id=order_id)
        if found is not None:
            return found
        if fallback is not None:
            return fallback.model_copy(update={"status": status})
        raise NotFoundError(f"TradeLocker order {order_id} not found")

    async def cancel_order(self, account_id: str, order_id: str) -> Order:
        acc = self.account(account_id)
        before = await self._find(acc, order_id=order_id)
        if before is None:
            raise NotFoundError(f"TradeLocker order {order_id} not found in account {acc.account_id}")
        await self.call("DELETE", f"/trade/orders/{order_id}", acc)
        return await self._order_after(acc, order_id, before, OrderStatus.CANCELED)

    async def cancel_all_orders(self, account_id: str, symbol: str | None = None) -> None:
        """Cancel every working order of the account (of ``symbol`` only, when given)."""
        acc = self.account(account_id)
        params = {"tradableInstrumentId": self.catalog.listed(symbol).tid} if symbol else None
        await self.call("DELETE", f"/trade/accounts/{acc.account_id}/orders", acc, params=params)
        self.tracker(acc).poke()

    async def modify_order(self, account_id: str, order_id: str, *, amount: Decimal | None = None,
                           limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                           confirm: QuestionHandler | None = None) -> Order:
        acc = self.account(account_id)
        body: dict[str, Any] = {}
        if amount is not None:
            body["qty"] = _qty_text(amount)
        if limit_price is not None:
            body["price"] = number(limit_price)
        if stop_price is not None:
            body["stopPrice"] = number(stop_price)
        if not body:
            raise InvalidRequestError("Nothing to change: give a quantity or a price", field="amount")
        await self.call("PATCH", f"/trade/orders/{order_id}", acc, json=body)
        return await self._order_after(acc, order_id, None, OrderStatus.ACCEPTED)

    @staticmethod
    def _protection_body(stop_loss, take_profit, clear: Sequence[str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if stop_loss is not None:
            body["stopLoss"], body["stopLossType"] = number(stop_loss), "absolute"
        elif "stop_loss" in clear:
            body["stopLoss"] = None
        if take_profit is not None:
            body["takeProfit"], body["takeProfitType"] = number(take_profit), "absolute"
        elif "take_profit" in clear:
            body["takeProfit"] = None
        if not body:
            raise InvalidRequestError("Nothing to change: give a stop-loss or a take-profit", field="stop_loss")
        return body

    async def modify_protection(self, account_id: str, order_id: str, *, stop_loss: Decimal | None = None,
                                take_profit: Decimal | None = None, clear: Sequence[str] = ()) -> Order:
        """``PATCH /trade/orders/{id}`` with the order's new stop-loss/take-profit."""
        acc = self.account(account_id)
        await self.call("PATCH", f"/trade/orders/{order_id}", acc,
                        json=self._protection_body(stop_loss, take_profit, clear))
        return await self._order_after(acc, order_id, None, OrderStatus.ACCEPTED)

    async def modify_position(self, account_id: str, position_id: str, *, stop_loss: Decimal | None = None,
                              take_profit: Decimal | None = None, clear: Sequence[str] = ()) -> None:
        """``PATCH /trade/positions/{id}`` with the position's new stop-loss/take-profit."""
        acc = self.account(account_id)
        await self.call("PATCH", f"/trade/positions/{position_id}", acc,
                        json=self._protection_body(stop_loss, take_profit, clear))
        self.tracker(acc).poke()

    async def close_position(self, account_id: str, position_id: str, quantity: Decimal | None = None) -> None:
        """``DELETE /trade/positions/{id}`` with ``{"qty": "…"}`` ("0": all of it), sent
        ONCE: closing is a trade, so after a timeout, a dropped connection or a 5xx it
        is not re-sent (a repeated partial close would close twice as much) but
        reconciled: /positions is read again until the position is gone or down by
        ``quantity``. Raises InvalidRequestError (quantity ≤ 0), NotFoundError (the
        position is not open), OrderStateUnknownError (sent, and still unchanged
        after the checks: look before closing again)."""
        acc = self.account(account_id)
        if quantity is not None and quantity <= 0:
            raise InvalidRequestError("The quantity to close must be greater than 0", field="quantity")
        before = await self._position_size(acc, position_id)
        if before is None:
            raise NotFoundError(f"Position {position_id} is not open at TradeLocker (closed already?)")
        left = Decimal(0) if quantity is None or quantity >= before else before - quantity

        async def closed() -> bool | None:
            now = await self._position_size(acc, position_id)
            return True if (now or Decimal(0)) <= left else None

        what = f"closing position {position_id}"
        await submit_once(lambda: self.call("DELETE", f"/trade/positions/{position_id}", acc, idempotent=False,
                                            json={"qty": _qty_text(quantity) if quantity is not None else "0"}),
                          closed, attempts=3, delay=self.reconcile_delay, what=what,
                          unknown_message=f"TradeLocker did not confirm {what} and it still shows "
                                          f"{_qty_text(before)} lots: check the position before closing again")
        self.tracker(acc).poke()

    async def _position_size(self, acc, position_id: str) -> Decimal | None:
        """The open size (lots, unsigned) of ``position_id`` in /positions; None when not open."""
        for row in await self._rows(acc, "positions", "positions", "positionsConfig"):
            if parse.ident(row.get("id"), "id") == str(position_id):
                size = parse.decimal(row.get("qty"), "qty")
                return abs(size) if size is not None else None
        return None

    async def close_all_positions(self, account_id: str, symbol: str | None = None) -> None:
        """Close every position of the account (of ``symbol`` only, when given)."""
        acc = self.account(account_id)
        params = {"tradableInstrumentId": self.catalog.listed(symbol).tid} if symbol else None
        await self.call("DELETE", f"/trade/accounts/{acc.account_id}/positions", acc, params=params)
        self.tracker(acc).poke()


__all__ = ["Trading", "ProtectionType"]
