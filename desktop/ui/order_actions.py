"""Order flows between the widgets and the desk: submit, cancel, modify, preview.

Each flow runs as an asyncio task and goes through the :class:`DeskBridge` to the
desk, which routes it to the connection the request or order names (and nowhere else:
a connection that is not connected refuses with NotConnectedError). Every outcome is
worded for what it is, never raised into Qt (the ticket keeps its fields):

- refused before it left this machine (not connected, unreachable): "Not sent: …",
  e.g. "Not sent: the IBKR gateway at https://localhost:5000 is not reachable" (the
  address from the saved connection; never "rejected", never an exception's class);
- refused by the broker: "Order rejected: …" (field names in a trader's words);
- sent but not confirmed (a 5xx, timeout or dropped connection after sending: the
  desk's OrderUnconfirmedError): "Sent, not confirmed yet: checking…", then the real
  outcome the desk's check finds ("Order 123 accepted: …", or not placed as far as the
  broker shows: check before sending it again); a modify likewise.

Each is also said in the status bar (``message``). Questions a broker
asks before accepting an order (IBKR reply flow) are put to the user by one
:class:`desktop.ui.questions.QuestionAsker` per connection, titled with its name; the
ids the user suppresses belong to that connection's session.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.brokers import BrokerError, UnavailableError
from desktop.brokers.transport import is_maybe_sent
from desktop.connections.spec import FieldKind
from desktop.desk import OrderCheck, OrderUnconfirmedError
from desktop.desk.order_checks import PLACED
from desktop.desk.tasks import spawn
from desktop.domain import Order, OrderRequest

from .questions import QuestionAsker, question_handler
from .services.desk_bridge import DeskBridge
from .ticket.words import trader_words, unreachable_words

log = logging.getLogger(__name__)


class OrderActions(QObject):
    """Runs order requests from the ticket and the orders table.

    ``ticket`` must offer set_busy(bool), order_accepted(Order), order_rejected(str),
    order_not_sent(str), order_unconfirmed(OrderRequest), order_confirmed(OrderRequest,
    Order), order_not_confirmed(OrderRequest, str) (see :mod:`desktop.ui.ticket.outcomes`);
    when it has ``previewRequested(OrderRequest)`` that is connected here and answered
    with ``show_preview(OrderPreview)`` / ``preview_failed(str)``. ``message(str)`` is
    emitted for the status bar after every outcome.
    """

    message = Signal(str)

    def __init__(self, bridge: DeskBridge, ticket: Any, window: QWidget) -> None:
        super().__init__(window)
        self.bridge = bridge
        self.desk = bridge.desk
        self.ticket = ticket
        self.window = window
        self._modify_dialog = None
        self._askers: dict[str, tuple[object, QuestionAsker]] = {}
        preview_signal = getattr(ticket, "previewRequested", None)
        if preview_signal is not None:
            preview_signal.connect(self.preview)

    def asker(self, connection_id: str) -> QuestionAsker:
        """The question asker of ``connection_id``'s current session (a new session of
        the connection, i.e. a new adapter, asks everything again)."""
        conn = self.desk.connections.get(connection_id)
        broker = conn.broker if conn is not None else None
        held = self._askers.get(connection_id)
        if held is None or held[0] is not broker:
            name = conn.name if conn is not None else connection_id

            async def suppress(ids) -> None:
                await self.desk.suppress_questions(connection_id, ids)

            held = (broker, question_handler(suppress, self.window, name=name))
            self._askers[connection_id] = held
        return held[1]

    def _name(self, connection_id: str) -> str:
        conn = self.desk.connections.get(connection_id)
        return conn.name if conn is not None else connection_id

    def address(self, connection_id: str) -> str:
        """Where ``connection_id``'s broker is reached (its saved connection's first URL
        field, e.g. "https://localhost:5000/v1/api"); "" when not known."""
        store = self.desk.store
        if store is None or connection_id not in store:
            return ""
        saved = store.get(connection_id)
        try:
            fields = saved.spec.fields
            config = saved.config()
        except (KeyError, ValueError):
            return ""
        url = next((config.get(f.name) for f in fields if f.kind == FieldKind.URL and config.get(f.name)), "")
        return str(url or "")

    def submit(self, request: OrderRequest) -> None:
        """Send the ticket's order to its connection; report acceptance or the reason."""
        self.ticket.set_busy(True)
        spawn(self._submit(request), name=f"submit:{request.client_order_id}")

    async def _submit(self, request: OrderRequest) -> None:
        name = self._name(request.connection_id)
        try:
            context = f"{name}: {request.describe()} ({request.account_id})"
            order = await self.bridge.submit(request, confirm=self.asker(request.connection_id).handler(context))
        except OrderUnconfirmedError as exc:
            self._unconfirmed(request, exc.check)
            return
        except BrokerError as exc:
            log.info("order %s refused: %s", request.client_order_id, exc)
            self.ticket.set_busy(False)
            if never_sent(exc):
                text = unreachable_words(exc.message, self.address(request.connection_id))
                self.ticket.order_not_sent(text)
                self.message.emit(f"{name}: not sent: {text}")
            else:
                self.ticket.order_rejected(exc.message)
                self.message.emit(f"{name}: order rejected: {trader_words(exc.message, capital=False)}")
            return
        except Exception:  # a bug on this side: whether the order left is not known here
            log.exception("order submission failed")
            self.ticket.set_busy(False)
            text = ("Something went wrong on this side (the log has the details): check the orders table "
                    "before sending it again.")
            self.ticket.order_not_confirmed(request, text)
            self.message.emit(f"{name}: {text}")
            return
        self.ticket.set_busy(False)
        if order.status.value == "REJECTED":
            self.ticket.order_rejected(order.message or "the broker gave no reason")
            self.message.emit(f"{name}: order rejected: {trader_words(order.message, capital=False)}")
        else:
            self.ticket.order_accepted(order)
            self.message.emit(f"{name}: order {order.order_id}: {order.describe()} — "
                              f"{order.status.value.replace('_', ' ').lower()}")

    def _unconfirmed(self, request: OrderRequest, check: OrderCheck) -> None:
        """``request`` went out but is not confirmed: say so, then the real outcome."""
        name = self._name(request.connection_id)
        self.ticket.order_unconfirmed(request)
        self.message.emit(f"{name}: sent, not confirmed yet: checking… ({request.describe()})")

        def checked(done: OrderCheck) -> None:
            if done.state == PLACED and done.order is not None:
                self.ticket.order_confirmed(request, done.order)
            else:
                self.ticket.order_not_confirmed(request, done.message)
            self.message.emit(f"{name}: {done.message}")

        check.add_done_callback(_while_alive(checked))

    def cancel(self, order: Order) -> None:
        """Cancel a working order from the orders table, at its own connection."""
        spawn(self._cancel(order), name=f"cancel:{order.order_id}")

    async def _cancel(self, order: Order) -> None:
        try:
            updated = await self.bridge.cancel(order)
        except BrokerError as exc:
            self._warn("Cancel failed", f"{self._name(order.connection_id)}: order {order.order_id} could not be "
                                        f"cancelled: {self._words(exc, order.connection_id)}")
            return
        self.message.emit(f"{self._name(order.connection_id)}: order {updated.order_id} "
                          f"{updated.status.value.replace('_', ' ').lower()}")

    def modify(self, order: Order) -> None:
        """Open the modify dialog for a working order."""
        if not order.is_working:
            return
        from .ticket import ModifyOrderDialog

        dialog = ModifyOrderDialog(order, self.window)
        dialog.modifyConfirmed.connect(lambda o, changes: spawn(self._modify(o, changes), name=f"modify:{o.order_id}"))
        self._modify_dialog = dialog
        dialog.open()

    async def _modify(self, order: Order, changes: dict) -> None:
        if not changes:
            return
        name = self._name(order.connection_id)
        try:
            confirm = self.asker(order.connection_id).handler(f"{name}: modify order {order.order_id}")
            updated = await self.bridge.modify(order, changes, confirm=confirm)
        except OrderUnconfirmedError as exc:
            self.message.emit(f"{name}: the change of order {order.order_id} was sent, not confirmed yet: checking…")

            def checked(done: OrderCheck) -> None:
                if done.state == PLACED:
                    self.message.emit(f"{name}: {done.message}")
                else:
                    self._warn("Change not confirmed", f"{name}: {done.message}")

            exc.check.add_done_callback(_while_alive(checked))
            return
        except BrokerError as exc:
            self._warn("Modify failed", f"{name}: order {order.order_id} could not be modified: "
                                        f"{self._words(exc, order.connection_id)}")
            return
        self.message.emit(f"{name}: order {updated.order_id} modified: {updated.describe()}")

    def preview(self, request: OrderRequest) -> None:
        """What-if for the ticket's order at its connection; failures shown in the ticket."""
        spawn(self._preview(request), name=f"preview:{request.client_order_id}")

    async def _preview(self, request: OrderRequest) -> None:
        try:
            preview = await self.bridge.preview(request)
        except BrokerError as exc:
            self.ticket.preview_failed(self._words(exc, request.connection_id))
            return
        except Exception:  # a bug or transport failure: tell the user, keep the app
            log.exception("order preview failed")
            self.ticket.preview_failed("something went wrong on this side (the log has the details)")
            return
        self.ticket.show_preview(preview)

    def _words(self, exc: BrokerError, connection_id: str) -> str:
        """A refusal in a trader's words (an unreachable broker named with its address)."""
        if never_sent(exc):
            return unreachable_words(exc.message, self.address(connection_id))
        return trader_words(exc.message, capital=False)

    def _warn(self, title: str, text: str) -> None:
        self.message.emit(text)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("orderActionWarning")
        box.open()


def never_sent(exc: BrokerError) -> bool:
    """Whether a refusal happened before the order left this machine: the connection
    is not connected, the broker could not be reached (connect error, certificate
    refused): not a broker's rejection, and certainly not maybe-sent."""
    return not is_maybe_sent(exc) and isinstance(exc, UnavailableError)  # incl. NotConnectedError, CertificateError


def _while_alive(fn):
    """``fn`` as a check's done callback: skipped (logged) once the window it speaks to is gone."""

    def call(check: OrderCheck) -> None:
        try:
            fn(check)
        except RuntimeError as exc:  # the widgets were deleted (the window closed) before the outcome
            log.info("outcome of %r not shown: %s", check, exc)

    return call
