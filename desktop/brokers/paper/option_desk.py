"""The paper broker's option side: listed options of the replayed market as the broker
shows them.

:class:`OptionDesk` wraps the :class:`~.options_market.OptionsMarket` of a connected
broker's market: an option's quote as the plain :class:`~desktop.domain.Quote` that
``watch_quotes`` streams, instrument search by OCC symbol, and expiry settlement
(:mod:`.expiry`) against the underlying's real daily closes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from desktop.domain import Instrument, Quote

from ..errors import InvalidRequestError, NotFoundError
from .expiry import expired_positions, settle_expiries
from .market import MarketSimulator
from .matching import Event, MatchingEngine
from .options_market import OptionsMarket


class OptionDesk:
    """Listed options of ``market`` (see the module docs); ``options`` is their market."""

    def __init__(self, market: MarketSimulator) -> None:
        self.market = market
        self.options = OptionsMarket(market)

    def quote(self, symbol: str) -> Quote | None:
        """The option ``symbol``'s quote as a plain Quote (None when not listed)."""
        try:
            q = self.options.quote(self.options.contract_for(symbol))
        except (NotFoundError, InvalidRequestError):
            return None
        return Quote(symbol=symbol, bid=q.bid, ask=q.ask, last=q.last, volume=q.volume, timestamp=q.timestamp)

    def search(self, query: str) -> list[Instrument] | None:
        """For an OCC symbol (padded or not, any case): [its Instrument] when listed, []
        when not; None when ``query`` is no OCC symbol (search the shares instead)."""
        if len(query.strip()) >= 16 and query.strip()[-9:-8].upper() in ("C", "P"):
            try:
                return [self.options.instrument(self.options.contract_for(query))]
            except NotFoundError:
                return []
            except InvalidRequestError:
                pass
        return None

    def settle(self, engine: MatchingEngine, day: date, now: datetime) -> list[Event]:
        """Exercise / assign / expire options expiring on or before ``day`` (see :mod:`.expiry`)."""
        history = self.market.history

        def close_of(symbol: str, expiry: date) -> Decimal | None:
            bar = history.daily_bar(symbol, expiry)
            return bar.close if bar is not None else history.prev_close(symbol, expiry + timedelta(days=1))

        return settle_expiries(engine, day, now, close_of, self.market.instrument)

    def settle_missed(self, engine: MatchingEngine) -> list[Event]:
        """Settle positions whose expiry passed while the broker was not running (on connect)."""
        clock = self.market.clock
        if not expired_positions(engine, clock.current_date, clock.session_closed):
            return []
        day = clock.current_date if clock.session_closed else clock.current_date - timedelta(days=1)
        return self.settle(engine, day, clock.now)
