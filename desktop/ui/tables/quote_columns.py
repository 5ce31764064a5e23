"""Watchlist price columns: a quote's price in its symbol's decimals, and the Bid and
Ask columns that say "not offered" for a source that serves last prices only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.domain import Quote
from desktop.ui.price_places import places

from .columns import Column
from .connection_columns import Names
from .formatting import fmt_price


def symbol_price(get: Callable[[Quote], Any]) -> Callable[[Quote], str]:
    """A quote price shown with its symbol's decimals (:func:`desktop.ui.price_places.places`:
    EURUSD 5, USDJPY 3, shares as :func:`fmt_price` decides)."""
    return lambda q: fmt_price(get(q), places(q.symbol))


NOT_OFFERED = "—"
"""A bid or ask cell of a quote whose source serves last prices only."""


def quote_side(labels: Names, column_id: str, header: str, side: str) -> Column:
    """The Bid or Ask column (``side``: the Quote field): the price in its symbol's
    decimals, or :data:`NOT_OFFERED` with a tooltip saying why when the quote's
    connection serves no bid/ask (an unknown value of a source that does offer them
    stays blank)."""
    def offered(q: Quote) -> bool:
        return getattr(q, side) is not None or not q.connection_id or labels.offers_bid_ask(q.connection_id)

    price = symbol_price(lambda q: getattr(q, side))
    return Column(column_id, header, lambda q: getattr(q, side), fmt_price, numeric=True,
                  render=lambda q: price(q) if offered(q) else NOT_OFFERED,
                  tooltip=lambda q: None if offered(q) else
                  f"Not offered: {labels.name(q.connection_id)} serves last prices only, no {side}")
