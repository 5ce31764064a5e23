"""Which quotes the watchlist and the ticket show, among every connection's.

The watchlist shows each symbol's quote from its market-data source only
(``desk.market.source_for``; the Source column names it); the ticket shows the quote
of its own connection when that one serves quotes, else the source's. The ticket's
symbol is streamed from its connection, a symbol its connection does not know yet
is looked up there, and the connection is asked whether the symbol's market is open
(brokers that say so: TradeLocker's session statuses).
"""

from __future__ import annotations

from desktop.desk import Desk
from desktop.desk.tasks import spawn


class QuoteRouting:
    """Routes quotes of ``desk`` to the ``watchlist`` panel and the ``ticket``."""

    def __init__(self, desk: Desk, watchlist, ticket) -> None:
        self.desk, self.watchlist, self.ticket = desk, watchlist, ticket

    def quotes_changed(self, quotes: list) -> None:
        """A batch of quotes from any connection (DeskBridge.quotesChanged)."""
        market = self.desk.market
        shown = [q for q in quotes if (source := market.source_for(q.symbol)) is not None and source.id == q.connection_id]
        if shown:
            self.watchlist.stage(shown)
        current = self.ticket.current_symbol()
        for quote in quotes:
            if quote.symbol == current and quote.connection_id == self.ticket_source(current):
                self.ticket.set_quote(quote)

    def ticket_source(self, symbol: str) -> str | None:
        """The connection whose quote of ``symbol`` the ticket shows (None: no source)."""
        cid = self.ticket.current_connection_id()
        conn = self.desk.connections.get(cid) if cid else None
        if conn is not None and conn.is_live and (conn.capabilities or conn.broker.capabilities).quotes:
            return conn.id
        source = self.desk.market.source_for(symbol)
        return source.id if source is not None else None

    def sources_changed(self) -> None:
        """A symbol's source may have changed: show its quote from the new one."""
        market, state = self.desk.market, self.desk.state
        rows = [quote for symbol in self.watchlist.symbols()
                if (source := market.source_for(symbol)) is not None
                and (quote := state.quote(source.id, symbol)) is not None]
        if rows:
            self.watchlist.stage(rows)

    def ticket_symbol_changed(self, symbol: str) -> None:
        """Stream the ticket's symbol from its connection and show the quote held."""
        cid = self.ticket.current_connection_id()
        if cid and symbol:
            self.desk.market.want("ticket", cid, [symbol])
            self._ask_session(cid, symbol)
        source = self.ticket_source(symbol) if symbol else None
        quote = self.desk.state.quote(source, symbol) if source else None
        if quote is not None:
            self.ticket.set_quote(quote)

    def _ask_session(self, connection_id: str, symbol: str) -> None:
        """Ask ``connection_id`` whether ``symbol``'s market is open (TradeLocker's
        session status) and tell the ticket; brokers that do not say answer None."""
        conn = self.desk.connections.get(connection_id)
        if conn is None or not conn.is_live:
            return

        async def ask() -> None:
            session = await conn.market_session(symbol)
            self.ticket.set_market_session(connection_id, session)

        spawn(ask(), name=f"session:{connection_id}:{symbol}")

    def look_up(self, connection_id: str, symbol: str) -> None:
        """The ticket's connection does not know ``symbol`` yet: search it there."""
        conn = self.desk.connections.get(connection_id)
        if conn is not None and conn.is_live:
            spawn(conn.look_up(symbol), name=f"lookup:{connection_id}:{symbol}")
