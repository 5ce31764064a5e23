"""Market data: historical bars (REST) and quotes from the websocket's ``smd`` fields.

- ``GET /iserver/marketdata/history?conid=&period=&bar=&outsideRth=[&startTime=]`` ->
  ``{"data": [{"o", "h", "l", "c", "v", "t": <epoch ms of the bar start>}],
  "volumeFactor": 100, ...}`` (5 concurrent requests at most; the client paces);
  periods ``{n}min``, ``{n}h``, ``{n}d`` (1-1000), ``{n}w``, ``{n}m``, ``{n}y`` (1-15);
  bars ``1min``, ``2min``, ``3min``, ``5min``, ``10min``, ``15min``, ``30min``, ``1h``,
  ``2h``, ``3h``, ``4h``, ``8h``, ``1d``, ``1w``, ``1m``; ``startTime``
  (``YYYYMMDD-hh:mm:ss`` UTC) is the point the period extends back from (default
  direction -1: the data ends there; without it, now).
- ``smd`` frames (merged per conid by the stream) carry field ids as keys with
  string values: 31 last (``C``/``H`` prefix), 84 bid, 86 ask, 88 bid size, 85 ask
  size (commas), 7762 volume, 7741 prior close, 55 symbol.

Source: ``specs/ibkr-cpapi/NOTES.md`` section 6 and the v2.29 spec's
``/iserver/marketdata/history`` parameters.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from desktop.brokers.errors import BrokerError
from desktop.brokers.transport import Supervisor
from desktop.domain import Bar, Interval, Quote

from .parse import PAYLOADS, epoch_ms, to_decimal

log = logging.getLogger("desktop.brokers.ibkr")

DOCUMENTED_BARS = ("1min", "2min", "3min", "5min", "10min", "15min", "30min", "1h", "2h", "3h", "4h", "8h", "1d",
                   "1w", "1m")
"""Every ``bar`` the history endpoint documents (NOTES.md section 6)."""


def bar_size(interval: Interval) -> str | None:
    """The documented CPAPI ``bar`` of ``interval`` ("5min", "1h", "1d", "1w"), or
    None when IBKR has no bar of that length."""
    minutes = interval.duration / timedelta(minutes=1)
    if minutes < 60 and minutes == int(minutes):
        bar = f"{int(minutes)}min"
    elif minutes < 24 * 60 and minutes % 60 == 0:
        bar = f"{int(minutes // 60)}h"
    elif minutes == 24 * 60:
        bar = "1d"
    elif minutes == 7 * 24 * 60:
        bar = "1w"
    else:
        return None
    return bar if bar in DOCUMENTED_BARS else None


BAR_SIZES = {interval: bar for interval in Interval if (bar := bar_size(interval)) is not None}
"""Interval -> CPAPI history ``bar``, for every Interval IBKR serves."""


DEFAULT_LIMIT = 300
_RTH_MINUTES = 390  # one regular US session, 09:30-16:00


def history_period(interval: Interval, limit: int | None = None, start: datetime | None = None,
                   now: datetime | None = None) -> str:
    """A CPAPI ``period`` long enough for ``limit`` bars of ``interval`` (or for
    everything from ``start`` to ``now``): whole days for intraday bars (a regular
    session has 390 minutes) plus one spare day; for bars of a day or more, calendar
    days (daily: x7/5 + 3; weekly and longer: their length per bar plus one bar);
    ``{n}d`` up to 1000 days, else ``{n}y`` (at most 15)."""
    if start is not None:
        now = now or datetime.now(timezone.utc)
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        days = max(1, (now - start).days + 1)
    else:
        bars = max(1, limit or DEFAULT_LIMIT)
        length_days = interval.duration / timedelta(days=1)
        if length_days == 1:
            days = math.ceil(bars * 7 / 5) + 3
        elif length_days > 1:
            days = math.ceil((bars + 1) * length_days)
        else:
            per_day = max(1, _RTH_MINUTES // max(1, interval.minutes))
            days = math.ceil(bars / per_day) + 1
    if days <= 1000:
        return f"{days}d"
    return f"{min(15, math.ceil(days / 365))}y"


def start_time(when: datetime) -> str:
    """``when`` as the history ``startTime`` (``YYYYMMDD-hh:mm:ss``, UTC; naive = UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y%m%d-%H:%M:%S")


def history_params(conid: int, interval: Interval, *, start: datetime | None = None, end: datetime | None = None,
                   limit: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The query of ``GET /iserver/marketdata/history`` for bars of ``interval``
    before ``end`` (None: up to now) from ``start`` or the newest ``limit``. With an
    ``end`` in the past the period extends back from ``startTime`` = ``end``.
    Raises KeyError for an interval IBKR has no bar for (see :data:`BAR_SIZES`)."""
    now = now or datetime.now(timezone.utc)
    until = end if end is not None and _aware(end) < now else None
    params: dict[str, Any] = {"conid": conid, "period": history_period(interval, limit, start, now=until or now),
                              "bar": BAR_SIZES[interval], "outsideRth": "false"}
    if until is not None:
        params["startTime"] = start_time(until)
    return params


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


@PAYLOADS.item("history bar", raw_arg=2)
def _bar(symbol: str, interval: Interval, row: Any, factor: Decimal | None) -> Bar | None:
    if not isinstance(row, Mapping):
        PAYLOADS.skip("not an object")
        return None
    start = epoch_ms(row.get("t"), "t", row)
    values = [to_decimal(row.get(k), k, row) for k in ("o", "h", "l", "c")]
    if start is None or any(v is None for v in values):
        PAYLOADS.skip("no readable time or price")
        return None
    if interval.duration >= timedelta(days=1):
        start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    volume = to_decimal(row.get("v"), "v", row) or Decimal(0)
    if factor and factor > 0:
        volume *= factor
    o, h, low, c = values
    try:
        return Bar(symbol=symbol, interval=interval, start=start, open=o, high=h, low=low, close=c,
                   volume=max(volume, Decimal(0)), raw=dict(row))
    except ValidationError as exc:
        PAYLOADS.skip(f"inconsistent bar ({exc.errors()[0]['msg'][:120]})")
        return None


@PAYLOADS.payload("history", raw_arg=2)
def bars_from_history(symbol: str, interval: Interval, payload: Any) -> list[Bar]:
    """The ``data`` of a history payload as Bars, oldest first. ``t`` (ms) is the bar
    start; bars of a day or longer start at midnight UTC of their date. ``v`` is
    multiplied by ``volumeFactor`` when the payload gives one. Unreadable bars are
    logged once each and skipped."""
    rows = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(rows, list):
        if payload not in (None, {}, []):
            PAYLOADS.skip(f"no data list for {symbol}")
        return []
    factor = to_decimal(payload.get("volumeFactor"), "volumeFactor", None) if payload.get("volumeFactor") else None
    out: dict[datetime, Bar] = {}
    for row in rows:
        bar = _bar(symbol, interval, row, factor)
        if bar is not None:
            out[bar.start] = bar
    return [out[k] for k in sorted(out)]


def select_bars(bars: list[Bar], start: datetime | None, end: datetime | None, limit: int | None) -> list[Bar]:
    """``start <= bar.start < end``, then the newest ``limit``."""
    chosen = [b for b in bars if (start is None or b.start >= start) and (end is None or b.start < end)]
    return chosen[-limit:] if limit else chosen


@PAYLOADS.item("quote frame", raw_arg=1)
def quote_from_fields(symbol: str, fields: Mapping[str, Any], *, timestamp: datetime | None = None) -> Quote | None:
    """A Quote from merged ``smd`` (or snapshot) fields; an unreadable value is None
    (noted once in the frame's log line) and the other fields still apply. Last price
    keeps its number without the ``C``/``H`` marker. None only for fields that are
    not an object."""
    if not isinstance(fields, Mapping):
        PAYLOADS.skip("not an object")
        return None
    raw = dict(fields)

    def num(key: str) -> Decimal | None:
        return to_decimal(fields.get(key), key, raw) if fields.get(key) not in (None, "") else None

    updated = fields.get("_updated")
    ts = timestamp or (epoch_ms(updated, "_updated", raw) if updated else None) or datetime.now(timezone.utc)
    return Quote(symbol=symbol, bid=num("84"), ask=num("86"), last=num("31"), bid_size=num("88"), ask_size=num("85"),
                 volume=num("7762") if fields.get("7762") not in (None, "") else num("87"),
                 prev_close=num("7741"), timestamp=ts, raw=raw)


QUOTES_TASK = "quotes"


async def stream_quotes(stream: Any, contracts: Any, symbols: Sequence[str], *,
                        supervisor: Supervisor | None = None) -> AsyncIterator[Quote]:
    """Quotes of ``symbols`` from ``stream.quotes(conid)`` (an IbkrStream), conids from
    ``contracts`` (a ConidCache); one supervised pump per symbol feeds one queue
    (``supervisor``'s task :data:`QUOTES_TASK`; a private one when None). A frame that
    cannot be read is logged and skipped, the symbol's next frame still arrives; a
    pump that dies is restarted (subscribing again). Ends when every symbol's stream
    ended (the stream closed); a symbol that cannot be resolved is logged and left
    out. Cancelling the iteration stops every pump."""
    supervisor = supervisor or Supervisor(name="IBKR")
    queue: asyncio.Queue = asyncio.Queue()
    done = object()

    async def pump(symbol: str) -> None:
        try:
            conid = await contracts.conid(symbol)
        except BrokerError as exc:
            log.warning("IBKR: quotes of %s unavailable: %s", symbol, exc)
            return
        async for fields in stream.quotes(conid):
            with supervisor.item(QUOTES_TASK, fields, label="quotes"):
                quote = quote_from_fields(symbol.upper(), fields)
                if quote is not None:
                    queue.put_nowait(quote)

    tasks = []
    for symbol in dict.fromkeys(symbols):
        task = supervisor.start(QUOTES_TASK, lambda s=symbol: pump(s), label="quotes")
        task.add_done_callback(lambda _t: queue.put_nowait(done))
        tasks.append(task)
    running = len(tasks)
    try:
        while running:
            item = await queue.get()
            if item is done:
                running -= 1
                continue
            yield item
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
