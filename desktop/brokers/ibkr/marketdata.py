"""Market data: historical bars (REST) and quotes from the websocket's ``smd`` fields.

- ``GET /iserver/marketdata/history?conid=&period=&bar=&outsideRth=`` ->
  ``{"data": [{"o", "h", "l", "c", "v", "t": <epoch ms of the bar start>}],
  "volumeFactor": 100, ...}`` (5 concurrent requests at most; the client paces);
  periods ``{n}min``, ``{n}h``, ``{n}d`` (1-1000), ``{n}w``, ``{n}m``, ``{n}y``; bars
  ``1min``, ``5min``, ``15min``, ``1h``, ``1d``.
- ``smd`` frames (merged per conid by the stream) carry field ids as keys with
  string values: 31 last (``C``/``H`` prefix), 84 bid, 86 ask, 88 bid size, 85 ask
  size (commas), 7762 volume, 7741 prior close, 55 symbol.

Source: ``specs/ibkr-cpapi/NOTES.md`` section 6.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from desktop.domain import Bar, Interval, Quote

from desktop.brokers.errors import BrokerError

from .parse import epoch_ms, to_decimal

log = logging.getLogger("desktop.brokers.ibkr")

BAR_SIZES = {Interval.M1: "1min", Interval.M5: "5min", Interval.M15: "15min", Interval.H1: "1h", Interval.D1: "1d"}
"""Interval -> CPAPI history ``bar``."""


DEFAULT_LIMIT = 300
_RTH_MINUTES = 390  # one regular US session, 09:30-16:00


def history_period(interval: Interval, limit: int | None = None, start: datetime | None = None,
                   now: datetime | None = None) -> str:
    """A CPAPI ``period`` long enough for ``limit`` bars of ``interval`` (or for
    everything since ``start``): whole days for intraday bars (a regular session has
    390 minutes) plus one spare day, calendar days (x7/5 + 3) for daily bars;
    ``{n}d`` up to 1000 days, else ``{n}y``."""
    if start is not None:
        now = now or datetime.now(timezone.utc)
        days = max(1, (now - start).days + 1)
    else:
        bars = limit or DEFAULT_LIMIT
        if interval is Interval.D1:
            days = math.ceil(bars * 7 / 5) + 3
        else:
            per_day = max(1, _RTH_MINUTES // interval.minutes)
            days = math.ceil(bars / per_day) + 1
    if days <= 1000:
        return f"{days}d"
    return f"{min(15, math.ceil(days / 365))}y"


def bars_from_history(symbol: str, interval: Interval, payload: Any) -> list[Bar]:
    """The ``data`` of a history payload as Bars, oldest first. ``t`` (ms) is the bar
    start; daily bars start at midnight UTC of their date. ``v`` is multiplied by
    ``volumeFactor`` when the payload gives one. Unreadable bars are logged and skipped."""
    rows = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(rows, list):
        if payload not in (None, {}, []):
            log.warning("IBKR: unexpected history payload for %s: %r", symbol, payload)
        return []
    factor = to_decimal(payload.get("volumeFactor"), "volumeFactor", None) if payload.get("volumeFactor") else None
    out: dict[datetime, Bar] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            log.warning("IBKR: skipped history bar: %r", row)
            continue
        start = epoch_ms(row.get("t"), "t", row)
        values = [to_decimal(row.get(k), k, row) for k in ("o", "h", "l", "c")]
        if start is None or any(v is None for v in values):
            log.warning("IBKR: skipped unreadable history bar of %s: %r", symbol, row)
            continue
        if interval is Interval.D1:
            start = start.replace(hour=0, minute=0, second=0, microsecond=0)
        volume = to_decimal(row.get("v"), "v", row) or Decimal(0)
        if factor and factor > 0:
            volume *= factor
        o, h, low, c = values
        try:
            out[start] = Bar(symbol=symbol, interval=interval, start=start, open=o, high=h, low=low, close=c,
                             volume=max(volume, Decimal(0)), raw=dict(row))
        except ValidationError as exc:
            log.warning("IBKR: skipped inconsistent history bar of %s (%s): %r", symbol, exc, row)
    return [out[k] for k in sorted(out)]


def select_bars(bars: list[Bar], start: datetime | None, end: datetime | None, limit: int | None) -> list[Bar]:
    """``start <= bar.start < end``, then the newest ``limit``."""
    chosen = [b for b in bars if (start is None or b.start >= start) and (end is None or b.start < end)]
    return chosen[-limit:] if limit else chosen


def quote_from_fields(symbol: str, fields: Mapping[str, Any], *, timestamp: datetime | None = None) -> Quote:
    """A Quote from merged ``smd`` (or snapshot) fields; unreadable values are None
    (logged). Last price keeps its number without the ``C``/``H`` marker."""
    raw = dict(fields)

    def num(key: str) -> Decimal | None:
        return to_decimal(fields.get(key), key, raw) if fields.get(key) not in (None, "") else None

    updated = fields.get("_updated")
    ts = timestamp or (epoch_ms(updated, "_updated", raw) if updated else None) or datetime.now(timezone.utc)
    return Quote(symbol=symbol, bid=num("84"), ask=num("86"), last=num("31"), bid_size=num("88"), ask_size=num("85"),
                 volume=num("7762") if fields.get("7762") not in (None, "") else num("87"),
                 prev_close=num("7741"), timestamp=ts, raw=raw)


async def stream_quotes(stream: Any, contracts: Any, symbols: Sequence[str]) -> AsyncIterator[Quote]:
    """Quotes of ``symbols`` from ``stream.quotes(conid)`` (an IbkrStream), conids from
    ``contracts`` (a ConidCache); one task per symbol feeds one queue. Ends when every
    symbol's stream ended (the stream closed); a symbol that cannot be resolved is
    logged and left out. Cancelling the iteration stops every task."""
    queue: asyncio.Queue = asyncio.Queue()
    done = object()

    async def pump(symbol: str) -> None:
        try:
            conid = await contracts.conid(symbol)
            async for fields in stream.quotes(conid):
                queue.put_nowait(quote_from_fields(symbol.upper(), fields))
        except BrokerError as exc:
            log.warning("IBKR: quotes of %s stopped: %s", symbol, exc)
        finally:
            queue.put_nowait(done)

    tasks = [asyncio.ensure_future(pump(s)) for s in dict.fromkeys(symbols)]
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
