"""``GET /iserver/marketdata/history`` of the fake gateway: every documented bar size,
``period``, ``startTime``, ``direction`` and ``outsideRth``, from the paper market.

Sources: the spec's ``getMdHistory`` parameters (``startTime`` "a fixed UTC
date-time reference point ... from which the specified period extends", format
``YYYYMMDD-hh:mm:ss``; ``direction`` -1 "ending at ... startTime", 1 "begins at the
start time, moving towards the current time. Only supported when startTime is
included"), NOTES.md section 6 and the older official websocket page ([OLDWS]):
bars ``1min 2min 3min 5min 10min 15min 30min 1h 2h 3h 4h 8h 1d 1w 1m`` (m = month),
periods ``{1-30}min {1-8}h {1-1000}d {1-792}w {1-182}m {1-15}y``; at most 1000 points.

How the fake reads them (the choices where IBKR's text is silent are marked *):

- Bars are the paper market's (regular hours only, 09:30-16:00 New York), aggregated
  from the largest paper interval that divides the bar (2/3 min from 1 min, 10 from
  5, 30 from 15, 2/3/4/8 h from the session's hourly bars, 1w/1m from days).
  Intraday buckets are laid on the session from 09:30*, as the paper's own 5m/1h bars
  are (an 8h bar is the whole session); weeks are ISO weeks (Monday), months
  calendar months; ``t`` is the bucket's start (a week's or month's: its first
  session's). A bucket is first open, highest high, lowest low, last close, summed
  volume; the newest may be forming ("partial bars can be returned").
- ``period`` in ``min``/``h`` counts trading time*: the bars covering that much of
  the market's sessions; in ``d`` it counts sessions*; ``w``/``m``/``y`` are calendar
  spans (7 days, calendar months, 365 days).
- No ``startTime``: the period ends now (``direction`` 1 is refused: it needs a
  ``startTime``). With ``startTime``: ``direction`` -1 (default) ends the period
  there, 1 starts it there. A ``startTime`` in the future is now.
- ``outsideRth`` (true/false) is echoed; the paper market has no extended-hours
  trading, so both give the same bars*. ``S`` (seconds) bars are refused: the paper
  market has nothing below one minute.

Errors are 400 ``{"error": ..., "statusCode": 400}`` naming the parameter.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from desktop.brokers.paper.intraday import session_open_utc
from desktop.domain import Bar, Interval

MAX_POINTS = 1000
"""Most bars one answer holds."""

BAR_SIZES: dict[str, tuple[Interval, int]] = {
    "1min": (Interval.M1, 1), "2min": (Interval.M1, 2), "3min": (Interval.M1, 3), "5min": (Interval.M5, 1),
    "10min": (Interval.M5, 2), "15min": (Interval.M15, 1), "30min": (Interval.M15, 2), "1h": (Interval.H1, 1),
    "2h": (Interval.H1, 2), "3h": (Interval.H1, 3), "4h": (Interval.H1, 4), "8h": (Interval.H1, 8),
    "1d": (Interval.D1, 1), "1w": (Interval.D1, 0), "1m": (Interval.D1, 0),
}
"""Documented bar -> (paper interval aggregated, paper bars per bucket; 0: calendar week / month)."""

BAR_SECONDS = {"1w": 7 * 86400, "1m": 30 * 86400}
"""``barLength`` of the calendar bars (seconds); the others are their duration."""

PERIOD_LIMITS = {"min": 30, "h": 8, "d": 1000, "w": 792, "m": 182, "y": 15}
"""Largest count per period unit."""


class HistoryError(ValueError):
    """A history parameter the gateway refuses (the message names it)."""


@dataclass(frozen=True)
class HistoryRequest:
    """A checked history request: ``bar`` text, ``count`` x ``unit`` period,
    ``anchor`` (aware UTC: where the period ends, or starts when ``direction`` is 1)."""

    bar: str
    count: int
    unit: str
    anchor: datetime
    direction: int
    outside_rth: bool

    @property
    def base(self) -> Interval:
        return BAR_SIZES[self.bar][0]

    @property
    def per_bucket(self) -> int:
        return BAR_SIZES[self.bar][1]

    @property
    def bar_seconds(self) -> int:
        if self.bar in BAR_SECONDS:
            return BAR_SECONDS[self.bar]
        return int(self.base.duration.total_seconds()) * self.per_bucket


def parse_request(query, now: datetime) -> HistoryRequest:
    """Check ``bar``, ``period``, ``startTime``, ``direction``, ``outsideRth`` of a
    query mapping. Raises HistoryError."""
    bar = str(query.get("bar", "1min")).strip()
    if re.fullmatch(r"\d+\s*[sS]", bar):
        raise HistoryError(f"bar {bar!r}: second bars are not available (the paper market has minute bars at best)")
    if bar not in BAR_SIZES:
        raise HistoryError(f"bar {bar!r} is not a supported bar size ({', '.join(BAR_SIZES)})")
    period = str(query.get("period", "1d")).strip().lower()
    m = re.fullmatch(r"(\d{1,5})\s*(min|h|d|w|m|y)", period)
    if m is None:
        raise HistoryError(f"period {period!r}: give a count and a unit (min, h, d, w, m or y), e.g. 1w")
    count, unit = int(m.group(1)), m.group(2)
    if not 1 <= count <= PERIOD_LIMITS[unit]:
        raise HistoryError(f"period {period!r}: {unit} periods go from 1 to {PERIOD_LIMITS[unit]}")
    direction_text = str(query.get("direction", "-1")).strip()
    if direction_text not in ("-1", "1"):
        raise HistoryError(f"direction must be -1 or 1, got {direction_text!r}")
    direction = int(direction_text)
    start_text = query.get("startTime")
    if start_text:
        try:
            anchor = datetime.strptime(str(start_text), "%Y%m%d-%H:%M:%S").replace(tzinfo=timezone.utc)
        except ValueError:
            raise HistoryError(f"startTime {start_text!r} must be YYYYMMDD-hh:mm:ss (UTC)") from None
        anchor = min(anchor, now)
    elif direction == 1:
        raise HistoryError("direction 1 needs a startTime (the period then starts there)")
    else:
        anchor = now
    rth = str(query.get("outsideRth", "false")).strip().lower()
    if rth not in ("true", "false"):
        raise HistoryError(f"outsideRth must be true or false, got {query.get('outsideRth')!r}")
    return HistoryRequest(bar, count, unit, anchor, direction, rth == "true")


def _months_before(ts: datetime, months: int) -> datetime:
    index = ts.year * 12 + ts.month - 1 - months
    year, month = divmod(index, 12)
    return ts.replace(year=year, month=month + 1, day=min(ts.day, 28))


def _calendar_span(req: HistoryRequest) -> timedelta | None:
    if req.unit == "w":
        return timedelta(weeks=req.count)
    if req.unit == "y":
        return timedelta(days=365 * req.count)
    if req.unit == "m":
        return req.anchor - _months_before(req.anchor, req.count)
    return None


def _bucket_key(req: HistoryRequest, bar: Bar) -> tuple:
    day = bar.start.date()
    if req.bar == "1w":
        return tuple(day.isocalendar()[:2])
    if req.bar == "1m":
        return (day.year, day.month)
    if req.base is Interval.D1:
        return (day,)
    offset = (bar.start - session_open_utc(day)) // req.base.duration
    return (day, offset // req.per_bucket)


def aggregate(req: HistoryRequest, bars: list[Bar]) -> list[Bar]:
    """Paper bars (oldest first) -> buckets of ``req.bar`` (see the module doc)."""
    out: list[Bar] = []
    key = None
    for bar in bars:
        k = _bucket_key(req, bar)
        if out and k == key:
            last = out[-1]
            out[-1] = last.model_copy(update={"high": max(last.high, bar.high), "low": min(last.low, bar.low),
                                              "close": bar.close, "volume": last.volume + bar.volume})
            continue
        key = k
        start = bar.start
        if req.base is not Interval.D1:
            start = session_open_utc(k[0]) + k[1] * req.per_bucket * req.base.duration
        out.append(bar.model_copy(update={"start": start}))
    return out


def _per_bucket(req: HistoryRequest) -> int:
    """Paper bars in one bucket at most (a week has 5 sessions, a month 23)."""
    return req.per_bucket or (5 if req.bar == "1w" else 23)


def _per_session(req: HistoryRequest) -> int:
    """Paper bars in one session (390 minutes)."""
    return 1 if req.base is Interval.D1 else math.ceil(390 / req.base.minutes)


def _buckets_in_span(req: HistoryRequest) -> int:
    """How many bars a ``min``/``h`` period covers (at least one)."""
    minutes = req.count if req.unit == "min" else 60 * req.count
    return max(1, math.ceil(minutes * 60 / req.bar_seconds))


def fetch_window(req: HistoryRequest) -> tuple[datetime | None, datetime, int | None]:
    """(start, end, limit) of the paper bars to fetch: enough for the answer, never
    more than about :data:`MAX_POINTS` buckets' worth."""
    per = _per_bucket(req)
    need = (MAX_POINTS + 2) * per
    if req.unit in ("min", "h"):
        need = min(need, (_buckets_in_span(req) + 1) * per)
    elif req.unit == "d":
        need = min(need, (req.count + 1) * _per_session(req))
    span = _calendar_span(req)
    if req.direction == -1:
        return (req.anchor - span if span is not None else None), req.anchor, need
    sessions = math.ceil(need / _per_session(req)) + 1
    end = req.anchor + timedelta(days=math.ceil(sessions * 7 / 5) + 4)
    return req.anchor, (min(end, req.anchor + span) if span is not None else end), None


