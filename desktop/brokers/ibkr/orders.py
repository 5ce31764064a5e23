"""IBKR order pipeline: place (with the reply flow), preview, modify, cancel, reconcile,
live orders and trades. One :class:`OrderDesk` per session.

Endpoints (``specs/ibkr-cpapi/NOTES.md`` section 4): ``POST /iserver/account/{account
or group}/orders`` ``{"orders": [body]}``, ``POST /iserver/reply/{id}``, ``POST
.../orders/whatif``, ``POST /iserver/account/{id}/order/{orderId}`` (modify: one
object repeating every field), ``DELETE /iserver/account/{id}/order/{orderId}``,
``POST /iserver/questions/suppress``, ``GET /iserver/account/orders?accountId=``
(1 request per 5 s), ``GET /iserver/account/trades?days=&accountId=`` (1 per 5 s).

Rules: one asyncio.Lock serialises every submission and its reply chain (the
"reply id not found" race); a POST is never re-sent: when its outcome is unknown
(timeout after sending, dropped connection, 5xx, an answer of unknown shape) the
order is looked up by its cOID (``order_ref``) in the live orders, and a change is
read back (the kit's :func:`~desktop.brokers.transport.reconcile.submit_once`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import (
    AuthError,
    BrokerError,
    NotFoundError,
    OrderRejectedError,
    RateLimitedError,
    UnavailableError,
)
from desktop.brokers.transport import SnapshotCache, submit_once
from desktop.domain import Fill, Order, OrderPreview, OrderRequest, OrderStatus, QuestionHandler, order_from_request

from .accounts import BROKER
from .contracts import ConidCache, conid_for, conid_of
from .order_body import map_status, modify_body, order_body, orders_from_live, preview_from_whatif
from .order_checks import check_numbers, check_order
from .parse import text, to_int
from .reply_flow import run_reply_flow
from .requester import Requester
from .trades_book import TradesBook

log = logging.getLogger("desktop.brokers.ibkr")


def _as_rejection(exc: BrokerError) -> BrokerError:
    """Errors that mean "the gateway refused this order" become OrderRejectedError;
    session, pacing and availability errors pass through unchanged."""
    if isinstance(exc, (AuthError, RateLimitedError, UnavailableError, OrderRejectedError)):
        return exc
    return OrderRejectedError(f"IBKR refused the order: {exc.message}", code=exc.code, raw=exc.raw)


class OrderDesk:
    """Orders of one IBKR session.

    ``groups()`` returns the current allocation group names (a group order's account
    id is the group name); ``client_accounts()`` the client account ids (used to
    tell a group name from an account in trades); ``members(group)`` a group's client
    ids or None (see :class:`TradesBook`). ``cache_seconds``: how long a live
    orders / trades snapshot is shared (the endpoints' pacing window; see
    :mod:`desktop.brokers.transport.snapshots` for the freshness rule);
    ``reconcile_tries``/``reconcile_delay``: how a timed-out submission or change is
    looked for; ``sleep`` and ``clock`` are injectable.
    """

    def __init__(self, client: Requester, contracts: ConidCache, *, groups: Callable[[], set[str]] = set,
                 client_accounts: Callable[[], set[str]] = set,
                 members: Callable[[str], set[str] | None] = lambda _group: None, cache_seconds: float = 5.0,
                 reconcile_tries: int = 3, reconcile_delay: float = 5.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._contracts = contracts
        self._groups = groups
        self._client_accounts = client_accounts
        self._reconcile_tries = reconcile_tries
        self._reconcile_delay = reconcile_delay
        self._sleep = sleep
        self._clock = clock
        self._lock = asyncio.Lock()
        self.snapshots = SnapshotCache(cache_seconds, clock=clock)
        self.trades = TradesBook(client, self.snapshots, groups=groups, client_accounts=client_accounts,
                                 members=members, clock=clock)
        self._suppressed: list[str] = []

    # -- submissions --------------------------------------------------------------
    async def create(self, request: OrderRequest, confirm: QuestionHandler | None = None) -> Order:
        """Place ``request`` (account or group in ``request.account_id``) through the
        reply flow; returns the acknowledged Order. Raises OrderRejectedError (refused,
        or a question declined), InvalidRequestError (FOK), NotFoundError (symbol), or
        UnavailableError when a timed-out submission cannot be found (state unknown)."""
        check_order(request.instrument, request.type, request.amount, request.limit_price, request.stop_price)
        conid = await conid_for(self._contracts, request.instrument)
        body = order_body(request, conid)
        target = request.account_id

        async def place() -> dict[str, Any]:
            response = await self._client.request("POST", f"/iserver/account/{target}/orders", json={"orders": [body]})
            return await run_reply_flow(self._client, response, confirm)

        async def find() -> Order | None:
            return await self._find(target, client_order_id=request.client_order_id)

        async with self._lock:
            try:
                result = await submit_once(
                    place, find, attempts=self._reconcile_tries, delay=self._reconcile_delay, sleep=self._sleep,
                    what=f"order {request.client_order_id}", unknown_message=(
                        f"Sent, state unknown: IBKR did not confirm the order ({request.describe()}) and it is not in "
                        "its live orders yet, so its state is unknown. Check the orders table "
                        "(or TWS) before placing it again."))
            except BrokerError as exc:
                raise _as_rejection(exc) from exc
        if isinstance(result, Order):  # reconciled: found by its cOID after an unknown outcome
            return result
        self.invalidate_live(target)
        return await self._acknowledged(request, result)

    async def _acknowledged(self, request: OrderRequest, item: dict[str, Any]) -> Order:
        order_id = text(item.get("order_id"))
        status = map_status(item.get("order_status"), Decimal(0), request.amount, item)
        if status.is_closed or not order_id:  # filled/cancelled at once, or no readable id: the live orders say
            try:
                found = await self._find(request.account_id, client_order_id=request.client_order_id,
                                         order_id=order_id)
            except BrokerError as exc:  # the order IS placed: never report a failure now
                log.info("IBKR: details of order %s unavailable: %s", order_id, exc)
                found = None
            if found is not None:
                return found
        group = request.account_id if request.account_id in self._groups() else ""
        order = order_from_request(request, BROKER, order_id, status,
                                   message=text(item.get("text")) or "")
        return order.model_copy(update={"allocation_group": group, "raw": item}) if group else order

    async def _find(self, account_id: str, *, client_order_id: str = "", order_id: str = "") -> Order | None:
        for order in await self.live_orders(account_id, fresh=True):
            if (client_order_id and order.client_order_id == client_order_id) or (order_id and order.order_id == order_id):
                return order
        return None

    async def preview(self, request: OrderRequest) -> OrderPreview:
        """What-if (``POST .../orders/whatif``); the gateway places nothing. Errors in
        the body come back as ``OrderPreview.error``; numbers IBKR cannot take raise
        InvalidRequestError naming the field before anything is sent."""
        check_order(request.instrument, request.type, request.amount, request.limit_price, request.stop_price)
        conid = await conid_for(self._contracts, request.instrument)
        body = order_body(request, conid)
        try:
            payload = await self._client.request("POST", f"/iserver/account/{request.account_id}/orders/whatif",
                                                 json={"orders": [body]}, idempotent=True)
        except BrokerError as exc:
            if isinstance(exc, (AuthError, RateLimitedError, UnavailableError)):
                raise
            return OrderPreview(error=exc.message, raw=exc.raw)
        return preview_from_whatif(payload)

    async def modify(self, account_id: str, order_id: str, *, amount: Decimal | None = None,
                     limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                     confirm: QuestionHandler | None = None) -> Order:
        """Change a working order: the body repeats every field of the live order with
        the changes (reply flow included). Returns the order with the new values.
        Raises NotFoundError (not live), InvalidRequestError, OrderRejectedError.
        When the POST (or a reply) times out after sending, the change is NEVER sent
        again: the live order is read back (a few times, paced) and returned once it
        shows the change, else UnavailableError says its state is unknown. Numbers IBKR
        cannot take (NaN, infinity, zero, too large) are refused before anything is
        asked or sent (InvalidRequestError naming the field)."""
        check_numbers(amount=amount, limit_price=limit_price, stop_price=stop_price)
        order = await self._live_order(account_id, order_id)
        if not order.is_working:
            raise OrderRejectedError(f"Order {order_id} is {order.status.value.lower()} and can no longer be changed")
        conid = conid_of(order.instrument) or await conid_for(self._contracts, order.instrument)
        body = modify_body(order, conid, amount=amount, limit_price=limit_price, stop_price=stop_price)
        async def change() -> dict[str, Any]:
            response = await self._client.request("POST", f"/iserver/account/{account_id}/order/{order_id}", json=body)
            return await run_reply_flow(self._client, response, confirm)

        async def read_back() -> Order | None:
            """The live order once it shows every requested change (``GET
            /iserver/account/orders``, which has the quantity and prices;
            ``/iserver/account/order/status/{id}`` lacks the limit price)."""
            found = await self._find(account_id, order_id=order_id)
            return found if found is not None and _shows_change(found, amount, limit_price, stop_price) else None

        async with self._lock:
            try:
                result = await submit_once(
                    change, read_back, attempts=self._reconcile_tries, delay=self._reconcile_delay, sleep=self._sleep,
                    what=f"the change of order {order_id}", unknown_message=(
                        f"Sent, state unknown: IBKR did not confirm the change of order {order_id} "
                        f"({order.describe()}) and its live state does not show it, so the order's state is unknown "
                        "Check it (or TWS) before changing it again."))
            except BrokerError as exc:
                raise _as_rejection(exc) from exc
        if isinstance(result, Order):  # reconciled: the live order shows the change
            return result
        item = result
        self.invalidate_live(account_id)
        new_amount = amount if amount is not None else order.amount
        return order.model_copy(update={
            "amount": new_amount, "remaining": new_amount - order.filled,
            "limit_price": limit_price if limit_price is not None else order.limit_price,
            "stop_price": stop_price if stop_price is not None else order.stop_price,
            "status": map_status(item.get("order_status"), order.filled, new_amount, item)
            if item.get("order_status") else OrderStatus.PENDING_UPDATE,
            "updated_at": datetime.now(timezone.utc), "raw": item})

    async def cancel(self, account_id: str, order_id: str) -> Order:
        """``DELETE /iserver/account/{id}/order/{orderId}``; the gateway only confirms
        the request, so the result is PENDING_CANCEL until the live orders show
        Cancelled. Raises NotFoundError ("doesn't exist") or OrderRejectedError."""
        order = await self._live_order(account_id, order_id)
        if order.is_closed:
            if order.status is OrderStatus.CANCELED:
                return order
            raise OrderRejectedError(f"Order {order_id} is {order.status.value.lower()} and cannot be cancelled")
        try:
            payload = await self._client.request("DELETE", f"/iserver/account/{account_id}/order/{order_id}")
        except NotFoundError:
            raise  # a 404 stays "not found", not a rejection
        except BrokerError as exc:
            raise _as_rejection(exc) from exc
        error = text(payload.get("error")) if isinstance(payload, dict) else ""
        if error:
            if "exist" in error.lower() or "not found" in error.lower():
                raise NotFoundError(f"IBKR does not know order {order_id}: {error}", raw=payload)
            raise OrderRejectedError(f"IBKR refused to cancel order {order_id}: {error}", raw=payload)
        self.invalidate_live(account_id)
        return order.model_copy(update={"status": OrderStatus.PENDING_CANCEL,
                                        "updated_at": datetime.now(timezone.utc), "raw": payload})

    async def _live_order(self, account_id: str, order_id: str) -> Order:
        cached = self.snapshots.peek(("orders", account_id))
        for orders in ([cached] if cached else []):
            for o in orders:
                if o.order_id == str(order_id) and o.is_working:
                    return o
        for o in await self.live_orders(account_id, fresh=True):
            if o.order_id == str(order_id):
                return o
        raise NotFoundError(f"Order {order_id} is not among the live orders of {account_id}")

    async def suppress(self, message_ids: Sequence[str]) -> None:
        """Suppress these question ids for the session; the gateway wants the whole
        list each time (``POST /iserver/questions/suppress {"messageIds": [...]}``)."""
        for mid in message_ids:
            if mid and mid not in self._suppressed:
                self._suppressed.append(mid)
        if self._suppressed:
            await self._client.request("POST", "/iserver/questions/suppress",
                                       json={"messageIds": list(self._suppressed)}, idempotent=True)

    async def close(self) -> None:
        """Cancel snapshot requests still in flight."""
        await self.snapshots.close()

    @property
    def suppressed(self) -> tuple[str, ...]:
        """Question ids suppressed so far (re-sent after a reconnect)."""
        return tuple(self._suppressed)

    # -- snapshots ----------------------------------------------------------------
    def invalidate_live(self, account_id: str | None = None) -> None:
        """Mark the live orders of ``account_id`` (None: of every account and group)
        stale, e.g. after our own change or a websocket ``sor`` frame."""
        if account_id is None:
            self.snapshots.invalidate(where=lambda key: key[0] == "orders")
        else:
            self.snapshots.invalidate(("orders", account_id))

    async def live_orders(self, account_id: str, *, fresh: bool = False) -> list[Order]:
        """Live orders of an account or group (``?accountId=``): the shared snapshot
        (see :mod:`desktop.brokers.transport.snapshots`), or, ``fresh``, one requested from
        now on. Unreadable rows are logged and skipped."""
        return await self.snapshots.get(("orders", account_id), lambda: self._fetch_live(account_id),
                                        newer_than=self._clock() if fresh else None)

    async def _fetch_live(self, account_id: str) -> list[Order]:
        payload = await self._client.request("GET", "/iserver/account/orders", params={"accountId": account_id})
        orders = orders_from_live(payload, account_id=account_id, groups=self._groups())
        if account_id not in self._groups():
            orders = [o for o in orders if o.account_id == account_id or not o.account_id]
        for o in orders:
            cid = to_int(o.raw.get("conid"), "conid", o.raw) if isinstance(o.raw, dict) else None
            if cid is not None:
                self._contracts.remember(o.instrument.symbol, cid)
        return orders

    async def fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """Executions of ``account_id`` at or after ``since``, oldest first: see
        :meth:`desktop.brokers.ibkr.trades_book.TradesBook.fills` (and its module
        docstring for the freshness rule, incl. group fills answered from one
        group request)."""
        return await self.trades.fills(account_id, since)

    def note_group_fill(self, group: str) -> None:
        """A group order of ``group`` changed its filled quantity (see TradesBook)."""
        self.trades.note_group_fill(group)


def _shows_change(order: Order, amount: Decimal | None, limit_price: Decimal | None,
                  stop_price: Decimal | None) -> bool:
    """Whether the live ``order`` carries every requested new value."""
    return ((amount is None or order.amount == amount)
            and (limit_price is None or order.limit_price == limit_price)
            and (stop_price is None or order.stop_price == stop_price))
