"""The ticket's what-if panel: an order's expected cost and margin impact before sending.

Shows a :class:`desktop.domain.OrderPreview` (IBKR ``POST
/iserver/account/{accountId}/orders/whatif``; the paper broker models the same):
amount, commission, total, equity and initial-margin change, the broker's warning and
why it would refuse the order. Failures to preview are shown here, never raised.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.domain import OrderPreview

from .style import ERROR, LIVE
from .values import fmt_money


def _money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else fmt_money(value, currency)


def _change(before: Decimal | None, after: Decimal | None, currency: str) -> str:
    """"$1,000,000.00 → $994,000.00 (−$6,000.00)"; "—" when unknown."""
    if before is None and after is None:
        return "—"
    if before is None or after is None:
        return _money(after if after is not None else before, currency)
    delta = after - before
    sign = "+" if delta >= 0 else "−"
    return f"{_money(before, currency)} → {_money(after, currency)} ({sign}{fmt_money(abs(delta), currency)})"


class WhatIfPanel(QWidget):
    """A "Preview" button ("previewButton") and the what-if result ("whatIfPanel").

    ``previewClicked()`` asks the owner for a preview; call :meth:`set_running`,
    then :meth:`show_preview` or :meth:`show_failure`. :meth:`mark_stale` greys the
    result once the order changes. Value labels: "whatIfAmount", "whatIfCommission",
    "whatIfTotal", "whatIfEquity", "whatIfMargin", "whatIfWarning", "whatIfError";
    "whatIfDetails" the broker's own labelled lines (``OrderPreview.lines``, e.g.
    SnapTrade's remaining cash and forex fees). "Place this" ("placePreviewedButton",
    ``placeClicked()``) sends the previewed order while the result is fresh.
    """

    previewClicked = Signal()
    placeClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("whatIfPanel")
        self.button = QPushButton("Preview (what-if)", self, objectName="previewButton", autoDefault=False)
        self.button.setToolTip("Ask the broker what this order would cost and how it changes margin, without placing it")
        self.button.clicked.connect(self.previewClicked)
        self.place_button = QPushButton("Place this", self, objectName="placePreviewedButton", autoDefault=False,
                                        visible=False)
        self.place_button.setToolTip("Send the order just previewed, as previewed")
        self.place_button.clicked.connect(self.placeClicked)
        self.state_label = QLabel(self, objectName="whatIfState")
        self.state_label.setStyleSheet("color: gray; font-size: 11px;")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.button)
        top.addWidget(self.place_button)
        top.addWidget(self.state_label, 1)
        self.result = QWidget(self)
        form = QFormLayout(self.result)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(1)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.labels: dict[str, QLabel] = {}
        for key, title in (("Amount", "Amount"), ("Commission", "Commission"), ("Total", "Total"),
                           ("Equity", "Equity"), ("Margin", "Init. margin")):
            label = QLabel(self.result, objectName=f"whatIf{key}", wordWrap=True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.labels[key] = label
            form.addRow(f"{title}:", label)
        self.details_label = QLabel(self.result, objectName="whatIfDetails", wordWrap=True,
                                    textFormat=Qt.TextFormat.PlainText)
        form.addRow(self.details_label)
        self.warning_label = QLabel(self, objectName="whatIfWarning", wordWrap=True, visible=False,
                                    textFormat=Qt.TextFormat.PlainText)
        self.warning_label.setStyleSheet(f"color: {LIVE}; font-size: 11px;")
        self.error_label = QLabel(self, objectName="whatIfError", wordWrap=True, visible=False,
                                  textFormat=Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(f"color: {ERROR}; font-size: 11px;")
        self.result.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.result)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.error_label)
        self.preview: OrderPreview | None = None

    def set_ready(self, ready: bool) -> None:
        """Enable "Preview" only while the ticket holds a valid order."""
        self.button.setEnabled(ready)

    def set_running(self) -> None:
        """A preview is on its way."""
        self.state_label.setText("Asking the broker…")
        self.error_label.setVisible(False)

    def show_preview(self, preview: OrderPreview) -> None:
        """Show ``preview``; its ``error`` (would be refused) in red, ``warning`` in orange."""
        self.preview = preview
        c = preview.currency
        self.labels["Amount"].setText(_money(preview.amount, c))
        self.labels["Commission"].setText(_money(preview.commission, c))
        self.labels["Total"].setText(_money(preview.total, c))
        self.labels["Equity"].setText(_change(preview.equity_before, preview.equity_after, c))
        self.labels["Margin"].setText(_change(preview.initial_margin_before, preview.initial_margin_after, c))
        self.details_label.setText("\n".join(f"{label}: {text}" for label, text in preview.lines))
        self.details_label.setVisible(bool(preview.lines))
        self.result.setVisible(True)
        self.result.setEnabled(True)
        self.place_button.setVisible(not preview.error)
        self.state_label.setText("What-if result")
        self._message(self.warning_label, preview.warning)
        self._message(self.error_label, f"Would be refused: {preview.error}" if preview.error else "")

    def show_failure(self, message: str) -> None:
        """The preview itself failed (shown in red; the order can still be sent)."""
        self.preview = None
        self.result.setVisible(False)
        self.place_button.setVisible(False)
        self.warning_label.setVisible(False)
        self.state_label.setText("")
        self._message(self.error_label, f"Preview failed: {message}")

    def mark_stale(self) -> None:
        """The order changed since the preview: grey it out."""
        if self.result.isVisible() and self.result.isEnabled():
            self.result.setEnabled(False)
            self.place_button.setVisible(False)
            self.state_label.setText("Order changed: preview again")

    def clear(self) -> None:
        """Hide any result."""
        self.preview = None
        self.result.setVisible(False)
        self.place_button.setVisible(False)
        self.warning_label.setVisible(False)
        self.error_label.setVisible(False)
        self.state_label.setText("")

    @staticmethod
    def _message(label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))
