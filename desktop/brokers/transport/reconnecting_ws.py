"""A JSON websocket client that reconnects by itself (websockets >= 13 asyncio client).

Broker-neutral: the broker adapter says which frame means "ready" (IBKR: the
``system`` frame with ``success``), what to do when ready (re-subscribe) and which
heartbeat to send. Frames reach consumers through :meth:`ReconnectingWebSocket.frames`
or the ``on_frame`` callback.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from desktop.security.redaction import redacting_filter

from ..streams import END, drain
from .backoff import Backoff
from .payloads import MAX_DEPTH, MAX_FRAME_BYTES, PayloadError, PayloadLog, decode_json
from .supervisor import Supervisor
from .waits import wait_event

log = logging.getLogger(__name__)
_protocol_log = logging.getLogger("websockets.client")
_FRAMES = PayloadLog(log, "websocket")
WS_TASK = "websocket"
"""The supervised task name of the connection loop (label "streaming")."""


class RedactingLogger(logging.LoggerAdapter):
    """The websockets library's protocol logger without credentials: at DEBUG it logs
    each handshake header as ``("> %s: %s", name, value)``; the value of a secret
    header (Cookie, Set-Cookie, Authorization and every header registered with
    :func:`desktop.security.redaction.register_secret_header`) is replaced by
    ``<redacted>``."""

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if len(args) == 2 and isinstance(args[0], str) and redacting_filter().is_secret_header(args[0]):
            args = (args[0], "<redacted>")
        super().log(level, msg, *args, **kwargs)


class ReconnectingWebSocket:
    """One logical websocket session over as many connections as needed.

    ``url`` ("wss://..."), ``ssl_context`` (e.g. a pinned context; None for ws://),
    ``headers_factory()`` -> extra handshake headers, called before EACH connect (so a
    refreshed session cookie is used). ``ready(frame)`` -> True for the frame after
    which the server accepts requests; ``on_ready()`` is awaited after each such frame
    (re-subscribe there). ``heartbeat = (text, every_seconds)`` is sent while ready.
    ``on_open(send)`` is awaited after each handshake, before any frame is read, with
    ``send(text)`` writing on that connection: an authenticate-after-connect protocol
    (Connect Trade's mdstream) sends its login there, with a credential fetched afresh
    for each connection; an exception there drops the connection and the loop
    reconnects after the next ``backoff`` delay.
    ``on_frame(frame)`` is called for every decoded JSON object (also before ready).
    A connection that is not ready within ``ready_timeout`` seconds is dropped and
    retried; so is a connection that received no frame at all (heartbeat or data) for
    ``idle_timeout`` seconds (None: never), checked on the injectable ``clock``/``sleep``;
    ``on_silent(seconds)`` is called just before such a silent connection is dropped.
    ``supervisor``: runs the connection loop (:data:`WS_TASK`), counts an unexpected
    error of one connection as a failure of the task and restarts the loop if it dies.
    After any drop it reconnects after the next ``backoff`` delay (reset once ready).
    Frames that are not JSON objects, larger than ``max_frame_bytes`` or nested deeper
    than ``max_depth`` are logged (once, shortened) and skipped. Handshake headers (the
    session cookie) never reach the logs: the websockets library logs through
    :class:`RedactingLogger`.

    Life cycle: ``await start()``; ``await close()`` (idempotent) ends every
    :meth:`frames` iterator.
    """

    def __init__(
        self,
        url: str,
        ssl_context: ssl.SSLContext | None,
        headers_factory: Callable[[], Mapping[str, str]] = dict,
        *,
        ready: Callable[[dict], bool] = lambda frame: True,
        on_ready: Callable[[], Awaitable[None]] | None = None,
        on_open: Callable[[Callable[[str], Awaitable[None]]], Awaitable[None]] | None = None,
        heartbeat: tuple[str, float] | None = None,
        backoff: Backoff | None = None,
        on_frame: Callable[[dict], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
        ready_timeout: float | None = 30.0,
        open_timeout: float = 10.0,
        idle_timeout: float | None = None,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        max_depth: int = MAX_DEPTH,
        on_silent: Callable[[float], None] | None = None,
        supervisor: Supervisor | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self._ssl = ssl_context
        self._headers_factory = headers_factory
        self._ready_pred = ready
        self._on_ready = on_ready
        self._on_open = on_open
        self._heartbeat = heartbeat
        self._backoff = backoff or Backoff()
        self.on_frame = on_frame
        self.on_disconnect = on_disconnect
        self._ready_timeout = ready_timeout
        self._open_timeout = open_timeout
        self.idle_timeout = idle_timeout
        self.max_frame_bytes = max_frame_bytes
        self.max_depth = max_depth
        self.on_silent = on_silent
        self._supervisor = supervisor
        self._clock = clock
        self._sleep = sleep
        self._last_frame = 0.0
        self._conn: ClientConnection | None = None
        self._ready = False
        self._ready_event = asyncio.Event()
        self._closed = False
        self._closed_event = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._pending: list[str] = []
        self._consumers: list[asyncio.Queue] = []
        self._aux_tasks: set[asyncio.Task] = set()
        self.connections = 0  # successful handshakes so far (diagnostics/tests)
        self.idle_drops = 0  # connections dropped for silence (diagnostics/tests)

    # -- public ---------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """True while connected and past the ready frame."""
        return self._ready

    @property
    def closed(self) -> bool:
        return self._closed

    async def start(self) -> None:
        """Start connecting in the background (idempotent). Returns at once."""
        if self._task is None and not self._closed:
            if self._supervisor is not None:
                self._task = self._supervisor.start(WS_TASK, self._run, label="streaming")
            else:
                self._task = asyncio.get_running_loop().create_task(self._run(), name=f"ws {self.url}")

    async def wait_ready(self) -> None:
        """Wait until the connection is ready (returns at once if it is)."""
        await self._ready_event.wait()

    async def send(self, text: str) -> None:
        """Send ``text`` now when ready, else queue it for the next ready connection.
        Never raises for a dropped connection (the reconnect re-subscribes)."""
        if self._closed:
            return
        if not self._ready or self._conn is None:
            self._pending.append(text)
            return
        try:
            await asyncio.wait_for(self._conn.send(text), self._open_timeout)
        except (ConnectionClosed, TimeoutError):
            log.debug("websocket send dropped: connection closed or stuck")

    async def reconnect(self) -> None:
        """Drop the current connection; the background loop connects again."""
        conn = self._conn
        if conn is not None:
            await conn.close()

    async def frames(self) -> AsyncIterator[dict]:
        """Every decoded frame from now on, across reconnects, until close()."""
        queue: asyncio.Queue = asyncio.Queue()
        self._consumers.append(queue)
        try:
            async for item in drain(queue):
                yield item
        finally:
            if queue in self._consumers:
                self._consumers.remove(queue)

    async def close(self) -> None:
        """Close the connection, stop reconnecting and end every frames() iterator."""
        if self._closed:
            return
        self._closed = True
        self._closed_event.set()
        task, self._task = self._task, None
        conn = self._conn
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), 2.0)
            except (OSError, TimeoutError, ConnectionClosed):
                pass
        aux = [t for t in (task, *self._aux_tasks) if t is not None]
        for t in aux:
            t.cancel()
        await asyncio.gather(*aux, return_exceptions=True)
        for queue in list(self._consumers):
            queue.put_nowait(END)

    # -- internals --------------------------------------------------------------
    async def _run(self) -> None:
        while not self._closed:
            try:
                await self._connect_once()
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ConnectionClosed) as exc:
                log.info("websocket %s: %s", _safe_url(self.url), exc.__class__.__name__ + (f": {exc}" if str(exc) else ""))
            except Exception as exc:  # noqa: BLE001 - a bug in a callback must not end the stream
                if self._supervisor is not None:
                    self._supervisor.failed(WS_TASK, exc, _safe_url(self.url), label="streaming")
                else:
                    log.exception("websocket %s failed", _safe_url(self.url))
            finally:
                was_ready = self._ready
                self._ready = False
                self._ready_event.clear()
                self._conn = None
                if was_ready and self.on_disconnect is not None:
                    try:
                        self.on_disconnect()
                    except Exception:  # noqa: BLE001
                        log.exception("on_disconnect callback failed")
            if self._closed:
                break
            delay = next(self._backoff)
            log.debug("websocket reconnect in %.2f s", delay)
            await wait_event(self._closed_event, delay)  # not wait_for: it can drop a cancel (.waits)

    async def _connect_once(self) -> None:
        headers = dict(self._headers_factory() or {})
        async with connect(
            self.url,
            ssl=self._ssl,
            additional_headers=headers,
            open_timeout=self._open_timeout,
            max_size=max(4 * self.max_frame_bytes, 2**24),  # beyond: the connection is dropped
            logger=RedactingLogger(_protocol_log),
        ) as conn:
            self._conn = conn
            self.connections += 1
            log.debug("websocket connected: %s", _safe_url(self.url))
            heartbeat_task: asyncio.Task | None = None
            watchdog: asyncio.TimerHandle | None = None
            idle_task: asyncio.Task | None = None
            self._last_frame = self._clock()
            if self._ready_timeout:
                watchdog = asyncio.get_running_loop().call_later(self._ready_timeout, self._not_ready_in_time, conn)
            if self.idle_timeout:
                idle_task = asyncio.get_running_loop().create_task(self._idle_watch(conn))
            try:
                if self._on_open is not None:
                    await self._on_open(conn.send)
                async for message in conn:
                    self._last_frame = self._clock()
                    frame = _decode(message, max_bytes=self.max_frame_bytes, max_depth=self.max_depth)
                    if frame is None:
                        continue
                    if not self._ready and self._ready_pred(frame):
                        await self._become_ready(conn)
                        if self._heartbeat and heartbeat_task is None:
                            heartbeat_task = asyncio.get_running_loop().create_task(self._beat(conn))
                    self._dispatch(frame)
            finally:
                if watchdog is not None:
                    watchdog.cancel()
                helpers = [t for t in (heartbeat_task, idle_task) if t is not None]
                for t in helpers:
                    t.cancel()
                await asyncio.gather(*helpers, return_exceptions=True)

    async def _idle_watch(self, conn: ClientConnection) -> None:
        """Close ``conn`` once no frame arrived for ``idle_timeout`` seconds (a silent
        server, e.g. a half-open TCP connection); the run loop then reconnects."""
        limit = float(self.idle_timeout or 0)
        while True:
            quiet = self._clock() - self._last_frame
            if quiet >= limit:
                self.idle_drops += 1
                log.info("websocket %s: no frame for %.1f s; reconnecting", _safe_url(self.url), quiet)
                if self.on_silent is not None:
                    try:
                        self.on_silent(quiet)
                    except Exception:  # noqa: BLE001
                        log.exception("on_silent callback failed")
                await conn.close()
                return
            await self._sleep(limit - quiet)

    def _not_ready_in_time(self, conn: ClientConnection) -> None:
        if not self._ready:
            log.info("websocket %s: not ready after %.0f s; reconnecting", _safe_url(self.url), self._ready_timeout)
            task = asyncio.get_running_loop().create_task(conn.close())
            self._aux_tasks.add(task)
            task.add_done_callback(self._aux_tasks.discard)

    async def _become_ready(self, conn: ClientConnection) -> None:
        self._ready = True
        self._backoff.reset()
        if self._supervisor is not None:
            self._supervisor.ok(WS_TASK)
        if self._on_ready is not None:
            await self._on_ready()
        pending, self._pending = self._pending, []
        for text in pending:
            await conn.send(text)
        self._ready_event.set()

    async def _beat(self, conn: ClientConnection) -> None:
        text, every = self._heartbeat  # type: ignore[misc]
        while True:
            await asyncio.sleep(every)
            try:
                await conn.send(text)
            except ConnectionClosed:
                return

    def _dispatch(self, frame: dict) -> None:
        if self.on_frame is not None:
            try:
                self.on_frame(frame)
            except Exception:  # noqa: BLE001
                log.exception("websocket frame handler failed for frame %r", frame)
        for queue in self._consumers:
            queue.put_nowait(frame)


def _decode(message: str | bytes, *, max_bytes: int = MAX_FRAME_BYTES, max_depth: int = MAX_DEPTH) -> dict | None:
    """A JSON object from a text or binary frame, or None (logged once, shortened) for
    anything else: not JSON, not an object, larger than ``max_bytes`` or nested deeper
    than ``max_depth`` (:func:`~desktop.brokers.transport.payloads.decode_json`)."""
    try:
        if isinstance(message, bytes):
            message = message.decode("utf-8")
        frame: Any = decode_json(message, max_bytes=max_bytes, max_depth=max_depth, what="websocket frame")
    except PayloadError as exc:
        _FRAMES.skip(exc.message, message)
        return None
    except (UnicodeDecodeError, ValueError):
        _FRAMES.skip("not JSON", message)
        return None
    if not isinstance(frame, dict):
        _FRAMES.skip("not a JSON object", message)
        return None
    return frame


def _safe_url(url: str) -> str:
    """``url`` without a query string (which could carry a token)."""
    return url.split("?", 1)[0]
