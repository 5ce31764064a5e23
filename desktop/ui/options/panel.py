"""The Options dock: the OCC builder above the option chain, wired to the main window.

:func:`install_options` is the one call the main window makes. It adds the "Options"
dock (tabified with the watchlist; its toggle appears in the View menu), feeds the chain
through ``BrokerService.fetch_option_chain`` and connects clicks to the order ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from desktop.domain import AssetClass, OptionAction, OptionContract, OptionQuote, OrderSide, PositionEffect, Quote

from ..tables.definitions import HIDDEN_BY_DEFAULT
from .builder import OccBuilder
from .chain import OptionChainPanel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from desktop.desk import Desk, LiveConnection

Holding = Callable[[str], Decimal]
"""``holding(occ_symbol) -> signed quantity`` held in the ticket's account (0 when none)."""

DOCK_WIDTH = 720
"""Width the Options dock asks for the first time it is shown (the chain has 15 columns)."""


def action_for(side: OrderSide, held: Decimal) -> tuple[OptionAction, Decimal]:
    """What a click on the chain means, given the position held in that contract.

    Buying when short closes (BUY_TO_CLOSE the whole short), otherwise opens one
    contract; selling when long closes (SELL_TO_CLOSE the whole holding), otherwise
    writes one contract (SELL_TO_OPEN).
    """
    if side is OrderSide.BUY:
        return (OptionAction.BUY_TO_CLOSE, -held) if held < 0 else (OptionAction.BUY_TO_OPEN, Decimal(1))
    return (OptionAction.SELL_TO_CLOSE, held) if held > 0 else (OptionAction.SELL_TO_OPEN, Decimal(1))


def limit_for(quote: OptionQuote | None, side: OrderSide) -> Decimal | None:
    """Limit price to prefill: the ask to buy, the bid to sell (else the last, else the mid)."""
    if quote is None:
        return None
    touch = quote.ask if side is OrderSide.BUY else quote.bid
    return touch or quote.last or quote.mid


def option_quote_as_quote(quote: OptionQuote) -> Quote:
    """An option's quote as the plain :class:`Quote` the ticket shows."""
    return Quote(symbol=quote.contract.occ_symbol, bid=quote.bid, ask=quote.ask, last=quote.last,
                 volume=quote.volume, timestamp=quote.timestamp)


class OptionsPanel(QWidget):
    """The builder over the chain (objectName "optionsPanel"); one contract in focus.

    The builder's underlying/expiry and the chain's follow each other; the chain's
    listed expiries and strikes feed the builder. ``tradeRequested(contract, action,
    amount, limit_price)`` asks to open the ticket (from a chain cell or the builder's
    Trade button); ``holding`` tells which action a click means (see :func:`action_for`).
    """

    tradeRequested = Signal(object, object, object, object)

    def __init__(self, parent: QWidget | None = None, *, holding: Holding | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("optionsPanel")
        self.holding: Holding = holding or (lambda _symbol: Decimal(0))
        self.builder = OccBuilder(self)
        self.chain = OptionChainPanel(self)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        line.setStyleSheet("color: rgba(128, 128, 128, 0.35);")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.builder)
        layout.addWidget(line)
        layout.addWidget(self.chain, 1)

        b, c = self.builder, self.chain
        b.underlyingChanged.connect(c.set_underlying)
        b.expiryChanged.connect(c.set_expiry)
        c.underlyingSelected.connect(b.set_underlying)
        c.expirySelected.connect(b.set_expiry)
        c.chainLoaded.connect(b.set_chain)
        c.tradeRequested.connect(self._chain_clicked)
        b.tradeRequested.connect(self._builder_trade)

    def set_symbols(self, symbols) -> None:
        """Underlyings offered for completion."""
        self.builder.set_symbols(symbols)
        self.chain.set_symbols(symbols)

    def follow_symbol(self, symbol: str) -> None:
        """The chart's symbol changed: show its options (the builder follows)."""
        if symbol and symbol.isalnum():
            self.builder.set_underlying(symbol)
            self.chain.set_underlying(symbol)

    def show_contract(self, contract: OptionContract) -> None:
        """Put ``contract`` in the builder and its expiry in the chain."""
        if self.builder.contract() != contract:
            self.builder.set_contract(contract)
        self.chain.set_underlying(contract.underlying)
        self.chain.set_expiry(contract.expiry)

    def _chain_clicked(self, quote: OptionQuote, side: OrderSide) -> None:
        contract = quote.contract
        self.show_contract(contract)
        action, amount = action_for(side, self.holding(contract.occ_symbol))
        self.tradeRequested.emit(contract, action, amount, limit_for(quote, side))

    def _builder_trade(self, contract: OptionContract) -> None:
        quote = self.chain.quote_for(contract.occ_symbol)
        action, amount = action_for(OrderSide.BUY, self.holding(contract.occ_symbol))
        self.tradeRequested.emit(contract, action, amount, limit_for(quote, OrderSide.BUY))


