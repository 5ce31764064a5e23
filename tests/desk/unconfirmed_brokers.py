"""Paper brokers whose order answers go missing, as a real broker's do after a 5xx, a
timeout or a dropped connection (shared by the desk and UI tests).

:class:`AnswerLost` raises a maybe-sent error from ``create_order`` / ``modify_order``
on the next ``lose`` calls, after doing the work (``placed=True``: the order exists,
the answer is lost) or without it (``placed=False``: it never arrived). ``hidden``
hides orders (by client order id) from ``fetch_orders`` and ``watch_orders``, as a
gateway that lists a new order late. ``refuse_repeats``: a client order id used
before is refused (as IBKR's "Local order ID=… is already registered") instead of
answered with its order. ``creates`` counts the create_order calls.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.brokers import OrderRejectedError
from desktop.brokers.paper import PaperBroker
from desktop.brokers.transport import MaybeSentError, RequestTimeout


class AnswerLost(PaperBroker):
    """See the module docstring. ``error`` makes the maybe-sent error raised
    (default: a 502 after the order POST)."""

    def __init__(self, *a, **k) -> None:
        super().__init__(*a, **k)
        self.lose = 0
        self.placed = True
        self.hidden: set[str] = set()
        self.creates = 0
        self.refuse_repeats = False
        self.error = lambda: MaybeSentError("Paper answered POST /orders with HTTP 502 after the order may have "
                                            "been placed; the outcome is unknown", code="502")

    def answer_lost(self, times: int = 1, *, placed: bool = True, hide: bool = False, error=None) -> None:
        """The next ``times`` order answers are lost (see the module docstring);
        ``hide``: orders placed meanwhile stay hidden until :meth:`reveal`."""
        self.lose, self.placed, self._hide = times, placed, hide
        if error is not None:
            self.error = error

    def reveal(self) -> None:
        """Hidden orders show again (the gateway lists them now)."""
        self.hidden.clear()

    def _lost(self) -> bool:
        if self.lose > 0:
            self.lose -= 1
            return True
        return False

    async def create_order(self, request, *, confirm=None):
        self.creates += 1
        if self.refuse_repeats and self.engine.order_by_client_id(request.client_order_id) is not None:
            raise OrderRejectedError(f"Local order ID={request.client_order_id} is already registered.")
        if not self._lost():
            return await super().create_order(request, confirm=confirm)
        if self.placed:
            if getattr(self, "_hide", False):
                self.hidden.add(request.client_order_id)
            await super().create_order(request, confirm=confirm)
        raise self.error()

    async def modify_order(self, account_id, order_id, **changes):
        if not self._lost():
            return await super().modify_order(account_id, order_id, **changes)
        if self.placed:
            await super().modify_order(account_id, order_id, **changes)
        raise self.error()

    async def fetch_orders(self, account_id: str, status: Sequence | None = None):
        return [o for o in await super().fetch_orders(account_id, status) if o.client_order_id not in self.hidden]

    async def watch_orders(self, account_id: str):
        async for order in super().watch_orders(account_id):
            if order.client_order_id not in self.hidden:
                yield order


def read_timeout() -> RequestTimeout:
    """The error of an order POST whose answer never came (read timeout after sending)."""
    return RequestTimeout("Paper did not answer the order POST in time", maybe_sent=True)
