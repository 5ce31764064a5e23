"""The order ticket's widgets and layout, and how they display state.

:class:`TicketForm` knows nothing about validation or brokers; :class:`OrderTicket`
(ticket.py) adds the behaviour. Every input has an objectName ("accountCombo", in
"accountSelector", "symbolEdit", "buyButton", "sellButton", "quantityEdit", "typeCombo",
"limitPriceEdit", "stopPriceEdit", "tifCombo", "submitButton") and an error label
"<key>Error" under it; "connectionNote" under the account says what changed when the
account moved to another connection; "quoteLabel" (and "quoteNote" under it while the
quote's connection is down), "estimateLabel" and "formError" come before Submit; the
outcome of the last order, "rejectLabel" and "statusLabel", comes after it, so
showing one never moves the button. For options ("option mode") the BUY/SELL buttons give way to
"optionActionCombo" (buy/sell to open/close), "contractLabel" names the contract and
"multiplierLabel" shows the shares per contract next to the quantity.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QCompleter, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from desktop.domain import Instrument, OptionAction, OptionRight, OrderSide, OrderType, PositionEffect, Quote, TimeInForce

from .account_selector import AccountSelector
from .price_step import PriceStepper
from .style import FORM_SHEET, LINK, SIDE_COLOURS, set_invalid, show_error, submit_button_sheet
from .values import ACTION_LABELS, ACTION_TIPS, fmt_qty
from .values import fmt_price as fmt_quote_price
from .widgets import FieldBox, SideSelector, SymbolValidator


class TicketForm(QWidget):
    """Widgets of the order ticket in a compact form that fits a ~320 px dock."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(FORM_SHEET)
        self.selector = AccountSelector(self)
        self.account_combo = self.selector.combo
        self.connection_note = QLabel(self, objectName="connectionNote", wordWrap=True, visible=False)
        self.connection_note.setProperty("role", "note")
        self.symbol_edit = QLineEdit(self, objectName="symbolEdit", placeholderText="e.g. AAPL")
        self.symbol_edit.setValidator(SymbolValidator(self.symbol_edit))
        self.completer_model = QStringListModel(self)
        self.completer = QCompleter(self.completer_model, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.symbol_edit.setCompleter(self.completer)
        self.quote_label = QLabel(self, objectName="quoteLabel", textFormat=Qt.TextFormat.RichText)
        self.quote_label.setToolTip("Click bid or ask to use it as the limit price")
        self.quote_label.setWordWrap(True)
        self.quote_label.setVisible(False)
        self.quote_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.quote_note = QLabel(self, objectName="quoteNote", wordWrap=True, visible=False)
        self.quote_note.setProperty("role", "error")
        self.session_note = QLabel(self, objectName="marketSessionNote", wordWrap=True, visible=False)
        self.session_note.setProperty("role", "error")  # a closed market: said in the error colour, not refused
        self.side_selector = SideSelector(self)
        self.buy_button, self.sell_button = self.side_selector.buy_button, self.side_selector.sell_button
        self.option_mode = False
        self.action_combo = QComboBox(self, objectName="optionActionCombo")
        for action in OptionAction:
            self.action_combo.addItem(ACTION_LABELS[action], action.value)
            self.action_combo.setItemData(self.action_combo.count() - 1, ACTION_TIPS[action], Qt.ItemDataRole.ToolTipRole)
        self.action_combo.setMinimumHeight(28)
        self.action_combo.setVisible(False)
        for i in range(self.action_combo.count()):
            colour = SIDE_COLOURS[OptionAction(self.action_combo.itemData(i)).side][0]
            self.action_combo.setItemData(i, QColor(colour), Qt.ItemDataRole.ForegroundRole)
        self.action_combo.currentIndexChanged.connect(self._colour_action)
        self._colour_action()
        self.contract_label = QLabel(self, objectName="contractLabel", wordWrap=True, visible=False)
        self.contract_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.multiplier_label = QLabel(self, objectName="multiplierLabel", visible=False)
        self.multiplier_label.setToolTip("Each contract is for this many shares")
        self.quantity_edit = self._number_edit("quantityEdit", "shares")
        self.notional_check = QCheckBox("Amount in $", self, objectName="notionalCheck", visible=False)
        self.notional_check.setToolTip("Give a dollar amount instead of a number of shares (a market order good "
                                       "for the day); the brokerage works out the shares, fractions included")
        self.type_combo = QComboBox(self, objectName="typeCombo")
        self.limit_edit = self._number_edit("limitPriceEdit", "limit price")
        self.stop_edit = self._number_edit("stopPriceEdit", "stop price")
        self.price_step = PriceStepper({"limit price": self.limit_edit, "stop price": self.stop_edit}, self)
        self.tif_combo = QComboBox(self, objectName="tifCombo")
        self.estimate_label = QLabel(self, objectName="estimateLabel", wordWrap=True)
        self.form_error = QLabel(self, objectName="formError", wordWrap=True, visible=False)
        self.form_error.setProperty("role", "error")
        self.reject_label = QLabel(self, objectName="rejectLabel", wordWrap=True, visible=False)
        self.reject_label.setProperty("role", "reject")
        self.submit_button = QPushButton(self, objectName="submitButton", autoDefault=False)
        self.submit_button.setMinimumHeight(34)
        self.status_label = QLabel(self, objectName="statusLabel", wordWrap=True)
        self._account_wide = False
        self._layout_form()
        self._keyboard()

    def _layout_form(self) -> None:
        self.boxes: dict[str, FieldBox] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(5)
        self.form = form
        self._row("Account", "account", self.selector)
        account_box = self.boxes["account"]
        account_box.field = self.account_combo  # marked invalid; the selector adds the group's members
        account_box.layout().addWidget(self.connection_note)
        self.account_label: QLabel = form.labelForField(account_box)  # "Allocate to" for advisors
        self.account_label.setBuddy(self.account_combo)
        self._row("Symbol", "symbol", self.symbol_edit)
        form.addRow(self.contract_label)
        form.addRow(self.quote_label)
        form.addRow(self.quote_note)
        form.addRow(self.session_note)
        sides = QWidget(self)
        sides_layout = QHBoxLayout(sides)
        sides_layout.setContentsMargins(0, 0, 0, 0)
        sides_layout.addWidget(self.side_selector)
        sides_layout.addWidget(self.action_combo)
        form.addRow("Side", sides)
        self.side_label = form.labelForField(sides)
        self._row("Quantity", "quantity", self.quantity_edit)
        quantity_box = self.boxes["quantity"]
        quantity_row = QHBoxLayout()
        quantity_row.setContentsMargins(0, 0, 0, 0)
        quantity_row.setSpacing(6)
        quantity_box.layout().removeWidget(self.quantity_edit)
        quantity_row.addWidget(self.quantity_edit, 1)
        quantity_row.addWidget(self.multiplier_label)
        quantity_row.addWidget(self.notional_check)
        quantity_box.layout().insertLayout(0, quantity_row)
        self._row("Type", "type", self.type_combo)
        self._row("Limit price", "limitPrice", self.limit_edit)
        self._row("Stop price", "stopPrice", self.stop_edit)
        self._row("Time in force", "tif", self.tif_combo)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.estimate_label)
        layout.addWidget(self.form_error)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.reject_label)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        lines = self.estimate_label.fontMetrics().lineSpacing()
        self.estimate_label.setMinimumHeight(2 * lines + 2)  # one line or two: Submit stays put

    def _keyboard(self) -> None:
        order = [self.account_combo, self.symbol_edit, self.buy_button, self.sell_button, self.action_combo, self.quantity_edit,
                 self.type_combo, self.limit_edit, self.stop_edit, self.tif_combo, self.submit_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        scope = Qt.ShortcutContext.WidgetWithChildrenShortcut  # only while focus is in the ticket
        self.buy_shortcut = QShortcut(QKeySequence("Ctrl+B"), self, context=scope)
        self.sell_shortcut = QShortcut(QKeySequence("Ctrl+S"), self, context=scope)
        self.buy_shortcut.activated.connect(lambda: self.choose_side(OrderSide.BUY))
        self.sell_shortcut.activated.connect(lambda: self.choose_side(OrderSide.SELL))
        self.buy_button.setToolTip("Buy (Ctrl+B)")
        self.sell_button.setToolTip("Sell (Ctrl+S)")

    def _number_edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self, objectName=name, placeholderText=placeholder)
        edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return edit

    def _row(self, label: str, key: str, field: QWidget) -> None:
        box = FieldBox(key, field, self)
        self.boxes[key] = box
        self.form.addRow(label, box)
        buddy = self.form.labelForField(box)
        if isinstance(buddy, QLabel):
            buddy.setBuddy(field)

    def show_account_row(self, label: str, *, wide: bool) -> None:
        """Label the account row ``label``. ``wide`` moves the label and the account box
        out of the form, above it, so the box has the ticket's whole width (connection
        names, the advisor's group names, e.g. "ByEquity · A · Available equity · 3
        accounts", and the wrapped member list under them)."""
        self.account_label.setText(label)
        box = self.boxes["account"]
        if wide == self._account_wide:
            return
        outer = self.layout()
        if wide:
            row = self.form.getWidgetPosition(box)[0]
            self.form.removeWidget(self.account_label)  # frees their layout items (a taken row's
            self.form.removeWidget(box)                 # items would keep stale size caches)
            self.form.removeRow(row)  # the now empty row
            outer.insertWidget(0, self.account_label)
            outer.insertWidget(1, box)
        else:
            outer.removeWidget(self.account_label)
            outer.removeWidget(box)
            self.form.insertRow(0, self.account_label, box)
        self.account_label.show()
        box.show()
        self._account_wide = wide

    # ------------------------------------------------------------ field values
    def symbol(self) -> str:
        """The typed symbol, stripped and upper-cased."""
        return self.symbol_edit.text().strip().upper()

    def side(self) -> OrderSide:
        """BUY or SELL (in option mode, the side of the chosen action)."""
        return self.option_action().side if self.option_mode else self.side_selector.side()

    def option_action(self) -> OptionAction:
        """The chosen option action (meaningful in option mode)."""
        return OptionAction(self.action_combo.currentData() or OptionAction.BUY_TO_OPEN.value)

    def position_effect(self) -> PositionEffect | None:
        """OPEN/CLOSE in option mode, None otherwise."""
        return self.option_action().position_effect if self.option_mode else None

    def select_action(self, action: OptionAction) -> None:
        """Choose ``action`` (and the matching BUY/SELL for when the mode ends)."""
        self.action_combo.setCurrentIndex(self.action_combo.findData(action.value))
        self.side_selector.set_side(action.side)

    def _colour_action(self) -> None:
        """Buy actions green, sell actions red, like the BUY/SELL buttons."""
        colour = SIDE_COLOURS[self.option_action().side][0]
        self.action_combo.setStyleSheet(f"QComboBox#optionActionCombo {{ color: {colour}; font-weight: bold; }}")

    def choose_side(self, side: OrderSide) -> None:
        """Ctrl+B / Ctrl+S: the side; in option mode the action of that side with the same effect."""
        if self.option_mode:
            self.select_action(OptionAction.of(side, self.option_action().position_effect))
        else:
            self.side_selector.set_side(side)

    def show_option_mode(self, instrument: Instrument | None) -> bool:
        """Switch between the BUY/SELL buttons (stocks) and the option actions.

        ``instrument`` is the resolved one (None while unknown: the mode stays as it
        is). Returns True when the mode changed.
        """
        if instrument is None:
            if self.option_mode:
                self.contract_label.setVisible(False)
            return False
        option = instrument.option is not None
        if option:
            contract = instrument.option
            kind = "call" if contract.right is OptionRight.CALL else "put"
            self.contract_label.setText(f"<b>{instrument.display_name}</b> · {contract.style.value.capitalize()} {kind}")
            self.contract_label.setToolTip(f"OCC symbol {instrument.symbol}; {fmt_qty(instrument.multiplier)} shares per contract")
            self.multiplier_label.setText(f"× {fmt_qty(instrument.multiplier)} shares")
        self.contract_label.setVisible(option)
        if option == self.option_mode:
            return False
        self.option_mode = option
        if option:  # keep the side the user had picked
            self.action_combo.blockSignals(True)
            self.action_combo.setCurrentIndex(self.action_combo.findData(
                OptionAction.of(self.side_selector.side(), self.option_action().position_effect).value))
            self.action_combo.blockSignals(False)
        else:
            self.side_selector.set_side(self.option_action().side)
        self.side_selector.setVisible(not option)
        self.action_combo.setVisible(option)
        self.multiplier_label.setVisible(option)
        if isinstance(self.side_label, QLabel):
            self.side_label.setText("Action" if option else "Side")
            self.side_label.setBuddy(self.action_combo if option else self.buy_button)
        if option:
            self.notional_check.setChecked(False)
            self.notional_check.setVisible(False)
        self.show_quantity_words()
        return True

    def show_quantity_words(self) -> None:
        """Label the quantity field for what it takes: contracts (options), a dollar
        amount ("Amount in $" ticked) or shares."""
        dollars = self.notional()
        self.quantity_edit.setPlaceholderText("contracts" if self.option_mode else "dollars" if dollars else "shares")
        form_label = self.form.labelForField(self.boxes["quantity"])
        if isinstance(form_label, QLabel):
            form_label.setText("Contracts" if self.option_mode else "Amount ($)" if dollars else "Quantity")

    def notional(self) -> bool:
        """Whether the quantity field holds a dollar amount ("Amount in $" offered and ticked)."""
        return self.notional_check.isChecked() and not self.notional_check.isHidden()

    def offer_notional(self, offered: bool) -> bool:
        """Show "Amount in $" where the account takes dollar amounts (never for
        options); hiding it unticks it. Returns True when that changed the field."""
        show = offered and not self.option_mode
        before = self.notional()
        self.notional_check.blockSignals(True)
        if not show:
            self.notional_check.setChecked(False)
        self.notional_check.setVisible(show)
        self.notional_check.blockSignals(False)
        if self.notional() != before:
            self.show_quantity_words()
            return True
        return False

    def order_type(self) -> OrderType:
        return OrderType(self.type_combo.currentData() or OrderType.MARKET.value)

    def time_in_force(self) -> TimeInForce:
        return TimeInForce(self.tif_combo.currentData() or TimeInForce.DAY.value)

    # ---------------------------------------------------------------- display
    def show_field_errors(self, errors: dict[str, str], quiet: set[str]) -> None:
        """Show each message under its field (red border); keys in ``quiet`` stay silent.

        Messages for keys without a field go to "formError".
        """
        for key, box in self.boxes.items():
            message = None if key in quiet else errors.get(key)
            show_error(box.error, message)
            set_invalid(box.field, message is not None)
        show_error(self.form_error, "\n".join(m for k, m in errors.items() if k not in self.boxes))

    def enable_price_fields(self, order_type: OrderType) -> None:
        """Enable the limit/stop fields (and their labels) only when ``order_type`` uses them."""
        for key, needed in (("limitPrice", order_type.needs_limit_price), ("stopPrice", order_type.needs_stop_price)):
            box = self.boxes[key]
            box.field.setEnabled(needed)
            label = self.form.labelForField(box)
            if label is not None:
                label.setEnabled(needed)

    def show_quote(self, symbol: str, quote: Quote | None, stale: str = "", decimals: int | None = None) -> None:
        """"Last 512.30  Bid 512.28  Ask 512.32" with clickable bid/ask links; a
        ``stale`` quote (its connection is down; ``stale`` says how old it is) greyed,
        without links, its age after it. ``decimals``: the instrument's price decimals
        (EURUSD 5; None: as the quote has them)."""
        def price(value: Decimal | None) -> str:
            return fmt_quote_price(value, decimals)

        self.quote_label.setVisible(bool(symbol))
        if not symbol:
            self.quote_label.setText("")
        elif quote is None:
            self.quote_label.setText(f"<span style='color: gray'>No quote for {symbol}</span>")
        elif stale:
            self.quote_label.setText(f"<span style='color: gray'>Last {price(quote.last)} &nbsp; Bid "
                                     f"{price(quote.bid)} &nbsp; Ask {price(quote.ask)} · {stale}</span>")
        else:
            def link(name: str, value: Decimal | None) -> str:
                if value is None:
                    return price(value)
                return f"<a href='{name}' style='color: {LINK}; text-decoration: none'>{price(value)}</a>"

            self.quote_label.setText(f"Last <b>{price(quote.last)}</b> &nbsp; Bid {link('bid', quote.bid)}"
                                     f" &nbsp; Ask {link('ask', quote.ask)}")

    def show_submit(self, text: str, side: OrderSide, enabled: bool, tip: str) -> None:
        """Submit button text ("Buy 100 AAPL"), side colour, state and tooltip."""
        self.submit_button.setText(text)
        self.submit_button.setStyleSheet(submit_button_sheet(side))
        self.submit_button.setEnabled(enabled)
        self.submit_button.setToolTip(tip)

    def show_status(self, text: str, role: str = "") -> None:
        """Status line under Submit; ``role`` "ok" colours it green, "pending" orange
        (sent, not confirmed yet)."""
        self.status_label.setText(text)
        self.status_label.setProperty("role", role)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)

    def show_rejection(self, message: str | None) -> None:
        """Show (or hide, with None) the red rejection box above Submit."""
        show_error(self.reject_label, message)

    @staticmethod
    def fill_combo(combo: QComboBox, items: list, labels: dict, tips: dict | None = None) -> None:
        """Replace ``combo``'s enum items, keeping the selection when still offered."""
        current = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for item in items:
            combo.addItem(labels[item], item.value)
            if tips:
                combo.setItemData(combo.count() - 1, tips[item], Qt.ItemDataRole.ToolTipRole)
        index = combo.findData(current)
        combo.setCurrentIndex(index if index >= 0 else 0)
        combo.blockSignals(False)

    @staticmethod
    def select(combo: QComboBox, value: OrderType | TimeInForce) -> bool:
        """Select the item for ``value``; False when the combo does not offer it."""
        index = combo.findData(value.value)
        if index >= 0:
            combo.setCurrentIndex(index)
        return index >= 0
