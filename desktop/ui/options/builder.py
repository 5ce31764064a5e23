"""The OCC builder: build an option contract field by field, or paste its OCC symbol.

Fields (objectNames): "occEdit" (the 21-character OCC symbol, monospace, live),
"underlyingEdit", "expiryEdit" (a QDateEdit whose calendar greys out dates that are
not listed expiries once a chain is known), "dteLabel", "callButton" / "putButton",
"strikeCombo" (editable, filled with the chain's strikes), "copyButton", "tradeButton".
Each field has an error label "<key>Error" under it (keys: occ, underlying, expiry,
right, strike); a malformed OCC symbol is explained under the field of the part that
is wrong (``OccSymbolError.part``) and that part is underlined in the OCC field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import ValidationError
from PySide6.QtCore import QDate, QRect, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPen, QTextCharFormat, QValidator
from PySide6.QtWidgets import (
    QButtonGroup, QCalendarWidget, QComboBox, QCompleter, QDateEdit, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QSizePolicy, QStyle, QStyleOptionFrame, QVBoxLayout, QWidget,
)

from desktop.domain import OptionChain, OptionContract, OptionRight, field_errors

from ..ticket.style import ERROR, FORM_SHEET, error_label, set_invalid, show_error
from .common import as_date, days_to_expiry, faint, fmt_dte, fmt_strike, monospace_font, occ_spans, parse_strike

PART_TO_KEY = {"root": "underlying", "expiry": "expiry", "right": "right", "strike": "strike", "length": "occ"}
"""OccSymbolError.part -> the builder field that shows the message."""

FIELD_TO_KEY = {"underlying": "underlying", "expiry": "expiry", "right": "right", "strike": "strike"}
_FIRST_DATE = date(2000, 1, 1)
_LAST_DATE = date(2099, 12, 31)  # OCC writes two-digit years
_UNLISTED = "is not a listed expiry of"
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


def _occ():
    """The OCC module (imported late: it is written alongside this package)."""
    from desktop.domain import occ

    return occ


class OccValidator(QValidator):
    """Upper-cases an OCC symbol as it is typed or pasted; letters, digits and spaces only."""

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt override
        upper = text.upper()
        if len(upper) > 40 or any(not (c.isalnum() or c == " ") for c in upper):
            return (QValidator.State.Invalid, text, pos)
        return (QValidator.State.Acceptable, upper, pos)


class OccLineEdit(QLineEdit):
    """A monospace line edit that can underline a range of characters in red."""

    def __init__(self, parent: QWidget | None = None, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self._mark: tuple[int, int] | None = None

    def set_mark(self, span: tuple[int, int] | None) -> None:
        """Underline characters [start, end) (None: nothing)."""
        if span is not None and span[0] >= span[1]:
            span = None
        if span != self._mark:
            self._mark = span
            self.update()

    def mark(self) -> tuple[int, int] | None:
        return self._mark

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._mark is None or not self.text():
            return
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        contents: QRect = self.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, self)
        margins = self.textMargins()
        metrics = self.fontMetrics()
        text = self.text()
        start, end = self._mark
        left = contents.left() + margins.left() + 2  # QLineEdit's own horizontal margin is 2 px
        x1 = left + metrics.horizontalAdvance(text[:start])
        x2 = left + metrics.horizontalAdvance(text[:end])
        y = contents.center().y() + metrics.height() // 2
        painter = QPainter(self)
        pen = QPen(QColor(ERROR))
        pen.setWidth(2)
        painter.setPen(pen)
        painter.drawLine(x1, y, max(x2, x1 + 4), y)
        painter.end()


class ExpiryCalendar(QCalendarWidget):
    """A calendar that greys out every date that is not a listed expiry (when known).

    ``closed`` is emitted when its popup closes (the pick is then final)."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expiryCalendar")
        self.setGridVisible(False)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setMinimumSize(300, 230)
        plain = QTextCharFormat()  # no colour of its own: the palette's text, whatever the theme
        for weekend in (Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday):  # expiries, not weekends, matter here
            self.setWeekdayTextFormat(weekend, plain)
        self._listed: frozenset[date] = frozenset()

    def set_listed(self, expiries) -> None:
        """Dates that may be picked; empty: any date."""
        listed = frozenset(expiries)
        if listed == self._listed:
            return
        self._listed = listed
        self.updateCells()

    def listed(self) -> frozenset[date]:
        return self._listed

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.closed.emit()

    def is_listed(self, day: date) -> bool:
        return not self._listed or day in self._listed

    def paintCell(self, painter: QPainter, rect: QRect, qdate: QDate) -> None:  # noqa: N802 - Qt override
        day = qdate.toPython()
        if not self._listed:
            super().paintCell(painter, rect, qdate)
            return
        painter.save()
        if day in self._listed:  # a listed expiry: bold, boxed, with a dot; filled when selected
            selected = qdate == self.selectedDate()
            accent = self.palette().highlight().color()
            painter.setPen(QPen(accent, 1))
            painter.setBrush(accent if selected else Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 3, 3)
            font = QFont(painter.font())
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(self.palette().highlightedText().color() if selected else self.palette().text().color())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(qdate.day()))
        else:  # not an expiry: faint, and picking it snaps to the next listed one
            painter.setPen(faint())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(qdate.day()))
        painter.restore()