def options_connection(desk: "Desk", ticket) -> "LiveConnection | None":
    """The connection whose options the chain shows: the ticket's when it is live and
    lists options, else the first live connection that does."""
    cid = ticket.current_connection_id()
    live = [c for c in desk.live() if (c.capabilities or c.broker.capabilities).options]
    return next((c for c in live if c.id == cid), live[0] if live else None)


def install_options(window: "QMainWindow", desk: "Desk", ticket, chart, positions, *,
                    default_quantity: Callable[[AssetClass], Decimal]) -> OptionsPanel:
    """Add the Options dock to ``window`` (call while building its docks).

    The dock is ``window.docks["options"]`` (so the View menu lists it), tabified behind
    the watchlist. The chain comes from :func:`options_connection`; a click on it
    prefills ``ticket`` (quantity ``default_quantity(OPTION)`` when opening, what is held
    when closing); double-clicking an option position in ``positions`` closes it.
    """

    def holding(symbol: str) -> Decimal:
        account = ticket.current_account()
        cid = ticket.current_connection_id()
        return sum((p.quantity for p in desk.state.positions.values()
                    if p.symbol == symbol and p.connection_id == cid
                    and (account is None or p.account_id == account.account_id)), Decimal(0))

    panel = OptionsPanel(window, holding=holding)
    dock = window._dock("options", "Options", panel, Qt.DockWidgetArea.LeftDockWidgetArea)
    window.tabifyDockWidget(window.docks["watchlist"], dock)
    window.docks["watchlist"].raise_()

    async def fetch(underlying, expiry=None):
        conn = options_connection(desk, ticket)
        if conn is None:
            from desktop.brokers import InvalidRequestError

            raise InvalidRequestError("No connected broker offers options", field="underlying")
        return await conn.fetch_option_chain(underlying, expiry)

    panel.chain.set_fetcher(fetch, enabled=lambda: options_connection(desk, ticket) is not None)

    def connections_changed(_event) -> None:
        if not desk.live():
            return
        if options_connection(desk, ticket) is None:
            names = ", ".join(c.name for c in desk.live())
            panel.chain.status_label.setText(f"{names}: no options offered")

    desk.listen(connections_changed)
    chart.symbolChanged.connect(panel.follow_symbol)

    def open_ticket(contract: OptionContract, action: OptionAction, amount: Decimal, limit: Decimal | None) -> None:
        if action.position_effect is PositionEffect.OPEN:  # opening: the Settings default, closing: what is held
            amount = default_quantity(AssetClass.OPTION)
        ticket.prefill_option(contract, action, amount, limit)
        quote = panel.chain.quote_for(contract.occ_symbol)
        if quote is not None:
            ticket.set_quote(option_quote_as_quote(quote))
        ticket_dock = window.docks.get("ticket")
        if ticket_dock is not None:
            ticket_dock.show()
            ticket_dock.raise_()
        ticket.quantity_edit.setFocus()
        ticket.quantity_edit.selectAll()

    def quotes_to_ticket(_chain) -> None:
        quote = panel.chain.quote_for(ticket.current_symbol())
        if quote is not None:
            ticket.set_quote(option_quote_as_quote(quote))

    def ticket_symbol(symbol: str) -> None:
        instrument = ticket.current_instrument()
        if instrument is not None and instrument.option is not None:
            panel.show_contract(instrument.option)
            quotes_to_ticket(None)

    def close_position(position) -> None:
        """Double-click on an option position: after the window's own prefill, make it a
        closing order (SELL_TO_CLOSE a long, BUY_TO_CLOSE a short) at the touch."""
        contract = position.instrument.option
        if contract is None or not position.quantity or not position.connection_id:
            return
        side = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
        action = OptionAction.SELL_TO_CLOSE if side is OrderSide.SELL else OptionAction.BUY_TO_CLOSE
        panel.show_contract(contract)
        open_ticket(contract, action, abs(position.quantity), limit_for(panel.chain.quote_for(contract.occ_symbol), side))

    panel.tradeRequested.connect(open_ticket)
    positions.activated.connect(lambda position: QTimer.singleShot(0, panel, lambda: close_position(position)))
    panel.chain.chainLoaded.connect(quotes_to_ticket)
    ticket.symbolChanged.connect(ticket_symbol)

    for key, column_ids in HIDDEN_BY_DEFAULT.items():  # OCC columns: off until asked for (header menu)
        table = window.panels().get(key)
        if table is None:
            continue
        fitting = getattr(table.view, "auto_fit", None)
        for column_id in column_ids:
            table.view.horizontalHeader().setSectionHidden(table.model.column_index(column_id), True)
        if fitting is not None:  # hiding a section reads as a user resize: keep fitting columns to their rows
            table.view.auto_fit = fitting

    widened = []

    def widen() -> None:
        if dock.width() < DOCK_WIDTH and not dock.isFloating():
            window.resizeDocks([dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

    def first_show(visible: bool) -> None:
        if visible and not widened:
            widened.append(True)
            QTimer.singleShot(0, dock, widen)

    dock.visibilityChanged.connect(first_show)
    return panel
