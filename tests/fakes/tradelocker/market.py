"""The fake's market: the paper market's stocks (traded as CFDs) and its forex pairs
(:class:`desktop.brokers.paper.fx_market.FxMarket`: ECB daily fixes, synthetic
intraday path) on one replay clock, behind the few calls the fake makes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from desktop.brokers.paper.fx_market import FxMarket
from desktop.brokers.paper.market import MarketSimulator
from desktop.domain import Bar, Interval, Quote


class FakeMarket:
    """Stocks and pairs by symbol; :meth:`advance_one_minute` steps the one clock."""

    def __init__(self, stocks: MarketSimulator | None = None, *, forex: bool = True) -> None:
        self.stocks = stocks or MarketSimulator.from_resources()
        self.clock = self.stocks.clock
        self.fx = FxMarket(self.clock) if forex else None

    def _of(self, symbol: str):
        return self.fx if self.fx is not None and symbol in self.fx.symbols else self.stocks

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(sorted({*self.stocks.symbols, *(self.fx.symbols if self.fx else ())}))

    def quote(self, symbol: str) -> Quote:
        return self._of(symbol).quote(symbol)

    def last_price(self, symbol: str) -> Decimal | None:
        return self._of(symbol).last_price(symbol)

    def current_bar(self, symbol: str, interval: Interval) -> Bar | None:
        return self._of(symbol).current_bar(symbol, interval)

    def fetch_bars(self, symbol: str, interval: Interval, start: datetime | None = None, end: datetime | None = None,
                   limit: int | None = None) -> list[Bar]:
        return self._of(symbol).fetch_bars(symbol, interval, start, end, limit)

    def advance_one_minute(self) -> list[tuple[str, Bar]]:
        played = self.stocks.advance_one_minute()
        return played + (self.fx.played() if self.fx is not None and played else [])
