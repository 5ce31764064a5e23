"""What the ticket shows after Submit, and the client order id a retry keeps.

Outcomes (the window's :class:`~desktop.ui.order_actions.OrderActions` calls one):

- ``order_accepted(order)``: "Order accepted: Buy 100 AAPL at market, good for the day";
- ``order_rejected(message)``: the broker refused it: "Order rejected: <why>";
- ``order_not_sent(message)``: it never left this machine: "Not sent: <why>";
- ``order_unconfirmed(request)``: it was sent but the broker did not confirm it (a
  5xx, a timeout, a dropped connection): "Sent, not confirmed yet: checking…", never
  "rejected"; then, once the desk's check knows,
  ``order_confirmed(request, order)`` ("Order 123 accepted: …") or
  ``order_not_confirmed(request, message)`` (the explanation: not placed as far as
  the broker shows, check before sending it again).

A retry never places a second order: after an outcome that leaves it unknown or
certainly unsent (not sent, unconfirmed, not confirmed) the ticket keeps that request,
and Submit with the same order (every field as it was) sends it again with the SAME
client order id, which the broker answers with the order it may already have (the
desk does not even send it while it is still being checked). Any change of the order
makes a new client order id; an answer (accepted, rejected, confirmed) ends it.
"""

from __future__ import annotations

from desktop.desk.order_checks import CHECKING_TEXT, placed_text
from desktop.domain import Order, OrderRequest, OrderStatus

_KEEP = 20  # requests whose retry keeps its client order id


def comparable(request: OrderRequest) -> dict:
    """Every field of ``request`` but its client order id."""
    return request.model_dump(exclude={"client_order_id"})


def same_order(a: OrderRequest, b: OrderRequest) -> bool:
    """Whether two requests are the same order (every field equal but the client order id)."""
    return comparable(a) == comparable(b)

class TicketOutcomes:
    """The outcome part of :class:`~desktop.ui.ticket.OrderTicket`'s API (a mixin: it
    uses the ticket's ``set_busy``, ``show_status``, ``show_rejection``, ``extras``
    and ``_request``; see the module docstring)."""

    _sent: OrderRequest | None = None
    _retries: dict[str, OrderRequest]

    def retry_request(self) -> OrderRequest | None:
        """The earlier request a Submit of the ticket's order as it stands sends again
        (same client order id), or None when Submit makes a new one."""
        current = self._request
        if current is None:
            return None
        return next((r for r in reversed(self._retries.values()) if same_order(r, current)), None)

    def _to_send(self, request: OrderRequest) -> OrderRequest:
        """``request``, or the earlier one with its client order id when it is the
        same order as one whose outcome is not known to be final."""
        return next((r for r in reversed(self._retries.values()) if same_order(r, request)), request)

    def _keep(self, request: OrderRequest) -> None:
        """A retry of ``request`` keeps its client order id (the newest few are kept)."""
        self._retries.pop(request.client_order_id, None)
        self._retries[request.client_order_id] = request
        while len(self._retries) > _KEEP:
            self._retries.pop(next(iter(self._retries)))

    def _ended(self, client_order_id: str) -> None:
        """The broker answered about ``client_order_id``: a retry of it is a new order."""
        self._retries.pop(client_order_id, None)

    def order_accepted(self, order: Order) -> None:
        """Show "Order accepted: …"; every field stays as it was."""
        self.set_busy(False)
        self._ended(order.client_order_id)
        self.show_rejection(None)
        self.show_status(f"Order accepted: {order.describe()}", "ok")
        self.extras.order_accepted(order)

    def order_rejected(self, message: str) -> None:
        """The broker refused the order: show why above Submit; the fields stay for a
        fix and resend (a new order: a new client order id)."""
        self.set_busy(False)
        if self._sent is not None:
            self._ended(self._sent.client_order_id)
        self.show_status("")
        self.show_rejection(f"Order rejected: {message}")

    def order_not_sent(self, message: str) -> None:
        """The order never left this machine (e.g. its connection is not connected):
        "Not sent: <message>"; a retry of the same order keeps its client order id."""
        self.set_busy(False)
        if self._sent is not None:
            self._keep(self._sent)
        self.show_status("")
        self.show_rejection(f"Not sent: {message}")

    def order_unconfirmed(self, request: OrderRequest) -> None:
        """``request`` was sent but not confirmed: "Sent, not confirmed yet:
        checking…" until :meth:`order_confirmed` / :meth:`order_not_confirmed`. The
        ticket is free meanwhile; a retry of the same order keeps its client order id."""
        self.set_busy(False)
        self._keep(request)
        self.show_rejection(None)
        self.show_status(CHECKING_TEXT, "pending")

    def order_confirmed(self, request: OrderRequest, order: Order) -> None:
        """The check found ``request``'s order: "Order 123 accepted: …" (or the
        broker's rejection, in the rejection box)."""
        self._ended(request.client_order_id)
        if order.status in (OrderStatus.REJECTED, OrderStatus.DENIED):
            self.show_status("")
            self.show_rejection(placed_text(order))
            return
        self.show_rejection(None)
        self.show_status(placed_text(order), "ok")
        if self._request is not None and same_order(self._request, request):
            self.extras.order_accepted(order)

    def order_not_confirmed(self, request: OrderRequest, message: str) -> None:
        """The check did not find ``request``'s order (``message`` explains and says
        to check with the broker); a retry of the same order keeps its client order id."""
        self._keep(request)
        self.show_status("")
        self.show_rejection(message)
