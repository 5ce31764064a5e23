"""The order ticket: order entry with validation as you type, confirmation and results."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import Account, Instrument, Order, OrderRequest, OrderSide, OrderType, Quote, TimeInForce

from .advisor import AdvisorTicketAPI, TicketExtras
from .confirm import ConfirmOrderDialog, account_text
from .form import TicketForm
from .prefill import PrefillMixin
from .values import (
    ACTION_LABELS, TIF_LABELS, TIF_TIPS, TYPE_LABELS, CommissionEstimator, InstrumentLookup, TicketInputs,
    build_request, estimate_order, fmt_money, fmt_qty, parse_decimal, premium,
)

_QUIET_WHEN_BLANK = ("symbol", "quantity")  # no "is required" nagging before the first edit
_SENDING = "Sending order…"


class OrderTicket(AdvisorTicketAPI, PrefillMixin, TicketForm):
    """Order entry form (objectName "orderTicket").

    The lead wires it up: ``set_accounts``, ``set_symbols``, ``set_capabilities``,
    ``set_quote``; listens to ``orderSubmitted(OrderRequest)`` (emitted after the
    confirmation dialog, or directly with confirmation off) and answers with
    ``order_accepted(Order)`` or ``order_rejected(message)``. Emitting puts the ticket
    in the busy state (Submit disabled) until one of those, or ``set_busy(False)``.
    ``symbolChanged(str)`` says which (known) symbol the user settled on, to stream
    its quotes. Keyboard: Ctrl+B / Ctrl+S pick the side while the focus is in the
    ticket (rebind through ``buy_shortcut`` / ``sell_shortcut``).

    Options: a symbol that resolves to an option instrument (e.g. an OCC symbol such as
    "AAPL  250221C00200000", padded or not) puts the ticket in option mode: the side is
    one of the four actions ("optionActionCombo"), the quantity counts contracts, the
    estimate is the premium and the request carries ``position_effect``. See
    :meth:`prefill_option`.

    Advisors (``capabilities.allocation_groups``): the account field becomes a group /
    client-account selector with a live allocation estimate (see
    :class:`~desktop.ui.ticket.advisor.TicketExtras`); feed it ``set_allocation`` and
    ``fills_added``. What-if (``capabilities.preview_orders``): "Preview" emits
    ``previewRequested(OrderRequest)``; answer with ``show_preview`` / ``preview_failed``.
    """

    orderSubmitted = Signal(object)
    symbolChanged = Signal(str)
    previewRequested = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        instrument_for: InstrumentLookup | None = None,
        commission_for: CommissionEstimator | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicket")
        self._instrument_for = instrument_for
        self._commission_for = commission_for
        self._accounts: list[Account] = []
        self._quotes: dict[str, Quote] = {}
        self._touched: set[str] = set()
        self._confirm: set[OrderType] = set(OrderType)
        self._busy = False
        self._request: OrderRequest | None = None
        self._errors: dict[str, str] = {}
        self._last_symbol = ""
        self._instrument: Instrument | None = None
        self.confirm_dialog: ConfirmOrderDialog | None = None
        self.extras = TicketExtras(self)
        self._connect()
        self.set_capabilities(BrokerCapabilities())

    def _connect(self) -> None:
        self.account_combo.currentIndexChanged.connect(self._revalidate)
        self.symbol_edit.textChanged.connect(self._on_symbol_text)
        self.symbol_edit.editingFinished.connect(self._announce_symbol)
        self.completer.activated.connect(lambda _text: self._announce_symbol())
        self.side_selector.sideChanged.connect(self._revalidate)
        self.action_combo.currentIndexChanged.connect(self._revalidate)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self.tif_combo.currentIndexChanged.connect(self._revalidate)
        for key, edit in (("symbol", self.symbol_edit), ("quantity", self.quantity_edit),
                          ("limitPrice", self.limit_edit), ("stopPrice", self.stop_edit)):
            edit.textEdited.connect(lambda _text, key=key: self._touch(key))
            if edit is not self.symbol_edit:
                edit.textChanged.connect(self._revalidate)
        self.quote_label.linkActivated.connect(self._use_quote_price)
        self.submit_button.clicked.connect(self.submit)
        self.extras.whatif.previewClicked.connect(self._request_preview)

    # --------------------------------------------------------------- public API
    def set_instrument_lookup(self, instrument_for: InstrumentLookup | None) -> None:
        """Set how a typed symbol becomes an Instrument (None: every symbol is an equity)."""
        self._instrument_for = instrument_for
        self._on_symbol_text()

    set_instrument_resolver = set_instrument_lookup

    def set_commission_estimator(self, commission_for: CommissionEstimator | None) -> None:
        """Set the ``commission_for(request, price)`` used in cost estimates."""
        self._commission_for = commission_for
        self._revalidate()

    def set_accounts(self, accounts: Iterable[Account]) -> None:
        """Offer ``accounts`` ("name (id)"); keeps the selected one when still present."""
        current = self.current_account()
        self._accounts = list(accounts)
        combo = self.account_combo
        combo.blockSignals(True)
        combo.clear()
        for account in self._accounts:
            combo.addItem(account_text(account))
            mode = "paper" if account.is_paper else "live"
            tip = f"{account.broker} · {account.kind} · {mode} · {account.currency}"
            combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        keys = [a.key for a in self._accounts]
        combo.setCurrentIndex(keys.index(current.key) if current and current.key in keys else (0 if keys else -1))
        combo.blockSignals(False)
        self.extras.set_accounts(self._accounts)
        self._revalidate()

    def current_quote(self) -> Quote | None:
        """The latest quote of the ticket's symbol, or None."""
        return self._quotes.get(self.symbol())

    def current_account(self) -> Account | None:
        """The selected account, or None (also None while an allocation group is chosen)."""
        if self.extras.advisor:
            return self.extras.current_account()
        index = self.account_combo.currentIndex()
        return self._accounts[index] if 0 <= index < len(self._accounts) else None

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Symbols offered by the symbol field's completer."""
        self.completer_model.setStringList(sorted({s.upper() for s in symbols}))

    def set_capabilities(self, capabilities: BrokerCapabilities) -> None:
        """Offer only the order types and times in force the broker declares."""
        self.fill_combo(self.type_combo, [t for t in OrderType if t in capabilities.order_types], TYPE_LABELS)
        self.fill_combo(self.tif_combo, [t for t in TimeInForce if t in capabilities.time_in_force], TIF_LABELS, TIF_TIPS)
        self.extras.set_capabilities(capabilities)
        self._on_type_changed()

    def set_quote(self, quote: Quote) -> None:
        """Latest quote for a symbol; shown (and used for estimates) when it is the ticket's."""
        self._quotes[quote.symbol.upper()] = quote
        if quote.symbol.upper() == self.symbol():
            self.show_quote(self.symbol(), quote)
            self._show_estimate()
            self.extras.refresh()

    def set_confirm_orders(self, confirm: bool | Iterable[OrderType]) -> None:
        """Whether Submit asks for confirmation first (on by default): True / False for
        every order type, or the order types that ask (the others send at once)."""
        if isinstance(confirm, bool):
            self._confirm = set(OrderType) if confirm else set()
        else:
            self._confirm = {OrderType(t) for t in confirm}

    def confirms(self, order_type: OrderType) -> bool:
        """True when Submit asks before sending an order of ``order_type``."""
        return OrderType(order_type) in self._confirm

    def set_busy(self, busy: bool) -> None:
        """While busy (an order is on its way) Submit is disabled."""
        self._busy = busy
        if busy:
            self.show_status(_SENDING)
        elif self.status_label.text() == _SENDING:
            self.show_status("")
        self._update_submit()

    def is_busy(self) -> bool:
        """True while an order is on its way."""
        return self._busy

    def order_accepted(self, order: Order) -> None:
        """Show "Order accepted: …"; every field stays as it was."""
        self.set_busy(False)
        self.show_rejection(None)
        self.show_status(f"Order accepted: {order.describe()}", "ok")
        self.extras.order_accepted(order)

    def order_rejected(self, message: str) -> None:
        """Show why the order was refused above Submit; fields stay for a fix and resend."""
        self.set_busy(False)
        self.show_status("")
        self.show_rejection(f"Order rejected: {message}")

    def current_instrument(self) -> Instrument | None:
        """The instrument the typed symbol resolves to (None while unknown)."""
        return self._instrument

    def current_symbol(self) -> str:
        """The symbol in the ticket (upper case, may be unknown or empty)."""
        return self.symbol()

    def current_request(self) -> OrderRequest | None:
        """The OrderRequest the fields make right now, None while invalid."""
        return self._request

    def errors(self) -> dict[str, str]:
        """Current problems by field key (account, symbol, quantity, limitPrice, ...)."""
        return dict(self._errors)

    def submit(self) -> None:
        """What Submit does: confirm (when switched on), then emit orderSubmitted."""
        self._revalidate()
        request = self._request
        if request is None or self._busy or self.confirm_dialog is not None:
            return
        self.show_rejection(None)
        self.show_status("")
        if request.type not in self._confirm:
            self._send(request)
            return
        estimate = estimate_order(request, self._quotes.get(request.symbol), self.extras.commission_for(self._commission_for))
        advisor = self.extras.advisor
        account = self.extras.mode_account() if advisor else self.current_account()
        dialog = ConfirmOrderDialog(request, account, estimate, self, target_text=self.extras.target_text())
        dialog.accepted.connect(lambda: self._send(request))
        dialog.finished.connect(self._dialog_closed)
        self.confirm_dialog = dialog
        dialog.open()

    # ------------------------------------------------------------------ private
    def _send(self, request: OrderRequest) -> None:
        self.set_busy(True)
        self.orderSubmitted.emit(request)

    def _dialog_closed(self) -> None:
        if self.confirm_dialog is not None:
            self.confirm_dialog.deleteLater()
        self.confirm_dialog = None

    def _touch(self, key: str) -> None:
        if key not in self._touched:
            self._touched.add(key)
            self._revalidate()

    def _on_symbol_text(self) -> None:
        self._instrument = self._lookup(self.symbol())
        self.show_option_mode(self._instrument)
        self._revalidate()
        known = "symbol" not in self._errors
        self.show_quote(self.symbol() if known else "", self._quotes.get(self.symbol()))

    def _lookup(self, symbol: str) -> Instrument | None:
        if not symbol or self._instrument_for is None:
            return None
        try:
            return self._instrument_for(symbol)
        except Exception:  # build_request explains a failing lookup next to the field
            return None

    def _announce_symbol(self) -> None:
        instrument = self._instrument
        if instrument is not None and instrument.is_option and self.symbol() != instrument.symbol:
            self.symbol_edit.setText(instrument.symbol)  # unpadded OCC -> the canonical padded form
        symbol = self.symbol()
        if symbol and symbol != self._last_symbol and "symbol" not in self._errors:
            self._last_symbol = symbol
            self.symbolChanged.emit(symbol)

    def _on_type_changed(self) -> None:
        self.enable_price_fields(self.order_type())
        self._revalidate()

    def _inputs(self) -> TicketInputs:
        account = self.current_account()
        account_id = self.extras.target_id() if self.extras.advisor else account.account_id if account else ""
        return TicketInputs(
            account_id=account_id, symbol=self.symbol_edit.text(), side=self.side(),
            quantity=self.quantity_edit.text(), order_type=self.order_type(), limit_price=self.limit_edit.text(),
            stop_price=self.stop_edit.text(), time_in_force=self.time_in_force(),
            position_effect=self.position_effect(),
        )

    def _revalidate(self, *_args: object) -> None:
        self._request, self._errors = build_request(self._inputs(), self._instrument_for)
        self._request = self.extras.check(self._request, self._errors)
        quiet = {k for k in _QUIET_WHEN_BLANK if k not in self._touched and not self.boxes[k].field.text().strip()}
        self.show_field_errors(self._errors, quiet)
        self._update_submit()
        self._show_estimate()

    def _update_submit(self) -> None:
        side = self.side()
        parts = [ACTION_LABELS[self.option_action()] if self.option_mode else "Buy" if side is OrderSide.BUY else "Sell"]
        try:
            amount = parse_decimal(self.quantity_edit.text(), "amount")
        except ValueError:
            amount = None
        if amount is not None and amount > 0:
            parts.append(fmt_qty(amount))
        instrument = self._instrument
        parts.append(instrument.display_name if instrument is not None and instrument.is_option else self.symbol() or "…")
        order_type = self.order_type()
        limit, stop = self.limit_edit.text().strip(), self.stop_edit.text().strip()
        if order_type.needs_limit_price and limit:
            parts.append(f"@ {limit}")
        elif order_type is OrderType.STOP and stop:
            parts.append(f"stop {stop}")
        tip = "\n".join(self._errors.values()) if self._errors else "Review and send this order"
        self.show_submit(" ".join(parts), side, self._request is not None and not self._busy, tip)

    def _show_estimate(self) -> None:
        label = "Estimated cost" if self.side() is OrderSide.BUY else "Estimated proceeds"
        request = self._request
        estimate = estimate_order(request, self._quotes.get(request.symbol), self.extras.commission_for(self._commission_for)) if request else None
        if estimate is not None and request.instrument.is_option:
            paid = premium(request, estimate.price)
            verb = "paid" if request.side is OrderSide.BUY else "received"
            text = (f"Premium {verb}: {fmt_money(paid, estimate.currency)}"
                    f" ({fmt_qty(request.amount)} × {estimate.price:,f} × {fmt_qty(request.instrument.multiplier)})")
            if estimate.commission:
                text += f"\n{estimate.text()}"
            self.estimate_label.setText(text)
        elif estimate is not None:
            self.estimate_label.setText(estimate.text(sep="\n"))
        elif request is not None:
            self.estimate_label.setText(f"{'Premium' if request.instrument.is_option else label}: — "
                                        f"(no price for {request.instrument.display_name} yet)")
        else:
            self.estimate_label.setText(f"{label}: —")
