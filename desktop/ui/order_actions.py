"""Order flows between the widgets and the BrokerService: submit, cancel, modify.

Each flow runs as an asyncio task; a broker refusal is shown to the user with the
broker's reason (the ticket keeps its fields), never raised into Qt.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.brokers import BrokerError
from desktop.domain import Order, OrderRequest

from .services.broker_service import BrokerService
from .services.tasks import spawn

log = logging.getLogger(__name__)


class OrderActions(QObject):
    """Runs order requests from the ticket and the orders table.

    ``ticket`` must offer set_busy(bool), order_accepted(Order), order_rejected(str).
    ``message(str)`` is emitted for the status bar after every outcome.
    """

    message = Signal(str)

    def __init__(self, service: BrokerService, ticket: Any, window: QWidget) -> None:
        super().__init__(window)
        self.service = service
        self.ticket = ticket
        self.window = window
        self._modify_dialog = None

    def submit(self, request: OrderRequest) -> None:
        """Send the ticket's order; report acceptance or the rejection reason."""
        self.ticket.set_busy(True)
        spawn(self._submit(request), name=f"submit:{request.client_order_id}")

    async def _submit(self, request: OrderRequest) -> None:
        try:
            order = await self.service.submit(request)
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
            updated = await self.service.modify(order, changes)
        except BrokerError as exc:
            self._warn("Modify failed", f"Order {order.order_id} could not be modified: {exc.message}")
            return
        self.message.emit(f"Order {updated.order_id} modified: {updated.describe()}")

    def _warn(self, title: str, text: str) -> None:
        self.message.emit(text)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("orderActionWarning")
        box.open()
