"""Orders whose outcome is unknown ("maybe sent"), checked in the background. Qt-free.

When an adapter says an order POST (or a modify) may have left without an answer
(a 5xx, a timeout or a dropped connection after sending: an error with
``maybe_sent`` True, see :func:`desktop.brokers.transport.is_maybe_sent`; also
:class:`~desktop.brokers.transport.reconcile.OrderStateUnknownError` after the
adapter's own look-ups), it is not a refusal: the desk starts an :class:`OrderCheck`.
:class:`OrderChecks` then looks for the order by its client order id (a change: for
the order showing the change) in the account's orders (``fetch_orders``) after each
of ``delays`` seconds (bounded: about 30 s by default), and in every order the
connection's ``watch_orders`` streams deliver meanwhile (:meth:`OrderChecks.seen`).
The order it finds is applied to the desk's state like any other.

Each check ends in one of:

- PLACED: the broker has it (a change: the order shows it); ``check.order`` is it;
- NOT_PLACED: it never appeared within the bound: "not placed as far as the broker
  shows; check with the broker before sending it again";
- UNKNOWN: the connection stopped before the check could finish.

:attr:`OrderCheck.message` says each state in a trader's words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from desktop.domain import Order, OrderRequest, OrderStatus
from desktop.security.redaction import redact

log = logging.getLogger(__name__)

CHECKING, PLACED, NOT_PLACED, UNKNOWN = "checking", "placed", "not placed", "unknown"
SUBMISSION, MODIFICATION = "submission", "modification"

CHECK_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)
"""Seconds before each look-up of an unconfirmed order (30 s in all)."""

CHECKING_TEXT = "Sent, not confirmed yet: checking…"
KEEP = 50  # finished checks kept per connection (a retry of the same order finds its check)


def placed_text(order: Order) -> str:
    """The broker's outcome of a found order in words: "Order 123 accepted: Buy 100
    AAPL at market, good for the day" (filled, partly filled, cancelled, rejected with
    the broker's reason)."""
    status = order.status
    if status in (OrderStatus.REJECTED, OrderStatus.DENIED):
        return f"Order {order.order_id} rejected: {order.message or 'the broker rejected it'}"
    words = {OrderStatus.FILLED: "filled", OrderStatus.PARTIALLY_FILLED: "accepted, partly filled",
             OrderStatus.CANCELED: "cancelled", OrderStatus.EXPIRED: "expired"}.get(status, "accepted")
    return f"Order {order.order_id} {words}: {order.describe()}"


def shows_change(order: Order, changes: dict[str, Any]) -> bool:
    """Whether ``order`` has every value of ``changes`` (amount, limit_price, stop_price)."""
    for name, value in changes.items():
        if value is not None and getattr(order, name, None) != value:
            return False
    return True