class _Box(QWidget):
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


class OccBuilder(QWidget):
    """Build an option contract and see its OCC symbol live (objectName "occBuilder").

    Signals: ``contractChanged(OptionContract)`` whenever the fields make a new valid
    contract; ``tradeRequested(OptionContract)`` from the Trade button;
    ``underlyingChanged(str)`` / ``expiryChanged(date)`` when the user settles on
    another underlying / expiry (to load its chain).
    Feed it ``set_symbols(symbols)`` (completion) and ``set_chain(chain)`` (listed
    expiries and strikes).
    """

    contractChanged = Signal(object)
    tradeRequested = Signal(object)
    underlyingChanged = Signal(str)
    expiryChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("occBuilder")
        self.setStyleSheet(FORM_SHEET + _TOGGLE_SHEET)
        self._contract: OptionContract | None = None
        self._errors: dict[str, str] = {}
        self._touched: set[str] = set()
        self._syncing = False
        self._expiry_chosen = False
        self._chain_underlying = ""
        self._strikes: tuple[Decimal, ...] = ()
        self._today: date | None = None
        self._underlying_price: Decimal | None = None
        self._last_underlying = ""
        self._last_expiry: date | None = None
        self._build()
        self._connect()
        self._rebuild_from_fields()

    # ------------------------------------------------------------------ widgets
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
        self.expiry_edit = QDateEdit(self, objectName="expiryEdit")
        self.expiry_edit.setCalendarPopup(True)
        self.expiry_edit.setCalendarWidget(self.calendar)
        self.expiry_edit.setDisplayFormat("ddd d MMM yyyy")
        self.expiry_edit.setKeyboardTracking(False)  # typed dates apply (and snap) when finished
        self.expiry_edit.setDateRange(QDate(_FIRST_DATE), QDate(_LAST_DATE))
        self.expiry_edit.setDate(QDate.currentDate())
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

        self.boxes: dict[str, _Box] = {
            "occ": _Box("occ", self.occ_edit, self.copy_button, self.trade_button, parent=self),
            "underlying": _Box("underlying", self.underlying_edit, parent=self),
            "expiry": _Box("expiry", self.expiry_edit, self.dte_label, parent=self),
            "right": _Box("right", self.call_button, self.put_button, parent=self, stretch_first=False),
            "strike": _Box("strike", self.strike_combo, parent=self),
        }
        self.inputs: dict[str, QWidget] = {
            "occ": self.occ_edit, "underlying": self.underlying_edit, "expiry": self.expiry_edit,
            "right": self.call_button, "strike": self.strike_combo,
        }

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop

        def label(text: str, buddy: QWidget) -> QLabel:
            lab = QLabel(text, self)
            lab.setBuddy(buddy)
            lab.setContentsMargins(0, 4, 0, 0)
            return lab

        grid.addWidget(label("&OCC", self.occ_edit), 0, 0, right)
        grid.addWidget(self.boxes["occ"], 0, 1, 1, 3)
        grid.addWidget(label("&Underlying", self.underlying_edit), 1, 0, right)
        grid.addWidget(self.boxes["underlying"], 1, 1)
        grid.addWidget(label("E&xpiry", self.expiry_edit), 1, 2, right)
        grid.addWidget(self.boxes["expiry"], 1, 3)
        grid.addWidget(label("Type", self.call_button), 2, 0, right)
        grid.addWidget(self.boxes["right"], 2, 1)
        grid.addWidget(label("&Strike", self.strike_combo), 2, 2, right)
        grid.addWidget(self.boxes["strike"], 2, 3)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(3, 3)

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

    def _toggle(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, self, objectName=name, checkable=True, autoDefault=False)
        button.setToolTip(tip)
        button.setMinimumWidth(button.fontMetrics().horizontalAdvance(text) + 24)
        return button

    def _connect(self) -> None:
        self.occ_edit.textEdited.connect(self._occ_edited)
        self.occ_edit.editingFinished.connect(self._occ_finished)
        self.underlying_edit.textEdited.connect(lambda _t: self._touch("underlying"))
        self.underlying_edit.textChanged.connect(self._field_changed)
        self.underlying_edit.editingFinished.connect(self._announce_underlying)
        self.completer.activated.connect(lambda _t: self._announce_underlying())
        self.expiry_edit.dateChanged.connect(self._expiry_changed)
        self.calendar.closed.connect(lambda: self._expiry_changed(self.expiry_edit.date()))
        self.right_group.buttonToggled.connect(lambda _b, checked: checked and self._field_changed())
        self.strike_combo.currentTextChanged.connect(self._strike_text_changed)
        self.strike_combo.lineEdit().textEdited.connect(lambda _t: self._touch("strike"))
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.trade_button.clicked.connect(self._trade)

    # --------------------------------------------------------------- public API
    def contract(self) -> OptionContract | None:
        """The contract the builder shows, None while incomplete or invalid."""
        return self._contract

    def occ_text(self) -> str:
        """What the OCC field shows."""
        return self.occ_edit.text()

    def errors(self) -> dict[str, str]:
        """Problems by field key (occ, underlying, expiry, right, strike)."""
        return dict(self._errors)

    def underlying(self) -> str:
        return self.underlying_edit.text().strip().upper()

    def expiry(self) -> date:
        return self.expiry_edit.date().toPython()

    def right(self) -> OptionRight:
        return OptionRight.PUT if self.put_button.isChecked() else OptionRight.CALL

    def listed_expiries(self) -> frozenset[date]:
        """Expiries of the known chain of the current underlying (empty: unknown)."""
        return self.calendar.listed()

    def set_symbols(self, symbols) -> None:
        """Underlyings offered by the completer."""
        self.completer_model.setStringList(sorted({str(s).upper() for s in symbols if str(s).isalnum()}))

    def set_underlying(self, symbol: str) -> None:
        """Point the builder at ``symbol`` (as if typed and confirmed)."""
        symbol = symbol.strip().upper()
        if symbol == self.underlying():
            return
        self.underlying_edit.setText(symbol)
        self._announce_underlying()

    def set_expiry(self, expiry: date) -> None:
        """Select ``expiry`` (snapped to a listed one when a chain is known)."""
        self._expiry_chosen = True
        if expiry != self.expiry():
            self.expiry_edit.setDate(QDate(expiry))

    def set_contract(self, contract: OptionContract) -> None:
        """Show ``contract`` in every field and the OCC field."""
        self._syncing = True
        try:
            self.underlying_edit.setText(contract.underlying)
            self._expiry_chosen = True
            self.expiry_edit.setDate(QDate(contract.expiry))
            (self.put_button if contract.right is OptionRight.PUT else self.call_button).setChecked(True)
            self.strike_combo.setEditText(fmt_strike(contract.strike))
        finally:
            self._syncing = False
        self._touched.update(("underlying", "strike"))
        self._rebuild_from_fields()
        self._announce_underlying()
        self._announce_expiry()

    def set_chain(self, chain: OptionChain) -> None:
        """Listed expiries and strikes of ``chain`` (ignored unless it is the underlying's).

        The calendar then offers only listed expiries, the strike list the chain's
        strikes; an empty strike is set to the at-the-money one.
        """
        if chain.underlying.upper() != self.underlying():
            return
        self._today = as_date(chain.timestamp)
        self._underlying_price = chain.underlying_price or next(
            (q.underlying_price for q in chain.quotes if q.underlying_price is not None), None)
        first_for_underlying = self._chain_underlying != chain.underlying.upper()
        self._chain_underlying = chain.underlying.upper()
        expiries = tuple(sorted(chain.expiries or {q.contract.expiry for q in chain.quotes}))
        self._syncing = True
        try:
            if expiries:
                self.calendar.set_listed(expiries)
                if first_for_underlying and not self._expiry_chosen:
                    self.expiry_edit.setDate(QDate(expiries[0]))
            self._set_strikes(chain)
        finally:
            self._syncing = False
        self._rebuild_from_fields()
        self._announce_expiry()

    def copy_to_clipboard(self) -> None:
        """Copy the OCC symbol (padded, 21 characters) to the clipboard."""
        if self._contract is None:
            return
        QGuiApplication.clipboard().setText(self._contract.occ_symbol)
        self.copy_button.setText("Copied")
        QTimer.singleShot(1500, self.copy_button, lambda: self.copy_button.setText("Copy"))

    # ------------------------------------------------------------------ private
    def _set_strikes(self, chain: OptionChain) -> None:
        expiry = self.expiry()
        strikes = tuple(sorted({q.contract.strike for q in chain.quotes if q.contract.expiry == expiry})) or tuple(chain.strikes)
        if strikes == self._strikes:
            return
        self._strikes = strikes
        text = self.strike_combo.currentText()
        combo = self.strike_combo
        combo.blockSignals(True)
        combo.clear()
        atm = self._atm(strikes)
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

    def _atm(self, strikes) -> Decimal | None:
        price = self._underlying_price
        if price is None or not strikes:
            return None
        return min(strikes, key=lambda s: (abs(s - price), s))

    @staticmethod
    def _snap(day: date, expiries: tuple[date, ...]) -> date:
        """The first listed expiry on or after ``day``, else the last one."""
        return next((e for e in expiries if e >= day), expiries[-1])

    def _touch(self, key: str) -> None:
        if key not in self._touched:
            self._touched.add(key)

    def _field_changed(self, *_args) -> None:
        if not self._syncing:
            self._rebuild_from_fields()

    def _strike_text_changed(self, _text: str) -> None:
        self._field_changed()

    def _expiry_changed(self, qdate: QDate) -> None:
        if self._syncing:
            return
        day = qdate.toPython()
        listed = self.calendar.listed()
        if self.calendar.isVisible():  # moving through the popup: snap when it closes
            self._rebuild_from_fields()
            return
        if listed and day not in listed:
            snapped = self._snap(day, tuple(sorted(listed)))
            self._syncing = True
            self.expiry_edit.setDate(QDate(snapped))
            self._syncing = False
            self._note(f"{day:%a %d %b %Y} is not a listed expiry: using {snapped:%a %d %b %Y}")
        else:
            self._note("")
        self._expiry_chosen = True
        self._rebuild_from_fields()
        self._announce_expiry()

    def _note(self, text: str) -> None:
        self.status_label.setText(text)

    def _contract_from_fields(self) -> tuple[OptionContract | None, dict[str, str]]:
        errors: dict[str, str] = {}
        underlying = self.underlying()
        if not underlying:
            errors["underlying"] = "underlying is required: type a symbol, e.g. AAPL"
        try:
            strike = parse_strike(self.strike_combo.currentText())
        except ValueError as exc:
            errors["strike"] = str(exc)
            strike = None
        else:
            if strike is None:
                errors["strike"] = "strike is required: pick or type one"
        values = {
            "underlying": underlying or "X",
            "expiry": self.expiry(),
            "right": self.right(),
            "strike": strike if strike is not None else Decimal(1),
        }
        try:
            contract = OptionContract(**values)
        except ValidationError as exc:
            for name, message in field_errors(exc).items():
                errors.setdefault(FIELD_TO_KEY.get(name, "occ"), message)
            return None, errors
        if errors:
            return None, errors
        try:
            contract.occ_symbol  # noqa: B018 - formatting checks the strike and expiry fit
        except ValueError as exc:  # OccSymbolError
            errors[PART_TO_KEY.get(getattr(exc, "part", "") or "length", "occ")] = getattr(exc, "reason", None) or str(exc)
            return None, errors
        return contract, {}

    def _rebuild_from_fields(self) -> None:
        contract, errors = self._contract_from_fields()
        self._show_errors(errors, quiet={k for k in ("underlying", "strike") if k not in self._touched})
        self.occ_edit.set_mark(None)
        text = contract.occ_symbol if contract is not None else ""
        if self.occ_edit.text() != text:
            self.occ_edit.setText(text)
        self._set_contract(contract)

    def _occ_edited(self, text: str) -> None:
        text = text.strip()
        if not text:
            self.occ_edit.set_mark(None)
            self._show_errors({}, set())
            self._set_contract(None)
            return
        occ = _occ()
        try:
            contract = occ.parse_occ(text)
        except occ.OccSymbolError as exc:
            part = getattr(exc, "part", None) or "length"
            key = PART_TO_KEY.get(part, "occ")
            self._show_errors({key: getattr(exc, "reason", None) or str(exc)}, set())
            raw = self.occ_edit.text()
            lead = len(raw) - len(raw.lstrip())
            start, end = occ_spans(text).get(part, (0, len(text)))
            self.occ_edit.set_mark((start + lead, end + lead))
            self._set_contract(None)
            return
        self.occ_edit.set_mark(None)
        self._syncing = True
        try:
            self.underlying_edit.setText(contract.underlying)
            self._expiry_chosen = True
            self.expiry_edit.setDate(QDate(contract.expiry))
            (self.put_button if contract.right is OptionRight.PUT else self.call_button).setChecked(True)
            self.strike_combo.setEditText(fmt_strike(contract.strike))
        finally:
            self._syncing = False
        self._touched.update(("underlying", "strike"))
        self._show_errors({}, set())
        self._set_contract(contract)
        self._announce_underlying()
        self._announce_expiry()

    def _occ_finished(self) -> None:
        """Leaving the OCC field: show the canonical padded form of a valid symbol."""
        if self._contract is not None and self.occ_edit.text() != self._contract.occ_symbol:
            self.occ_edit.setText(self._contract.occ_symbol)

    def _show_errors(self, errors: dict[str, str], quiet: set[str]) -> None:
        self._errors = dict(errors)
        for key, box in self.boxes.items():
            message = None if key in quiet else errors.get(key)
            show_error(box.error, message)
            targets = (self.call_button, self.put_button) if key == "right" else (self.inputs[key],)
            for widget in targets:
                set_invalid(widget, message is not None)

    def _set_contract(self, contract: OptionContract | None) -> None:
        self.copy_button.setEnabled(contract is not None)
        self.trade_button.setEnabled(contract is not None)
        self._update_dte()
        if contract == self._contract:
            return
        self._contract = contract
        if contract is not None:
            self.contractChanged.emit(contract)

    def _update_dte(self) -> None:
        days = days_to_expiry(self.expiry(), self._today)
        self.dte_label.setText(fmt_dte(days))
        listed = self.calendar.listed()
        unlisted = bool(listed) and self._chain_underlying == self.underlying() and self.expiry() not in listed
        current = self.status_label.text()
        if unlisted:
            self._note(f"{self.expiry():%a %d %b %Y} is not a listed expiry of {self.underlying()}")
        elif _UNLISTED in current:
            self._note("")

    def _announce_underlying(self) -> None:
        symbol = self.underlying()
        if symbol and symbol != self._last_underlying and "underlying" not in self._errors:
            self._last_underlying = symbol
            if symbol != self._chain_underlying:
                self.calendar.set_listed(())
                self._strikes = ()
            self.underlyingChanged.emit(symbol)

    def _announce_expiry(self) -> None:
        day = self.expiry()
        if day != self._last_expiry:
            self._last_expiry = day
            self.expiryChanged.emit(day)

    def _trade(self) -> None:
        if self._contract is not None:
            self.tradeRequested.emit(self._contract)
