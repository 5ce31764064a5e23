"""Small widgets of the order ticket: the BUY/SELL selector and field-with-error rows."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.domain import OrderSide

from .style import error_label, side_button_sheet


class SideSelector(QWidget):
    """Two checkable buttons, BUY (green) and SELL (red); exactly one is checked.

    The checked one is drawn solid with white text, the other outlined, so the side is
    obvious at a glance. Emits ``sideChanged(OrderSide)``.
    """

    sideChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buy_button = self._button("BUY", "buyButton", OrderSide.BUY)
        self.sell_button = self._button("SELL", "sellButton", OrderSide.SELL)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._group.addButton(self.buy_button)
        self._group.addButton(self.sell_button)
        self.buy_button.setChecked(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.buy_button)
        layout.addWidget(self.sell_button)
        self._group.buttonToggled.connect(self._toggled)

    def _button(self, text: str, name: str, side: OrderSide) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setCheckable(True)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.setStyleSheet(side_button_sheet(side))
        button.setMinimumHeight(28)
        verb = "buy" if side is OrderSide.BUY else "sell"
        button.setToolTip(f"{text}: this order will {verb}")
        button.setAccessibleName(f"Side {text}")
        return button

    def side(self) -> OrderSide:
        """The selected side."""
        return OrderSide.BUY if self.buy_button.isChecked() else OrderSide.SELL

    def set_side(self, side: OrderSide) -> None:
        """Select ``side`` (emits sideChanged if it changes)."""
        (self.buy_button if side is OrderSide.BUY else self.sell_button).setChecked(True)

    def _toggled(self, button: QPushButton, checked: bool) -> None:
        if checked:
            self.sideChanged.emit(self.side())


class FieldBox(QWidget):
    """An input with its error label underneath, for one row of a form.

    ``key`` names the error label ``<key>Error``; the input keeps its own objectName.
    """

    def __init__(self, key: str, field: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.error: QLabel = error_label(f"{key}Error", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(field)
        layout.addWidget(self.error)


class SymbolValidator(QValidator):
    """Upper-cases a ticker as it is typed; allows letters, digits, ``.``, ``-``, ``/``
    and spaces (BRK.B, BF-B, BRK B), at most 32 characters."""

    _ALLOWED = re.compile(r"^[A-Z0-9./ \-]{0,32}$")

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt override
        upper = text.upper()
        if not self._ALLOWED.match(upper):
            return (QValidator.State.Invalid, text, pos)
        return (QValidator.State.Acceptable, upper, pos)
