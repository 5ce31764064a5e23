"""The order ticket: order entry with validation as you type, confirmation and results."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from desktop.domain import Instrument, OrderRequest, OrderSide, OrderType, Quote

from .advisor import AdvisorTicketAPI, TicketExtras
from .confirm import ConfirmOrderDialog
from .form import TicketForm
from .outcomes import TicketOutcomes
from .prefill import PrefillMixin
from .protection import attach_protection, check as check_protection
from .routing import TicketRouting
from .values import (
    ACTION_LABELS, TicketInputs, build_request, estimate_order, fmt_money, fmt_qty, is_occ, parse_decimal, premium,
)

_QUIET_WHEN_BLANK = ("symbol", "quantity")  # no "is required" nagging before the first edit
_SENDING = "Sending order…"


class OrderTicket(TicketOutcomes, AdvisorTicketAPI, TicketRouting, PrefillMixin, TicketForm):
    """Order entry form (objectName "orderTicket") over every connection of the desk.

    The window feeds it ``set_connections(list[TicketConnection])`` (accounts, groups,
    capabilities, status, instrument lookup and commission estimate of each
    connection), ``set_symbols`` and ``set_quote``. One account selector lists every
    connection's accounts grouped by connection (advisor logins: their allocation
    groups first); the chosen account or group decides the connection
    (``current_connection_id()``, announced by ``connectionChanged(str)``), and what
    the ticket offers follows that connection's capabilities: order types, time in
    force, options, what-if, fractional quantities. Switching to an account at
    another connection re-checks every field; an order type or time in force it lacks
    falls back to the nearest one with a note saying so ("connectionNote").

    It emits ``orderSubmitted(OrderRequest)`` (after the confirmation dialog, or
    directly with confirmation off; the request names its ``connection_id``) and is
    answered with ``order_accepted(Order)``, ``order_rejected(message)``,
    ``order_not_sent(message)`` or ``order_unconfirmed(request)`` (then
    ``order_confirmed`` / ``order_not_confirmed``), see
    :mod:`desktop.ui.ticket.outcomes`: a retry of the same order keeps its client
    order id. Emitting puts the ticket in the busy state (Submit disabled) until one
    of those, or ``set_busy(False)``. ``symbolChanged(str)`` says which (known) symbol the user
    settled on, to stream its quotes; ``symbolLookupRequested(connection_id, symbol)``
    asks (once per pair) to look up a symbol the chosen connection does not know yet
    (the ticket re-checks it at the next ``set_connections``). Keyboard: Ctrl+B /
    Ctrl+S pick the side while the focus is in the ticket (rebind through
    ``buy_shortcut`` / ``sell_shortcut``).

    Options: where the connection offers them, a symbol that resolves to an option
    instrument (e.g. an OCC symbol such as "AAPL  250221C00200000", padded or not) puts
    the ticket in option mode: the side is one of the four actions
    ("optionActionCombo"), the quantity counts contracts, the estimate is the premium
    and the request carries ``position_effect``. See :meth:`prefill_option`.

    Advisors: with a group chosen the ticket shows a live allocation estimate (see
    :class:`~desktop.ui.ticket.advisor.TicketExtras`); feed it ``fills_added`` (fills of
    every connection). What-if (``capabilities.preview_orders``): "Preview" emits
    ``previewRequested(OrderRequest)``; answer with ``show_preview`` / ``preview_failed``.
    """

    orderSubmitted = Signal(object)
    symbolChanged = Signal(str)
    previewRequested = Signal(object)
    connectionChanged = Signal(str)
    symbolLookupRequested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicket")
        self._quotes: dict[str, Quote] = {}
        self._touched: set[str] = set()
        self._confirm: set[OrderType] = set(OrderType)
        self._busy = False
        self._request: OrderRequest | None = None
        self._retries: dict[str, OrderRequest] = {}
        self._errors: dict[str, str] = {}
        self._last_symbol = ""
        self._asked: tuple[str, str] | None = None
        self._instrument: Instrument | None = None
        self.confirm_dialog: ConfirmOrderDialog | None = None
        self.extras = TicketExtras(self)
        self.protection = attach_protection(self)  # stop-loss / take-profit and lots (issue 14)
        self._connect()
        self._init_routing()
        self._revalidate()

    def _connect(self) -> None:
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
    def current_quote(self) -> Quote | None:
        """The latest quote of the ticket's symbol, or None."""
        return self._quotes.get(self.symbol())

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Symbols offered by the symbol field's completer."""
        self.completer_model.setStringList(sorted({s.upper() for s in symbols}))

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
        """What Submit does: confirm (when switched on), then emit orderSubmitted
        (the same order as one whose outcome is unknown goes with its client order id)."""
        self._revalidate()
        request = self._request
        if request is None or self._busy or self.confirm_dialog is not None:
            return
        request = self._to_send(request)
        self.show_rejection(None)
        self.show_status("")
        if request.type not in self._confirm:
            self._send(request)
            return
        estimate = estimate_order(request, self._quotes.get(request.symbol), self.extras.commission_for(self._commission()))
        conn = self.current_connection()
        dialog = ConfirmOrderDialog(request, self.extras.mode_account(), estimate, self,
                                    target_text=self.extras.target_text(), connection=conn.name if conn else "",
                                    paper=bool(conn and conn.capabilities.paper))
        dialog.accepted.connect(lambda: self._send(request))
        dialog.finished.connect(self._dialog_closed)
        self.confirm_dialog = dialog
        dialog.open()

    # ------------------------------------------------------------------ private
    def _send(self, request: OrderRequest) -> None:
        self._sent = request
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

    def _announce_symbol(self) -> None:
        instrument = self._instrument
        if instrument is not None and instrument.is_option and self.symbol() != instrument.symbol:
            self.symbol_edit.setText(instrument.symbol)  # unpadded OCC -> the canonical padded form
        symbol = self.symbol()
        if symbol and symbol != self._last_symbol and "symbol" not in self._errors:
            self._last_symbol = symbol
            self.symbolChanged.emit(symbol)
        self._ask_lookup()

    def _ask_lookup(self) -> None:
        """A symbol the chosen connection does not know (yet): ask once to look it up."""
        symbol, cid = self.symbol(), self.current_connection_id()
        unknown = self._instrument is None and "symbol" in self._errors and self._instrument_lookup() is not None
        if symbol and cid and unknown and (self._offer().options or not is_occ(symbol)) and (cid, symbol) != self._asked:
            self._asked = (cid, symbol)
            self.symbolLookupRequested.emit(cid, symbol)

    def _on_type_changed(self) -> None:
        self.enable_price_fields(self.order_type())
        self._revalidate()

    def _inputs(self) -> TicketInputs:
        target = self.current_target()
        return TicketInputs(
            connection_id=target.connection_id if target else "", account_id=target.id if target else "",
            symbol=self.symbol_edit.text(), side=self.side(),
            quantity=self.quantity_edit.text(), order_type=self.order_type(), limit_price=self.limit_edit.text(),
            stop_price=self.stop_edit.text(), time_in_force=self.time_in_force(),
            position_effect=self.position_effect(),
        )

    def _revalidate(self, *_args: object) -> None:
        self._request, self._errors = build_request(self._inputs(), self._instrument_lookup(), self._offer())
        problem = self.target_problem()
        if problem:
            self._errors.setdefault("account", problem)
            self._request = None
        self._request = self.extras.check(self._request, self._errors)
        self._request = check_protection(self, self._request, self._errors)
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
        commission = self.extras.commission_for(self._commission())
        estimate = estimate_order(request, self._quotes.get(request.symbol), commission) if request else None
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
