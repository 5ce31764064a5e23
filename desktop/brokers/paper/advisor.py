"""The advisor side of the paper broker: allocation groups, group orders, questions,
previews (the offline Financial Advisor demo, ``PaperBroker(path, advisor=True)``).

Accounts and groups are fixed (:mod:`.advisor_accounts`). Semantics, modelled on an
IBKR advisor login through the Client Portal API:

* ``create_order`` with a group name as ``account_id`` places a *group order*
  (``account_id`` == ``allocation_group`` == the group). Before placing it asks ONE
  question through ``confirm``: message id "p6" with IBKR's wording
  (:data:`P6_TEXT`). Declined, or no handler: OrderRejectedError, nothing placed.
  ``suppress_questions(["p6"])`` stops it for the broker's lifetime.
* The order is split with :meth:`AllocationGroup.allocate`: A and N use the clients'
  current :meth:`fetch_allocation_values` (available equity = buying power, net
  liquidation at the last prices); C needs a price: the limit price, else the last.
  Each account allocated a quantity gets a child order in its own engine and ledger
  (:mod:`.group_orders`); the group order's status / filled / average aggregate them.
  A child's rejection (e.g. buying power) is named in the group order's message; when
  every child is rejected, OrderRejectedError.
* Children are internal: ``fetch_orders`` / ``watch_orders`` of a client leave them
  out; the client's fills carry the group order's ``order_id`` and
  ``client_order_id`` and ``allocation_group``.
* ``cancel_order(group, id)`` cancels every working child. ``modify_order(group, id,
  amount=...)`` re-splits the new total with allocate, never below a child's filled
  quantity (see :func:`.group_orders.modify_targets`); an unchanged amount keeps the
  split as it is; prices go to every working child. No question is asked on modify.
* The master account holds nothing: zero balance, no positions / orders / fills, and
  it cannot place orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import uuid4

from pydantic import ValidationError

from desktop.domain import (AccountValues, AllocationGroup, Balance, Order, OrderPreview, OrderQuestion, OrderRequest,
                            OrderStatus, QuestionHandler)

from ..errors import InvalidRequestError, NotFoundError, OrderRejectedError
from .advisor_accounts import MASTER_ID
from .fillmodel import option_quote, reference_price
from .group_orders import GroupDesk
from .order_input import check_fields, checked_request, number_arg
from .preview import account_impact, build_preview, preview_price

P6 = "p6"
P6_TEXT = ("This order will be distributed over multiple accounts. We strongly suggest you familiarize yourself with "
           "our allocation facilities before submitting orders.")
"""IBKR's text of question "p6", asked before every group order."""


