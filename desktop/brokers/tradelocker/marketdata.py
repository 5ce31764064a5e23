"""Market data on each instrument's INFO route (specs/tradelocker/NOTES.md section 5):
quotes ``GET /trade/quotes`` ({ap, bp, as, bs}), polled within the QUOTES rate
limit; bars ``GET /trade/history`` (resolution, ``from``/``to`` in ms,
``{"barDetails": [...]}`` or ``s: "no_data"``), paged so no request spans more than
the config's QUOTES_HISTORY_BARS; the forming bar polled for ``watch_bars``.

TradeLocker quotes carry no last trade: ``last`` is the mid price (what positions
and the watchlist are marked to), bid and ask as sent. Times are the server's (the
``Date`` header, :mod:`.server_clock`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import BrokerError, InvalidRequestError
from desktop.domain import Bar, Interval, MarketSession, Quote

from . import parse
from .parse import PAYLOADS

log = logging.getLogger(__name__)

RESOLUTIONS = {Interval.M1: "1m", Interval.M5: "5m", Interval.M15: "15m", Interval.H1: "1H", Interval.D1: "1D"}
DEFAULT_SPAN = {Interval.M1: timedelta(days=7), Interval.M5: timedelta(days=21), Interval.M15: timedelta(days=60),
                Interval.H1: timedelta(days=250), Interval.D1: timedelta(days=3650)}
"""How far back fetch_bars reaches without ``start`` or ``limit`` (about five sessions of
1m bars, as the paper broker serves)."""
MAX_PAGES = 50


@PAYLOADS.item("history bar", raw_arg=2)
def read_bar(symbol: str, interval: Interval, raw: Any) -> Bar | None:
    """One ``barDetails`` entry as a Bar; None (logged) when unreadable."""
    if not isinstance(raw, Mapping):
        PAYLOADS.skip("not an object")
        return None
    start = parse.millis(raw.get("t"), "t")
    o, h, lo, c = (parse.decimal(raw.get(k), k) for k in ("o", "h", "l", "c"))
    volume = parse.decimal(raw.get("v"), "v")
    if start is None or None in (o, h, lo, c):
        PAYLOADS.skip("no time or price")
        return None
    return Bar(symbol=symbol, interval=interval, start=start, open=o, high=h, low=lo, close=c,
               volume=volume if volume is not None and volume >= 0 else Decimal(0), raw=dict(raw))


class MarketData:
    """The market-data half of :class:`~.broker.TradeLockerBroker` (a mixin)."""

    async def fetch_quote(self, symbol: str) -> Quote:
        """The current quote of ``symbol``. Raises NotFoundError, BrokerError."""
        listed = await self.catalog.resolve(symbol)
        body = await self.call("GET", "/trade/quotes", params={"tradableInstrumentId": listed.tid,
                                                               "routeId": listed.info_route or ""})
        bid = parse.decimal(body.get("bp"), "bp") if isinstance(body, Mapping) else None
        ask = parse.decimal(body.get("ap"), "ap") if isinstance(body, Mapping) else None
        last = None
        if bid is not None and ask is not None:
            tick = listed.instrument.tick_size if listed.instrument else Decimal("0.00001")
            last = ((bid + ask) / 2).quantize(tick)
        return self.owned(Quote(symbol=listed.symbol, bid=bid, ask=ask, last=last,
                                bid_size=parse.decimal(body.get("bs"), "bs") if isinstance(body, Mapping) else None,
                                ask_size=parse.decimal(body.get("as"), "as") if isinstance(body, Mapping) else None,
                                timestamp=self.server_clock.now(), raw=body))

    async def fetch_session_status(self, symbol: str):
        """Whether ``symbol``'s market is open now and the order types it takes
        (:class:`~.sessions.SessionStatus`), from its details' tradeSessionStatusId.
        Raises NotFoundError, BrokerError."""
        from .sessions import SessionStatus, read_session_status

        listed = await self.catalog.resolve(symbol)
        if listed.session_status_id is None:
            return SessionStatus("unknown", frozenset(), False)
        return read_session_status(await self.call("GET", f"/trade/sessionStatuses/{listed.session_status_id}"))

    async def fetch_market_session(self, symbol: str) -> MarketSession:
        """:meth:`fetch_session_status` as the domain's MarketSession (see
        :meth:`Broker.fetch_market_session`). Raises NotFoundError, BrokerError."""
        listed = await self.catalog.resolve(symbol)
        status = await self.fetch_session_status(symbol)
        return MarketSession(symbol=listed.symbol, is_open=status.is_open, name=status.name,
                             order_types=tuple(sorted(t.value for t in status.order_types)), raw=status.raw)

    async def watch_quotes(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Each symbol's quote when it changes, polled every ``poll_interval`` (the
        pacer keeps the QUOTES limit); ends at close()."""
        last: dict[str, tuple] = {}
        wanted = [s.strip().upper() for s in symbols]
        while not self._closed.is_set():
            for symbol in wanted:
                try:
                    quote = await self.fetch_quote(symbol)
                except BrokerError as exc:
                    log.info("TradeLocker: quote of %s unavailable: %s", symbol, exc)
                    continue
                if self._closed.is_set():
                    return
                state = (quote.bid, quote.ask, quote.bid_size, quote.ask_size)
                if last.get(symbol) != state:
                    last[symbol] = state
                    yield quote
            if not await self._pause(self.poll_interval):
                return

    def _resolution(self, interval: Interval) -> str:
        try:
            return RESOLUTIONS[Interval(interval)]
        except (KeyError, ValueError):
            raise InvalidRequestError(f"TradeLocker serves bars of {', '.join(i.value for i in RESOLUTIONS)}, not "
                                      f"{interval}", field="interval") from None

    async def _history(self, listed, interval: Interval, start: datetime, end: datetime) -> list[Bar]:
        """Bars in [start, end), paged by the QUOTES_HISTORY_BARS limit."""
        resolution = self._resolution(interval)
        page = interval.duration * max(1, self.history_limit - 1)
        bars: dict[datetime, Bar] = {}
        cursor, pages = start, 0
        while cursor < end and pages < MAX_PAGES:
            upper = min(end, cursor + page)
            body = await self.call("GET", "/trade/history", params={
                "tradableInstrumentId": listed.tid, "routeId": listed.info_route or "", "resolution": resolution,
                "from": parse.to_millis(cursor), "to": parse.to_millis(upper)})
            pages += 1
            items = body.get("barDetails") if isinstance(body, Mapping) else None
            for raw in items if isinstance(items, list) else ():  # s: "no_data" -> nothing
                bar = read_bar(listed.symbol, interval, raw)
                if bar is not None and start <= bar.start < end:
                    bars[bar.start] = bar
            cursor = upper
        return [bars[k] for k in sorted(bars)]

    async def fetch_bars(self, symbol: str, interval: Interval, start: datetime | None = None,
                         end: datetime | None = None, limit: int | None = None) -> list[Bar]:
        """Bars oldest first, start <= bar.start < end (default: the server's now);
        the newest ``limit`` when given. Raises NotFoundError / InvalidRequestError."""
        self._resolution(interval)
        listed = await self.catalog.resolve(symbol)
        now = self.server_clock.now()
        end = (end or now + interval.duration).astimezone(timezone.utc)
        if limit is not None and limit <= 0:
            return []
        if start is None:
            span = DEFAULT_SPAN[Interval(interval)]
            if limit is not None:
                span = max(interval.duration * limit * 3, interval.duration * 2)
            start = end - span
        bars = await self._history(listed, Interval(interval), start.astimezone(timezone.utc), end)
        return bars[-limit:] if limit is not None else bars

    async def watch_bars(self, symbol: str, interval: Interval) -> AsyncIterator[Bar]:
        """The forming bar (and each new one) of ``symbol``, polled every
        ``poll_interval``; ends at close()."""
        self._resolution(interval)
        last: Bar | None = None
        while not self._closed.is_set():
            try:
                bars = await self.fetch_bars(symbol, interval, limit=2)
            except BrokerError as exc:
                log.info("TradeLocker: bars of %s unavailable: %s", symbol, exc)
                bars = []
            if self._closed.is_set():
                return
            for bar in bars:
                if last is None or bar.start > last.start or (bar.start == last.start and bar != last):
                    last = bar
                    yield bar
            if not await self._pause(self.poll_interval):
                return
