"""How many decimals a symbol's prices are shown with, for widgets that see only a
symbol (the watchlist's quotes, the chart): Qt-free.

An instrument the app has seen (:func:`remember`: a symbol search, the ticket)
gives its own :attr:`~desktop.domain.Instrument.price_decimals` (from its tick
size); otherwise a currency pair by its symbol ("EURUSD": both halves ISO 4217 codes
of :data:`desktop.domain.forex.CURRENCIES`) gets the pair's conventional decimals (JPY pairs 3, others 5;
issue 14); anything else None (the formatters' own rule: 2, more when the value has
them). Widgets holding an Instrument (positions, orders, fills) read it directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.domain.forex import pair_decimals, split_pair

if TYPE_CHECKING:  # the chart imports this before its first paint: no pydantic models here
    from desktop.domain import Instrument

_known: dict[str, int] = {}
_answers: dict[str, int | None] = {}
""":func:`places` by the symbol as given: it runs for every price cell a quote update
formats (tens of thousands a second under live traffic), so it is a dict lookup."""


def remember(instrument: Instrument | None) -> None:
    """Keep ``instrument``'s price decimals for its symbol (options are skipped: their
    premiums keep the default). None is ignored."""
    if instrument is not None and not instrument.is_option:
        _known[instrument.symbol] = instrument.price_decimals
        _answers.clear()


def conventional(symbol: str) -> int | None:
    """3 for a JPY pair, 5 for another pair of :data:`~desktop.domain.forex.CURRENCIES` ("EURUSD",
    "EUR/USD"); None when ``symbol`` is not a currency pair."""
    return pair_decimals(symbol) if split_pair(symbol) is not None else None


def places(symbol: str | None) -> int | None:
    """Decimals for ``symbol``'s prices: a remembered instrument's, else a pair's
    conventional ones, else None."""
    if not symbol:
        return None
    try:
        return _answers[symbol]
    except KeyError:
        pass
    key = symbol.strip().upper()
    found = _known.get(key)
    answer = found if found is not None else conventional(key)
    _answers[symbol] = answer
    return answer


def forget_all() -> None:
    """Drop every remembered instrument (tests)."""
    _known.clear()
    _answers.clear()
