"""Placing, previewing, cancelling and replacing SnapTrade orders: the trading part of
:class:`~desktop.brokers.snaptrade.broker.SnapTradeBroker` (a mixin: it uses the
broker's client, order book, pollers, account infos and clock).

Preview is ``POST /trade/impact``; the checked trade is kept 5 minutes and placing
the same order meanwhile places it by its trade id (``POST /trade/{tradeId}``),
otherwise ``POST /trade/place`` with a client order id. A timed-out or 5xx placement
is never re-sent: it is reconciled through ``recentOrders`` (an order id not known
before, same symbol, action, quantity and prices). Cancel: ``POST
/accounts/{id}/trading/cancel``; replace: ``POST /accounts/{id}/trading/replace``.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import BrokerError, InvalidRequestError, NotFoundError, OrderRejectedError
from desktop.brokers.transport import submit_once
from desktop.domain import Order, OrderPreview, OrderRequest, OrderStatus, QuestionHandler, TimeInForce

from .legs import leg_ids, working_leg_ids
from .order_body import impact_body, place_body, replace_body
from .parse import AccountInfo, parse_impact, parse_order

log = logging.getLogger(__name__)

CHECK_LIFETIME = 300.0
"""Seconds a checked trade can be placed by its id (api.yaml: it expires after 5 min)."""
TIFS = frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK})
"""The times in force SnapTrade takes."""


def _same_order(request: OrderRequest, record: Order) -> bool:
    """Whether ``record`` is the order ``request`` placed (a dollar-amount order's
    quantity is SnapTrade's to work out: not compared)."""
    amount_ok = request.notional is not None or record.amount == request.amount
    return (record.symbol == request.symbol and record.side is request.side and amount_ok
            and record.limit_price == request.limit_price and record.stop_price == request.stop_price)


class SnapTradeTrading:
    """The trading methods of :class:`SnapTradeBroker` (see the module docstring)."""

    def _tradable(self, account_id: str) -> AccountInfo:
        """``account_id``'s info; OrderRejectedError (READ_ONLY) with the reason when it
        cannot trade (a read-only authorization, a brokerage without trading)."""
        info = self._info(account_id)
        refusal = self.trade_refusal(account_id)
        if refusal:
            raise OrderRejectedError(refusal, code="READ_ONLY")
        return info

    async def _working_target(self, account_id: str, order_id: str) -> Order:
        """The order a cancel or replace is about (the book's, else a fresh poll's);
        OrderRejectedError for a read-only account, NotFoundError when unknown."""
        self._tradable(account_id)
        current = self.book.get(account_id, order_id)
        if current is None:
            current = next((o for o in await self._order_rows(account_id, fresh=True) if o.order_id == order_id), None)
        if current is None:
            raise NotFoundError(f"SnapTrade has no order {order_id} in this account")
        return current

    def _check_tradable(self, request: OrderRequest) -> AccountInfo:
        self.check_request(request)
        info = self._tradable(request.account_id)
        if request.time_in_force not in TIFS:
            raise InvalidRequestError(f"SnapTrade does not take {request.time_in_force.value} orders",
                                      field="time_in_force")
        if (request.amount is not None and request.amount % 1 and not request.instrument.is_option
                and not self.account_capabilities(request.account_id).fractional):
            raise InvalidRequestError(f"{info.institution or 'This brokerage'} does not take fractional shares "
                                      "through SnapTrade: enter a whole number of shares", field="amount")
        return info

    @staticmethod
    def _preview_key(request: OrderRequest) -> tuple:
        return (request.account_id, request.symbol, request.side, request.type, request.amount, request.notional,
                request.limit_price, request.stop_price, request.time_in_force)

    async def preview_order(self, request: OrderRequest) -> OrderPreview:
        """Check the order's impact (``POST /trade/impact``): remaining cash, estimated
        commission and forex fees. The checked trade is kept 5 minutes: placing the
        same order meanwhile places it by its trade id."""
        self._check_tradable(request)
        universal = await self._universal_id(request.instrument)
        checked = parse_impact(await self.client.impact(impact_body(request, request.account_id, universal)),
                               request.amount)
        self._checked[self._preview_key(request)] = (checked.trade_id, self._clock() + CHECK_LIFETIME)
        return checked.preview

    def checked_trade(self, request: OrderRequest) -> tuple[str, float] | None:
        """``(trade id, seconds left)`` of the live checked trade of ``request``, or None."""
        found = self._checked.get(self._preview_key(request))
        if found is None:
            return None
        return found[0], found[1] - self._clock()

    async def create_order(self, request: OrderRequest, *, confirm: QuestionHandler | None = None) -> Order:
        info = self._check_tradable(request)
        async with self._order_lock:
            checked = self._checked.pop(self._preview_key(request), None)
            if checked is not None and checked[1] <= self._clock():
                raise OrderRejectedError("The preview of this order has expired (SnapTrade keeps a checked trade 5 "
                                         "minutes): preview it again, or submit it without a check",
                                         code="EXPIRED")
            if checked is None and not request.instrument.is_option:
                body = place_body(request, info.account.account_id, await self._universal_id(request.instrument),
                                  notional=request.notional)
            elif checked is None:
                body = place_body(request, info.account.account_id, None)
            known = self.book.known_ids(request.account_id)

            async def send() -> Any:
                if checked is not None:
                    return await self.client.place_checked(checked[0])
                return await self.client.place(body)

            answer = await submit_once(send, lambda: self._reconcile(request, known), delay=self.reconcile_delay,
                                       what=f"the order ({request.describe()})")
        order = answer if isinstance(answer, Order) else parse_order(answer, request.account_id, self.connection_id)
        if order is None:
            raise BrokerError("SnapTrade answered the order with a record that cannot be read; check your orders")
        self._client_ids[order.order_id] = request.client_order_id
        order = self.book.put(order.model_copy(update={"client_order_id": request.client_order_id}))
        self._changed(request.account_id)
        if order.status is OrderStatus.REJECTED:
            raise OrderRejectedError(f"The brokerage rejected the order{': ' + order.message if order.message else ''}",
                                     code="REJECTED", raw=order.raw)
        return order

    async def _reconcile(self, request: OrderRequest, known: set[str]) -> Order | None:
        """The order a maybe-sent placement made: in ``recentOrders`` (executed or
        not), an id not known before it was sent, with its symbol, action, quantity
        and prices."""
        answer = await self.client.recent_orders(request.account_id, only_executed=False)
        rows = answer.get("orders") if isinstance(answer, dict) else None
        for row in rows or []:
            order = parse_order(row, request.account_id, self.connection_id) if isinstance(row, dict) else None
            if order is not None and order.order_id not in known and _same_order(request, order):
                log.info("SnapTrade: the maybe-sent order is %s", order.order_id)
                return order
        return None

    def _changed(self, account_id: str) -> None:
        self._cache.invalidate(("orders", account_id))
        poller = self._pollers.get(account_id)
        if poller is not None:
            poller.wake()

    async def cancel_order(self, account_id: str, order_id: str) -> Order:
        """``POST /accounts/{id}/trading/cancel`` (for a multi-leg order: each of its
        working legs), then the order's state (CANCELED, or PENDING_CANCEL while the
        brokerage has not confirmed)."""
        current = await self._working_target(account_id, order_id)
        if not current.is_working:
            raise OrderRejectedError(f"Order {order_id} is {current.status.value.lower()} and can no longer be "
                                     "canceled")
        for brokerage_order_id in working_leg_ids(current) if leg_ids(current) else [order_id]:
            await self.client.cancel(account_id, brokerage_order_id)
        self._changed(account_id)
        after = next((o for o in await self._order_rows(account_id, fresh=True) if o.order_id == order_id), None)
        if after is not None and not after.is_working:
            return after
        return self.book.put((after or current).model_copy(update={"status": OrderStatus.PENDING_CANCEL}))

    async def modify_order(self, account_id: str, order_id: str, *, amount: Decimal | None = None,
                           limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                           confirm: QuestionHandler | None = None) -> Order:
        """``POST /accounts/{id}/trading/replace`` with the new values; returns the
        replacing order (SnapTrade may give it a new id)."""
        current = await self._working_target(account_id, order_id)
        if leg_ids(current):
            raise InvalidRequestError("SnapTrade cannot replace a multi-leg order: cancel it and place it again",
                                      field="order_id")
        answer = await self.client.replace(account_id, replace_body(current, amount=amount, limit_price=limit_price,
                                                                    stop_price=stop_price))
        order = parse_order(answer, account_id, self.connection_id, self._client_ids)
        if order is None:
            raise BrokerError("SnapTrade answered the replace with a record that cannot be read; check your orders")
        self._changed(account_id)
        return self.book.put(order)
