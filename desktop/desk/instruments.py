"""The instruments a live connection knows: what its broker listed (searched at start
and on demand), option symbols resolved by their OCC form, the broker's session status
and option chains. Qt-free."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from desktop.brokers import BrokerError
from desktop.domain import Instrument, MarketSession, OptionChain

from . import events as ev

log = logging.getLogger("desktop.desk.session")


class ConnectionInstruments:
    """The instrument half of :class:`~.session.LiveConnection` (a mixin: ``broker``,
    ``name``, ``capabilities``, ``instruments`` and ``emit`` come from it)."""

    async def _load_instruments(self, symbols: Iterable[str]) -> None:
        for symbol in symbols:
            try:
                found = await self.broker.search_instruments(symbol)
            except BrokerError as exc:
                log.info("%s: no instrument for %s: %s", self.name, symbol, exc)
                continue
            for inst in found:
                self.remember(inst)
        self.emit(ev.INSTRUMENTS)

    async def look_up(self, symbol: str) -> None:
        """Search ``symbol`` at this connection and keep what it lists (INSTRUMENTS event);
        a symbol it does not list is logged, not raised."""
        await self._load_instruments([symbol.strip().upper()])

    async def market_session(self, symbol: str) -> MarketSession | None:
        """Whether ``symbol``'s market is open at this connection, as its broker says
        (:meth:`Broker.fetch_market_session`); None when it does not say or the
        question fails (logged, never raised: the ticket then keeps to regular hours)."""
        try:
            return await self.broker.fetch_market_session(symbol.strip().upper())
        except BrokerError as exc:
            log.info("%s: no session status for %s: %s", self.name, symbol, exc)
            return None

    def remember(self, instrument: Instrument) -> None:
        """Keep an instrument this connection reported (first one per symbol wins)."""
        self.instruments.setdefault(instrument.symbol, instrument)

    def instrument_for(self, symbol: str) -> Instrument | None:
        """The instrument of ``symbol`` if this connection is known to list it. With
        options, an OCC symbol (padded or not) resolves to its option instrument."""
        key = symbol.strip().upper()
        found = self.instruments.get(key)
        caps = self.capabilities or self.broker.capabilities
        if found is None and len(key) >= 16 and caps.options:
            from desktop.domain.occ import OccSymbolError, parse_occ

            try:
                found = Instrument.for_option(parse_occ(key))
            except OccSymbolError:
                return None
        return found

    def known_symbols(self) -> list[str]:
        """Symbols with a known instrument, sorted."""
        return sorted(self.instruments)

    async def fetch_option_chain(self, underlying: str, expiry: date | None = None) -> OptionChain:
        """The broker's option chain of ``underlying``. Raises BrokerError."""
        return await self.broker.fetch_option_chain(underlying, expiry)
