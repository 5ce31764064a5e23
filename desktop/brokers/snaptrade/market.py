"""Market data of SnapTrade accounts: the market-data part of
:class:`~desktop.brokers.snaptrade.broker.SnapTradeBroker` (a mixin: it uses the
broker's client, accounts, symbol ids, poll interval and connection id).

Symbol search is ``POST /accounts/{id}/symbols`` at the first account (an OCC option
symbol is its option instrument); quotes are polled from ``/accounts/{id}/quotes``,
at most 10 symbols a call. SnapTrade serves no bars and no option chains any more
(NOTES.md section 4).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from desktop.brokers.errors import BrokerError, InvalidRequestError, NotFoundError
from desktop.domain import Bar, Instrument, Interval, Quote

from .parse import option_instrument, parse_quote, parse_symbol

log = logging.getLogger("desktop.brokers.snaptrade.broker")


class SnapTradeMarket:
    """Symbols, quotes, (no) bars and (no) option chains of :class:`SnapTradeBroker`."""

    def _any_account(self) -> str:
        if not self.accounts:
            raise NotFoundError("Link a brokerage first: SnapTrade searches symbols and quotes through an account")
        return next(iter(self.accounts))

    async def search_instruments(self, query: str) -> list[Instrument]:
        """Symbols matching ``query`` at the first account (``POST /accounts/{id}/symbols``);
        an OCC option symbol is its option instrument."""
        text = query.strip()
        if len("".join(text.split())) >= 15 and any(ch.isdigit() for ch in text):
            try:
                return [option_instrument(text.upper())]
            except ValueError:
                pass
        if not text:
            return []
        rows = await self.client.search(self._any_account(), text)
        found = [parse_symbol(r) for r in rows or [] if isinstance(r, dict)]
        instruments = [i for i in found if i is not None]
        for instrument in instruments:
            self._symbol_ids.setdefault(instrument.symbol, instrument.broker_id or "")
        return instruments

    async def _universal_id(self, instrument: Instrument) -> str:
        if instrument.broker_id and instrument.symbol in self._symbol_ids:
            return self._symbol_ids[instrument.symbol]
        if instrument.symbol not in self._symbol_ids:
            await self.search_instruments(instrument.symbol)
        found = self._symbol_ids.get(instrument.symbol)
        if not found:
            raise InvalidRequestError(f"SnapTrade does not know the symbol {instrument.symbol}", field="symbol")
        return found

    async def fetch_option_chain(self, underlying: str, expiry=None):
        """SnapTrade serves no option chains any more (removed from the API, NOTES.md
        section 4): InvalidRequestError saying to type the OCC symbol."""
        raise InvalidRequestError("SnapTrade serves no option chains: type the option's OCC symbol "
                                  "(e.g. AAPL  251114C00240000) in the ticket", field="underlying")

    async def fetch_bars(self, symbol: str, interval: Interval, start: datetime | None = None,
                         end: datetime | None = None, limit: int | None = None) -> list[Bar]:
        raise InvalidRequestError("SnapTrade serves no price bars: the chart draws this symbol from another source",
                                  field="interval")

    async def watch_bars(self, symbol: str, interval: Interval) -> AsyncIterator[Bar]:
        return
        yield  # pragma: no cover

    async def watch_quotes(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Quotes of ``symbols`` polled every ``poll_interval`` s (10 a call), yielded
        when they change, until close() or cancellation."""
        wanted = [s.upper() for s in dict.fromkeys(symbols) if s and not s.strip().count(" ")]
        last: dict[str, tuple] = {}
        while not self._closed and wanted:
            try:
                for start in range(0, len(wanted), 10):
                    rows = await self.client.quotes(self._any_account(), wanted[start:start + 10])
                    for row in rows or []:
                        quote = parse_quote(row, self.connection_id) if isinstance(row, dict) else None
                        if quote is None:
                            continue
                        mark = (quote.bid, quote.ask, quote.last)
                        if last.get(quote.symbol) != mark:
                            last[quote.symbol] = mark
                            yield quote
            except BrokerError as exc:
                log.info("SnapTrade quotes: poll failed, trying again in %.0f s: %s", self.poll_interval, exc)
            await asyncio.sleep(self.poll_interval)
