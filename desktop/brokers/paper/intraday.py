"""Synthetic one-minute bars inside each real trading day.

Every real day is played as a US equity session of :data:`SESSION_MINUTES` = 390
one-minute bars, 09:30-16:00 America/New_York. The minute path is a Brownian bridge
open -> first extreme -> second extreme -> close, seeded from (symbol, date) with
hashlib so it is the same on every run, kept inside the day's real low/high and
rounded to the cent except at the four real anchors, which are exact. Aggregating
the 390 minutes gives back the real daily bar exactly (prices and volume).

Prices are int64 arrays in units of 1/PRICE_SCALE dollars (exact; see history.py).
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal

import numpy as np

from desktop.domain import Bar, Interval

from .daily_series import PRICE_DECIMALS, PRICE_SCALE
from .history import History

SESSION_MINUTES = 390
"""Minutes in a regular session (09:30-16:00 New York)."""
TICK_UNITS = PRICE_SCALE // 100
"""The 0.01 tick in price units."""
_SEED_TAG = b"tradedesk-intraday-v1"


@functools.cache
def _new_york() -> tzinfo | None:
    """America/New_York from the tz database, or None when there is none (e.g. Windows
    without the tzdata package): then the US rules below are used."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/New_York")
    except Exception:
        return None


def _nth_sunday(year: int, month: int, n: int) -> date:
    """The n-th Sunday of the month (n = -1: the last one)."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))
    last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _new_york_utc_offset(d: date) -> timedelta:
    """New York's UTC offset during the day session of ``d`` (US DST rules since 1987)."""
    if d.year >= 2007:
        begin, end = _nth_sunday(d.year, 3, 2), _nth_sunday(d.year, 11, 1)
    else:
        begin, end = _nth_sunday(d.year, 4, 1), _nth_sunday(d.year, 10, -1)
    return timedelta(hours=-4) if begin <= d < end else timedelta(hours=-5)


def session_open_utc(d: date) -> datetime:
    """09:30 America/New_York on ``d`` as an aware UTC datetime (DST correct)."""
    zone = _new_york()
    if zone is not None:
        return datetime.combine(d, time(9, 30), tzinfo=zone).astimezone(timezone.utc)
    return datetime.combine(d, time(9, 30), tzinfo=timezone(_new_york_utc_offset(d))).astimezone(timezone.utc)