class OrderCheck:
    """One order whose outcome is being checked (see the module docstring).

    ``kind``: SUBMISSION or MODIFICATION; ``connection_id`` / ``connection_name``;
    ``account_id`` (account or group); ``client_order_id`` (a submission's) or
    ``order_id`` (the order a modification changes); ``what``: the order in words;
    ``changes`` (a modification's); ``cause``: the adapter's maybe-sent error.
    ``state`` is CHECKING until it ends PLACED (``order``), NOT_PLACED or UNKNOWN;
    ``await check.wait()`` or ``check.add_done_callback(fn)`` to learn the outcome.
    """

    def __init__(self, *, kind: str, connection_id: str, connection_name: str, account_id: str, what: str,
                 cause: BaseException, client_order_id: str = "", order_id: str = "",
                 changes: dict[str, Any] | None = None) -> None:
        self.kind, self.connection_id, self.connection_name = kind, connection_id, connection_name
        self.account_id, self.what, self.cause = account_id, what, cause
        self.client_order_id, self.order_id, self.changes = client_order_id, order_id, dict(changes or {})
        self.state = CHECKING
        self.order: Order | None = None
        self.lookups = 0
        self._future: asyncio.Future = asyncio.get_running_loop().create_future()

    def __repr__(self) -> str:
        return f"OrderCheck({self.kind}, {self.connection_id}, {self.client_order_id or self.order_id}, {self.state})"

    @property
    def done(self) -> bool:
        """Whether the outcome is known (or the check gave up)."""
        return self.state != CHECKING

    @property
    def message(self) -> str:
        """The state in words (see the module docstring)."""
        name = self.connection_name
        if self.state == CHECKING:
            return CHECKING_TEXT
        if self.kind == MODIFICATION:
            if self.state == PLACED and self.order is not None:
                return f"Order {self.order_id} modified: {self.order.describe()}"
            if self.state == NOT_PLACED:
                return (f"The change of order {self.order_id} does not show at {name}: check the order "
                        "before changing it again.")
            return (f"The change of order {self.order_id} could not be checked ({name} was disconnected): "
                    "check the order before changing it again.")
        if self.state == PLACED and self.order is not None:
            return placed_text(self.order)
        if self.state == NOT_PLACED:
            return f"Not placed as far as {name} shows ({self.what}): check with the broker before sending it again."
        return (f"Not confirmed ({self.what}): {name} was disconnected before it could be checked. "
                "Check with the broker before sending it again.")

    def matches(self, order: Order) -> bool:
        """Whether ``order`` is the outcome this check waits for."""
        if order.connection_id != self.connection_id or order.account_id != self.account_id:
            return False
        if self.kind == SUBMISSION:
            return order.client_order_id == self.client_order_id
        return order.order_id == self.order_id and shows_change(order, self.changes)

    def about(self, order: Order) -> bool:
        """Whether ``order`` is the order checked (found, whether or not it matches yet)."""
        if self.kind == SUBMISSION:
            return order.client_order_id == self.client_order_id and order.account_id == self.account_id
        return order.order_id == self.order_id and order.account_id == self.account_id

    async def wait(self) -> "OrderCheck":
        """Wait for the outcome; returns this check."""
        await asyncio.shield(self._future)
        return self

    def add_done_callback(self, fn: Callable[["OrderCheck"], None]) -> None:
        """Call ``fn(check)`` (on the event loop) once the outcome is known."""
        self._future.add_done_callback(lambda _f: fn(self))

    def _finish(self, state: str, order: Order | None = None) -> bool:
        if self.done:
            return False
        self.state, self.order = state, order
        self._future.set_result(state)
        return True


