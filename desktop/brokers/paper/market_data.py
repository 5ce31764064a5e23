"""The paper broker's market-data snapshots: history, search, option chains.

:class:`MarketDataSide` is a mixin of :class:`~.broker.PaperBroker`; it relies on the
broker's ``markets`` (stocks and pairs, :class:`~.markets.PaperMarkets`),
``_markets``, ``options``, ``_option_desk`` and ``_adjusted``. Currency pairs (issue 14) are served
beside the shares, their history from the ECB reference rates (see :mod:`.fx_market`).
"""

from __future__ import annotations

from datetime import date, datetime

from desktop.domain import Bar, Instrument, Interval, OptionChain

from ..bar_columns import BarColumns


class MarketDataSide:
    """Mixin: fetch_bars, fetch_bars_array, search_instruments, option chains, the
    adjusted-prices switch and each symbol's data source."""

    async def fetch_bars(self, symbol: str, interval: Interval, start: datetime | None = None,
                         end: datetime | None = None, limit: int | None = None) -> list[Bar]:
        """Bars of the replayed market (see MarketSimulator.fetch_bars): daily bars of
        shares are adjusted for splits and dividends to the replay's date unless
        ``set_adjusted_prices(False)``; intraday bars are never adjusted. A pair's
        daily bars are the ECB fixes, its intraday ones synthetic."""
        return self.markets.fetch_bars(symbol, Interval(interval), start=start, end=end, limit=limit,
                                       adjusted=self._adjusted)

    def set_adjusted_prices(self, adjusted: bool) -> None:
        """Daily bars adjusted for splits and dividends (True, the default) or as traded
        (False). Quotes, orders and fills always use traded (unadjusted) prices.
        Raises TypeError for a non-bool."""
        if not isinstance(adjusted, bool):
            raise TypeError(f"adjusted must be True or False, got {adjusted!r}")
        self._adjusted = adjusted

    @property
    def adjusted_prices(self) -> bool:
        """Whether fetch_bars adjusts daily bars (see set_adjusted_prices)."""
        return self._adjusted

    async def fetch_bars_array(self, symbol: str, interval: Interval, start: datetime | None = None,
                               end: datetime | None = None, limit: int | None = None) -> BarColumns:
        """History as numpy columns, straight from the replayed market's arrays (no
        Bar per row for intraday intervals of shares; daily ones adjusted as
        :meth:`fetch_bars`); see :meth:`Broker.fetch_bars_array`."""
        return self.markets.fetch_bars_array(symbol, Interval(interval), start=start, end=end, limit=limit,
                                             adjusted=self._adjusted)

    def data_source(self, symbol: str) -> str | None:
        """Where ``symbol``'s prices come from when it is not the shipped stock
        history: "ECB reference rates, intraday synthetic" for the currency pairs;
        None otherwise (and before connecting)."""
        return self._markets.source(symbol) if self._markets is not None else None

    async def search_instruments(self, query: str) -> list[Instrument]:
        """Shares and currency pairs matching ``query``; a listed option's Instrument
        when ``query`` is its OCC symbol (padded or not, any case); [] for an OCC
        symbol that is not listed."""
        options = self._option_desk.search(query)
        return options if options is not None else self.markets.search(query)

    async def fetch_option_chain(self, underlying: str, expiry: date | None = None) -> OptionChain:
        """The replayed chain of ``underlying`` (see :mod:`.options_market`): listed
        expiries, strikes within 30% of the price, quotes of ``expiry`` (nearest when
        None). Raises NotFoundError for an unknown underlying or unlisted expiry."""
        return self.options.chain(underlying, expiry)
