"""Where to put time labels on a bar-index axis, and what to write (Qt-free).

The x axis counts bars, so ticks go where the bar times cross a round boundary
("every 30 minutes", "every Monday", "every month"), chosen so that at most
``max_labels`` fit. Each tick has a kind, from most to least important:
``year`` > ``month`` > ``day`` > ``time``; overlapping ticks are dropped, least
important first. Times are epoch seconds UTC; labels are written in a time zone
(``tz``: a ``tzinfo``, or None for the machine's local zone). Daily bars start at
midnight UTC of their trading date, so they are written in UTC whatever the chart's
zone (:func:`bar_zone`): the 2012-03-01 bar reads "Thu 2012-03-01", never the
"Wed 2012-02-29" that midnight UTC is in New York.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timezone, tzinfo

import numpy as np

MINUTE, HOUR, DAY = 60, 3600, 86400
WEEK, MONTH, QUARTER, YEAR = -7, -1, -3, -12  # calendar steps (negative codes)
STEPS = (
    60, 120, 300, 600, 900, 1800,
    HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 6 * HOUR, 12 * HOUR,
    DAY, WEEK, MONTH, QUARTER, YEAR,
)  # fmt: skip
_APPROX = {WEEK: 7 * DAY, MONTH: 30 * DAY, QUARTER: 91 * DAY, YEAR: 365 * DAY}
_PRIORITY = {"year": 3, "month": 2, "day": 1, "time": 0}
_COUNT_SAMPLE = 20_000  # bucket counts use at most this many samples


def bar_zone(intraday: bool, tz: tzinfo | None) -> tzinfo | None:
    """The zone bar times are written in: ``tz`` (the chart's exchange zone; None: the
    machine's local zone) for intraday bars, UTC for daily ones (their ``start`` is
    midnight UTC of the trading date, see :class:`desktop.domain.market.Bar`)."""
    return tz if intraday else timezone.utc


def local_datetime(t: int, tz: tzinfo | None) -> datetime:
    """Epoch seconds -> aware datetime in ``tz`` (None: the machine's local zone)."""
    return datetime.fromtimestamp(int(t), timezone.utc).astimezone(tz)


def utc_offset(t: int, tz: tzinfo | None) -> int:
    """Offset of ``tz`` from UTC at epoch second ``t``, in seconds."""
    off = local_datetime(t, tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _approx_seconds(step: int) -> int:
    return _APPROX.get(step, step)


def buckets(local: np.ndarray, step: int) -> np.ndarray:
    """Bucket number of each local epoch second (int64 array) for ``step``."""
    if step > 0:
        return local // step
    days = local // DAY
    if step == WEEK:
        return (days + 3) // 7  # weeks start on Monday (1970-01-01 was a Thursday)
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months // -step


def choose_step(local: np.ndarray, interval_s: int, max_labels: int) -> int:
    """Smallest step at least one bar long whose boundaries number <= max_labels."""
    n = local.shape[0]
    if n < 2:
        return STEPS[-1]
    # Without gaps, a step shorter than this would cross more than max_labels
    # boundaries; gaps (nights, weekends) only add boundaries, so start here.
    target = 0.9 * n * interval_s / max(1, max_labels)
    sample = local[:: max(1, n // _COUNT_SAMPLE)]
    for step in STEPS:
        s = _approx_seconds(step)
        if s < interval_s or s < target:
            continue
        b = buckets(sample, step)
        if np.count_nonzero(b[1:] != b[:-1]) <= max_labels:
            return step
    return STEPS[-1]


def choose_ticks(
    times: np.ndarray,
    first_index: int,
    interval_s: int,
    max_labels: int,
    min_gap: float,
    tz: tzinfo | None = timezone.utc,
) -> list[tuple[int, str]]:
    """Ticks ``[(bar index, kind), ...]`` sorted by index.

    ``times`` are the bar start times (int64 epoch s) of bars ``first_index ..``;
    include one bar before the first visible one, so a boundary at the left edge is
    found. ``min_gap`` is the least distance between two labels, in bars.
    """
    times = np.asarray(times, dtype=np.int64)
    if times.shape[0] < 2:
        return []
    local = times + utc_offset(int(times[times.shape[0] // 2]), tz)
    step = choose_step(local, interval_s, max_labels)
    b = buckets(local, step)
    idx = np.flatnonzero(b[1:] != b[:-1]) + 1
    if idx.shape[0] == 0:
        return []
    cur, prev = local[idx], local[idx - 1]
    day_c, day_p = cur // DAY, prev // DAY
    mon_c = day_c.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    mon_p = day_p.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    kinds = np.where(
        mon_c // 12 != mon_p // 12,
        3,
        np.where(mon_c != mon_p, 2, np.where(day_c != day_p, 1, 0)),
    )
    order = np.lexsort((idx, -kinds))  # most important first, then left to right
    kept: list[int] = []
    out: list[tuple[int, str]] = []
    names = {v: k for k, v in _PRIORITY.items()}
    for j in order:
        i = int(idx[j])
        pos = bisect_left(kept, i)
        if pos > 0 and i - kept[pos - 1] < min_gap:
            continue
        if pos < len(kept) and kept[pos] - i < min_gap:
            continue
        kept.insert(pos, i)
        out.append((i + first_index, names[int(kinds[j])]))
    out.sort()
    return out


def tick_label(t: int, kind: str, tz: tzinfo | None = timezone.utc) -> str:
    """Label for a tick at epoch second ``t``: "09:30", "Mar 14", "Apr" or "2025"."""
    d = local_datetime(t, tz)
    if kind == "time":
        return f"{d:%H:%M}"
    if kind == "day":
        return f"{d:%b} {d.day}"
    if kind == "month":
        return f"{d:%b}"
    return f"{d.year}"
