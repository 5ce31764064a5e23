"""ReconnectingWebSocket against a small local websockets server."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.server import serve

from desktop.brokers.transport import Backoff, ReconnectingWebSocket


class Server:
    """Sends a non-JSON frame, then the ready frame; records what clients send."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.headers: list[str | None] = []
        self.connections: list = []
        self.message = asyncio.Condition()

    async def handler(self, conn) -> None:
        self.connections.append(conn)
        self.headers.append(conn.request.headers.get("X-Token"))
        await conn.send("not json")
        await conn.send(json.dumps({"topic": "act", "n": len(self.connections)}))
        await conn.send(json.dumps({"topic": "system", "success": "user"}))
        async for message in conn:
            async with self.message:
                self.received.append(message)
                self.message.notify_all()

    async def wait_for(self, predicate) -> None:
        async with self.message:
            await asyncio.wait_for(self.message.wait_for(lambda: predicate(self.received)), 5)


def test_ready_queue_heartbeat_reconnect_and_close(arun):
    server = Server()
    tokens = iter(["t1", "t2", "t3", "t4"])
    ready_calls: list[int] = []
    frames: list[dict] = []

    async def main() -> None:
        async with serve(server.handler, "127.0.0.1", 0) as srv:
            port = srv.sockets[0].getsockname()[1]

            async def on_ready() -> None:
                ready_calls.append(len(server.connections))
                await ws.send("subscribe")

            ws = ReconnectingWebSocket(
                f"ws://127.0.0.1:{port}/ws",
                None,
                lambda: {"X-Token": next(tokens)},
                ready=lambda f: f.get("topic") == "system" and "success" in f,
                on_ready=on_ready,
                heartbeat=("tic", 0.05),
                backoff=Backoff(initial=0.01, maximum=0.05),
            )
            consumer_frames = ws.frames()
            await ws.send("queued-before-ready")
            await ws.start()
            first = await asyncio.wait_for(anext(consumer_frames), 5)
            frames.append(first)
            await ws.wait_ready()
            # on_ready re-subscribes first, then the queued message goes out
            await server.wait_for(lambda r: r[:2] == ["subscribe", "queued-before-ready"])
            await server.wait_for(lambda r: "tic" in r)  # heartbeat while ready
            # drop the connection from the server side: the client reconnects, re-subscribes
            await server.connections[0].close()
            await server.wait_for(lambda r: r.count("subscribe") == 2)
            assert ready_calls == [1, 2]
            assert server.headers[:2] == ["t1", "t2"]  # headers_factory called per connect
            await ws.close()
            assert ws.closed and not ws.ready
            # the frames() iterator ends at close
            rest = [f async for f in consumer_frames]
            frames.extend(rest)

    arun(main())
    assert frames[0] == {"topic": "act", "n": 1}  # non-JSON frame skipped, not a crash
    assert {"topic": "system", "success": "user"} in frames


def test_connection_not_ready_in_time_is_retried(arun):
    attempts: list[int] = []

    async def silent(conn) -> None:
        attempts.append(1)
        if len(attempts) >= 2:
            await conn.send(json.dumps({"topic": "system", "success": "u"}))
        await conn.wait_closed()

    async def main() -> None:
        async with serve(silent, "127.0.0.1", 0) as srv:
            port = srv.sockets[0].getsockname()[1]
            ws = ReconnectingWebSocket(
                f"ws://127.0.0.1:{port}/ws", None,
                ready=lambda f: f.get("topic") == "system",
                backoff=Backoff(initial=0.01, maximum=0.02), ready_timeout=0.2,
            )
            await ws.start()
            await asyncio.wait_for(ws.wait_ready(), 5)
            await ws.close()

    arun(main())
    assert len(attempts) == 2


def test_silent_connection_is_dropped_and_reconnected(arun):
    """No frame (not even a heartbeat) for idle_timeout -> reconnect; the clock and
    sleep are injected, so the test does not wait for the timeout."""
    ready_calls: list[int] = []
    now = [0.0]

    async def fake_sleep(delay: float) -> None:
        now[0] += delay
        await asyncio.sleep(0)

    async def silent_after_ready(conn) -> None:
        await conn.send(json.dumps({"topic": "system", "success": "u"}))
        await conn.wait_closed()  # then silence: no heartbeat

    async def main() -> None:
        async with serve(silent_after_ready, "127.0.0.1", 0) as srv:
            port = srv.sockets[0].getsockname()[1]

            async def on_ready() -> None:
                ready_calls.append(1)

            ws = ReconnectingWebSocket(
                f"ws://127.0.0.1:{port}/ws", None, ready=lambda f: f.get("topic") == "system",
                on_ready=on_ready, backoff=Backoff(initial=0.01, maximum=0.02),
                idle_timeout=30.0, clock=lambda: now[0], sleep=fake_sleep,
            )
            await ws.start()
            while len(ready_calls) < 2:
                await asyncio.wait_for(ws.wait_ready(), 5)
                await asyncio.sleep(0)
            assert ws.idle_drops >= 1 and ws.connections >= 2
            await ws.close()
            # close() leaves no helper task behind (idle watcher, heartbeat, closers)
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
            assert not [t for t in others if "ws " in t.get_name() or "_idle_watch" in repr(t.get_coro())]

    arun(main())
    assert len(ready_calls) >= 2


def test_session_cookie_never_reaches_the_logs(arun, caplog):
    """The websockets library logs handshake headers at DEBUG; the Cookie carrying the
    IBKR session token must be redacted."""
    import logging

    secret = "sEcReT-session-0123456789"

    async def handler(conn) -> None:
        await conn.send(json.dumps({"topic": "system", "success": "u"}))
        await conn.wait_closed()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as srv:
            port = srv.sockets[0].getsockname()[1]
            ws = ReconnectingWebSocket(
                f"ws://127.0.0.1:{port}/ws", None, lambda: {"Cookie": 'api={"session":"%s"}' % secret},
                ready=lambda f: f.get("topic") == "system")
            await ws.start()
            await asyncio.wait_for(ws.wait_ready(), 5)
            await ws.close()

    with caplog.at_level(logging.DEBUG):
        arun(main())
    # the test's own server (websockets.server) may log what it received; ours may not
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server"))
    assert "> Cookie: <redacted>" in text  # the header line is there, without its value
    assert secret not in text
