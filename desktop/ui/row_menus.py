"""The row menus of the watchlist and the blotters, wired to what the window does, and
the watchlist's instrument search.

The panels only say what their row is about (``desktop.ui.tables``); :class:`RowMenus`
does it:

- watchlist ``tradeRequested(symbol, side)`` (Buy / Sell): chart the symbol, point the
  ticket at it on that side, raise the ticket, select its quantity (Chart and the
  double-click come with ``activated``, which the window handles as a click);
  ``optionChainRequested(symbol)``: the Options dock, raised, on it;
- positions ``closeRequested(position)`` (Close position, double-click; the ticket is
  filled by the window's ``activated`` handler): raise the ticket, focus its Submit;
  ``addRequested(position)`` (Buy more / Sell more): the ticket on the position's side
  at its own account and connection, the default quantity, selected for typing;
  ``chartRequested(symbol)``: chart it;
- orders ``cancelAllRequested(symbol, orders)``: the confirmation that names how many
  and where (:meth:`~desktop.ui.shortcuts_orders.OrderShortcuts.confirm_orders`);
- fills ``chartRequested(symbol)``: chart it.

Nothing here sends an order: the ticket's Submit and its confirmation do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import QTimer

from desktop.brokers import BrokerError
from desktop.desk import Desk
from desktop.domain import AssetClass, Instrument, OptionAction, OrderSide
from desktop.ui.ticket.fx_units import quantity_kind


def watchlist_search(desk: Desk, preferred: Callable[[], str | None]) -> Callable[[str], Awaitable[list[Instrument]]]:
    """The watchlist's "Add symbol…" search: ``search_instruments(query)`` at the
    ticket's connection (``preferred()``) when it is live, then at the other live
    connections until one finds something; what it finds is remembered by that
    connection (the ticket and the chart know the symbol then). [] when none lists
    it; the last BrokerError when none could answer at all."""

    async def search(query: str) -> list[Instrument]:
        first = preferred()
        failure: BrokerError | None = None
        answered = False
        for conn in sorted(desk.live(), key=lambda c: c.id != first):
            try:
                found = await conn.broker.search_instruments(query)
            except BrokerError as exc:
                failure = exc
                continue
            answered = True
            for instrument in found:
                conn.remember(instrument)
            if found:
                return list(found)
        if failure is not None and not answered:
            raise failure
        return []

    return search


class RowMenus:
    """Connects the panels' row signals (see the module docstring).

    ``ticket``: the order ticket; ``chart``: the chart (``set_symbol``);
    ``show_symbol(symbol)``: chart it and point the ticket at it; ``show_ticket()``:
    raise the ticket's dock; ``focus_quantity()``: raise the ticket, its quantity
    selected; ``show_options(symbol)``: raise the Options dock on an underlying;
    ``confirm_orders(orders, scope)``: ask before cancelling orders;
    ``default_quantity(kind)``: the Settings default for an AssetClass; ``say(text)``:
    a status-bar message.
    """

    def __init__(self, *, watchlist, positions, orders, fills, ticket, chart, show_symbol: Callable[[str], None],
                 show_ticket: Callable[[], None], focus_quantity: Callable[[], None], show_options: Callable[[str], None],
                 confirm_orders: Callable[[list, str], object], default_quantity: Callable[[AssetClass], object],
                 say: Callable[[str], None]) -> None:
        self.ticket, self.chart = ticket, chart
        self._show_symbol, self._show_ticket, self._show_options = show_symbol, show_ticket, show_options
        self.focus_quantity = focus_quantity
        self._confirm, self._default_quantity, self._say = confirm_orders, default_quantity, say
        watchlist.tradeRequested.connect(self.trade)  # Chart / double-click: ``activated``, wired by the window
        watchlist.optionChainRequested.connect(show_options)
        positions.closeRequested.connect(lambda _position: self.focus_submit())
        positions.addRequested.connect(self.add_to)
        positions.chartRequested.connect(chart.set_symbol)
        orders.cancelAllRequested.connect(lambda symbol, found: self._confirm(list(found), f"in {symbol}"))
        fills.chartRequested.connect(chart.set_symbol)

    def trade(self, symbol: str, side: OrderSide) -> None:
        """Watchlist Buy / Sell: ``symbol`` in the chart and the ticket, on ``side``."""
        self._show_symbol(symbol)
        self.ticket.choose_side(side)
        self.focus_quantity()

    def add_to(self, position) -> None:
        """Buy more of a long (sell more of a short) at the position's own account and
        connection, the default quantity for its kind (options: BUY / SELL TO OPEN)."""
        if not self.ticket.select_account(position.connection_id, position.account_id):
            self._say(f"{position.account_id}: {self.ticket.target_problem() or 'cannot be traded now'}")
            return
        contract = position.instrument.option
        side = OrderSide.BUY if position.quantity >= 0 else OrderSide.SELL
        self.chart.set_symbol(contract.underlying if contract is not None else position.symbol)
        if contract is not None:
            action = OptionAction.BUY_TO_OPEN if side is OrderSide.BUY else OptionAction.SELL_TO_OPEN
            self.ticket.prefill_option(contract, action, self._default_quantity(AssetClass.OPTION))
        else:
            self.ticket.prefill(symbol=position.symbol, side=side,
                                amount=self._default_quantity(quantity_kind(position.instrument)))
        self.focus_quantity()

    def focus_submit(self) -> None:
        """Raise the ticket; its Submit gets the focus once the prefills queued before
        are done (an option's closing order is filled in a queued call). Space or a
        click then opens the confirmation; nothing is sent before."""
        self._show_ticket()
        QTimer.singleShot(0, self.ticket.submit_button.setFocus)
