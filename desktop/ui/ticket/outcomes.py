"""What the ticket shows after Submit, and the client order id a retry keeps.

Outcomes (the window's :class:`~desktop.ui.order_actions.OrderActions` calls one):

- ``order_accepted(order)``: "Order accepted: Buy 100 AAPL at market, good for the day";
- ``order_rejected(message)``: the broker refused it: "Order rejected: <why>" (when
  the broker names more buying power than the ticket estimated, with why: it holds
  back more for a market buy);
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

from .values import fmt_money, fmt_price
from .words import trader_words

_KEEP = 20  # requests whose retry keeps its client order id


def comparable(request: OrderRequest) -> dict:
    """Every field of ``request`` but its client order id."""
    return request.model_dump(exclude={"client_order_id"})


def same_order(a: OrderRequest, b: OrderRequest) -> bool:
    """Whether two requests are the same order (every field equal but the client order id)."""
    return comparable(a) == comparable(b)

class TicketOutcomes:
    """The outcome part of :class:`~desktop.ui.ticket.OrderTicket`'s API (a mixin: it
    uses the ticket's ``set_busy``, ``show_status``, ``show_rejection``, ``extras``,
    ``_request`` and ``_inputs``; see the module docstring).

    An outcome belongs to the order it reports: it is shown under Submit (so it never
    moves the button) and goes as soon as the ticket holds another order (any edit, a
    prefill, Submit); an outcome that arrives after the ticket moved on to another
    order (a late check) is left to the status bar. Messages are in a trader's words
    (:func:`~desktop.ui.ticket.words.trader_words`).
    """

    _sent: OrderRequest | None = None
    _sent_inputs = None
    _sent_estimate = None
    _retries: dict[str, OrderRequest]

    def retry_request(self) -> OrderRequest | None:
        """The earlier request a Submit of the ticket's order as it stands sends again
        (same client order id), or None when Submit makes a new one."""
        current = self._request
        if current is None:
            return None
        return next((r for r in reversed(self._retries.values()) if same_order(r, current)), None)

    def result_text(self) -> str:
        """The outcome shown under Submit (status or rejection), "" when none."""
        if not self.reject_label.isHidden():
            return self.reject_label.text()
        return self.status_label.text()

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

    def _report(self, status: str = "", role: str = "", rejection: str | None = None, inputs=None) -> None:
        """Show an outcome of the order the ticket held as ``inputs`` (default: now)."""
        self.show_status(status, role)
        self.show_rejection(rejection)
        self._result_for = inputs if inputs is not None else self._inputs()

    def _clear_result(self) -> None:
        """The ticket holds another order: the outcome shown was about the previous one."""
        self._result_for = None
        self.show_rejection(None)
        if not self._busy:
            self.show_status("")

    def _holds(self, request: OrderRequest) -> bool:
        """Whether the ticket still holds ``request``'s order (nothing edited since)."""
        return self._request is not None and same_order(self._request, request)

    def order_accepted(self, order: Order) -> None:
        """Show "Order accepted: …"; every field stays as it was."""
        self.set_busy(False)
        self._ended(order.client_order_id)
        self._report(f"Order accepted: {order.describe()}", "ok", inputs=self._sent_inputs)
        self.extras.order_accepted(order)

    def order_rejected(self, message: str) -> None:
        """The broker refused the order: show why under Submit; the fields stay for a
        fix and resend (a new order: a new client order id). A refusal naming more
        buying power than the ticket's estimate says why they differ."""
        self.set_busy(False)
        if self._sent is not None:
            self._ended(self._sent.client_order_id)
        text = f"Order rejected: {trader_words(message, capital=False)}"
        estimate = self._sent_estimate
        if estimate is not None and estimate.held is not None and "buying power" in message.lower():
            conn = self.current_connection()
            text += (f" ({estimate.held_text(conn.name if conn is not None else 'The broker')}; the ticket's "
                     f"estimate is {fmt_money(estimate.total, estimate.currency)} at the {estimate.basis} "
                     f"{fmt_price(estimate.price)})")
        self._report(rejection=text, inputs=self._sent_inputs)

    def order_not_sent(self, message: str) -> None:
        """The order never left this machine (e.g. its connection is not connected):
        "Not sent: <message>"; a retry of the same order keeps its client order id."""
        self.set_busy(False)
        if self._sent is not None:
            self._keep(self._sent)
        self._report(rejection=f"Not sent: {message}", inputs=self._sent_inputs)

    def order_unconfirmed(self, request: OrderRequest) -> None:
        """``request`` was sent but not confirmed: "Sent, not confirmed yet:
        checking…" until :meth:`order_confirmed` / :meth:`order_not_confirmed`. The
        ticket is free meanwhile; a retry of the same order keeps its client order id."""
        self.set_busy(False)
        self._keep(request)
        self._report(CHECKING_TEXT, "pending", inputs=self._sent_inputs if self._holds(request) else None)

    def order_confirmed(self, request: OrderRequest, order: Order) -> None:
        """The check found ``request``'s order: "Order 123 accepted: …" (or the
        broker's rejection), shown while the ticket still holds that order."""
        self._ended(request.client_order_id)
        if not self._holds(request):
            return
        if order.status in (OrderStatus.REJECTED, OrderStatus.DENIED):
            self._report(rejection=trader_words(placed_text(order)))
            return
        self._report(placed_text(order), "ok")
        self.extras.order_accepted(order)

    def order_not_confirmed(self, request: OrderRequest, message: str) -> None:
        """The check did not find ``request``'s order (``message`` explains and says
        to check with the broker), shown while the ticket still holds that order; a
        retry of the same order keeps its client order id."""
        self._keep(request)
        if self._holds(request):
            self._report(rejection=trader_words(message))
