"""The fake market-data stream (mdstream; NOTES.md section 3.3) at ``/mdstream``.

Client -> server: ``{"action": "authenticate", "access_token", "request_id",
"version": "v1.0"}`` -> ``{"type": "auth_success", "request_id"}`` (an unknown,
expired or revoked token: ``{"type": "error", "code": "auth_failed", ...}`` and the
socket is closed, code 4001); ``{"action": "subscribe", "channel": "bars", "symbol",
"interval" (1m 5m 15m 1h 1d), "session": "USEqCore", "request_id", "backfill_nbars"}``
-> ``{"type": "subscribed", ...}``, then the last ``backfill_nbars`` bars (the last
one still forming), then every update of the forming bar and each new bar, as
``{"type": "bar", "channel": "bars", "symbol", "interval", "t", "o", "h", "l", "c",
"v"}`` with ``t`` ISO 8601 UTC (the bar's start) and prices as numeric strings;
``{"action": "unsubscribe", ...}`` -> ``{"type": "unsubscribed"}``. Other channels
are refused with ``{"type": "error", "code": "unsupported_channel"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from desktop.brokers.errors import BrokerError
from desktop.domain import Bar, Interval

from .app import CT_KEY, FakeConnectTrade
from .book import iso, num

log = logging.getLogger(__name__)
MAX_BACKFILL = 5000
INDEXES = {"SPY": ("AAPL", "MSFT", "IBM")}
"""Symbols the paper market does not replay, served as an equal-weight average of
its stocks (so the cookbook's SPY momentum sample runs against the fake)."""


def index_bar(symbol: str, parts: list[Bar]) -> Bar:
    """The average of ``parts`` (bars of one start) as a bar of ``symbol``."""
    n = Decimal(len(parts))
    q = Decimal("0.01")
    avg = {name: (sum((getattr(b, name) for b in parts), Decimal(0)) / n).quantize(q)
           for name in ("open", "high", "low", "close")}
    avg["high"] = max(avg.values())
    avg["low"] = min(avg.values())
    return Bar(symbol=symbol, interval=parts[0].interval, start=parts[0].start,
               volume=sum((b.volume for b in parts), Decimal(0)), **avg)


def bar_message(bar: Bar) -> dict[str, Any]:
    """A bar as the stream sends it."""
    return {"type": "bar", "channel": "bars", "symbol": bar.symbol, "interval": bar.interval.value,
            "t": iso(bar.start), "o": num(bar.open), "h": num(bar.high), "l": num(bar.low), "c": num(bar.close),
            "v": int(bar.volume)}


class StreamSession:
    """One mdstream websocket connection: authentication and its subscriptions."""

    def __init__(self, ct: FakeConnectTrade, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ct, self.ws, self.request = ct, ws, request
        self.authenticated = False
        self.tasks: dict[tuple[str, str], asyncio.Task] = {}
        self._lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._lock:
            if not self.ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.ws.send_str(json.dumps(message))

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        if self.request.transport is not None:
            self.request.transport.abort()

    async def expire(self) -> None:
        """The session's token expired: say so and close (4001)."""
        await self.send({"type": "error", "code": "token_expired", "message": "access token expired"})
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.close(code=4001, message=b"token expired")

    async def handle(self, message: dict[str, Any]) -> None:
        action = message.get("action")
        request_id = message.get("request_id")
        if action == "authenticate":
            token = self.ct.tokens.get(str(message.get("access_token")))
            if message.get("version") != "v1.0":
                await self.send({"type": "error", "code": "unsupported_version", "request_id": request_id,
                                 "message": "version must be v1.0"})
                return
            if token is None or not token.valid:
                await self.send({"type": "error", "code": "auth_failed", "request_id": request_id,
                                 "message": "invalid or expired access token"})
                await self.ws.close(code=4001, message=b"auth failed")
                return
            self.authenticated = True
            await self.send({"type": "auth_success", "request_id": request_id})
            return
        if not self.authenticated:
            await self.send({"type": "error", "code": "not_authenticated", "request_id": request_id,
                             "message": "authenticate first"})
            return
        if action == "subscribe":
            await self._subscribe(message)
        elif action == "unsubscribe":
            key = (str(message.get("symbol")), str(message.get("interval")))
            task = self.tasks.pop(key, None)
            if task is not None:
                task.cancel()
            await self.send({"type": "unsubscribed", "request_id": request_id, "channel": "bars",
                             "symbol": key[0], "interval": key[1]})
        else:
            await self.send({"type": "error", "code": "unknown_action", "request_id": request_id,
                             "message": f"unknown action {action!r}"})

    async def _subscribe(self, message: dict[str, Any]) -> None:
        request_id = message.get("request_id")
        channel = message.get("channel")
        if channel != "bars":
            await self.send({"type": "error", "code": "unsupported_channel", "request_id": request_id,
                             "message": f"channel {channel!r} is not available"})
            return
        symbol = str(message.get("symbol", "")).upper()
        try:
            interval = Interval(str(message.get("interval")))
        except ValueError:
            await self.send({"type": "error", "code": "invalid_interval", "request_id": request_id,
                             "message": f"interval {message.get('interval')!r}: use 1m, 5m, 15m, 1h or 1d"})
            return
        if symbol not in self.ct.paper.market.symbols and symbol not in INDEXES:
            await self.send({"type": "error", "code": "unknown_symbol", "request_id": request_id,
                             "message": f"unknown symbol {symbol!r}"})
            return
        try:
            backfill = max(0, min(MAX_BACKFILL, int(message.get("backfill_nbars") or 0)))
        except (TypeError, ValueError):
            backfill = 0
        key = (symbol, interval.value)
        old = self.tasks.pop(key, None)
        if old is not None:
            old.cancel()
        await self.send({"type": "subscribed", "request_id": request_id, "channel": "bars", "symbol": symbol,
                         "interval": interval.value, "session": message.get("session")})
        self.tasks[key] = asyncio.get_running_loop().create_task(self._stream(symbol, interval, backfill))

    async def _fetch(self, symbol: str, interval: Interval, limit: int) -> list[Bar]:
        parts = INDEXES.get(symbol)
        if parts is None:
            return await self.ct.paper.fetch_bars(symbol, interval, limit=limit)
        series = [{b.start: b for b in await self.ct.paper.fetch_bars(p, interval, limit=limit)} for p in parts]
        starts = sorted(set.intersection(*(set(s) for s in series)))
        return [index_bar(symbol, [s[t] for s in series]) for t in starts]

    async def _stream(self, symbol: str, interval: Interval, backfill: int) -> None:
        queue: asyncio.Queue[Bar] = asyncio.Queue()
        parts = INDEXES.get(symbol, (symbol,))
        latest: dict[str, Bar] = {}

        async def pump(part: str) -> None:
            async for bar in self.ct.paper.watch_bars(part, interval):
                if part == symbol:
                    queue.put_nowait(bar)
                    continue
                latest[part] = bar
                same = [latest.get(p) for p in parts]
                if all(b is not None and b.start == bar.start for b in same):
                    queue.put_nowait(index_bar(symbol, same))

        pumpers = [asyncio.get_running_loop().create_task(pump(p)) for p in parts]
        try:
            await asyncio.sleep(0)  # the pump is subscribed before the backfill is read: no bar is missed
            await asyncio.sleep(0)
            last_start = None
            if backfill:
                try:
                    bars = await self._fetch(symbol, interval, backfill)
                except BrokerError:
                    bars = []
                for extra in self.ct.injected.get("bars", []):
                    await self.send(extra)
                for bar in bars:
                    await self.send(bar_message(bar))
                    last_start = bar.start
            while True:
                bar = await queue.get()
                if last_start is not None and bar.start < last_start:
                    continue
                await self.send(bar_message(bar))
        finally:
            for pumper in pumpers:
                pumper.cancel()
            await asyncio.gather(*pumpers, return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def mdstream(request: web.Request) -> web.WebSocketResponse:
    ct = request.app[CT_KEY]
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    session = StreamSession(ct, ws, request)
    ct.streams.add(session)
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                message = json.loads(msg.data)
            except ValueError:
                await session.send({"type": "error", "code": "bad_message", "message": "not JSON"})
                continue
            if isinstance(message, dict):
                ct.stream_messages.append(message)
                await session.handle(message)
    finally:
        ct.streams.discard(session)
        await session.close()
    return ws


def setup(app: web.Application) -> None:
    app.router.add_get("/mdstream", mdstream)
