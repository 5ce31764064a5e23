"""The paper market: real daily history replayed minute by minute.

:class:`MarketSimulator` composes :class:`~.history.History` (real daily bars),
:class:`~.intraday.IntradayGenerator` (synthetic minutes inside each real day) and
:class:`~.replay.ReplayClock` (where the replay is). Nothing here is async or Qt;
the broker drives it by calling :meth:`MarketSimulator.advance_one_minute`.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np

from desktop.brokers.bar_columns import BarColumns
from desktop.brokers.errors import InvalidRequestError
from desktop.domain import Bar, Instrument, Interval, Quote

from .aggregate import aggregate_arrays, bucket_minutes, forming_bar, make_bar
from .daily_series import PRICE_SCALE, DailySeries, day_start_utc
from .history import History
from .intraday import SESSION_MINUTES, DayMinutes, IntradayGenerator
from .replay import DEFAULT_START, ReplayClock

log = logging.getLogger(__name__)

DEFAULT_SESSIONS = {Interval.M1: 5, Interval.M5: 20, Interval.M15: 60, Interval.H1: 250}
"""Sessions fetch_bars returns when neither start nor limit is given (1d: everything)."""
TICK = Decimal("0.01")

_DESCRIPTIONS = {
    "AAPL": ("Apple Inc.", "NASDAQ"),
    "FB": ("Facebook, Inc.", "NASDAQ"),
    "GOOG": ("Google Inc.", "NASDAQ"),
    "IBM": ("International Business Machines Corporation", "NYSE"),
    "MSFT": ("Microsoft Corporation", "NASDAQ"),
}


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidRequestError(f"{name} must be a timezone-aware datetime", field=name)
    return value.astimezone(timezone.utc)


class MarketSimulator:
    """Replayed market over ``history``, positioned by ``clock``.

    Prices are Decimal USD, volumes shares. Methods taking a symbol raise
    NotFoundError (naming it and the known symbols) for an unknown one. Build it with
    ``MarketSimulator.from_resources()`` or ``MarketSimulator(History.open(path),
    ReplayClock(history.calendar()))``.
    """

    def __init__(self, history: History, clock: ReplayClock | None = None, *, cache_days: int = 2048) -> None:
        self.history = history
        self.clock = clock if clock is not None else ReplayClock(history.calendar())
        self.intraday = IntradayGenerator(history, maxsize=cache_days)

    @classmethod
    def from_resources(cls, state: dict | None = None) -> "MarketSimulator":
        """Simulator over the shipped ``resources/stocks.csv.gz``, at the default start
        or at a saved :meth:`ReplayClock.to_state` ``state`` (an unusable one is
        logged and the replay starts at the default start)."""
        history = History.open()
        cal = history.calendar()
        clock = None
        if state is not None:
            try:
                clock = ReplayClock.from_state(state, cal)
            except Exception as exc:  # noqa: BLE001 - a bad saved clock must not stop the broker
                log.error("saved replay clock unusable (%s: %s); starting the replay at %s",
                          type(exc).__name__, str(exc)[:200], DEFAULT_START)
        return cls(history, clock or ReplayClock(cal))

    # -- instruments ----------------------------------------------------------------
    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol of the market, sorted."""
        return self.history.symbols

    def instrument(self, symbol: str) -> Instrument:
        """The equity Instrument of ``symbol`` with its company name and exchange."""
        sym = self.history.series(symbol).symbol
        description, exchange = _DESCRIPTIONS.get(sym, (sym, None))
        return Instrument.equity(sym, description=description, exchange=exchange)

    def search(self, query: str) -> list[Instrument]:
        """Instruments matching ``query`` (case-insensitive), best first: exact symbol,
        symbol prefix, word prefix of the description, substring. Blank: all."""
        q = query.strip().upper()
        ranked = []
        for sym in self.symbols:
            inst = self.instrument(sym)
            desc = inst.description.upper()
            if not q or sym == q:
                score = 0
            elif sym.startswith(q):
                score = 1
            elif any(word.startswith(q) for word in desc.replace(",", " ").split()):
                score = 2
            elif q in sym or q in desc:
                score = 3
            else:
                continue
            ranked.append((score, sym, inst))
        return [inst for _, _, inst in sorted(ranked, key=lambda r: r[:2])]

    # -- the current moment --------------------------------------------------------
    def today(self, symbol: str) -> DayMinutes | None:
        """Synthetic minutes of ``symbol`` on the clock's date, None if it does not trade."""
        return self.intraday.day(symbol, self.clock.current_date)

    def minute_bar(self, symbol: str) -> Bar | None:
        """The minute bar just played (1m, synthetic), or None if nothing of today's
        session of ``symbol`` has been played (or it does not trade today)."""
        day = self.today(symbol)
        minute = self.clock.minute
        return day.bar(minute - 1) if day is not None and minute > 0 else None

    def current_bar(self, symbol: str, interval: Interval) -> Bar | None:
        """The forming bar of ``interval`` holding the minute just played (for 1d, the
        day so far; the real daily bar once the session has closed), or None."""
        interval = self._interval(interval)
        day = self.today(symbol)
        minute = self.clock.minute
        if day is None or minute == 0:
            return None
        if interval is Interval.D1 and minute >= SESSION_MINUTES:
            return self.history.daily_bar(symbol, day.day)
        return forming_bar(day, interval, minute)

    def last_price(self, symbol: str) -> Decimal | None:
        """Close of the minute just played; before today's first minute (or on a day
        the symbol does not trade) the previous real close; None before its history."""
        bar = self.minute_bar(symbol)
        if bar is not None:
            return bar.close
        return self.history.prev_close(symbol, self.clock.current_date)

    def day_volume(self, symbol: str) -> Decimal | None:
        """Shares traded today so far, None if ``symbol`` does not trade today."""
        day = self.today(symbol)
        return None if day is None else Decimal(int(day.volume[: self.clock.minute].sum()))

    def quote(self, symbol: str) -> Quote:
        """Quote at the clock's now: last price, bid/ask 1-3 ticks apart around it
        (deterministic per symbol and minute), sizes in round lots, day volume,
        previous real close. Prices are None before the symbol's history starts."""
        last = self.last_price(symbol)
        sym = self.history.series(symbol).symbol
        prev_close = self.history.prev_close(sym, self.clock.current_date)
        now = self.clock.now
        if last is None:
            return Quote(symbol=sym, prev_close=prev_close, timestamp=now)
        key = f"{sym}|{self.clock.current_date.isoformat()}|{self.clock.minute}".encode()
        h = hashlib.blake2b(key, digest_size=4).digest()
        spread = 1 + h[0] % 3
        below = h[1] % (spread + 1)
        bid = last.quantize(TICK, rounding=ROUND_FLOOR) - below * TICK
        ask = last.quantize(TICK, rounding=ROUND_CEILING) + (spread - below) * TICK
        if ask == bid:
            ask += TICK
        return Quote(
            symbol=sym,
            bid=max(bid, TICK),
            ask=ask,
            last=last,
            bid_size=Decimal(100 * (1 + h[2] % 20)),
            ask_size=Decimal(100 * (1 + h[3] % 20)),
            volume=self.day_volume(sym),
            prev_close=prev_close,
            timestamp=now,
        )

    # -- stepping ---------------------------------------------------------------------
    def advance_one_minute(self) -> list[tuple[str, Bar]]:
        """Step the clock one minute; return (symbol, minute Bar) for every symbol that
        trades today. Empty when the step rolled to a new day's 09:30 (nothing played
        yet) or the replay is finished. Check ``clock.session_closed`` for 16:00."""
        if not self.clock.step() or self.clock.minute == 0:
            return []
        out = []
        for sym in self.symbols:
            bar = self.minute_bar(sym)
            if bar is not None:
                out.append((sym, bar))
        return out

    # -- history -----------------------------------------------------------------------
    def fetch_bars(
        self,
        symbol: str,
        interval: Interval,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        *,
        adjusted: bool = False,
    ) -> list[Bar]:
        """Bars oldest first with ``start <= bar.start < end``, never beyond the clock's
        now; the newest ``limit`` when given. Without start and limit: the last
        DEFAULT_SESSIONS sessions (today's counting) for intraday intervals, all of
        history for 1d. The last bar may be forming; past days' 1d bars are real, the
        rest synthetic. ``adjusted``: 1d bars adjusted for splits and dividends in the
        prices of the replay's current date (factor(day) / factor(today), so today's bar
        and the quotes agree; volume unadjusted); intraday bars are never adjusted.
        Raises NotFoundError / InvalidRequestError.
        """
        series = self.history.series(symbol)
        interval = self._interval(interval)
        start, end = _aware(start, "start"), _aware(end, "end")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise InvalidRequestError(f"limit must be a non-negative integer, got {limit!r}", field="limit")
        now = self.clock.now
        upper = now if end is None else min(end, now)
        if limit == 0 or (start is not None and start >= upper):
            return []
        if interval is Interval.D1:
            return self._daily(series, start, upper, limit, adjusted)
        return self._intraday(series, interval, start, upper, limit)

    def _interval(self, interval: Interval | str) -> Interval:
        try:
            value = Interval(interval)
        except ValueError:
            supported = ", ".join(i.value for i in Interval)
            raise InvalidRequestError(
                f"Unsupported bar interval {interval!r} (supported: {supported})", field="interval"
            ) from None
        bucket_minutes(value)
        return value

    def _daily(self, series: DailySeries, start: datetime | None, upper: datetime, limit: int | None,
               adjusted: bool = False) -> list[Bar]:
        today = self.clock.current_date
        lo = 0
        if start is not None:
            first = start.date() if start == day_start_utc(start.date()) else start.date() + timedelta(days=1)
            lo = series.index_before(first)
        last_excl = upper.date() + timedelta(days=1) if upper > day_start_utc(upper.date()) else upper.date()
        hi = series.index_before(min(last_excl, today))
        bars: list[Bar] = []
        if last_excl > today and (start is None or start <= day_start_utc(today)):
            current = self.current_bar(series.symbol, Interval.D1)
            if current is not None:
                bars.append(current)
        if limit is not None:
            lo = max(lo, hi - (limit - len(bars)))
        if adjusted:
            reference = series.factor_on(today)
            return [series.adjusted_bar(i, reference) for i in range(lo, hi)] + bars
        return [series.bar(i) for i in range(lo, hi)] + bars

    def _intraday(
        self, series: DailySeries, interval: Interval, start: datetime | None, upper: datetime, limit: int | None
    ) -> list[Bar]:
        return [make_bar(day, interval, *row) for day, rows in self._intraday_chunks(series, interval, start, upper, limit)
                for row in rows.T.tolist()]

    def _intraday_chunks(
        self, series: DailySeries, interval: Interval, start: datetime | None, upper: datetime, limit: int | None
    ) -> list[tuple[DayMinutes, np.ndarray]]:
        """The days' aggregated rows (see ``aggregate_arrays``) of an intraday request,
        oldest first, cut to the newest ``limit`` bars."""
        minutes = bucket_minutes(interval)
        today, played_today = self.clock.current_date, self.clock.minute
        first_date = start.date() if start is not None else None
        sessions = DEFAULT_SESSIONS[interval] if start is None and limit is None else None
        chunks: list[tuple[DayMinutes, np.ndarray]] = []
        count = 0
        i = series.index_before(min(upper.date(), today) + timedelta(days=1)) - 1
        while i >= 0:
            d = series.dates[i]
            if first_date is not None and d < first_date:
                break
            if (limit is not None and count >= limit) or (sessions is not None and len(chunks) >= sessions):
                break
            i -= 1
            day = self.intraday.day(series.symbol, d)
            rows = aggregate_arrays(day.ohlcv, minutes, played_today if d == today else SESSION_MINUTES)
            offsets = rows[0]
            keep = offsets < (upper - day.session_open) / timedelta(minutes=1)
            if start is not None:
                keep &= offsets >= (start - day.session_open) / timedelta(minutes=1)
            rows = rows[:, keep]
            if rows.shape[1]:
                chunks.append((day, rows))
                count += rows.shape[1]
        out: list[tuple[DayMinutes, np.ndarray]] = []
        skip = max(0, count - limit) if limit is not None else 0
        for day, rows in reversed(chunks):
            if skip >= rows.shape[1]:
                skip -= rows.shape[1]
                continue
            out.append((day, rows[:, skip:]))
            skip = 0
        return out

    def fetch_bars_array(
        self,
        symbol: str,
        interval: Interval,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        adjusted: bool = False,
    ) -> BarColumns:
        """:meth:`fetch_bars` as numpy columns, built from the synthetic minutes'
        arrays without a Bar per row for intraday intervals (1d converts its Bars,
        ``adjusted`` as for :meth:`fetch_bars`). Raises what ``fetch_bars`` raises."""
        interval = self._interval(interval)
        if interval is Interval.D1:
            return BarColumns.from_bars(symbol, interval, self.fetch_bars(symbol, interval, start, end, limit,
                                                                          adjusted=adjusted))
        series = self.history.series(symbol)
        start, end = _aware(start, "start"), _aware(end, "end")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise InvalidRequestError(f"limit must be a non-negative integer, got {limit!r}", field="limit")
        upper = self.clock.now if end is None else min(end, self.clock.now)
        if limit == 0 or (start is not None and start >= upper):
            return BarColumns.empty(series.symbol, interval)
        chunks = self._intraday_chunks(series, interval, start, upper, limit)
        if not chunks:
            return BarColumns.empty(series.symbol, interval)
        time = np.concatenate([int(day.session_open.timestamp()) + rows[0] * 60 for day, rows in chunks])
        ohlcv = np.concatenate([rows[1:] for _day, rows in chunks], axis=1).astype(np.float64)
        ohlcv[:4] /= PRICE_SCALE
        return BarColumns(series.symbol, interval, time, *ohlcv, synthetic=True)

