"""The order ticket: order entry with validation as you type, confirmation and results."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from desktop.domain import AssetClass, Instrument, OrderRequest, OrderSide, OrderType, TimeInForce

from ..price_places import remember
from .advisor import AdvisorTicketAPI, TicketExtras
from .confirm_flow import ConfirmFlow
from .form import TicketForm
from .fx_units import PAIR_DEFAULT_QUANTITY, lots_default
from .keys import EnterSubmits
from .market_session import MarketSessionNote
from .outcomes import TicketOutcomes
from .prefill import PrefillMixin
from .protection import attach_protection, check as check_protection
from .quote_line import QuoteLine
from .routing import TicketRouting
from .values import ACTION_LABELS, TicketInputs, build_request, fmt_money, fmt_price, fmt_qty, is_occ, parse_decimal, premium

_QUIET_WHEN_BLANK = ("symbol", "quantity")  # no "is required" nagging before the first edit
_SENDING = "Sending order…"


class OrderTicket(TicketOutcomes, AdvisorTicketAPI, ConfirmFlow, QuoteLine, MarketSessionNote, TicketRouting, PrefillMixin,
                  TicketForm):
    """Order entry form (objectName "orderTicket") over every connection of the desk.

    The window feeds it ``set_connections(list[TicketConnection])`` (accounts, groups,
    capabilities, status, balances, instrument lookup and commission estimate of each
    connection), ``set_symbols`` and ``set_quote``. One account selector lists every
    connection's accounts grouped by connection (advisor logins: their allocation
    groups first); the chosen account or group decides the connection
    (``current_connection_id()``, announced by ``connectionChanged(str)``), and what
    the ticket offers follows that connection's capabilities: order types, time in
    force, options, what-if, fractional quantities. Switching to an account at
    another connection re-checks every field; an order type or time in force it lacks
    falls back to the nearest one with a note saying so ("connectionNote"). Nothing is
    sent to a connection that is disconnected or whose session is down, nor on a
    quote from one (greyed with its age, see :mod:`~desktop.ui.ticket.quote_line`).

    Another instrument (:meth:`prefill` with a new symbol: a watchlist or chain click,
    a position's Close or Buy more) resets what belonged to the old one: the quantity
    to the default for its kind (``set_default_quantities``), the limit price to its
    market (the ask to buy, the bid to sell, from its first quote) and the stop price
    to empty. Messages are in a trader's words ("Enter a limit price"); the submit
    button shows a price only when it is valid.

    Submit (the button, or Enter in any field) first emits ``refreshRequested`` (the
    window gives fresh connections: balances, state), then opens the confirmation with
    its warnings (buying power, price far from the market, a value above
    ``set_notional_warning``, a market order outside regular hours; Enter confirms
    there only with ``set_enter_confirms(True)``) and emits
    ``orderSubmitted(OrderRequest)`` once confirmed (directly with confirmation off;
    the request names its ``connection_id``). It is answered with
    ``order_accepted(Order)``, ``order_rejected(message)``, ``order_not_sent(message)``
    or ``order_unconfirmed(request)`` (then ``order_confirmed`` /
    ``order_not_confirmed``), see :mod:`desktop.ui.ticket.outcomes`: a retry of the
    same order keeps its client order id. The outcome shows under Submit (it never
    moves it) and belongs to its order: any edit clears it. Emitting puts the ticket in
    the busy state (Submit disabled) until one of those, or ``set_busy(False)``.
    ``symbolChanged(str)`` says which (known) symbol the user settled on, to stream its
    quotes; ``symbolLookupRequested(connection_id, symbol)`` asks (once per pair) to
    look up a symbol the chosen connection does not know yet (the ticket re-checks it
    at the next ``set_connections``). Keyboard: Ctrl+B / Ctrl+S pick the side while
    the focus is in the ticket (rebind through ``buy_shortcut`` / ``sell_shortcut``),
    Enter submits (``submit_shortcut``).

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
    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicket")
        self._init_quote_line()
        self._touched: set[str] = set()
        self._confirm: set[OrderType] = set(OrderType)
        self._defaults = {AssetClass.EQUITY: Decimal(100), AssetClass.OPTION: Decimal(1)}
        self._busy = False
        self._request: OrderRequest | None = None
        self._retries: dict[str, OrderRequest] = {}
        self._errors: dict[str, str] = {}
        self._result_for: TicketInputs | None = None
        self._last_symbol = ""
        self._asked: tuple[str, str] | None = None
        self._instrument: Instrument | None = None
        self.extras = TicketExtras(self)
        self.protection = attach_protection(self)  # stop-loss / take-profit and lots (issue 14)
        self._connect()
        self._init_routing()
        self.submit_keys = EnterSubmits(self, self._enter, picking=self._picking)
        self.submit_shortcut = self.submit_keys.shortcut
        self._revalidate()

    def _connect(self) -> None:
        self.symbol_edit.textChanged.connect(self._on_symbol_text)
        self.symbol_edit.editingFinished.connect(self._announce_symbol)
        self.completer.activated.connect(lambda _text: self._announce_symbol())
        self.side_selector.sideChanged.connect(self._side_changed)
        self.action_combo.currentIndexChanged.connect(self._side_changed)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self.tif_combo.currentIndexChanged.connect(self._revalidate)
        self.notional_check.toggled.connect(self._notional_toggled)
        for key, edit in (("symbol", self.symbol_edit), ("quantity", self.quantity_edit),
                          ("limitPrice", self.limit_edit), ("stopPrice", self.stop_edit)):
            edit.textEdited.connect(lambda _text, key=key: self._touch(key))
            if edit is not self.symbol_edit:
                edit.textChanged.connect(self._revalidate)
        self.limit_edit.textEdited.connect(self._limit_typed)
        self.quote_label.linkActivated.connect(self._use_quote_price)
        self.submit_button.clicked.connect(self.submit)
        self.extras.whatif.previewClicked.connect(self._request_preview)
        self.extras.whatif.placeClicked.connect(self.submit)

    # --------------------------------------------------------------- public API
    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Symbols offered by the symbol field's completer."""
        self.completer_model.setStringList(sorted({s.upper() for s in symbols}))

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

    def set_default_quantities(self, shares: Decimal | int, contracts: Decimal | int) -> None:
        """The quantity a new instrument starts with: ``shares`` for stocks, ``contracts``
        for options (Settings → Orders)."""
        self._defaults = {AssetClass.EQUITY: Decimal(shares), AssetClass.OPTION: Decimal(contracts)}

    def default_quantity(self, asset_class: AssetClass = AssetClass.EQUITY, instrument=None) -> Decimal:
        """The quantity a new instrument of ``asset_class`` starts with (FOREX: a pair
        traded in units, 10,000 of its base currency; CFD: counted in lots, the
        ``instrument``'s smallest order; see :mod:`.fx_units`)."""
        if asset_class is AssetClass.FOREX:
            return PAIR_DEFAULT_QUANTITY
        if asset_class is AssetClass.CFD:
            return lots_default(instrument)
        return self._defaults[AssetClass.OPTION if asset_class is AssetClass.OPTION else AssetClass.EQUITY]

    def set_busy(self, busy: bool) -> None:
        """While busy (an order is on its way) Submit is disabled."""
        self._busy = busy
        if busy:
            self._result_for = None
            self.show_rejection(None)
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
        """Current problems by field key (account, symbol, quantity, limitPrice, quote, ...)."""
        return dict(self._errors)

    def submit(self) -> None:
        """What Submit (and Enter) does: confirm (when switched on), then emit
        orderSubmitted (the same order as one whose outcome is unknown goes with its
        client order id)."""
        if self._busy or self.confirm_dialog is not None:
            return
        self.refreshRequested.emit()
        self._revalidate()
        request = self._request
        if request is None:
            return
        request = self._to_send(request)
        self._clear_result()
        if request.type not in self._confirm:
            self._send(request)
            return
        self._open_confirmation(request)

    # ------------------------------------------------------------------ private
    def _send(self, request: OrderRequest) -> None:
        self._sent = request
        self._sent_inputs = self._inputs()
        self._sent_estimate = self.estimate(request)
        self.set_busy(True)
        self.orderSubmitted.emit(request)

    def _enter(self) -> None:
        """Enter: the symbol typed is settled first (as leaving the field would: the OCC
        symbol padded, a lookup asked for), then Submit."""
        self._announce_symbol()
        self.submit()

    def _picking(self) -> QWidget | None:
        """The account search being typed takes Enter for itself."""
        combo = self.selector.combo
        return combo.lineEdit() if combo.typing() else None

    def _touch(self, key: str) -> None:
        if key not in self._touched:
            self._touched.add(key)
            self._revalidate()

    def _on_symbol_text(self) -> None:
        self._instrument = self._lookup(self.symbol())
        self._follow_quantity_kind(self._instrument)
        remember(self._instrument)
        self.price_step.set_instrument(self._instrument)
        self.show_option_mode(self._instrument)
        self._revalidate()
        self._show_quote_line()
        self._show_session_note()

    def _announce_symbol(self) -> None:
        instrument = self._instrument
        if instrument is not None and instrument.is_option and self.symbol() != instrument.symbol:
            self.symbol_edit.setText(instrument.symbol)  # unpadded OCC -> the canonical padded form
        symbol = self.symbol()
        if symbol and symbol != self._last_symbol and "symbol" not in self._errors:
            self._last_symbol = symbol
            self._forget_other_quotes(symbol)
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
            position_effect=self.position_effect(), notional=self.notional(),
        )

    def _notional_toggled(self, on: bool) -> None:
        """"Amount in $": the field takes dollars; a dollar-amount order is a market
        order good for the day, so those are chosen (where offered)."""
        self.show_quantity_words()
        if on:
            for combo, value in ((self.type_combo, OrderType.MARKET), (self.tif_combo, TimeInForce.DAY)):
                self.select(combo, value)
        self._revalidate()

    def _revalidate(self, *_args: object) -> None:
        self.offer_notional(self._offer().notional)
        inputs = self._inputs()
        if self._result_for is not None and inputs != self._result_for:
            self._clear_result()  # the message was about another order
        self._request, self._errors = build_request(inputs, self._instrument_lookup(), self._offer())
        for key, problem in (("account", self.target_problem()), ("quote", self.quote_problem())):
            if problem:
                self._errors.setdefault(key, problem)
                self._request = None
        self._request = self.extras.check(self._request, self._errors)
        self._request = check_protection(self, self._request, self._errors)
        quiet = {k for k in _QUIET_WHEN_BLANK if k not in self._touched and not self.boxes[k].field.text().strip()}
        self.show_field_errors({k: m for k, m in self._errors.items() if k != "quote"}, quiet)
        self._update_submit()
        self._show_estimate()

    def _update_submit(self) -> None:
        side, errors = self.side(), self._errors
        parts = [ACTION_LABELS[self.option_action()] if self.option_mode else "Buy" if side is OrderSide.BUY else "Sell"]
        amount = _number(self.quantity_edit.text()) if "quantity" not in errors else None
        if amount is not None and amount > 0:
            parts.append(f"${amount:,.2f} of" if self.notional() else fmt_qty(amount))
        instrument = self._instrument
        parts.append(instrument.display_name if instrument is not None and instrument.is_option else self.symbol() or "…")
        order_type = self.order_type()
        limit = _number(self.limit_edit.text()) if "limitPrice" not in errors else None
        stop = _number(self.stop_edit.text()) if "stopPrice" not in errors else None
        if order_type.needs_limit_price and limit:
            parts.append(f"@ {fmt_price(limit)}")
        elif order_type is OrderType.STOP and stop:
            parts.append(f"stop {fmt_price(stop)}")
        tip = "\n".join(errors.values()) if errors else "Review and send this order (Enter)"
        self.show_submit(" ".join(parts), side, self._request is not None and not self._busy, tip)

    def _show_estimate(self) -> None:
        label = "Estimated cost" if self.side() is OrderSide.BUY else "Estimated proceeds"
        request = self._request
        estimate = self.estimate(request) if request else None
        if estimate is not None and request.instrument.is_option:
            paid = premium(request, estimate.price)
            verb = "paid" if request.side is OrderSide.BUY else "received"
            how = f"{fmt_qty(request.amount)} × {estimate.basis} {fmt_price(estimate.price)} × {fmt_qty(estimate.multiplier)}"
            text = f"Premium {verb}: {fmt_money(paid, estimate.currency)} ({how.replace('  ', ' ')})"
            if estimate.commission:
                sign = "+" if request.side is OrderSide.BUY else "−"
                text += (f"\n{estimate.label}: {fmt_money(estimate.total, estimate.currency)} "
                         f"({sign} {fmt_money(estimate.commission, estimate.currency)} commission)")
            self.estimate_label.setText(text)
        elif estimate is not None:
            self.estimate_label.setText(estimate.text(sep="\n"))
        elif request is not None:
            self.estimate_label.setText(f"{'Premium' if request.instrument.is_option else label}: — "
                                        f"(no price for {request.instrument.display_name} yet)")
        else:
            self.estimate_label.setText(f"{label}: —")


def _number(text: str) -> Decimal | None:
    """A typed number (None when blank or not a number)."""
    try:
        return parse_decimal(text, "number")
    except ValueError:
        return None
