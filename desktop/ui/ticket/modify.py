"""The dialog that modifies a working order's quantity and prices."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from desktop.domain import Order

from .style import FORM_SHEET, SIDE_COLOURS, set_invalid, show_error, submit_button_sheet
from .values import fmt_price, fmt_qty, modify_errors, parse_decimal
from .widgets import FieldBox
from .words import trader_words

_FIELDS = (("quantity", "amount", "quantityEdit"), ("limitPrice", "limit_price", "limitPriceEdit"),
           ("stopPrice", "stop_price", "stopPriceEdit"))


class ModifyOrderDialog(QDialog):
    """Change a working order's quantity and, if its type has them, limit/stop price.

    objectName "modifyOrderDialog"; inputs "quantityEdit", "limitPriceEdit",
    "stopPriceEdit" (only those the order type uses) with "<key>Error" labels under
    them; buttons "confirmButton" / "cancelButton". Validates as you type: the new
    quantity must exceed what is already filled, prices must be > 0 and on the tick.
    On confirm emits ``modifyConfirmed(order, changes)`` where ``changes`` holds only
    the changed keys among amount / limit_price / stop_price (Decimal values), then
    accepts. Open it with ``open()``. Messages are in a trader's words ("Quantity must
    be more than the 30 already filled"). Keys: Enter (in a field, or on Modify)
    applies the change once it is valid (an auto-repeated Enter does not), Enter on a
    focused Cancel cancels, Escape cancels; Alt+M and a click apply too.
    """

    modifyConfirmed = Signal(object, dict)

    def __init__(self, order: Order, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.order = order
        self.setObjectName("modifyOrderDialog")
        self.setWindowTitle(f"Modify order {order.order_id}")
        self.setModal(True)
        self.setStyleSheet(FORM_SHEET)
        self._changes: dict[str, Decimal] = {}
        self._errors: dict[str, str] = {}

        summary = QLabel(order.describe(), self, objectName="orderSummaryLabel", wordWrap=True)
        summary.setStyleSheet(f"color: {SIDE_COLOURS[order.side][0]}; font-weight: bold; font-size: 14px;")
        filled = QLabel(f"Filled {fmt_qty(order.filled)} of {fmt_qty(order.amount)} · {order.status.value.replace('_', ' ').lower()}"
                        f" · {order.account_id}", self, objectName="filledLabel", wordWrap=True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.boxes: dict[str, FieldBox] = {}
        originals = {"amount": order.amount, "limit_price": order.limit_price, "stop_price": order.stop_price}
        wanted = {"quantity": True, "limitPrice": order.type.needs_limit_price, "stopPrice": order.type.needs_stop_price}
        labels = {"quantity": "Quantity", "limitPrice": "Limit price", "stopPrice": "Stop price"}
        for key, domain, name in _FIELDS:
            if not wanted[key]:
                continue
            value = originals[domain]
            edit = QLineEdit("" if value is None else format(value, "f"), self, objectName=name)
            edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            edit.textChanged.connect(self._revalidate)
            self.boxes[key] = FieldBox(key, edit, self)
            form.addRow(labels[key], self.boxes[key])
        self.form_error = QLabel(self, objectName="formError", wordWrap=True, visible=False)
        self.form_error.setProperty("role", "error")
        self.changes_label = QLabel(self, objectName="changesLabel", wordWrap=True)

        self.cancel_button = QPushButton("Cancel", self, objectName="cancelButton", autoDefault=True)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button = QPushButton("&Modify order", self, objectName="confirmButton", autoDefault=True)
        self.confirm_button.setDefault(True)
        self.confirm_button.setStyleSheet(submit_button_sheet(order.side))
        self.confirm_button.setToolTip("Send the change (Enter, Alt+M)")
        self.confirm_button.clicked.connect(self._confirm)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)

        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(filled)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addWidget(self.changes_label)
        layout.addLayout(buttons)
        self.setMinimumWidth(320)
        self._revalidate()
        quantity = self.edit("quantity")
        if quantity is not None:
            quantity.setFocus()
            quantity.selectAll()

    def edit(self, key: str) -> QLineEdit | None:
        """The input for "quantity", "limitPrice" or "stopPrice" (None when not offered)."""
        box = self.boxes.get(key)
        return box.field if box else None  # type: ignore[return-value]

    def changes(self) -> dict[str, Decimal]:
        """The changed values so far (empty while invalid or unchanged)."""
        return dict(self._changes)

    def errors(self) -> dict[str, str]:
        """Current problems by field key."""
        return dict(self._errors)

    def _revalidate(self) -> None:
        order, instrument = self.order, self.order.instrument
        errors: dict[str, str] = {}
        originals = {"amount": order.amount, "limit_price": order.limit_price, "stop_price": order.stop_price}
        values = dict(originals)
        # stand-ins for unreadable fields, so the other fields are still checked
        stand_in = {"amount": order.filled + instrument.lot_size, "limit_price": instrument.tick_size,
                    "stop_price": instrument.tick_size}
        for key, domain, _name in _FIELDS:
            edit = self.edit(key)
            if edit is None:
                continue
            try:
                values[domain] = parse_decimal(edit.text(), domain)
            except ValueError as exc:
                errors[key] = trader_words(str(exc))
                values[domain] = stand_in[domain]
                continue
            if values[domain] is None and domain == "amount":
                errors[key] = "Enter a quantity"
                values[domain] = stand_in[domain]
        domain_errors = modify_errors(instrument, order.type, order.filled, values["amount"] or Decimal(0),
                                      values["limit_price"], values["stop_price"])
        errors = {**domain_errors, **errors}
        self._errors = errors
        for key, box in self.boxes.items():
            show_error(box.error, errors.get(key))
            set_invalid(box.field, key in errors)
        show_error(self.form_error, "\n".join(m for k, m in errors.items() if k not in self.boxes))
        self._changes = {} if errors else {
            k: v for k, v in values.items() if v is not None and v != originals[k]
        }
        self.changes_label.setText(self._describe_changes(originals))
        self.confirm_button.setEnabled(bool(self._changes))
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow to show wrapped error messages (top-level layouts ignore height-for-width)."""
        layout = self.layout()
        if layout is None or not self.isVisible():
            return
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else layout.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def _describe_changes(self, originals: dict[str, Decimal | None]) -> str:
        if self._errors:
            return "Fix the fields above to modify the order."
        if not self._changes:
            return "Nothing changed yet."
        names = {"amount": "quantity", "limit_price": "limit", "stop_price": "stop"}
        parts = []
        for key, new in self._changes.items():
            fmt = fmt_qty if key == "amount" else fmt_price
            parts.append(f"{names[key]} {fmt(originals[key])} → {fmt(new)}")
        return "Change " + ", ".join(parts)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """An auto-repeated Enter (held down) applies nothing; Enter otherwise as QDialog does."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.isAutoRepeat():
            event.accept()
            return
        super().keyPressEvent(event)

    def _confirm(self) -> None:
        self._revalidate()
        if not self._changes:
            return
        self.modifyConfirmed.emit(self.order, dict(self._changes))
        self.accept()
