"""The order ticket over the desk's connections: what it is given and what its choice
moves.

:class:`TicketLink` gives the ticket every connection's accounts, allocation groups,
capabilities, balances and state (:class:`~desktop.ui.ticket.targets.TicketConnection`;
again each time the ticket is about to confirm an order, so its buying power and
staleness are current), points it at a connection's first tradeable account
(start-up, ``--broker KEY``), and when the chosen account moves to another connection
makes that the desk's default market-data source (the chart and the ticket's quote
follow). A position's double-click prefills an order that closes it at the position's
own account and connection (the ticket resets what belonged to the previous
instrument).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from desktop.desk import Desk
from desktop.domain import OrderSide

from .status_words import connection_words
from .ticket.targets import TicketConnection

PAPER_MARKET_RESERVE = Decimal("0.05")
"""What the paper broker holds back above the last price for a market or stop buy
(its matching engine's ``market_buffer``, :mod:`desktop.brokers.paper.risk`), used
while its capabilities do not declare ``market_reserve`` themselves."""


class TicketLink:
    """Links ``ticket`` to ``desk``. ``chart`` is told the symbol of a closed position,
    ``feed`` reconsiders its source when the ticket's connection changes, ``quotes``
    (QuoteRouting) sends the ticket its quote, ``say(text)`` shows a status message,
    ``name_of(connection_id)`` names a connection, ``welcome`` (or None) describes the
    ticket's connection."""

    def __init__(self, desk: Desk, ticket, *, chart, feed, quotes, say: Callable[[str], None],
                 name_of: Callable[[str], str], welcome=None) -> None:
        self.desk, self.ticket, self.chart, self.feed, self.quotes = desk, ticket, chart, feed, quotes
        self._say, self._name_of, self.welcome = say, name_of, welcome
        ticket.connectionChanged.connect(self.connection_changed)
        ticket.refreshRequested.connect(self.update)

    def update(self) -> None:
        """Give the ticket every connection's accounts, groups, capabilities, balances
        and state (stale: the desk marks its rows stale, its session is down)."""
        state = self.desk.state
        connections = []
        for conn in self.desk.connections.values():
            caps = conn.capabilities or conn.broker.capabilities
            reserve = getattr(caps, "market_reserve", None)
            connections.append(TicketConnection(
                connection_id=conn.id, name=conn.name, capabilities=caps,
                accounts=tuple(state.accounts_of(conn.id)), groups=tuple(conn.groups.values()),
                values=tuple(conn.allocation_values.values()), live=conn.is_live,
                instrument_for=conn.instrument_for, commission_for=conn.broker.estimate_commission,
                balances=tuple(b for b in state.balances.values() if b.connection_id == conn.id),
                stale=conn.is_live and conn.id in state.stale,
                state=connection_words(conn.status, conn.session, message=False)[0],
                market_reserve=Decimal(reserve) if reserve is not None else
                PAPER_MARKET_RESERVE if caps.replay else Decimal(0),
                account_capabilities=conn.broker.account_capabilities))
        self.ticket.set_connections(connections)

    def focus(self, connection_id: str) -> bool:
        """Point the ticket at ``connection_id``'s first account that trades (not an
        advisor's master); False when it is not live or has none."""
        conn = self.desk.connections.get(connection_id)
        if conn is None or not conn.is_live:
            return False
        self.update()
        account = next((a for a in self.desk.state.accounts_of(connection_id) if not a.is_master), None)
        return account is not None and self.ticket.select_account(connection_id, account.account_id)

    def connection_changed(self, connection_id: str) -> None:
        """The ticket's account is at another connection: it is the default market-data
        source now, and the ticket's quote comes from it."""
        self.desk.market.set_focus(connection_id or None)
        self.feed.reconsider()  # the chart draws from the ticket's connection when it serves bars
        self.quotes.ticket_symbol_changed(self.ticket.current_symbol())
        if self.welcome is not None:
            self.welcome.set_focus(connection_id)

    def close_position(self, position) -> None:
        """Double-click on a position: chart it and prefill an order that closes it, for
        the position's own account at its own connection (a consolidated row belongs to
        no one account: nothing)."""
        if not position.connection_id:
            return
        option = position.instrument.option
        self.chart.set_symbol(option.underlying if option is not None else position.symbol)  # options: chart the stock
        if getattr(position, "position_id", ""):  # closed by its id (PositionActions), not by an opposite order
            return
        if not self.ticket.select_account(position.connection_id, position.account_id):
            self._say(f"{self._name_of(position.connection_id)} · {position.account_id}: "
                      f"{self.ticket.target_problem() or 'cannot be traded now'}")
        side = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
        self.ticket.prefill(symbol=position.symbol, side=side, amount=abs(position.quantity))