def units_to_decimal(units: int) -> Decimal:
    """Exact Decimal of an integer price in units: cents shown with 2 places, finer
    prices (real anchors such as 14.2675) with the places they need."""
    units = int(units)
    if units % TICK_UNITS == 0:
        return Decimal(units // TICK_UNITS).scaleb(-2)
    if units % 10 == 0:
        return Decimal(units // 10).scaleb(1 - PRICE_DECIMALS)
    return Decimal(units).scaleb(-PRICE_DECIMALS)


def day_seed(symbol: str, day: date) -> int:
    """Deterministic 64-bit seed of (symbol, day), independent of PYTHONHASHSEED."""
    digest = hashlib.blake2b(f"{symbol.upper()}|{day.isoformat()}".encode(), digest_size=8, key=_SEED_TAG)
    return int.from_bytes(digest.digest(), "big")


@dataclass(frozen=True, eq=False)
class DayMinutes:
    """The 390 synthetic minute bars of one symbol on one day.

    ``ohlcv`` is a read-only int64 array (5, 390): open, high, low, close in price
    units and volume in shares; column i is the minute starting ``session_open + i``
    minutes. ``session_open`` is 09:30 New York in UTC.
    """

    symbol: str
    day: date
    session_open: datetime
    ohlcv: np.ndarray

    @property
    def open(self) -> np.ndarray:
        return self.ohlcv[0]

    @property
    def high(self) -> np.ndarray:
        return self.ohlcv[1]

    @property
    def low(self) -> np.ndarray:
        return self.ohlcv[2]

    @property
    def close(self) -> np.ndarray:
        return self.ohlcv[3]

    @property
    def volume(self) -> np.ndarray:
        return self.ohlcv[4]

    def prices_float(self) -> np.ndarray:
        """float64 array (4, 390) of open, high, low, close in dollars."""
        return self.ohlcv[:4] / PRICE_SCALE

    def minute_start(self, i: int) -> datetime:
        """UTC start of minute ``i`` (0..389)."""
        return self.session_open + timedelta(minutes=i)

    def bar(self, i: int) -> Bar:
        """Minute ``i`` as a domain Bar (1m, synthetic=True)."""
        return self.bars(i, i + 1)[0]

    def bars(self, lo: int = 0, hi: int = SESSION_MINUTES) -> list[Bar]:
        """Minutes ``lo <= i < hi`` as domain Bars (1m, synthetic=True), oldest first."""
        rows = self.ohlcv[:, lo:hi].T.tolist()
        start = self.session_open
        conv = units_to_decimal
        return [
            Bar(
                symbol=self.symbol,
                interval=Interval.M1,
                start=start + timedelta(minutes=lo + k),
                open=conv(o),
                high=conv(h),
                low=conv(l),
                close=conv(c),
                volume=Decimal(v),
                synthetic=True,
            )
            for k, (o, h, l, c, v) in enumerate(rows)
        ]


def _extreme_minute(rng: np.random.Generator) -> int:
    """An interior path point 1..389, more likely near the open and the close."""
    return int(1 + rng.beta(0.7, 0.7) * (SESSION_MINUTES - 1.0001))


def _path(rng: np.random.Generator, o: int, h: int, l: int, c: int) -> np.ndarray:
    """391 path points in units: point 0 = open, 390 = close, max = high, min = low."""
    n = SESSION_MINUTES
    if h == l:
        return np.full(n + 1, h, dtype=np.int64)
    t_high = 0 if o == h else (n if c == h else _extreme_minute(rng))
    t_low = 0 if o == l else (n if c == l else _extreme_minute(rng))
    if t_high == t_low:  # both interior and equal: separate them
        t_low = t_high + 1 if t_high < n - 1 else t_high - 1
    knots = sorted({(0, o), (t_high, h), (t_low, l), (n, c)})
    sigma = 0.35 * (h - l) / np.sqrt(n)
    noise = rng.standard_normal(n) * sigma
    path = np.empty(n + 1, dtype=np.float64)
    path[0] = o
    for (t0, v0), (t1, v1) in zip(knots, knots[1:]):
        if t1 == t0:
            continue
        steps = t1 - t0
        walk = np.cumsum(noise[t0:t1])
        frac = np.arange(1, steps + 1) / steps
        path[t0 + 1 : t1 + 1] = v0 + (v1 - v0) * frac + walk - frac * walk[-1]
    # Reflect excursions back inside the day's range, round to the tick, clip.
    path = np.where(path > h, 2 * h - path, path)
    path = np.where(path < l, 2 * l - path, path)
    out = np.rint(path / TICK_UNITS).astype(np.int64) * TICK_UNITS
    np.clip(out, l, h, out=out)
    out[0], out[n] = o, c
    out[t_high], out[t_low] = h, l
    return out


def _split_volume(rng: np.random.Generator, total: int, moves: np.ndarray) -> np.ndarray:
    """Split ``total`` shares over the minutes: U-shaped profile x noise x activity,
    integers summing exactly to ``total`` (largest-remainder rounding)."""
    n = SESSION_MINUTES
    if total <= 0:
        return np.zeros(n, dtype=np.int64)
    x = np.arange(n) / (n - 1)
    profile = 1.0 + 2.5 * np.exp(-12.0 * x) + 1.3 * np.exp(-10.0 * (1.0 - x))
    activity = 1.0 + moves / (moves.mean() + 1.0)
    weights = profile * activity * rng.lognormal(0.0, 0.35, n)
    share = weights * (total / weights.sum())
    out = np.floor(share).astype(np.int64)
    rest = int(total - out.sum())
    if 0 < rest <= n:
        out[np.argpartition(out - share, rest - 1)[:rest]] += 1
    out[int(np.argmax(out))] += total - int(out.sum())  # float safety net, normally 0
    return out


def generate_day(symbol: str, day: date, o: int, h: int, l: int, c: int, volume: int) -> DayMinutes:
    """Generate the 390 minutes of one day from its real OHLC (price units) and volume.

    Raises ValueError when the OHLC is inconsistent or volume is negative.
    Deterministic: the same arguments always give the same minutes.
    """
    o, h, l, c, volume = int(o), int(h), int(l), int(c), int(volume)
    if not (0 < l <= min(o, c) and h >= max(o, c)) or volume < 0:
        raise ValueError(f"invalid daily bar for {symbol} {day}: {o} {h} {l} {c} {volume}")
    rng = np.random.default_rng(day_seed(symbol, day))
    path = _path(rng, o, h, l, c)
    opens, closes = path[:-1], path[1:]
    scale = 0.5 * 0.35 * (h - l) / np.sqrt(SESSION_MINUTES) / TICK_UNITS
    wiggle = np.rint(rng.exponential(max(scale, 0.3), (2, SESSION_MINUTES))).astype(np.int64) * TICK_UNITS
    # Wicks: whole ticks beyond the body, snapped to the cent grid, inside the day.
    highs = np.maximum(opens, closes) + wiggle[0]
    highs = np.minimum(np.where(wiggle[0] > 0, -(-highs // TICK_UNITS) * TICK_UNITS, highs), h)
    lows = np.minimum(opens, closes) - wiggle[1]
    lows = np.maximum(np.where(wiggle[1] > 0, lows // TICK_UNITS * TICK_UNITS, lows), l)
    vol = _split_volume(rng, volume, np.abs(closes - opens).astype(np.float64))
    ohlcv = np.stack([opens, highs, lows, closes, vol])
    ohlcv.flags.writeable = False
    return DayMinutes(symbol=symbol, day=day, session_open=session_open_utc(day), ohlcv=ohlcv)


class IntradayGenerator:
    """Synthetic minutes of the days in a :class:`History`, with an LRU cache.

    ``day(symbol, d)`` returns the DayMinutes of a real trading day or None when the
    symbol did not trade on ``d``; raises NotFoundError for an unknown symbol.
    One cached day is about 16 KB; ``maxsize`` bounds the count.
    """

    def __init__(self, history: History, maxsize: int = 2048) -> None:
        self.history = history
        self.maxsize = maxsize
        self._cache: OrderedDict[tuple[str, date], DayMinutes] = OrderedDict()

    def day(self, symbol: str, d: date) -> DayMinutes | None:
        series = self.history.series(symbol)
        key = (series.symbol, d)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        i = series.index_of(d)
        if i is None:
            return None
        o, h, l, c = series.units[i].tolist()
        minutes = generate_day(series.symbol, d, o, h, l, c, int(series.volume[i]))
        self._cache[key] = minutes
        if len(self._cache) > self.maxsize:
            self._cache.popitem(last=False)
        return minutes

    def cache_clear(self) -> None:
        """Forget every cached day."""
        self._cache.clear()
