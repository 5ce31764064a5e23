"""The IBKR gateway websocket (``wss://host:port/v1/api/ws``): quotes, orders, P&L.

NOTES.md section 6 ([WSDOC]): authenticate with the header
``Cookie: api={"session":"<tickle session>"}``; wait for the ``system`` frame with
``success`` before subscribing (earlier subscriptions are dropped); send ``tic`` at
least once a minute; ``smd`` subscriptions end after 15 minutes, so re-send them every
``resubscribe_every`` seconds and after each reconnect; ``sts`` with
``authenticated: false`` means the session is gone: reconnect (IBKR sends nothing when
it is back).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from desktop.brokers.streams import END, drain
from desktop.brokers.transport import Backoff, ReconnectingWebSocket, Supervisor, shorten
from desktop.domain import ConnectionState, ConnectionStatus

log = logging.getLogger(__name__)

#: smd fields: 31 last, 84 bid, 85 ask size, 86 ask, 88 bid size, 7059 last size,
#: 7295 open, 7296 close, 7762 volume, 55 symbol.
QUOTE_FIELDS: tuple[str, ...] = ("31", "84", "85", "86", "88", "7059", "7295", "7296", "7741", "7762", "55")

#: Seconds between the gateway's ``{"topic":"system","hb":...}`` frames (NOTES.md section 6).
SERVER_HEARTBEAT = 10.0

#: Seconds of silence allowed past a missed heartbeat before the stream counts as dead.
HEARTBEAT_GRACE = 3.0

#: The default allowed silence: one heartbeat interval plus the grace (13 s).
ALLOWED_SILENCE = SERVER_HEARTBEAT + HEARTBEAT_GRACE

REFRESH_TASK = "smd refresh"

_QUEUE_LIMIT = 1000


def _put(queue: asyncio.Queue, item: Any) -> None:
    """Enqueue, dropping the oldest item when a slow consumer fell far behind."""
    if queue.qsize() >= _QUEUE_LIMIT:
        try:
            queue.get_nowait()
        except asyncio.QueueEmpty:
            pass
    queue.put_nowait(item)


class IbkrStream:
    """Websocket subscriptions shared by every consumer.

    ``ws_url`` ("wss://127.0.0.1:5000/v1/api/ws"), ``ssl_context`` (the client's pinned
    context), ``session_token()`` -> the current tickle ``session`` (read at each
    connect). ``on_state`` receives RECONNECTING (sts authenticated false, or the
    socket dropped) and CONNECTED (ready again). Seconds: ``resubscribe_every`` (smd
    refresh), ``heartbeat_every`` (``tic``).

    ``quotes(conid)`` yields merged field dicts ({"31": "C168.42", "84": "168.41", ...,
    "conid": "265598"}; raw strings, parse them in the adapter); ``orders()`` yields the
    ``args`` list of each ``sor`` frame; ``pnl()`` the ``args`` dict of each ``spl``
    frame. Iterators end at close(). The connection starts with the first consumer
    (or ``await start()``). ``idle_timeout``: the allowed silence, seconds without
    any frame (the gateway sends a ``system`` ``hb`` about every 10 s) after which the
    connection is presumed dead: RECONNECTING is published at once (the desk marks the
    connection's rows stale) and the connection re-opened; CONNECTED follows when it is
    ready again. Default :data:`ALLOWED_SILENCE` (one heartbeat + 3 s). ``supervisor``
    runs the connection loop and the smd refresh (a private one when None).
    ``clock``/``sleep`` are injectable for tests of that watchdog.
    """

    def __init__(
        self,
        ws_url: str,
        ssl_context: ssl.SSLContext | None,
        session_token: Callable[[], str | None],
        *,
        on_state: Callable[[ConnectionState], None] | None = None,
        resubscribe_every: float = 540.0,
        heartbeat_every: float = 30.0,
        backoff: Backoff | None = None,
        ready_timeout: float | None = 30.0,
        idle_timeout: float | None = ALLOWED_SILENCE,
        supervisor: Supervisor | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._session_token = session_token
        self.on_state = on_state
        self.resubscribe_every = resubscribe_every
        self._supervisor = supervisor or Supervisor(name="IBKR")
        self._ws = ReconnectingWebSocket(
            ws_url,
            ssl_context,
            self._headers,
            ready=lambda frame: frame.get("topic") == "system" and bool(frame.get("success")),
            on_ready=self._on_ready,
            heartbeat=("tic", heartbeat_every),
            backoff=backoff or Backoff(initial=0.5, maximum=30),
            on_frame=self._on_frame,
            on_disconnect=self._on_disconnect,
            ready_timeout=ready_timeout,
            idle_timeout=idle_timeout,
            on_silent=self._on_silent,
            supervisor=self._supervisor,
            clock=clock,
            sleep=sleep,
        )
        self._quote_queues: dict[str, list[asyncio.Queue]] = {}
        self._quote_state: dict[str, dict[str, str]] = {}
        self._order_queues: list[asyncio.Queue] = []
        self._pnl_queues: list[asyncio.Queue] = []
        self._resubscribe_task: asyncio.Task | None = None
        self._reported_down = False
        self._closed = False
        self._tasks: set[asyncio.Task] = set()

    @property
    def ready(self) -> bool:
        """True while the websocket is connected and past the system frame."""
        return self._ws.ready

    @property
    def websocket(self) -> ReconnectingWebSocket:
        """The underlying connection (diagnostics and tests)."""
        return self._ws

    async def start(self) -> None:
        """Connect in the background and start the smd refresh timer (idempotent)."""
        if self._closed:
            return
        await self._ws.start()
        if self._resubscribe_task is None:
            self._resubscribe_task = self._supervisor.start(REFRESH_TASK, self._resubscribe_loop,
                                                            label="quote subscriptions refresh")

    async def wait_ready(self) -> None:
        await self._ws.wait_ready()

    async def close(self) -> None:
        """Close the socket and end every iterator (idempotent)."""
        if self._closed:
            return
        self._closed = True
        tasks = [t for t in (self._resubscribe_task, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._ws.close()
        for queue in [q for qs in self._quote_queues.values() for q in qs] + self._order_queues + self._pnl_queues:
            queue.put_nowait(END)

    # -- subscriptions ----------------------------------------------------------
    async def quotes(self, conid: int | str) -> AsyncIterator[dict[str, str]]:
        """Merged level-1 fields of ``conid`` on each change (the current merge first
        when another consumer already subscribed). Subscribes on the first consumer,
        sends ``umd+<conid>+{}`` when the last one leaves."""
        key = str(conid)
        queue: asyncio.Queue = asyncio.Queue()
        queues = self._quote_queues.setdefault(key, [])
        queues.append(queue)
        if key in self._quote_state:
            queue.put_nowait(dict(self._quote_state[key]))
        if self._closed:
            queue.put_nowait(END)
        else:
            await self.start()
            if len(queues) == 1 and self._ws.ready:
                await self._ws.send(_smd(key))
        try:
            async for item in drain(queue):
                yield item
        finally:
            queues.remove(queue)
            if not queues:
                del self._quote_queues[key]
                self._quote_state.pop(key, None)
                if not self._closed and self._ws.ready:
                    await self._ws.send(f"umd+{key}+{{}}")

    async def orders(self) -> AsyncIterator[list[dict]]:
        """The order rows of each ``sor`` frame (best effort: poll REST as the truth)."""
        async for item in self._topic(self._order_queues, "sor+{}", "uor+{}"):
            yield item

    async def pnl(self) -> AsyncIterator[dict]:
        """The ``args`` of each ``spl`` frame ({"U123.Core": {"dpl":..., "nl":...}})."""
        async for item in self._topic(self._pnl_queues, "spl+{}", "upl+{}"):
            yield item

    async def _topic(self, queues: list[asyncio.Queue], subscribe: str, unsubscribe: str) -> AsyncIterator[Any]:
        queue: asyncio.Queue = asyncio.Queue()
        queues.append(queue)
        if self._closed:
            queue.put_nowait(END)
        else:
            await self.start()
            if len(queues) == 1 and self._ws.ready:
                await self._ws.send(subscribe)
        try:
            async for item in drain(queue):
                yield item
        finally:
            queues.remove(queue)
            if not queues and not self._closed and self._ws.ready:
                await self._ws.send(unsubscribe)

    # -- connection callbacks -----------------------------------------------------
    def _headers(self) -> dict[str, str]:
        token = self._session_token()
        if not token:
            return {}
        return {"Cookie": "api=" + json.dumps({"session": token}, separators=(",", ":"))}

    async def _on_ready(self) -> None:
        """After each system frame: (re)subscribe everything consumers want."""
        for key in list(self._quote_queues):
            await self._ws_send_now(_smd(key))
        if self._order_queues:
            await self._ws_send_now("sor+{}")
        if self._pnl_queues:
            await self._ws_send_now("spl+{}")
        if self._reported_down:
            self._reported_down = False
            self._publish(ConnectionStatus.CONNECTED, "Streaming restored")

    async def _ws_send_now(self, text: str) -> None:
        await self._ws.send(text)

    def _on_silent(self, seconds: float) -> None:
        """The gateway sent nothing (not even a heartbeat) for ``seconds``: stale."""
        if not self._closed and not self._reported_down:
            self._reported_down = True
            quiet = f"{seconds:.0f}" if seconds >= 10 else f"{seconds:.1f}"
            self._publish(ConnectionStatus.RECONNECTING, f"No data from the IBKR stream for {quiet} s; reconnecting")

    def _on_disconnect(self) -> None:
        if not self._closed and not self._reported_down:
            self._reported_down = True
            self._publish(ConnectionStatus.RECONNECTING, "Reconnecting the IBKR stream")

    def _on_frame(self, frame: dict) -> None:
        topic = frame.get("topic")
        if not isinstance(topic, str):
            if frame.get("message"):
                log.debug("IBKR websocket message: %s", frame.get("message"))
            return
        if topic.startswith("smd+"):
            self._on_quote(topic[4:], frame)
        elif topic == "sor":
            args = frame.get("args")
            if isinstance(args, list):
                for queue in self._order_queues:
                    _put(queue, [row for row in args if isinstance(row, dict)])
            else:
                log.warning("IBKR sor frame without an args list skipped: %s", shorten(frame))
        elif topic == "spl":
            args = frame.get("args")
            if isinstance(args, dict):
                for queue in self._pnl_queues:
                    _put(queue, args)
            else:
                log.warning("IBKR spl frame without args skipped: %s", shorten(frame))
        elif topic == "sts":
            args = frame.get("args")
            if isinstance(args, dict) and args.get("authenticated") is False:
                log.info("IBKR websocket: session not authenticated; reconnecting")
                self._publish(ConnectionStatus.RECONNECTING, "The IBKR session was interrupted; reconnecting")
                self._reported_down = True
                task = asyncio.get_running_loop().create_task(self._ws.reconnect())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _on_quote(self, conid: str, frame: dict) -> None:
        key = conid.split("@", 1)[0]
        if key not in self._quote_queues:
            return
        merged = self._quote_state.setdefault(key, {})
        for name, value in frame.items():
            if name == "topic" or value is None or isinstance(value, (dict, list)):
                continue
            merged[name] = value if isinstance(value, str) else str(value)
        snapshot = dict(merged)
        for queue in self._quote_queues[key]:
            _put(queue, snapshot)

    def _publish(self, status: ConnectionStatus, message: str) -> None:
        if self.on_state is not None and not self._closed:
            try:
                self.on_state(ConnectionState(status=status, message=message))
            except Exception:  # noqa: BLE001
                log.exception("on_state callback failed")

    async def _resubscribe_loop(self) -> None:
        """Re-send every smd before IBKR's 15-minute expiry."""
        while True:
            await asyncio.sleep(self.resubscribe_every)
            if self._ws.ready:
                for key in list(self._quote_queues):
                    await self._ws.send(_smd(key))


def _smd(conid: str) -> str:
    return f"smd+{conid}+" + json.dumps({"fields": list(QUOTE_FIELDS)}, separators=(",", ":"))
