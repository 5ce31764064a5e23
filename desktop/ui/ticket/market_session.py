"""The order ticket says when the instrument's market is closed, as its broker says
it (issue 14: TradeLocker's session statuses, through
:meth:`~desktop.desk.session.LiveConnection.market_session`).

:class:`MarketSessionNote` is part of :class:`~desktop.ui.ticket.ticket.OrderTicket`
(a mixin: it uses the form's ``session_note`` label, ``symbol()``,
``current_connection_id()`` and ``_update_confirmation``). The window hands it each
session it learns with :meth:`set_market_session`; a session of another symbol or
connection than the ticket's is ignored. A closed market is said under the quote
line ("marketSessionNote") and warned about in the confirmation; nothing is refused
here (the broker decides what it accepts).
"""

from __future__ import annotations

from desktop.domain import MarketSession

_TYPE_WORDS = {"MARKET": "market", "LIMIT": "limit", "STOP": "stop"}


def closed_text(session: MarketSession) -> str:
    """"Market closed for EURUSD (session “Closed”): it takes limit and stop orders
    now"; "" for an open session."""
    if session.is_open:
        return ""
    name = f" (session “{session.name}”)" if session.name and session.name.lower() != "closed" else ""
    types = [_TYPE_WORDS[t] for t in session.order_types if t in _TYPE_WORDS]
    if types:
        allowed = " and ".join(types) if len(types) <= 2 else ", ".join(types[:-1]) + " and " + types[-1]
        tail = f": it takes {allowed} orders now"
    else:
        tail = ": orders are not accepted until it opens"
    return f"Market closed for {session.symbol}{name}{tail}"


class MarketSessionNote:
    """Market sessions of :class:`OrderTicket` (see the module docstring)."""

    _market_session: tuple[str, MarketSession] | None = None

    def set_market_session(self, connection_id: str, session: MarketSession | None) -> None:
        """``connection_id``'s word on ``session.symbol``'s market (None: it says nothing);
        shown when it is the ticket's connection and symbol."""
        if session is None:
            if self._market_session is not None and self._market_session[0] == connection_id:
                self._market_session = None
        else:
            self._market_session = (connection_id, session)
        self._show_session_note()

    def market_session(self) -> MarketSession | None:
        """The session known for the ticket's symbol at its connection, or None."""
        held = self._market_session
        if held is None or held[0] != self.current_connection_id() or held[1].symbol != self.symbol():
            return None
        return held[1]

    def market_closed_text(self) -> str:
        """What the ticket says about a closed market ("" when open or unknown)."""
        session = self.market_session()
        return closed_text(session) if session is not None else ""

    def _show_session_note(self) -> None:
        text = self.market_closed_text()
        self.session_note.setText(text)
        self.session_note.setVisible(bool(text))
        self._update_confirmation()
