"""The OCC builder: build an option contract field by field, or paste its OCC symbol.

The fields and their layout are :class:`.builder_form.OccBuilderForm` (objectNames
listed there); :class:`OccBuilder` adds the behaviour: the OCC symbol follows the
fields live, a pasted symbol fills the fields, the expiry snaps to listed expiries and
the strike list follows the chain. A malformed OCC symbol is explained under the field
of the part that is wrong (``OccSymbolError.part``) and that part is underlined in the
OCC field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from desktop.domain import OptionChain, OptionContract, OptionRight

from ..ticket.style import set_invalid, show_error
from .builder_form import OccBuilderForm
from .common import as_date, days_to_expiry, fmt_dte, fmt_strike
from .contract_fields import contract_from_fields, contract_from_occ
from .expiry_calendar import snap_to_listed

_UNLISTED = "is not a listed expiry of"


class OccBuilder(OccBuilderForm):
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
        self._connect()
        self._rebuild_from_fields()

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
        """The underlying symbol typed (upper case, "" when blank)."""
        return self.underlying_edit.text().strip().upper()

    def expiry(self) -> date:
        """The expiry the date field shows."""
        return self.expiry_edit.date().toPython()

    def right(self) -> OptionRight:
        """CALL or PUT, as toggled."""
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
        self._fill_fields(contract)
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
        self._fill_strikes(strikes, self._atm(strikes))

    def _atm(self, strikes) -> Decimal | None:
        price = self._underlying_price
        if price is None or not strikes:
            return None
        return min(strikes, key=lambda s: (abs(s - price), s))

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
            snapped = snap_to_listed(day, tuple(sorted(listed)))
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

    def _rebuild_from_fields(self) -> None:
        contract, errors = contract_from_fields(self.underlying(), self.expiry(), self.right(), self.strike_combo.currentText())
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
        contract, problem = contract_from_occ(text)
        if contract is None:
            self._show_errors({problem.key: problem.message}, set())
            self.occ_edit.mark_part(problem.part)
            self._set_contract(None)
            return
        self.occ_edit.set_mark(None)
        self._fill_fields(contract)
        self._show_errors({}, set())
        self._set_contract(contract)
        self._announce_underlying()
        self._announce_expiry()

    def _fill_fields(self, contract: OptionContract) -> None:
        """Show ``contract`` in the fields (without rebuilding from them); both count as typed."""
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
