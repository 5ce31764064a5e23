"""Aggregate one-minute session bars into 5m, 15m, 1h and 1d bars.

Buckets are laid on the session, not the clock: 5m bars start 09:30, 09:35, ...;
1h bars 09:30-10:30, ..., 14:30-15:30 and a short last bucket 15:30-16:00. A bucket
is first open, max high, min low, last close, summed volume. ``played`` (0..390)
limits the minutes used, which gives the partially formed (live) bars.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import numpy as np

from desktop.brokers.errors import InvalidRequestError
from desktop.domain import Bar, Interval

from .daily_series import day_start_utc
from .intraday import SESSION_MINUTES, DayMinutes, units_to_decimal


def bucket_minutes(interval: Interval) -> int:
    """Session minutes per bucket: 1, 5, 15, 60, and 390 for 1d.

    Raises InvalidRequestError for anything that is not an Interval.
    """
    if not isinstance(interval, Interval):
        raise InvalidRequestError(f"Unsupported bar interval {interval!r}", field="interval")
    return SESSION_MINUTES if interval is Interval.D1 else interval.minutes


def bucket_starts(minutes: int, played: int = SESSION_MINUTES) -> np.ndarray:
    """Minute offsets (from 09:30) of the buckets holding at least one of the first
    ``played`` minutes, as an int64 array."""
    played = max(0, min(int(played), SESSION_MINUTES))
    return np.arange(0, played, minutes, dtype=np.int64)


def aggregate_arrays(ohlcv: np.ndarray, minutes: int, played: int = SESSION_MINUTES) -> np.ndarray:
    """Aggregate a (5, n) open/high/low/close/volume array into buckets of ``minutes``.

    Only the first ``played`` columns are used. Returns an int64 array (6, k):
    bucket start offset in minutes, open, high, low, close, volume; k may be 0.
    """
    played = max(0, min(int(played), ohlcv.shape[1]))
    starts = np.arange(0, played, minutes, dtype=np.int64)
    out = np.empty((6, len(starts)), dtype=np.int64)
    if not len(starts):
        return out
    part = ohlcv[:, :played]
    out[0] = starts
    out[1] = part[0, starts]
    out[2] = np.maximum.reduceat(part[1], starts)
    out[3] = np.minimum.reduceat(part[2], starts)
    out[4] = part[3, np.minimum(starts + minutes, played) - 1]
    out[5] = np.add.reduceat(part[4], starts)
    return out


def partial_arrays(ohlcv: np.ndarray, lo: int, hi: int) -> tuple[int, int, int, int, int] | None:
    """One bar (open, high, low, close, volume) from columns ``lo <= i < hi`` of a
    (5, n) array; None when the range is empty."""
    lo, hi = max(0, lo), min(hi, ohlcv.shape[1])
    if hi <= lo:
        return None
    part = ohlcv[:, lo:hi]
    return (
        int(part[0, 0]),
        int(part[1].max()),
        int(part[2].min()),
        int(part[3, -1]),
        int(part[4].sum()),
    )


def make_bar(day: DayMinutes, interval: Interval, offset: int, o: int, h: int, l: int, c: int, v: int) -> Bar:
    """A synthetic domain Bar of ``day`` from price units and shares; ``offset`` is the
    bucket's first minute (ignored for 1d, whose start is midnight UTC of the date)."""
    start = day_start_utc(day.day) if interval is Interval.D1 else day.session_open + timedelta(minutes=offset)
    return Bar(
        symbol=day.symbol,
        interval=interval,
        start=start,
        open=units_to_decimal(o),
        high=units_to_decimal(h),
        low=units_to_decimal(l),
        close=units_to_decimal(c),
        volume=Decimal(v),
        synthetic=True,
    )


def aggregate_bars(day: DayMinutes, interval: Interval, played: int = SESSION_MINUTES) -> list[Bar]:
    """The day's bars of ``interval`` from its first ``played`` minutes, oldest first.

    All are synthetic; the last one is still forming when ``played`` is not a bucket
    boundary. A 1d bar starts at midnight UTC of the date (like real daily bars).
    Raises InvalidRequestError for an unsupported interval.
    """
    minutes = bucket_minutes(interval)
    if interval is Interval.M1:
        return day.bars(0, max(0, min(played, SESSION_MINUTES)))
    agg = aggregate_arrays(day.ohlcv, minutes, played)
    return [make_bar(day, interval, *row) for row in agg.T.tolist()]


def forming_bar(day: DayMinutes, interval: Interval, played: int) -> Bar | None:
    """The bar of ``interval`` holding the last played minute, built from the minutes
    played so far (the live forming bar); None when ``played`` is 0."""
    played = min(int(played), SESSION_MINUTES)
    if played <= 0:
        return None
    minutes = bucket_minutes(interval)
    lo = (played - 1) // minutes * minutes
    o, h, l, c, v = partial_arrays(day.ohlcv, lo, played)
    return make_bar(day, interval, lo, o, h, l, c, v)