def _select(req: HistoryRequest, buckets: list[Bar]) -> list[Bar]:
    """The buckets the period covers, from the anchor in the request's direction (at
    least the nearest one when there is any), at most :data:`MAX_POINTS`."""
    forward = req.direction == 1
    near = [b for b in buckets if (b.start >= req.anchor if forward else b.start < req.anchor)]
    if req.unit in ("min", "h"):
        n = _buckets_in_span(req)
        chosen = near[:n] if forward else near[-n:]
    elif req.unit == "d":
        days = sorted({b.start.date() for b in near})
        keep = set(days[:req.count] if forward else days[-req.count:])
        chosen = [b for b in near if b.start.date() in keep]
    else:
        span = _calendar_span(req)
        lo, hi = (req.anchor, req.anchor + span) if forward else (req.anchor - span, req.anchor)
        chosen = [b for b in near if lo <= b.start < hi]
    if not chosen and near:
        chosen = [near[0] if forward else near[-1]]
    return chosen[:MAX_POINTS] if forward else chosen[-MAX_POINTS:]


async def history_bars(paper, symbol: str, req: HistoryRequest) -> list[Bar]:
    """The answer's bars of ``symbol`` (oldest first) from ``paper`` (a PaperBroker):
    prices as traded (the paper broker's split/dividend adjustment is its own option)."""
    start, end, limit = fetch_window(req)
    bars = paper.market.fetch_bars(symbol, req.base, start=start, end=end, limit=limit, adjusted=False)
    return _select(req, aggregate(req, bars))