class AdvisorSide:
    """Mixin of :class:`~.broker.PaperBroker` with the advisor demo's methods (see the
    module docs). Relies on the broker's ``_groups`` (GroupDesk or None), ``advisor``,
    ``_account_ids``, ``_suppressed``, ``_order_lock``, ``engine_for``, ``market``,
    ``options``, ``_marks``, ``_market_now``, ``_check_replay``, ``_flush`` and ``_publish_events``."""

    # -- routing ----------------------------------------------------------------
    def _group_desk(self, account_id: str) -> GroupDesk | None:
        """The GroupDesk when ``account_id`` names an allocation group, else None."""
        groups = self._groups
        return groups if groups is not None and groups.group(account_id) is not None else None

    def _is_master(self, account_id: str) -> bool:
        return self.advisor and account_id == MASTER_ID

    def _master_balance(self) -> Balance:
        zero = Decimal(0)
        return Balance(broker=self.name, account_id=MASTER_ID, currency="USD", cash=zero, buying_power=zero,
                       net_liquidation=zero, free=zero, used=zero, total=zero, realized_pnl=zero, unrealized_pnl=zero,
                       timestamp=self.market.clock.now)

    # -- Broker: advisor snapshots ----------------------------------------------
    async def fetch_allocation_groups(self) -> list[AllocationGroup]:
        """The demo's five groups (Everyone E, ByNetLiq N, ByEquity A, Shares S, Growth P); [] when not advisor."""
        return list(self._groups.groups.values()) if self._groups is not None else []

    async def fetch_allocation_values(self) -> list[AccountValues]:
        """Per client: net liquidation at the last prices and available equity (= buying
        power, USD); [] when not advisor."""
        return self._account_values() if self.advisor else []

    def _account_values(self) -> list[AccountValues]:
        out = []
        for aid in self._account_ids:
            engine = self.engine_for(aid)
            out.append(AccountValues(account_id=aid, net_liquidation=engine.ledger.net_liquidation(self._marks(engine)),
                                     available_equity=engine.ledger.buying_power()))
        return out

    async def suppress_questions(self, message_ids: Sequence[str]) -> None:
        """Stop asking the questions with these ids (only "p6" exists) until the broker is discarded."""
        self._suppressed.update(message_ids)

    # -- group orders -----------------------------------------------------------
    async def _ask(self, confirm: QuestionHandler | None) -> bool:
        if P6 in self._suppressed:
            return True
        question = OrderQuestion(reply_id=f"paper-{uuid4().hex[:12]}", messages=(P6_TEXT,), message_ids=(P6,))
        return bool(confirm is not None and await confirm(question))

    def _split(self, groups: GroupDesk, request: OrderRequest, amount: Decimal) -> dict[str, Decimal]:
        group = groups.group(request.account_id)
        last, _bar = self._market_now(request)
        price = request.limit_price or last
        values = self._account_values() if group.method.needs_account_values else []
        return groups.split(group, amount, values, price)

    async def _create_group_order(self, request: OrderRequest, confirm: QuestionHandler | None) -> Order:
        groups = self._group_desk(request.account_id)
        async with self._order_lock:  # one question chain at a time
            existing = groups.by_client_id(request.client_order_id)
            if existing is not None:
                self._flush()
                return existing
            self._check_replay()
            self._split(groups, request, request.amount)  # an order the group cannot allocate is refused before asking
            if not await self._ask(confirm):
                raise OrderRejectedError("order not placed: the question about distributing it over multiple accounts "
                                         "was declined", code="DECLINED")
            self._check_replay()
            split = self._split(groups, request, request.amount)  # the values as they are now, after the answer
            last, bar = self._market_now(request)
            order, events = groups.place(request, split, self.market.clock.now, last, bar)
            self._publish_events(list(events) + [order])
            order = groups.by_client_id(request.client_order_id)
        if order.status is OrderStatus.REJECTED:
            raise OrderRejectedError(order.message, code="REJECTED", raw=order.model_dump(mode="json"))
        return order

    def _cancel_group_order(self, group: str, order_id: str) -> Order:
        groups = self._group_desk(group)
        self._publish_events(groups.cancel(group, order_id, self.market.clock.now))
        return groups.get(group, order_id).order

    def _modify_group_order(self, group: str, order_id: str, *, amount: Decimal | None, limit_price: Decimal | None,
                            stop_price: Decimal | None) -> Order:
        groups = self._group_desk(group)
        rec = groups.get(group, order_id)
        if rec.order.status.is_closed:
            raise OrderRejectedError(f"order {order_id} is {rec.order.status.value.lower()} and can no longer be modified")
        amount, limit_price = number_arg("amount", amount), number_arg("limit_price", limit_price)
        stop_price = number_arg("stop_price", stop_price)
        if amount is None and limit_price is None and stop_price is None:
            raise InvalidRequestError("nothing to modify: give amount, limit_price or stop_price")
        old = rec.order
        new_limit = old.limit_price if limit_price is None else limit_price
        new_stop = old.stop_price if stop_price is None else stop_price
        check_fields(old.instrument, old.type, old.amount if amount is None else amount, new_limit, new_stop)
        if amount == old.amount:  # unchanged: keep the split (A/N values move as clients trade)
            amount = None
            if limit_price is None and stop_price is None:
                return old
        if amount is not None and amount <= old.filled:
            raise InvalidRequestError(f"amount {amount} must exceed the filled quantity {old.filled}", field="amount")
        try:
            probe = OrderRequest(connection_id=self.connection_id, account_id=group, instrument=old.instrument, side=old.side,
                                 type=old.type, amount=old.amount if amount is None else amount, limit_price=new_limit,
                                 stop_price=new_stop, client_order_id=old.client_order_id)
            split = self._split(groups, probe, amount) if amount is not None else None
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InvalidRequestError(err["msg"], field=str(err["loc"][0]) if err["loc"] else None) from None
        except OrderRejectedError as exc:
            raise InvalidRequestError(exc.message, field="amount") from None
        last, bar = self._market_now(probe)
        events = groups.modify(group, order_id, split, amount=amount, limit_price=limit_price, stop_price=stop_price,
                               now=self.market.clock.now, last=last, bar=bar)
        groups.refresh(rec, self.market.clock.now)
        self._publish_events(list(events) + [rec.order])
        return rec.order

    # -- previews ---------------------------------------------------------------
    async def preview_order(self, request: OrderRequest) -> OrderPreview:
        """What-if of ``request`` (see :mod:`.preview`): for a group, every child of the
        allocation summed. Raises NotFoundError (unknown account), InvalidRequestError
        (no price to value it at, or the group cannot allocate it)."""
        self.check_request(request)
        request = checked_request(request)
        if self._is_master(request.account_id):
            raise InvalidRequestError(f"the master account {MASTER_ID} does not trade", field="account_id")
        last, _bar = self._market_now(request)
        if request.instrument.is_option:
            bid, ask, _why = option_quote(self.options.bid_ask, request.instrument)
            last = reference_price(request.side, bid, ask)
        price = preview_price(request, last)
        if price is None:
            raise InvalidRequestError(f"no price to preview {request.symbol} at", field="limit_price")
        groups = self._group_desk(request.account_id)
        if groups is None:
            engine = self.engine_for(request.account_id)
            return build_preview([account_impact(engine, self._valuation_marks(engine), request, last, price)], request, price)
        try:
            split = self._split(groups, request, request.amount)
        except OrderRejectedError as exc:
            raise InvalidRequestError(exc.message, field="amount") from None
        impacts = []
        for aid, qty in split.items():
            if qty > 0:
                engine = self.engine_for(aid)
                child = request.model_copy(update={"account_id": aid, "amount": qty})
                impacts.append(account_impact(engine, self._valuation_marks(engine), child, last, price))
        if not impacts:
            raise NotFoundError(f"group {request.account_id} allocates nothing of {request.amount}")
        return build_preview(impacts, request, price, named=True)
