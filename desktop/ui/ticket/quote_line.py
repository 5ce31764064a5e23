"""The order ticket's quote: which one it holds, and whether it is live.

:class:`QuoteLine` is part of :class:`~desktop.ui.ticket.ticket.OrderTicket` (a mixin:
it uses the ticket's form, ``_connections``, ``_errors``, ``_revalidate``,
``_show_estimate`` and ``extras``). A quote carries its ``connection_id``; while that
connection is disconnected or its session is down (the desk marks it stale) the quote
line is greyed with the quote's age ("3 min old") and the ticket sends nothing
(error key ``quote``, shown in "quoteNote" under the line) until quotes are live again.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer

from desktop.domain import Quote

from ..display_clock import DISPLAY_CLOCK
from ..price_places import places
from .order_warnings import quote_age
from .style import show_error

AGE_REFRESH_MS = 1000
"""How often a stale quote's age is rewritten."""


class QuoteLine:
    """Quotes of :class:`OrderTicket` (see the module docstring)."""

    def _init_quote_line(self) -> None:
        self._quotes: dict[str, Quote] = {}
        self._age_timer = QTimer(self)
        self._age_timer.setInterval(AGE_REFRESH_MS)
        self._age_timer.timeout.connect(self._show_quote_line)

    # --------------------------------------------------------------- public API
    def current_quote(self) -> Quote | None:
        """The latest quote of the ticket's symbol, or None."""
        return self._quotes.get(self.symbol())

    def set_quote(self, quote: Quote) -> None:
        """Latest quote for a symbol; shown (and used for estimates) when it is the ticket's."""
        symbol = quote.symbol.upper()
        self._quotes[symbol] = quote
        if symbol != self.symbol():
            return
        if bool(self.quote_problem()) != ("quote" in self._errors):
            self._revalidate()
        self._show_quote_line()
        self._show_estimate()
        self.extras.refresh()
        self._quote_arrived(quote)
        self._update_confirmation()

    def quote_problem(self) -> str:
        """Why the ticket's quote cannot be relied on ("" when it can, or when there is
        none): its connection is disconnected, its session down, or it is gone."""
        quote = self.current_quote()
        if quote is None or not quote.connection_id:
            return ""
        conn = self._connections.get(quote.connection_id)
        if conn is not None and conn.sendable:
            return ""
        name = conn.name if conn is not None else self._names.get(quote.connection_id, quote.connection_id)
        state = conn.state_words() if conn is not None else "no longer connected"
        return (f"{name} is {state}: this quote is {self._age(quote)}. Nothing is sent until its quotes are "
                "live again.")

    # ------------------------------------------------------------------ private
    @staticmethod
    def _age(quote: Quote) -> str:
        return quote_age(quote, DISPLAY_CLOCK.now(quote.connection_id))

    def _forget_other_quotes(self, symbol: str) -> None:
        """A new symbol: quotes held for others are old by the time they are its again."""
        for held in [s for s in self._quotes if s != symbol]:
            del self._quotes[held]

    def _show_quote_line(self) -> None:
        known = "symbol" not in self._errors
        symbol = self.symbol() if known else ""
        quote = self._quotes.get(symbol) if symbol else None
        problem = self.quote_problem() if quote is not None else ""
        instrument = self._instrument
        decimals = instrument.price_decimals if instrument is not None and not instrument.is_option else places(symbol)
        self.show_quote(symbol, quote, stale=self._age(quote) if problem else "", decimals=decimals)
        show_error(self.quote_note, problem)
        if problem and not self._age_timer.isActive():
            self._age_timer.start()
        elif not problem:
            self._age_timer.stop()
