"""The OCC builder's widgets and their layout (the behaviour is :class:`.builder.OccBuilder`).

Fields (objectNames): "occEdit" (the 21-character OCC symbol, monospace, live),
"underlyingEdit", "expiryEdit" (a QDateEdit whose calendar greys out dates that are
not listed expiries once a chain is known), "dteLabel", "callButton" / "putButton",
"strikeCombo" (editable, filled with the chain's strikes), "copyButton", "tradeButton",
"builderStatus". Each field has an error label "<key>Error" under it (keys: occ,
underlying, expiry, right, strike).
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QCompleter, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy,
    QVBoxLayout, QWidget,
)

from ..ticket.style import ERROR, FORM_SHEET, error_label
from .common import fmt_strike, monospace_font
from .expiry_calendar import ExpiryCalendar, expiry_edit
from .occ_field import OccLineEdit, OccValidator

NARROW_BELOW = 470
"""Below this width (px) the builder puts one field a row (its two-a-row layout needs about this)."""

_TOGGLE_SHEET = """
QPushButton#callButton, QPushButton#putButton {
    padding: 3px 10px; border: 1px solid rgba(128, 128, 128, 0.6); border-radius: 3px; background: transparent;
}
QPushButton#callButton:hover, QPushButton#putButton:hover { background: rgba(128, 128, 128, 0.15); }
QPushButton#callButton:checked, QPushButton#putButton:checked {
    background: palette(highlight); color: palette(highlighted-text); border-color: palette(highlight); font-weight: bold;
}
QPushButton#callButton:focus, QPushButton#putButton:focus { border: 1px solid palette(highlight); }
QDateEdit[invalid="true"], QPushButton#callButton[invalid="true"], QPushButton#putButton[invalid="true"] {
    border: 1px solid %s; border-radius: 2px;
}
""" % ERROR


class FieldBox(QWidget):
    """An input row (one or more widgets) with its error label underneath."""

    def __init__(self, key: str, *widgets: QWidget, parent: QWidget | None = None, stretch_first: bool = True) -> None:
        super().__init__(parent)
        self.error = error_label(f"{key}Error", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for i, widget in enumerate(widgets):
            row.addWidget(widget, 1 if (i == 0 and stretch_first) else 0)
        layout.addLayout(row)
        layout.addWidget(self.error)


class OccBuilderForm(QWidget):
    """The builder's fields, laid out in a grid with their labels (objectName "occBuilder").

    ``boxes`` and ``inputs`` map each field key to its :class:`FieldBox` and its input.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("occBuilder")
        self.setStyleSheet(FORM_SHEET + _TOGGLE_SHEET)
        self._build()

    def _build(self) -> None:
        mono = monospace_font()
        mono.setPointSizeF(max(mono.pointSizeF(), 10.5))
        self.occ_edit = OccLineEdit(self, objectName="occEdit", placeholderText="paste an OCC symbol, e.g. AAPL  250221C00200000")
        self.occ_edit.setFont(mono)
        self.occ_edit.setValidator(OccValidator(self.occ_edit))
        self.occ_edit.setToolTip("The OCC (OSI) symbol: root padded to 6, expiry yymmdd, C/P, strike x 1000 in 8 digits.\n"
                                 "Paste one (padded or not) to fill the fields.")
        self.occ_edit.setMinimumWidth(self.occ_edit.fontMetrics().horizontalAdvance("M" * 22) + 16)
        self.copy_button = QPushButton("Copy", self, objectName="copyButton", autoDefault=False)
        self.copy_button.setToolTip("Copy the OCC symbol to the clipboard")
        self.trade_button = QPushButton("Trade…", self, objectName="tradeButton", autoDefault=False)
        self.trade_button.setToolTip("Open this contract in the order ticket")

        self.underlying_edit = QLineEdit(self, objectName="underlyingEdit", placeholderText="e.g. AAPL")
        self.underlying_edit.setMaxLength(6)
        self.completer_model = QStringListModel(self)
        self.completer = QCompleter(self.completer_model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.underlying_edit.setCompleter(self.completer)
        self.underlying_edit.setValidator(OccValidator(self.underlying_edit))

        self.calendar = ExpiryCalendar(self)
        self.expiry_edit = expiry_edit(self.calendar, self)
        self.dte_label = QLabel(self, objectName="dteLabel")
        self.dte_label.setMinimumWidth(self.dte_label.fontMetrics().horizontalAdvance("expired") + 4)
        self.dte_label.setToolTip("Calendar days to expiry")

        self.call_button = self._toggle("Call", "callButton", "A call: the right to buy 100 shares at the strike")
        self.put_button = self._toggle("Put", "putButton", "A put: the right to sell 100 shares at the strike")
        self.right_group = QButtonGroup(self)
        self.right_group.setExclusive(True)
        self.right_group.addButton(self.call_button)
        self.right_group.addButton(self.put_button)
        self.call_button.setChecked(True)

        self.strike_combo = QComboBox(self, objectName="strikeCombo")
        self.strike_combo.setEditable(True)
        self.strike_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.strike_combo.lineEdit().setPlaceholderText("strike")
        self.strike_combo.lineEdit().setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.strike_combo.setMaxVisibleItems(16)
        self.strike_combo.setMinimumContentsLength(7)
        self.strike_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)

        self.status_label = QLabel(self, objectName="builderStatus", wordWrap=True)
        self.status_label.setStyleSheet("color: palette(placeholder-text);")

        self.boxes: dict[str, FieldBox] = {
            "occ": FieldBox("occ", self.occ_edit, self.copy_button, self.trade_button, parent=self),
            "underlying": FieldBox("underlying", self.underlying_edit, parent=self),
            "expiry": FieldBox("expiry", self.expiry_edit, self.dte_label, parent=self),
            "right": FieldBox("right", self.call_button, self.put_button, parent=self, stretch_first=False),
            "strike": FieldBox("strike", self.strike_combo, parent=self),
        }
        self.inputs: dict[str, QWidget] = {
            "occ": self.occ_edit, "underlying": self.underlying_edit, "expiry": self.expiry_edit,
            "right": self.call_button, "strike": self.strike_combo,
        }
        self._lay_out()

    def _lay_out(self) -> None:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        def label(text: str, buddy: QWidget) -> QLabel:
            lab = QLabel(text, self)
            lab.setBuddy(buddy)
            lab.setContentsMargins(0, 4, 0, 0)
            return lab

        self._grid, self._narrow = grid, None
        self._cells = [(label(text, self.inputs[key]), self.boxes[key]) for text, key in (
            ("&OCC", "occ"), ("&Underlying", "underlying"), ("E&xpiry", "expiry"), ("Type", "right"),
            ("&Strike", "strike"))]
        self._arrange(narrow=False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(grid)
        layout.addWidget(self.status_label)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.setTabOrder(self.occ_edit, self.underlying_edit)
        self.setTabOrder(self.underlying_edit, self.expiry_edit)
        self.setTabOrder(self.expiry_edit, self.call_button)
        self.setTabOrder(self.call_button, self.put_button)
        self.setTabOrder(self.put_button, self.strike_combo)
        self.setTabOrder(self.strike_combo, self.copy_button)
        self.setTabOrder(self.copy_button, self.trade_button)

    def _arrange(self, narrow: bool) -> None:
        """Two fields a row (OCC alone on the first), or, ``narrow``, one field a row so
        nothing is cut in a narrow dock (e.g. a 1024-px window)."""
        if narrow == self._narrow:
            return
        self._narrow = narrow
        grid, right = self._grid, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        for lab, box in self._cells:
            grid.removeWidget(lab)
            grid.removeWidget(box)
        (occ_label, occ), *rest = self._cells
        grid.addWidget(occ_label, 0, 0, right)
        grid.addWidget(occ, 0, 1, 1, 1 if narrow else 3)
        for i, (lab, box) in enumerate(rest):
            row, col = (1 + i, 0) if narrow else (1 + i // 2, 2 * (i % 2))
            grid.addWidget(lab, row, col, right)
            grid.addWidget(box, row, col + 1)
        grid.setColumnStretch(1, 1 if narrow else 2)
        grid.setColumnStretch(3, 0 if narrow else 3)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Re-arrange the fields when the wide arrangement no longer fits."""
        super().resizeEvent(event)
        self._arrange(narrow=event.size().width() < NARROW_BELOW)

    def _toggle(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, self, objectName=name, checkable=True, autoDefault=False)
        button.setToolTip(tip)
        button.setMinimumWidth(button.fontMetrics().horizontalAdvance(text) + 24)
        return button

    def _fill_strikes(self, strikes: tuple[Decimal, ...], atm: Decimal | None) -> None:
        """List ``strikes`` in the strike combo (``atm`` in bold), keeping the typed text
        (the at-the-money strike when blank); emits no signal."""
        text = self.strike_combo.currentText()
        combo = self.strike_combo
        combo.blockSignals(True)
        combo.clear()
        for strike in strikes:
            combo.addItem(fmt_strike(strike), strike)
            if strike == atm:
                combo.setItemData(combo.count() - 1, "at the money", Qt.ItemDataRole.ToolTipRole)
                font = QFont(combo.font())
                font.setBold(True)
                combo.setItemData(combo.count() - 1, font, Qt.ItemDataRole.FontRole)
        if not text.strip() and atm is not None:
            text = fmt_strike(atm)
        combo.setEditText(text)
        index = combo.findText(text)
        if index >= 0:
            combo.setCurrentIndex(index)
        combo.blockSignals(False)
