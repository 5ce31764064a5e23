"""The paper broker's whole market (issue 14): the stocks' :class:`~.market.MarketSimulator`
and, when given, the currency pairs of :class:`~.fx_market.FxMarket` on the same
replay clock, behind the calls the broker and :func:`~.playback.play_minutes` make,
each routed by symbol. The pairs' prices are in their own units and decimals (see
:mod:`.fx_market`); their data source is :data:`.fx_history.SOURCE`.

Qt-free; nothing is read at import (the ECB file is read when a pair is first used).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from desktop.brokers.bar_columns import BarColumns
from desktop.domain import Bar, Instrument, Interval, Quote

from .fx_market import FxMarket
from .market import MarketSimulator


class PaperMarkets:
    """Stocks and (``fx`` not None) pairs by symbol. Methods taking a symbol raise
    NotFoundError for one neither market knows (the stocks' error)."""

    def __init__(self, stocks: MarketSimulator, fx: FxMarket | None = None) -> None:
        self.stocks = stocks
        self.fx = fx

    @property
    def clock(self):
        """The one replay clock (the stocks')."""
        return self.stocks.clock

    @property
    def pairs(self) -> tuple[str, ...]:
        """The pair symbols ("EURUSD", ...), sorted; () without forex."""
        return self.fx.symbols if self.fx is not None else ()

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every stock and pair symbol, sorted."""
        return tuple(sorted({*self.stocks.symbols, *self.pairs}))

    def is_pair(self, symbol: str) -> bool:
        """True when ``symbol`` (any case) is one of the pairs."""
        return isinstance(symbol, str) and symbol.strip().upper() in self.pairs

    def _route(self, symbol: str):
        """(the market of ``symbol``, the symbol as that market keys it): a pair
        upper-cased for the FX market, a stock as given (its history resolves case)."""
        if self.is_pair(symbol):
            return self.fx, symbol.strip().upper()
        return self.stocks, symbol

    def canonical(self, symbol: str) -> str:
        """``symbol`` as the market spells it; NotFoundError when unknown."""
        if self.is_pair(symbol):
            return symbol.strip().upper()
        return self.stocks.history.series(symbol).symbol

    def source(self, symbol: str) -> str | None:
        """Where ``symbol``'s prices come from when it is not the stocks' history:
        "ECB reference rates, intraday synthetic" for the pairs, else None."""
        return self.fx.source if self.fx is not None and self.is_pair(symbol) else None

    def instrument(self, symbol: str) -> Instrument:
        """The Instrument of a stock (EQUITY) or a pair (FOREX, its quote currency and tick)."""
        return self.fx.instrument(symbol.strip().upper()) if self.is_pair(symbol) else self.stocks.instrument(symbol)

    def search(self, query: str) -> list[Instrument]:
        """The stocks' :meth:`MarketSimulator.search`, then the pairs whose symbol or
        name matches ``query`` ("EUR", "eurusd", "yen"; "EUR/USD" and "EUR.USD" too)."""
        found = self.stocks.search(query)
        if self.fx is None:
            return found
        q = query.strip().upper().replace("/", "").replace(".", "")
        pairs = [self.fx.instrument(p) for p in self.pairs]
        exact = [i for i in pairs if i.symbol == q]
        rest = [i for i in pairs if i not in exact and (not q or q in i.symbol or q in i.description.upper())]
        return exact + found + rest if exact else found + rest

    def quote(self, symbol: str) -> Quote:
        market, key = self._route(symbol)
        return market.quote(key)

    def last_price(self, symbol: str) -> Decimal | None:
        market, key = self._route(symbol)
        return market.last_price(key)

    def minute_bar(self, symbol: str) -> Bar | None:
        market, key = self._route(symbol)
        return market.minute_bar(key)

    def current_bar(self, symbol: str, interval: Interval) -> Bar | None:
        market, key = self._route(symbol)
        return market.current_bar(key, interval)

    def pair_prices(self) -> dict[str, Decimal]:
        """Every pair's last price now (the rates a ledger converts currencies at)."""
        out = {}
        for pair in self.pairs:
            price = self.fx.last_price(pair)
            if price is not None:
                out[pair] = price
        return out

    def advance_one_minute(self) -> list[tuple[str, Bar]]:
        """Step the clock (the stocks' :meth:`MarketSimulator.advance_one_minute`) and
        return the minute bars of the stocks and, on a played minute, of the pairs
        (once their rates are loaded: a minute played while they load has none)."""
        played = self.stocks.advance_one_minute()
        return played + (self.fx.played() if self.fx is not None and played and self.fx.loaded else [])

    def fetch_bars(self, symbol: str, interval: Interval, start: datetime | None = None, end: datetime | None = None,
                   limit: int | None = None, adjusted: bool = False) -> list[Bar]:
        """History bars; ``adjusted`` applies to shares only (pairs have no corporate actions)."""
        if self.is_pair(symbol):
            return self.fx.fetch_bars(symbol.strip().upper(), Interval(interval), start, end, limit)
        return self.stocks.fetch_bars(symbol, interval, start=start, end=end, limit=limit, adjusted=adjusted)

    def fetch_bars_array(self, symbol: str, interval: Interval, start: datetime | None = None,
                         end: datetime | None = None, limit: int | None = None, adjusted: bool = False) -> BarColumns:
        """:meth:`fetch_bars` as columns (the stocks' fast path; a pair's from its Bars)."""
        if self.is_pair(symbol):
            pair = symbol.strip().upper()
            bars = self.fx.fetch_bars(pair, Interval(interval), start, end, limit)
            return BarColumns.from_bars(pair, Interval(interval), bars)
        return self.stocks.fetch_bars_array(symbol, interval, start=start, end=end, limit=limit, adjusted=adjusted)
