"""The order confirmation dialog shown before an order is sent."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.domain import Account, OrderRequest, OrderSide

from .estimate import BASIS_WORDS, Estimate
from .order_warnings import OrderWarning
from .style import LIVE, SIDE_COLOURS, submit_button_sheet
from .targets import account_line
from .values import ACTION_LABELS, describe_request, fmt_money, fmt_price, fmt_qty, max_loss_text, premium

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
KEYS_HINT = "Space or click: confirm · Esc: cancel"
ENTER_HINT = "Enter or click: confirm · Esc: cancel"
ENTER_REFUSED = "Enter does not confirm here: press Space or click Confirm (Settings can let Enter confirm)"


def account_text(account: Account | None, account_id: str = "", connection: str = "") -> str:
    """"Paper 2 · PAPER · Paper account": the connection, the id and the name (each
    left out when unknown)."""
    text = account_line(account) if account is not None else account_id or "—"
    return f"{connection} · {text}" if connection else text


class ConfirmOrderDialog(QDialog):
    """Asks the user to confirm ``request`` before it is sent (objectName "orderConfirmDialog").

    Shows the order in words, the connection and account it goes to ("Paper 2 ·
    PAPER · Paper account"), whether it is paper or live money (``paper``: the
    connection's capabilities say so), the estimated cost or proceeds with the price
    assumed and the commission, and, when the broker checks a market buy against more
    buying power than that, its figure ("heldLabel"). ``warnings`` come first, in
    words ("warningsLabel", one line each: buying power, a price far from the market,
    a large order, a market order outside regular hours). Option orders also show the
    contract with its OCC symbol, the premium ("premiumLabel") and the most the order
    can lose ("maxLossLabel"). ``target_text`` replaces the account line for an
    allocation-group order ("Group ByNetLiq · N · Net liquidation · 4 accounts", after
    the connection's name; then ``account`` is a member, for the paper/live mode).
    :meth:`show_estimate` updates the figures while it is open. Open it with
    ``open()``; ``accepted`` means confirmed.

    Keys: Confirm has the focus; Space (on Confirm), a click or Alt+C confirms; Escape
    cancels. Enter confirms only with ``enter_confirms`` (a setting, off by default):
    otherwise it does nothing but say so, because the Enter that submitted the ticket,
    pressed twice or held down, must not also confirm. An auto-repeated Enter never
    confirms.
    """

    def __init__(
        self,
        request: OrderRequest,
        account: Account | None,
        estimate: Estimate | None,
        parent: QWidget | None = None,
        *,
        target_text: str = "",
        connection: str = "",
        paper: bool = False,
        warnings: Sequence[OrderWarning] = (),
        enter_confirms: bool = False,
    ) -> None:
        super().__init__(parent)
        self.request = request
        self.enter_confirms = enter_confirms
        self._connection = connection or "The broker"
        self.setObjectName("orderConfirmDialog")
        self.setWindowTitle("Confirm order")
        self.setModal(True)
        colour = SIDE_COLOURS[request.side][0]

        self.summary_label = QLabel(describe_request(request), self)
        self.summary_label.setObjectName("orderSummaryLabel")
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet(f"color: {colour}; font-size: 15px; font-weight: bold;")
        self.warnings_label = self._value("", "warningsLabel")
        self.warnings_label.setStyleSheet(f"color: {LIVE}; font-weight: bold;")

        details = QFormLayout()
        details.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        target = f"{connection} · {target_text}" if connection and target_text else target_text
        self.account_label = self._value(target or account_text(account, request.account_id, connection), "accountLabel")
        details.addRow("Allocate to:" if target_text else "Account:", self.account_label)
        if account is not None or paper:
            is_paper = paper or account.is_paper
            mode = self._value("Paper (simulated money)" if is_paper else "LIVE: real money", "modeLabel")
            if not is_paper:
                mode.setStyleSheet(f"font-weight: bold; color: {LIVE};")
            details.addRow("Mode:", mode)
        instrument = request.instrument
        if instrument.option is not None:
            contract = self._value(f"{instrument.display_name} ({instrument.symbol.replace(' ', chr(0xA0))})", "instrumentLabel")
            details.addRow("Contract:", contract)
            details.addRow("Multiplier:", self._value(f"{fmt_qty(instrument.multiplier)} shares per contract", "multiplierLabel"))
        elif instrument.description:
            details.addRow("Instrument:", self._value(instrument.description, "instrumentLabel"))
        self.cost_label = self._value("", "costLabel")
        self.cost_label.setStyleSheet("font-weight: bold;")
        self.cost_title = QLabel(self)
        details.addRow(self.cost_title, self.cost_label)
        self.price_label = self._value("", "priceLabel")
        details.addRow("Assumed price:", self.price_label)
        self.commission_label = self._value("", "commissionLabel")
        details.addRow("Commission:", self.commission_label)
        self.held_label = self._value("", "heldLabel")
        details.addRow("Buying power needed:", self.held_label)
        self._details = details
        if instrument.option is not None:
            self.premium_label = self._value("", "premiumLabel")
            details.addRow("Premium:", self.premium_label)
            self.max_loss_label = self._value("", "maxLossLabel")
            details.addRow("Max loss:", self.max_loss_label)

        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        verb = "Buy" if request.side is OrderSide.BUY else "Sell"
        if request.option_action is not None:
            verb = ACTION_LABELS[request.option_action].lower().capitalize()
        self.confirm_button = QPushButton(f"&Confirm {verb}", self)
        self.confirm_button.setObjectName("confirmButton")
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.setDefault(enter_confirms)
        self.confirm_button.setToolTip("Send the order (Space, Alt+C" + (", Enter)" if enter_confirms else ")"))
        self.confirm_button.setStyleSheet(submit_button_sheet(request.side))
        self.confirm_button.clicked.connect(self.accept)
        self.keys_label = QLabel(ENTER_HINT if enter_confirms else KEYS_HINT, self, objectName="keysLabel", wordWrap=True)
        self.keys_label.setStyleSheet("color: gray; font-size: 11px;")

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.warnings_label)
        layout.addLayout(details)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addWidget(self.keys_label)
        self.setMinimumWidth(360)
        self.show_estimate(estimate, warnings)
        self.confirm_button.setFocus()

    def _value(self, text: str, name: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_estimate(self, estimate: Estimate | None, warnings: Sequence[OrderWarning] = ()) -> None:
        """Show ``estimate`` and ``warnings`` (the quote moved while the dialog is open)."""
        request = self.request
        self.warnings = list(warnings)
        self.warnings_label.setText("\n".join(f"⚠ {w.text}" for w in self.warnings))
        self.warnings_label.setVisible(bool(self.warnings))
        label = estimate.label if estimate else ("Estimated cost" if request.side is OrderSide.BUY else "Estimated proceeds")
        self.cost_title.setText(f"{label}:")
        self.cost_label.setText("unknown (no price yet)" if estimate is None else fmt_money(estimate.total, estimate.currency))
        basis = f" ({BASIS_WORDS.get(estimate.basis, estimate.basis)})" if estimate is not None and estimate.basis else ""
        self.price_label.setText("unknown" if estimate is None else f"{fmt_price(estimate.price)}{basis}")
        commission = "unknown" if estimate is None or estimate.commission is None else fmt_money(estimate.commission, estimate.currency)
        self.commission_label.setText(commission)
        held = estimate.held_text(self._connection) if estimate is not None else ""
        self.held_label.setText(held)
        self._details.setRowVisible(self.held_label, bool(held))
        if request.instrument.option is not None:
            price = estimate.price if estimate is not None else None
            if price is not None:
                verb = "paid" if request.side is OrderSide.BUY else "received"
                multiplier = request.instrument.multiplier
                self.premium_label.setText(f"{fmt_money(premium(request, price), request.instrument.currency)} {verb} "
                                           f"({fmt_qty(request.amount)} × {fmt_price(price)} × {fmt_qty(multiplier)})")
            else:
                self.premium_label.setText("unknown (no price yet)")
            self.max_loss_label.setText(max_loss_text(request, price))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Enter confirms only when allowed, never auto-repeated (see the class docstring)."""
        if event.key() in ENTER_KEYS and event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                                                Qt.KeyboardModifier.KeypadModifier):
            event.accept()
            if self.enter_confirms and not event.isAutoRepeat():
                self.accept()
            elif not self.enter_confirms:
                self.keys_label.setText(ENTER_REFUSED)
                self.keys_label.setStyleSheet(f"color: {LIVE}; font-size: 11px;")
            return
        super().keyPressEvent(event)

    def text(self) -> str:
        """Everything the dialog says, one line per item (for tests and logs)."""
        return "\n".join(label.text() for label in self.findChildren(QLabel) if label.text() and not label.isHidden())
