"""Connect Trade's market-data stream (mdstream; NOTES.md section 3.3): live bars
over one reconnecting websocket, and history as the cookbook gets it (a short-lived
connection subscribing with ``backfill_nbars``).

Every connection authenticates first with a FRESH token from
``GET /connections/{connection_id}/token`` (tokens are short-lived): the kit's
:class:`~desktop.brokers.transport.ReconnectingWebSocket` ``on_open`` hook fetches it
and sends ``authenticate``; ``auth_success`` makes the socket ready and
:class:`~desktop.brokers.transport.WsSubscriptions` subscribes every watched
(symbol, interval) again, asking for :attr:`BarStream.resubscribe_backfill` bars of
backfill. Bars older than the newest one already delivered, and exact repeats of it,
are dropped, so a reconnect shows neither a gap (the backfill covers the outage) nor
a duplicate bar; a changed bar with the same start is an update of the forming bar.
A token that expires mid-stream (the server says so and closes) is the same drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from desktop.brokers.errors import AuthError, BrokerError, InvalidRequestError, NotFoundError, UnavailableError
from desktop.brokers.streams import Topic, counted
from desktop.brokers.transport import Backoff, ReconnectingWebSocket, Supervisor, WsSubscriptions
from desktop.brokers.transport.reconnecting_ws import _decode
from desktop.domain import Bar, Interval

from . import wire

log = logging.getLogger(__name__)

TokenSource = Callable[[], Awaitable[str]]
"""``await token()``: a fresh mdstream access token (raises BrokerError)."""

MAX_HISTORY = 5000
"""Most bars one history request asks for."""


def _same(a: Bar, b: Bar) -> bool:
    return (a.open, a.high, a.low, a.close, a.volume) == (b.open, b.high, b.low, b.close, b.volume)


class BarStream:
    """Live bars of every watched (symbol, interval), over one reconnecting socket.

    ``url``: the mdstream URL; ``token``: :data:`TokenSource`; ``ssl_context`` (None
    for ws://); ``backoff`` between reconnects; ``supervisor`` runs the socket loop.
    ``initial_backfill``: bars sent with a first subscription (the forming one and its
    predecessor: what the chart's history may lack); ``resubscribe_backfill``: bars
    asked for after a reconnect (covers an outage of that many bars).
    """

    def __init__(self, url: str, token: TokenSource, *, ssl_context: ssl.SSLContext | None = None,
                 backoff: Backoff | None = None, supervisor: Supervisor | None = None, initial_backfill: int = 2,
                 resubscribe_backfill: int = 120) -> None:
        self._token = token
        self.initial_backfill = initial_backfill
        self.resubscribe_backfill = resubscribe_backfill
        self.ws = ReconnectingWebSocket(url, ssl_context, ready=wire.is_auth_success, on_open=self._authenticate,
                                        on_ready=self._resubscribe, on_frame=self._on_frame,
                                        backoff=backoff or Backoff(initial=0.25, maximum=30), supervisor=supervisor,
                                        ready_timeout=15.0)
        self.subscriptions = WsSubscriptions(self.ws.send)
        self._topic: Topic[Bar] = Topic()
        self._watchers: dict[tuple[str, Interval], int] = {}
        self._last: dict[tuple[str, Interval], Bar] = {}
        self.auth_failures = 0
        self.dropped_repeats = 0  # bars dropped as old or repeated (diagnostics/tests)

    async def _authenticate(self, send: Callable[[str], Awaitable[None]]) -> None:
        token = await self._token()
        await send(json.dumps(wire.authenticate_message(token, str(uuid.uuid4()))))

    async def _resubscribe(self) -> None:
        await self.subscriptions.resubscribe()

    def _on_frame(self, frame: dict) -> None:
        if wire.is_error(frame):
            log.warning("Connect Trade market data: %s (%s)", frame.get("message") or "error", frame.get("code") or "")
            return
        if not wire.is_bar(frame):
            return
        bar = wire.read_bar(frame)
        if bar is None:
            return
        key = (bar.symbol, bar.interval)
        if key not in self.subscriptions:
            return
        last = self._last.get(key)
        if last is not None and (bar.start < last.start or (bar.start == last.start and _same(bar, last))):
            self.dropped_repeats += 1
            return
        self._last[key] = bar
        self._topic.publish(bar)

    async def watch(self, symbol: str, interval: Interval) -> AsyncIterator[Bar]:
        """Updates of the forming bar and each new bar of ``symbol`` at ``interval``
        (same ``start`` = update in place), across reconnects, until :meth:`close`."""
        symbol, interval = symbol.upper(), Interval(interval)
        key = (symbol, interval)
        await self.ws.start()
        with counted(self._watchers, [key]):
            if key not in self.subscriptions:
                await self.subscriptions.add(
                    key, lambda again: wire.subscribe_message(
                        symbol, interval, self.resubscribe_backfill if again else self.initial_backfill,
                        str(uuid.uuid4())), send_now=self.ws.ready)
            try:
                async for bar in self._topic.subscribe(lambda b: (b.symbol, b.interval) == key):
                    yield bar
            finally:
                if key not in self._watchers or self._watchers[key] <= 1:
                    self._last.pop(key, None)
                    with contextlib.suppress(Exception):
                        await self.subscriptions.remove(key, wire.unsubscribe_message(symbol, interval,
                                                                                     str(uuid.uuid4())))

    async def close(self) -> None:
        """Close the socket and end every :meth:`watch`."""
        await self.ws.close()
        self._topic.close()


async def fetch_history(url: str, token: TokenSource, symbol: str, interval: Interval, count: int, *,
                        ssl_context: ssl.SSLContext | None = None, timeout: float = 15.0,
                        quiet: float = 0.4) -> list[Bar]:
    """The last ``count`` bars of ``symbol`` (oldest first; the last may be forming), as
    the cookbook's momentum sample gets them: a connection of its own, authenticate,
    subscribe with ``backfill_nbars`` = ``count``, collect the bars, close. Collection
    ends at ``count`` bars, or ``quiet`` seconds after the last one (fewer exist).

    Raises NotFoundError (unknown symbol), InvalidRequestError (interval refused),
    AuthError (token refused), UnavailableError (cannot connect, no answer in time).
    """
    symbol, interval = symbol.upper(), Interval(interval)
    count = max(1, min(MAX_HISTORY, count))
    bars: dict[datetime, Bar] = {}
    try:
        async with asyncio.timeout(timeout):
            access = await token()
            async with connect(url, ssl=ssl_context, open_timeout=timeout, max_size=2**24) as ws:
                await ws.send(json.dumps(wire.authenticate_message(access, str(uuid.uuid4()))))
                subscribed = False
                while True:
                    wait = quiet if bars else (timeout if not subscribed else 3.0)
                    try:
                        async with asyncio.timeout(wait):
                            raw = await ws.recv()
                    except TimeoutError:
                        if subscribed:
                            break
                        raise
                    frame = _decode(raw)
                    if frame is None:
                        continue
                    if wire.is_error(frame):
                        raise _stream_error(frame, symbol, interval)
                    if wire.is_auth_success(frame):
                        await ws.send(json.dumps(wire.subscribe_message(symbol, interval, count, str(uuid.uuid4()))))
                        continue
                    if frame.get("type") == "subscribed":
                        subscribed = True
                        continue
                    if wire.is_bar(frame):
                        bar = wire.read_bar(frame, interval)
                        if bar is not None and bar.symbol == symbol and bar.interval is interval:
                            bars[bar.start] = bar
                            if len(bars) >= count:
                                break
    except TimeoutError:
        if not bars:
            raise UnavailableError(f"Connect Trade's market data did not answer within {timeout:g} s") from None
    except (OSError, InvalidHandshake, InvalidURI, ConnectionClosed) as exc:
        if not bars:
            raise UnavailableError(f"Cannot reach Connect Trade's market data ({exc.__class__.__name__})") from exc
    return [bars[t] for t in sorted(bars)]


def _stream_error(frame: dict, symbol: str, interval: Interval) -> BrokerError:
    code = str(frame.get("code") or "")
    message = str(frame.get("message") or "error")
    if "symbol" in code:
        return NotFoundError(f"Connect Trade has no market data for {symbol}: {message}", code=code, raw=frame)
    if "interval" in code or "channel" in code:
        return InvalidRequestError(f"Connect Trade does not serve {interval.value} bars: {message}", field="interval",
                                   code=code, raw=frame)
    if "auth" in code or "token" in code:
        return AuthError(f"Connect Trade refused the market-data token: {message}", code=code, raw=frame)
    return UnavailableError(f"Connect Trade's market data failed: {message}", code=code, raw=frame)
