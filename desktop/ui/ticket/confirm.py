"""The order confirmation dialog shown before an order is sent."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.domain import Account, OrderRequest, OrderSide

from .style import LIVE, SIDE_COLOURS, submit_button_sheet
from .targets import account_line
from .values import ACTION_LABELS, Estimate, describe_request, fmt_money, fmt_price, fmt_qty, max_loss_text, premium


def account_text(account: Account | None, account_id: str = "", connection: str = "") -> str:
    """"Paper 2 · PAPER · Paper account": the connection, the id and the name (each
    left out when unknown)."""
    text = account_line(account) if account is not None else account_id or "—"
    return f"{connection} · {text}" if connection else text


class ConfirmOrderDialog(QDialog):
    """Asks the user to confirm ``request`` before it is sent (objectName "orderConfirmDialog").

    Shows the order in words, the connection and account it goes to ("Paper 2 ·
    PAPER · Paper account"), whether it is paper or live money (``paper``: the
    connection's capabilities say so) and the estimated cost or proceeds including
    commission. Option orders also show the
    contract with its OCC symbol, the premium ("premiumLabel") and the most the order
    can lose ("maxLossLabel"). ``target_text`` replaces the account line for an
    allocation-group order ("Group ByNetLiq · N · Net liquidation · 4 accounts", after
    the connection's name; then ``account`` is a member, for the paper/live mode). Open it with ``open()``;
    ``accepted`` means confirmed. Safe keys: Enter and Escape cancel (Cancel is the
    default button and has the focus); confirming takes a click, Alt+C, or tabbing to
    Confirm and pressing Space/Enter.
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
    ) -> None:
        super().__init__(parent)
        self.request = request
        self.setObjectName("orderConfirmDialog")
        self.setWindowTitle("Confirm order")
        self.setModal(True)
        colour = SIDE_COLOURS[request.side][0]

        self.summary_label = QLabel(describe_request(request), self)
        self.summary_label.setObjectName("orderSummaryLabel")
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet(f"color: {colour}; font-size: 15px; font-weight: bold;")

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
        self.cost_label = self._value(self._cost_text(estimate), "costLabel")
        self.cost_label.setStyleSheet("font-weight: bold;")
        label = estimate.label if estimate else ("Estimated cost" if request.side is OrderSide.BUY else "Estimated proceeds")
        details.addRow(f"{label}:", self.cost_label)
        if estimate is not None:
            details.addRow("Assumed price:", self._value(fmt_price(estimate.price), "priceLabel"))
            commission = "unknown" if estimate.commission is None else fmt_money(estimate.commission, estimate.currency)
            details.addRow("Commission:", self._value(commission, "commissionLabel"))
        if instrument.option is not None:
            price = estimate.price if estimate is not None else None
            if price is not None:
                verb = "paid" if request.side is OrderSide.BUY else "received"
                text = (f"{fmt_money(premium(request, price), instrument.currency)} {verb} "
                        f"({fmt_qty(request.amount)} × {fmt_price(price)} × {fmt_qty(instrument.multiplier)})")
            else:
                text = "unknown (no price yet)"
            details.addRow("Premium:", self._value(text, "premiumLabel"))
            self.max_loss_label = self._value(max_loss_text(request, price), "maxLossLabel")
            details.addRow("Max loss:", self.max_loss_label)

        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        verb = "Buy" if request.side is OrderSide.BUY else "Sell"
        if request.option_action is not None:
            verb = ACTION_LABELS[request.option_action].lower().capitalize()
        self.confirm_button = QPushButton(f"&Confirm {verb}", self)
        self.confirm_button.setObjectName("confirmButton")
        self.confirm_button.setToolTip("Send the order (Alt+C)")
        self.confirm_button.setStyleSheet(submit_button_sheet(request.side))
        self.confirm_button.clicked.connect(self.accept)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addLayout(details)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        self.setMinimumWidth(340)
        self.cancel_button.setFocus()

    def _value(self, text: str, name: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    @staticmethod
    def _cost_text(estimate: Estimate | None) -> str:
        if estimate is None:
            return "unknown (no price yet)"
        return fmt_money(estimate.total, estimate.currency)

    def text(self) -> str:
        """Everything the dialog says, one line per item (for tests and logs)."""
        return "\n".join(label.text() for label in self.findChildren(QLabel) if label.text())