class OrderChecks:
    """The order checks of one connection.

    Collaborators (the connection's): ``connection_id``; ``name()`` its current name;
    ``fetch_orders(account_id)`` the adapter's; ``apply(order)`` keeps an order in the
    desk's state (and calls :meth:`seen`); ``changed(check)`` is told when a check
    starts and when it ends; ``spawn(coro, name)`` runs a task of the connection
    (cancelled when it stops); ``delays``: seconds before each look-up.
    """

    def __init__(self, *, connection_id: str, name: Callable[[], str],
                 fetch_orders: Callable[[str], Awaitable[Sequence[Order]]], apply: Callable[[Order], None],
                 changed: Callable[[OrderCheck], None], spawn: Callable[[Awaitable, str], object],
                 delays: Sequence[float] = CHECK_DELAYS) -> None:
        self.connection_id, self._name = connection_id, name
        self._fetch, self._apply, self._changed, self._spawn = fetch_orders, apply, changed, spawn
        self.delays = tuple(delays) or (0.0,)
        self._checks: dict[tuple[str, str], OrderCheck] = {}

    def submission(self, request: OrderRequest) -> OrderCheck | None:
        """The check of a submission with ``request``'s client order id, if any (still
        checking or finished)."""
        return self._checks.get((SUBMISSION, request.client_order_id))

    def modification(self, order_id: str) -> OrderCheck | None:
        """The check of a change of order ``order_id`` still running, if any."""
        check = self._checks.get((MODIFICATION, order_id))
        return check if check is not None and not check.done else None

    def pending(self) -> list[OrderCheck]:
        """The checks still running."""
        return [c for c in self._checks.values() if not c.done]

    def check_submission(self, request: OrderRequest, cause: BaseException) -> OrderCheck:
        """Start checking ``request`` (its order POST may have been acted on)."""
        check = OrderCheck(kind=SUBMISSION, connection_id=self.connection_id, connection_name=self._name(),
                           account_id=request.account_id, what=request.describe(), cause=cause,
                           client_order_id=request.client_order_id)
        return self._start((SUBMISSION, request.client_order_id), check)

    def check_modification(self, order: Order, changes: dict[str, Any], cause: BaseException) -> OrderCheck:
        """Start checking the change ``changes`` of ``order`` (it may have been acted on)."""
        check = OrderCheck(kind=MODIFICATION, connection_id=self.connection_id, connection_name=self._name(),
                           account_id=order.account_id, what=order.describe(), cause=cause,
                           order_id=order.order_id, changes=changes)
        return self._start((MODIFICATION, order.order_id), check)

    async def find(self, request: OrderRequest) -> Order | None:
        """One look-up now: the order placed with ``request``'s client order id, or
        None (also when the broker cannot be asked)."""
        try:
            orders = await self._fetch(request.account_id)
        except Exception as exc:  # noqa: BLE001 - unknown still
            log.info("%s: look-up of %s failed: %s", self._name(), request.client_order_id, redact(repr(exc)))
            return None
        return next((o for o in orders if o.client_order_id == request.client_order_id
                     and o.account_id == request.account_id), None)

    def settled(self, request: OrderRequest) -> None:
        """A later submission of ``request`` was answered: its finished check is no
        longer needed."""
        check = self.submission(request)
        if check is not None and check.done:
            del self._checks[(SUBMISSION, request.client_order_id)]

    def _start(self, key: tuple[str, str], check: OrderCheck) -> OrderCheck:
        log.warning("%s: the outcome of %s (%s) is unknown (%s); checking, never sending it again",
                    check.connection_name, check.what, check.client_order_id or f"order {check.order_id}",
                    redact(str(check.cause)))
        self._checks.pop(key, None)
        self._checks[key] = check
        finished = [k for k, c in self._checks.items() if c.done]
        for old in finished[:max(0, len(finished) - KEEP)]:
            del self._checks[old]
        self._changed(check)
        self._spawn(self._follow(check), f"check:{check.client_order_id or check.order_id}")
        return check

    def seen(self, order: Order) -> None:
        """An order the connection learnt (stream, snapshot, answer): a running check
        it answers ends PLACED."""
        for check in self.pending():
            if check.matches(order):
                self._end(check, PLACED, order)

    def cancel(self) -> None:
        """The connection stops: running checks end UNKNOWN."""
        for check in self.pending():
            self._end(check, UNKNOWN)

    def _end(self, check: OrderCheck, state: str, order: Order | None = None) -> None:
        if check._finish(state, order):
            level = logging.INFO if state == PLACED else logging.WARNING
            log.log(level, "%s: %s: %s after %d look-ups", check.connection_name, check.client_order_id
                    or f"order {check.order_id}", state, check.lookups)
            self._changed(check)

    async def _follow(self, check: OrderCheck) -> None:
        try:
            for delay in self.delays:
                await asyncio.wait([check._future], timeout=delay)
                if check.done:
                    return
                check.lookups += 1
                try:
                    orders = await self._fetch(check.account_id)
                except Exception as exc:  # noqa: BLE001 - still unknown (session, bad payload): look again
                    log.info("%s: look-up %d of %s failed: %s", check.connection_name, check.lookups,
                             check.client_order_id or check.order_id, redact(repr(exc)))
                    continue
                self._look_at(check, orders)
                if check.done:
                    return
            self._end(check, NOT_PLACED)
        finally:
            if not check.done:  # cancelled: the connection stopped
                self._end(check, UNKNOWN)

    def _look_at(self, check: OrderCheck, orders: Sequence[Order]) -> None:
        for order in orders:
            try:
                if not check.about(order):
                    continue
                self._apply(order)  # the state shows it (and seen() ends the check when it matches)
            except Exception as exc:  # noqa: BLE001 - one unreadable order must not end the check
                log.warning("%s: skipped an order it could not apply while checking: %s", check.connection_name,
                            redact(repr(exc)))
                continue
            if check.matches(order):
                self._end(check, PLACED, order)
