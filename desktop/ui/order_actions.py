"""Order flows between the widgets and the BrokerService: submit, cancel, modify.

Each flow runs as an asyncio task; a broker refusal is shown to the user with the
broker's reason (the ticket keeps its fields), never raised into Qt. Questions the
broker asks before accepting an order (IBKR reply flow) are put to the user with
:class:`desktop.ui.questions.QuestionAsker`; what-if previews (``Broker.preview_order``)
are answered into the ticket.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.brokers import BrokerError
from desktop.domain import Order, OrderRequest

from .questions import QuestionAsker, question_handler

from .services.broker_service import BrokerService
from .services.tasks import spawn

log = logging.getLogger(__name__)


class OrderActions(QObject):
    """Runs order requests from the ticket and the orders table.

    ``ticket`` must offer set_busy(bool), order_accepted(Order), order_rejected(str);
    when it has ``previewRequested(OrderRequest)`` that is connected here and answered
    with ``show_preview(OrderPreview)`` / ``preview_failed(str)``. ``message(str)`` is
    emitted for the status bar after every outcome. ``questions`` asks the broker's
    questions (passed as ``confirm=`` to ``service.submit`` / ``service.modify``); the
    ids the user suppresses are forgotten when the service's broker changes.
    """

    message = Signal(str)

    def __init__(self, service: BrokerService, ticket: Any, window: QWidget) -> None:
        super().__init__(window)
        self.service = service
        self.ticket = ticket
        self.window = window
        self._modify_dialog = None
        self.questions: QuestionAsker = question_handler(self._suppress, window)
        self._questions_broker = service.broker
        preview_signal = getattr(ticket, "previewRequested", None)
        if preview_signal is not None:
            preview_signal.connect(self.preview)

    async def _suppress(self, message_ids) -> None:
        await self.service.broker.suppress_questions(message_ids)

    def _confirm(self, context: str):
        """The question handler for one order (``context`` says which)."""
        if self.service.broker is not self._questions_broker:  # a new session asks everything again
            self._questions_broker = self.service.broker
            self.questions.reset()
        return self.questions.handler(context)

    def submit(self, request: OrderRequest) -> None:
        """Send the ticket's order; report acceptance or the rejection reason."""
        self.ticket.set_busy(True)
        spawn(self._submit(request), name=f"submit:{request.client_order_id}")

    async def _submit(self, request: OrderRequest) -> None:
        try:
            context = f"{request.describe()} ({request.account_id})"
            order = await self.service.submit(request, confirm=self._confirm(context))
        except BrokerError as exc:
            log.info("order %s refused: %s", request.client_order_id, exc)
            self.ticket.set_busy(False)
            self.ticket.order_rejected(exc.message)
            self.message.emit(f"Order rejected: {exc.message}")
            return
        except Exception as exc:  # a bug or transport failure: keep the ticket, tell the user
            log.exception("order submission failed")
            self.ticket.set_busy(False)
            self.ticket.order_rejected(f"Could not send the order: {exc}")
            return
        self.ticket.set_busy(False)
        if order.status.value == "REJECTED":
            self.ticket.order_rejected(order.message or "The broker rejected the order.")
            self.message.emit(f"Order rejected: {order.message}")
        else:
            self.ticket.order_accepted(order)
            self.message.emit(f"Order {order.order_id}: {order.describe()} — {order.status.value.replace('_', ' ').lower()}")

    def cancel(self, order: Order) -> None:
        """Cancel a working order from the orders table."""
        spawn(self._cancel(order), name=f"cancel:{order.order_id}")

    async def _cancel(self, order: Order) -> None:
        try:
            updated = await self.service.cancel(order)
        except BrokerError as exc:
            self._warn("Cancel failed", f"Order {order.order_id} could not be cancelled: {exc.message}")
            return
        self.message.emit(f"Order {updated.order_id} {updated.status.value.replace('_', ' ').lower()}")

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
        try:
            updated = await self.service.modify(order, changes, confirm=self._confirm(f"Modify order {order.order_id}"))
        except BrokerError as exc:
            self._warn("Modify failed", f"Order {order.order_id} could not be modified: {exc.message}")
            return
        self.message.emit(f"Order {updated.order_id} modified: {updated.describe()}")

    def preview(self, request: OrderRequest) -> None:
        """What-if for the ticket's order (``Broker.preview_order``); failures shown in the ticket."""
        spawn(self._preview(request), name=f"preview:{request.client_order_id}")

    async def _preview(self, request: OrderRequest) -> None:
        try:
            preview = await self.service.broker.preview_order(request)
        except BrokerError as exc:
            self.ticket.preview_failed(exc.message)
            return
        except Exception as exc:  # a bug or transport failure: tell the user, keep the app
            log.exception("order preview failed")
            self.ticket.preview_failed(str(exc) or type(exc).__name__)
            return
        self.ticket.show_preview(preview)

    def _warn(self, title: str, text: str) -> None:
        self.message.emit(text)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("orderActionWarning")
        box.open()
