"""The ticket's stop-loss / take-profit and lots (issue 14), a widget of its own with
a two-line hook in the ticket (:func:`attach_protection`).

Shown only when the ticket's connection declares ``capabilities.protection``
(TradeLocker): a stop-loss ("stopLossEdit", as a price, an offset from the entry or,
where ``trailing_stop``, a trailing offset: "stopLossKindCombo") and a take-profit
("takeProfitEdit", price or offset: "takeProfitKindCombo"), both optional, checked
as you type (:func:`desktop.domain.order.check_protection`: against the limit/stop
price, or the quote for a market order); a problem is the ticket's (its "formError",
keys "stopLoss" / "takeProfit"; "protectionError" holds the same text). The request the ticket builds then carries them.

For an instrument whose quantity is in lots (``Instrument.unit`` LOTS) the quantity
row says "Lots", and "1 lot = 100,000 EUR" (the contract size) beside the field; for
a pair traded in units of its base currency (the paper broker's) the field's
placeholder says "EUR amount" and "EUR = 0.1 lot" (the amount in standard lots)
follows it.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QWidget
from pydantic import ValidationError

from desktop.domain import Instrument, OrderRequest, OrderSide, OrderType, ProtectionType, QuantityUnit, field_errors

from .fx_units import lot_text, lot_tip, trades_in_units
from .values import fmt_qty, parse_decimal

KIND_LABELS = {ProtectionType.ABSOLUTE: "Price", ProtectionType.OFFSET: "Offset",
               ProtectionType.TRAILING_OFFSET: "Trailing"}
KIND_TIPS = {ProtectionType.ABSOLUTE: "A price",
             ProtectionType.OFFSET: "A distance from the fill price (in price units)",
             ProtectionType.TRAILING_OFFSET: "A distance that follows the market (a trailing stop)"}


class ProtectionBox(QWidget):
    """Stop-loss and take-profit inputs (see the module docstring). ``changed`` is
    emitted on every edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("protectionBox")
        self.sl_edit = QLineEdit(self, objectName="stopLossEdit", placeholderText="optional")
        self.tp_edit = QLineEdit(self, objectName="takeProfitEdit", placeholderText="optional")
        self.sl_kind = QComboBox(self, objectName="stopLossKindCombo")
        self.tp_kind = QComboBox(self, objectName="takeProfitKindCombo")
        for combo, kinds in ((self.sl_kind, tuple(ProtectionType)),
                             (self.tp_kind, (ProtectionType.ABSOLUTE, ProtectionType.OFFSET))):
            for kind in kinds:
                combo.addItem(KIND_LABELS[kind], kind.value)
                combo.setItemData(combo.count() - 1, KIND_TIPS[kind], 3)  # Qt.ToolTipRole
        self.error = QLabel("", self, objectName="protectionError", wordWrap=True)
        self.error.setStyleSheet("color: #c0392b")
        self.error.hide()
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        sl_label, tp_label = QLabel("Stop-loss", self), QLabel("Take-profit", self)
        sl_label.setBuddy(self.sl_edit)
        tp_label.setBuddy(self.tp_edit)
        grid.addWidget(sl_label, 0, 0)
        grid.addWidget(self.sl_edit, 0, 1)
        grid.addWidget(self.sl_kind, 0, 2)
        grid.addWidget(tp_label, 1, 0)
        grid.addWidget(self.tp_edit, 1, 1)
        grid.addWidget(self.tp_kind, 1, 2)
        grid.addWidget(self.error, 2, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        for edit in (self.sl_edit, self.tp_edit):
            edit.textChanged.connect(self.changed)
        for combo in (self.sl_kind, self.tp_kind):
            combo.currentIndexChanged.connect(self.changed)
        self.hide()

    def offer(self, protection: bool, trailing: bool) -> None:
        """Show the inputs (the connection attaches SL/TP) or hide them."""
        view = self.sl_kind.view()
        index = self.sl_kind.findData(ProtectionType.TRAILING_OFFSET.value)
        view.setRowHidden(index, not trailing)
        if not trailing and self.sl_kind.currentIndex() == index:
            self.sl_kind.setCurrentIndex(0)
        self.setVisible(protection)

    def kinds(self) -> tuple[ProtectionType, ProtectionType]:
        return (ProtectionType(self.sl_kind.currentData()), ProtectionType(self.tp_kind.currentData()))

    def apply(self, request: OrderRequest | None, errors: dict[str, str],
              reference: Decimal | None = None) -> OrderRequest | None:
        """``request`` with the typed stop-loss / take-profit (unchanged when hidden or
        blank); None with the problem in ``errors`` ("stopLoss" / "takeProfit") and
        under the inputs when they are wrong. ``reference``: the market price a market
        order's absolute levels are checked against."""
        problems: dict[str, str] = {}
        values: dict[str, object] = {}
        if self.isVisible():
            sl_kind, tp_kind = self.kinds()
            for name, key, edit, kind in (("stop_loss", "stopLoss", self.sl_edit, sl_kind),
                                          ("take_profit", "takeProfit", self.tp_edit, tp_kind)):
                try:
                    value = parse_decimal(edit.text(), name)
                except ValueError as exc:
                    problems[key] = str(exc)
                    continue
                if value is not None:
                    values[name], values[f"{name}_type"] = value, kind
        if values and request is not None and not problems:
            try:
                request = OrderRequest.model_validate({**dict(request), **values})
            except ValidationError as exc:
                for name, message in field_errors(exc).items():
                    problems["takeProfit" if name.startswith("take_profit") else "stopLoss"] = message
            else:
                problems.update(_against_market(request, reference))
        self.error.setText("\n".join(problems.values()))  # shown by the ticket's formError (errors below)
        if problems:
            errors.update(problems)
            return None
        return request


def _against_market(request: OrderRequest, price: Decimal | None) -> dict[str, str]:
    """A market order's absolute SL/TP on the right side of the market ``price``."""
    if request.type is not OrderType.MARKET or price is None:
        return {}
    buy = request.side is OrderSide.BUY
    out = {}
    sl, tp = request.stop_loss, request.take_profit
    if sl is not None and request.stop_loss_type is ProtectionType.ABSOLUTE and (sl >= price if buy else sl <= price):
        out["stopLoss"] = f"stop_loss {sl} must be {'below' if buy else 'above'} the market {price} for a " \
                          f"{'buy' if buy else 'sell'}"
    if tp is not None and request.take_profit_type is ProtectionType.ABSOLUTE and (tp <= price if buy else tp >= price):
        out["takeProfit"] = f"take_profit {tp} must be {'above' if buy else 'below'} the market {price} for a " \
                            f"{'buy' if buy else 'sell'}"
    return out


def show_units(ticket, instrument: Instrument | None) -> None:
    """Label the quantity row for lots ("Lots", "1 lot = 100,000 EUR"), for a pair
    traded in units (the paper broker's: "EUR amount"), or give it back to shares when
    the ticket's instrument is neither (options keep their own)."""
    lots = instrument is not None and instrument.unit is QuantityUnit.LOTS
    label = ticket.form.labelForField(ticket.boxes["quantity"])
    if lots:
        size = instrument.multiplier
        base = instrument.symbol[:3] if instrument.asset_class.value == "FOREX" else "unit" if size == 1 else "units"
        ticket.multiplier_label.setText(f"1 lot = {fmt_qty(size)} {base}")
        ticket.multiplier_label.setToolTip(f"Contract size of {instrument.symbol}: one lot is "
                                           f"{fmt_qty(instrument.multiplier)} {base}; the smallest order is "
                                           f"{fmt_qty(instrument.min_amount or instrument.lot_size)} lots")
        ticket.multiplier_label.setVisible(True)
        ticket.quantity_edit.setPlaceholderText("lots")
        if isinstance(label, QLabel):
            label.setText("Lots")
        ticket._showing_lots = True
    elif getattr(ticket, "_showing_lots", False) or getattr(ticket, "_showing_pair", False):
        ticket._showing_lots = ticket._showing_pair = False
        option = bool(getattr(ticket, "option_mode", False))
        ticket.multiplier_label.setVisible(option)
        ticket.multiplier_label.setToolTip("Each contract is for this many shares")
        ticket.quantity_edit.setPlaceholderText("contracts" if option else "shares")
        if isinstance(label, QLabel):
            label.setText("Contracts" if option else "Quantity")
    if trades_in_units(instrument):  # a pair in units (paper): "EUR = 0.1 lot" beside the amount
        ticket.quantity_edit.setPlaceholderText(f"{instrument.symbol[:3]} amount")
        ticket.multiplier_label.setText(lot_text(instrument, ticket.quantity_edit.text()))
        ticket.multiplier_label.setToolTip(lot_tip(instrument))
        ticket.multiplier_label.setVisible(True)
        ticket._showing_pair = True


def attach_protection(ticket) -> ProtectionBox:
    """Add the box under the ticket's time in force and return it; the ticket calls
    :func:`check` from its validation."""
    box = ProtectionBox(ticket)
    ticket.form.addRow(box)
    box.changed.connect(ticket._revalidate)
    return box


def check(ticket, request: OrderRequest | None, errors: dict[str, str]) -> OrderRequest | None:
    """The ticket's hook: offer the box per the connection, label lots, apply SL/TP."""
    if getattr(ticket, "protection", None) is None:  # validation while the ticket is being built
        return request
    conn = ticket.current_connection()
    caps = conn.capabilities if conn is not None else None
    ticket.protection.offer(bool(caps and caps.protection), bool(caps and caps.trailing_stop))
    show_units(ticket, ticket.current_instrument())
    quote = ticket.current_quote()
    reference = None
    if quote is not None:
        side = ticket.side()
        reference = (quote.ask if side is OrderSide.BUY else quote.bid) or quote.last
    return ticket.protection.apply(request, errors, reference)
