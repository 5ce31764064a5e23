"""Which connection serves market data: one source per symbol for the watchlist and
the quotes other parts of the app ask for. Qt-free.

The *market-data connection* is the user's choice when it is live and serves quotes,
else the connection of the ticket's account (``focus``) when it does, else the first
live connection that does (the paper broker always does). A symbol the chosen one
does not list is served by the first live connection that lists it. Each live
connection streams the symbols it is the source of, plus what was asked of it
directly (:meth:`MarketData.want`), plus what it holds (for marking positions).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from .session import LiveConnection


class MarketData:
    """Market-data sources over the connections ``live()`` returns (the desk's live
    connections, in the order they were opened); see the module docstring."""

    def __init__(self, live: Callable[[], list[LiveConnection]]) -> None:
        self._live = live
        self.watchlist: tuple[str, ...] = ()
        self.choice: str | None = None
        self.focus: str | None = None
        self._wants: dict[Hashable, tuple[str, tuple[str, ...]]] = {}

    # -- inputs ---------------------------------------------------------------------
    def set_watchlist(self, symbols: Iterable[str]) -> None:
        """The watchlist's symbols (upper case, in order)."""
        self.watchlist = tuple(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
        self.refresh()

    def choose(self, connection_id: str | None) -> None:
        """Make ``connection_id`` the market-data connection (None: automatic)."""
        self.choice = connection_id
        self.refresh()

    def set_focus(self, connection_id: str | None) -> None:
        """The ticket's account is at ``connection_id``."""
        if connection_id != self.focus:
            self.focus = connection_id
            self.refresh()

    def want(self, owner: Hashable, connection_id: str, symbols: Iterable[str]) -> None:
        """``owner`` (e.g. the ticket) wants quotes of ``symbols`` from ``connection_id``
        (replaces what it wanted before)."""
        self._wants[owner] = (connection_id, tuple(dict.fromkeys(symbols)))
        self.refresh()

    # -- answers --------------------------------------------------------------------
    def _serving(self, need: str) -> list[LiveConnection]:
        def serves(conn: LiveConnection) -> bool:
            caps = conn.capabilities or conn.broker.capabilities
            return caps.quotes if need == "quotes" else caps.bars

        live = [c for c in self._live() if serves(c)]
        ordered = []
        for preferred in (self.choice, self.focus):
            found = next((c for c in live if c.id == preferred), None)
            if found is not None and found not in ordered:
                ordered.append(found)
        return ordered + [c for c in live if c not in ordered]

    def source(self, need: str = "quotes") -> LiveConnection | None:
        """The market-data connection for ``need`` ("quotes" or "bars"), or None."""
        serving = self._serving(need)
        return serving[0] if serving else None

    def candidates(self, need: str = "quotes") -> list[LiveConnection]:
        """Every live connection serving ``need``, the default first."""
        return self._serving(need)

    def source_for(self, symbol: str, need: str = "quotes") -> LiveConnection | None:
        """The connection whose ``need`` data of ``symbol`` is shown (see the module
        docstring), or None when no live connection serves it."""
        serving = self._serving(need)
        if not serving:
            return None
        return next((c for c in serving if c.instrument_for(symbol) is not None), serving[0])

    def symbols_for(self, connection_id: str) -> list[str]:
        """What ``connection_id`` should stream: the watchlist symbols it is the source
        of and what was asked of it directly."""
        out: dict[str, None] = {}
        for symbol in self.watchlist:
            source = self.source_for(symbol)
            if source is not None and source.id == connection_id:
                out[symbol] = None
        for cid, symbols in self._wants.values():
            if cid == connection_id:
                out.update(dict.fromkeys(symbols))
        return list(out)

    def refresh(self) -> None:
        """Give every live connection its symbols (it resubscribes when they changed)."""
        for conn in self._live():
            conn.set_quote_symbols(self.symbols_for(conn.id))
