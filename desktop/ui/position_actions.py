"""Closing a position by its id and changing its stop-loss / take-profit (issue 14),
for brokers whose positions have ids (``capabilities.close_position``: TradeLocker).

The positions table's Close (and double-click) on such a row opens
:class:`ClosePositionDialog` (the quantity to close, all of it by default, in the
position's unit: lots); "Stop-loss / take-profit…" opens :class:`ProtectionDialog`, as the orders table's
does for a working order (``capabilities.protection``).
Each runs as a task through the desk (``Desk.close_position`` /
``Desk.modify_position`` / ``Desk.modify_protection``), never raising into Qt: the outcome is said in the status
bar, a refusal also in a message box naming the broker's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QMessageBox, QVBoxLayout,
                               QWidget)

from desktop.brokers import BrokerError
from desktop.desk.tasks import spawn
from desktop.domain import Order, OrderSide, Position

from .tables.formatting import fmt_price, fmt_qty
from .ticket.values import parse_decimal

log = logging.getLogger(__name__)


def unit_word(position: Position, amount: Decimal) -> str:
    """"lots" / "lot" for lot instruments, else "shares"/"contracts"."""
    unit = position.instrument.unit.value.lower()
    return unit[:-1] if amount == 1 else unit


class ClosePositionDialog(QDialog):
    """Asks how much of ``position`` to close (objectName "closePositionDialog";
    field "closeQuantityEdit", error "closeQuantityError"). :meth:`quantity` is None
    for all of it."""

    def __init__(self, position: Position, connection: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("closePositionDialog")
        self.position = position
        size = abs(position.quantity)
        side = "long" if position.quantity > 0 else "short"
        self.setWindowTitle(f"Close position {position.position_id}")
        intro = QLabel(f"{connection} · {position.account_id}: {side} {fmt_qty(size)} {unit_word(position, size)} "
                       f"of {position.symbol}" + (f" at {fmt_price(position.average)}" if position.average is not None else ""),
                       self)
        self.quantity_edit = QLineEdit(fmt_qty(size), self, objectName="closeQuantityEdit")
        self.error = QLabel("", self, objectName="closeQuantityError")
        self.error.setStyleSheet("color: #c0392b")
        form = QFormLayout()
        form.addRow(f"Close ({position.instrument.unit.value.lower()})", self.quantity_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.close_button = self.buttons.addButton("Close position", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button.setObjectName("closePositionButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.quantity_edit.textChanged.connect(self._check)
        self._check()

    def quantity(self) -> Decimal | None:
        """What to close: None for all of it, else the typed quantity."""
        value = parse_decimal(self.quantity_edit.text(), "quantity")
        return None if value is None or value == abs(self.position.quantity) else value

    def _check(self) -> None:
        size = abs(self.position.quantity)
        try:
            value = parse_decimal(self.quantity_edit.text(), "quantity")
            problem = ("quantity is required: enter how much to close" if value is None else
                       "quantity must be greater than 0" if value <= 0 else
                       f"quantity must be at most the position's {fmt_qty(size)}" if value > size else
                       f"quantity must be a multiple of {fmt_qty(self.position.instrument.lot_size)}"
                       if value % self.position.instrument.lot_size else "")
        except ValueError as exc:
            problem = str(exc)
        self.error.setText(problem)
        self.close_button.setEnabled(not problem)


class ProtectionDialog(QDialog):
    """New stop-loss / take-profit prices of ``target``, a position with an id or a
    working order (objectName "protectionDialog"; fields "positionStopLossEdit",
    "positionTakeProfitEdit"; blank removes one that is set). :meth:`changes` gives the
    desk's keyword arguments (``Desk.modify_position`` / ``Desk.modify_protection``)."""

    def __init__(self, target: Position | Order, connection: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("protectionDialog")
        self.target = target
        self.position = target  # the name older callers use
        order = isinstance(target, Order)
        self.long = target.side is OrderSide.BUY if order else target.quantity > 0
        self.what = "buy order" if order and self.long else "sell order" if order else \
            "long position" if self.long else "short position"
        ident = target.order_id if order else target.position_id
        self.setWindowTitle(f"Stop-loss / take-profit of {'order' if order else 'position'} {ident}")
        # exact figures (a table's rounding would read as a change)
        self.sl_edit = QLineEdit(_exact(target.stop_loss), self, objectName="positionStopLossEdit")
        self.tp_edit = QLineEdit(_exact(target.take_profit), self, objectName="positionTakeProfitEdit")
        self.error = QLabel("", self, objectName="protectionError")
        self.error.setStyleSheet("color: #c0392b")
        form = QFormLayout()
        form.addRow("Stop-loss", self.sl_edit)
        form.addRow("Take-profit", self.tp_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("applyProtectionButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        if order:
            price = target.limit_price or target.stop_price
            intro = (f"{connection} · {target.account_id}: {target.side.value.lower()} {fmt_qty(target.amount)} "
                     f"{target.symbol}" + (f" at {fmt_price(price)}" if price is not None else " at market"))
        else:
            intro = (f"{connection} · {target.account_id}: {target.symbol}, {fmt_qty(target.quantity)}"
                     + (f" at {fmt_price(target.average)}" if target.average is not None else ""))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(intro, self))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        for edit in (self.sl_edit, self.tp_edit):
            edit.textChanged.connect(self._check)
        self._check()

    def changes(self) -> dict:
        """``stop_loss`` / ``take_profit`` (Decimal) and ``clear`` (the ones emptied)."""
        out: dict = {"clear": []}
        for name, edit, current in (("stop_loss", self.sl_edit, self.target.stop_loss),
                                    ("take_profit", self.tp_edit, self.target.take_profit)):
            value = parse_decimal(edit.text(), name)
            if value is None and current is not None:
                out["clear"].append(name)
            elif value is not None and value != current:
                out[name] = value
        return out

    def _check(self) -> None:
        problem = ""
        tick = self.target.instrument.tick_size
        for name, label, edit in (("stop_loss", "Stop-loss", self.sl_edit), ("take_profit", "Take-profit", self.tp_edit)):
            try:
                value = parse_decimal(edit.text(), name)
            except ValueError:
                problem = f"{label} must be a number"
                break
            if value is not None and (value <= 0 or value % tick):
                problem = f"{label} must be a price above 0 in steps of {fmt_qty(tick)} (the tick size)"
                break
        if not problem:
            changes = self.changes()
            sl = changes.get("stop_loss", self.target.stop_loss)
            tp = changes.get("take_profit", self.target.take_profit)
            if "stop_loss" in changes["clear"]:
                sl = None
            if "take_profit" in changes["clear"]:
                tp = None
            if sl is not None and tp is not None and ((self.long and sl >= tp) or (not self.long and sl <= tp)):
                problem = f"The stop-loss must be {'below' if self.long else 'above'} the take-profit of a {self.what}"
            elif len(changes) == 1 and not changes["clear"]:
                problem = "Nothing to change yet"
        self.error.setText(problem)
        self.apply_button.setEnabled(not problem)


class PositionActions:
    """Runs Close-by-id and SL/TP changes of positions through ``desk``. ``window``
    parents the dialogs; ``say(text)`` shows a status message; ``name_of(cid)`` names
    a connection; ``flush()`` applies staged table changes at once (optional)."""

    def __init__(self, desk, window: QWidget, *, say: Callable[[str], None], name_of: Callable[[str], str],
                 flush: Callable[[], None] | None = None) -> None:
        self.desk, self.window = desk, window
        self._say, self._name_of, self._flush = say, name_of, flush
        self.dialog: QDialog | None = None

    def close(self, position: Position) -> ClosePositionDialog:
        """Ask how much of ``position`` to close, then close it."""
        dialog = ClosePositionDialog(position, self._name_of(position.connection_id), self.window)
        dialog.accepted.connect(lambda: spawn(self._close(position, dialog.quantity()),
                                              name=f"close-position:{position.position_id}"))
        return self._open(dialog)

    def protect(self, position: Position) -> ProtectionDialog:
        """Ask for ``position``'s new stop-loss / take-profit, then set them."""
        dialog = ProtectionDialog(position, self._name_of(position.connection_id), self.window)
        dialog.accepted.connect(lambda: spawn(self._protect(position, dialog.changes()),
                                              name=f"protect-position:{position.position_id}"))
        return self._open(dialog)

    def protect_order(self, order: Order) -> ProtectionDialog:
        """Ask for the new stop-loss / take-profit attached to the working ``order``,
        then set them (``Desk.modify_protection``)."""
        dialog = ProtectionDialog(order, self._name_of(order.connection_id), self.window)
        dialog.accepted.connect(lambda: spawn(self._protect_order(order, dialog.changes()),
                                              name=f"protect-order:{order.order_id}"))
        return self._open(dialog)

    def _open(self, dialog):
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    async def _close(self, position: Position, quantity: Decimal | None) -> None:
        name = self._name_of(position.connection_id)
        what = f"{fmt_qty(quantity)} of position {position.position_id}" if quantity else \
            f"position {position.position_id}"
        try:
            await self.desk.close_position(position, quantity)
        except BrokerError as exc:
            self._refused("Close failed", f"{name}: {what} ({position.symbol}) could not be closed: {exc.message}")
            return
        self._done(f"{name}: closed {what} ({position.symbol})")

    async def _protect(self, position: Position, changes: dict) -> None:
        name = self._name_of(position.connection_id)
        try:
            await self.desk.modify_position(position, **changes)
        except BrokerError as exc:
            self._refused("Change failed", f"{name}: position {position.position_id} ({position.symbol}): "
                                           f"{exc.message}")
            return
        self._done(f"{name}: position {position.position_id} {_changes_text(changes)}")

    async def _protect_order(self, order: Order, changes: dict) -> None:
        name = self._name_of(order.connection_id)
        try:
            await self.desk.modify_protection(order, **changes)
        except BrokerError as exc:
            self._refused("Change failed", f"{name}: order {order.order_id} ({order.symbol}): {exc.message}")
            return
        self._done(f"{name}: order {order.order_id} {_changes_text(changes)}")

    def _done(self, text: str) -> None:
        if self._flush is not None:
            self._flush()
        self._say(text)

    def _refused(self, title: str, text: str) -> None:
        log.info("%s", text)
        self._say(text)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("positionActionWarning")
        box.open()


def _exact(price: Decimal | None) -> str:
    """A price exactly as held, as a trader types it ("" when none)."""
    return "" if price is None else f"{price:f}"


def _changes_text(changes: dict) -> str:
    """"stop-loss 1.0712, take-profit removed" for a :meth:`ProtectionDialog.changes`."""
    parts = [f"stop-loss {fmt_price(changes['stop_loss'])}" if "stop_loss" in changes else "",
             f"take-profit {fmt_price(changes['take_profit'])}" if "take_profit" in changes else "",
             *(f"{c.replace('_', '-')} removed" for c in changes.get("clear", ()))]
    return ", ".join(p for p in parts if p)
