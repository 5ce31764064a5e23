"""IbkrStream: against a small scripted websocket server (exact protocol checks) and
against the fake gateway (tests.fakes.ibkr) for the end-to-end reconnect."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.server import serve

from desktop.brokers.ibkr.stream import QUOTE_FIELDS, IbkrStream
from desktop.brokers.transport import Backoff
from desktop.domain import ConnectionStatus


class ScriptedGateway:
    """A minimal IBKR websocket: checks the api cookie, waits for ``gate`` before the
    system frame (dropping anything received earlier, like the real gateway), records
    every message after it."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.cookies: list[str | None] = []
        self.received: list[str] = []
        self.dropped: list[str] = []
        self.conns: list = []
        self.changed = asyncio.Condition()

    async def handler(self, conn) -> None:
        self.cookies.append(conn.request.headers.get("Cookie"))
        self.conns.append(conn)
        ready = False

        async def gate_then_system() -> None:
            nonlocal ready
            await self.gate.wait()
            ready = True
            await conn.send(json.dumps({"topic": "system", "success": "fakeuser", "isFT": False}))
            await conn.send(json.dumps({"topic": "sts", "args": {"authenticated": True}}))

        task = asyncio.create_task(gate_then_system())
        try:
            async for message in conn:
                async with self.changed:
                    (self.received if ready else self.dropped).append(message)
                    self.changed.notify_all()
        finally:
            task.cancel()

    async def wait_for(self, predicate) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: predicate(self.received)), 5)

    async def push(self, frame: dict) -> None:
        await self.conns[-1].send(json.dumps(frame))


def _stream(port: int, states: list, **kwargs) -> IbkrStream:
    return IbkrStream(
        f"ws://127.0.0.1:{port}/v1/api/ws", None, lambda: "tok123",
        on_state=states.append, backoff=Backoff(initial=0.01, maximum=0.05), **kwargs,
    )


def _smd(conid: str) -> str:
    return f"smd+{conid}+" + json.dumps({"fields": list(QUOTE_FIELDS)}, separators=(",", ":"))


def test_subscribes_after_system_frame_and_merges_quotes(arun):
    gw = ScriptedGateway()
    gw.gate.clear()
    states: list = []

    async def main() -> list[dict]:
        async with serve(gw.handler, "127.0.0.1", 0) as srv:
            stream = _stream(srv.sockets[0].getsockname()[1], states)
            quotes = stream.quotes(265598)
            first = asyncio.ensure_future(anext(quotes))
            while not gw.conns:  # connected, but no system frame yet
                await asyncio.sleep(0)
            assert not stream.ready
            gw.gate.set()
            await gw.wait_for(lambda r: _smd("265598") in r)
            assert gw.dropped == []  # nothing was sent before the system frame
            await gw.push({"topic": "smd+265598", "conid": 265598, "31": "C168.42", "84": "168.41", "_updated": 1})
            await gw.push({"topic": "smd+265598", "conid": 265598, "84": "168.40", "88": "1,300"})
            got = [await asyncio.wait_for(first, 5), await asyncio.wait_for(anext(quotes), 5)]
            await stream.close()
            assert [q async for q in quotes] == []  # the iterator ended at close
            return got

    got = arun(main())
    assert gw.cookies == ['api={"session":"tok123"}']
    assert got[0]["31"] == "C168.42" and got[0]["84"] == "168.41" and got[0]["conid"] == "265598"
    assert got[1]["31"] == "C168.42" and got[1]["84"] == "168.40" and got[1]["88"] == "1,300"
    assert "topic" not in got[1]


def test_umd_when_last_consumer_leaves_and_orders_pnl(arun):
    gw = ScriptedGateway()

    async def main() -> tuple[list, dict]:
        async with serve(gw.handler, "127.0.0.1", 0) as srv:
            stream = _stream(srv.sockets[0].getsockname()[1], [])
            await stream.start()
            await stream.wait_ready()
            a, b = stream.quotes("8314"), stream.quotes("8314")
            ta, tb = asyncio.ensure_future(anext(a)), asyncio.ensure_future(anext(b))
            await gw.wait_for(lambda r: _smd("8314") in r)
            await gw.push({"topic": "smd+8314", "conid": 8314, "31": "150.00"})
            await asyncio.wait_for(asyncio.gather(ta, tb), 5)
            assert gw.received.count(_smd("8314")) == 1  # one subscription for two consumers
            await a.aclose()
            assert "umd+8314+{}" not in gw.received
            await b.aclose()
            await gw.wait_for(lambda r: "umd+8314+{}" in r)

            orders, pnl = stream.orders(), stream.pnl()
            to, tp = asyncio.ensure_future(anext(orders)), asyncio.ensure_future(anext(pnl))
            await gw.wait_for(lambda r: "sor+{}" in r and "spl+{}" in r)
            await gw.push({"topic": "sor", "args": [{"orderId": 1, "status": "Submitted"}, "junk"]})
            await gw.push({"topic": "spl", "args": {"DU100001.Core": {"dpl": 1.5, "nl": 1000.0}}})
            rows, pl = await asyncio.wait_for(to, 5), await asyncio.wait_for(tp, 5)
            await stream.close()
            return rows, pl

    rows, pl = arun(main())
    assert rows == [{"orderId": 1, "status": "Submitted"}]
    assert pl == {"DU100001.Core": {"dpl": 1.5, "nl": 1000.0}}


def test_resubscribe_timer_and_heartbeat(arun):
    gw = ScriptedGateway()

    async def main() -> None:
        async with serve(gw.handler, "127.0.0.1", 0) as srv:
            stream = _stream(srv.sockets[0].getsockname()[1], [], resubscribe_every=0.05, heartbeat_every=0.05)
            quotes = stream.quotes(272093)
            pending = asyncio.ensure_future(anext(quotes))
            await gw.wait_for(lambda r: r.count(_smd("272093")) >= 3)  # refreshed before expiry
            await gw.wait_for(lambda r: "tic" in r)
            pending.cancel()
            await stream.close()

    arun(main())
    assert len(gw.conns) == 1  # refreshes go over the same connection


def test_sts_unauthenticated_reconnects_and_resubscribes(arun):
    gw = ScriptedGateway()
    states: list = []

    async def main() -> dict:
        async with serve(gw.handler, "127.0.0.1", 0) as srv:
            stream = _stream(srv.sockets[0].getsockname()[1], states)
            quotes = stream.quotes(265598)
            pending = asyncio.ensure_future(anext(quotes))
            await gw.wait_for(lambda r: r.count(_smd("265598")) == 1)
            await gw.push({"topic": "sts", "args": {"authenticated": False}})
            await gw.wait_for(lambda r: r.count(_smd("265598")) == 2)  # after the reconnect
            assert len(gw.conns) == 2
            await gw.push({"topic": "smd+265598", "conid": 265598, "31": "170.00"})
            quote = await asyncio.wait_for(pending, 5)
            await stream.close()
            return quote

    quote = arun(main())
    assert quote["31"] == "170.00"
    kinds = [s.status for s in states]
    assert kinds[:1] == [ConnectionStatus.RECONNECTING]
    assert ConnectionStatus.CONNECTED in kinds


def test_bad_frames_are_skipped(arun, caplog):
    gw = ScriptedGateway()

    async def main() -> dict:
        async with serve(gw.handler, "127.0.0.1", 0) as srv:
            stream = _stream(srv.sockets[0].getsockname()[1], [])
            quotes = stream.quotes(1)
            pending = asyncio.ensure_future(anext(quotes))
            await gw.wait_for(lambda r: _smd("1") in r)
            await gw.conns[-1].send("{broken")
            await gw.push({"topic": "sor", "args": "nonsense"})
            await gw.push({"topic": "smd+1", "conid": 1, "31": "2"})
            quote = await asyncio.wait_for(pending, 5)
            await stream.close()
            return quote

    assert arun(main())["31"] == "2"
    assert "not JSON" in caplog.text and "sor frame" in caplog.text


# -- against the fake gateway (real WSS with the pinned certificate) -------------------

from desktop.brokers.ibkr.client import IbkrClient  # noqa: E402
from desktop.brokers.ibkr.session import IbkrSession  # noqa: E402
from tests.fakes.ibkr import running_gateway  # noqa: E402


async def _connected(gw, states: list, **kwargs) -> tuple[IbkrSession, IbkrStream]:
    client = IbkrClient(gw.base_url, pinned_sha256=gw.fingerprint, timeout=5)
    await client.open()
    session = IbkrSession(client, login_url=gw.login_url)
    await session.start()
    stream = IbkrStream(gw.ws_url, client.ssl_context, lambda: session.session_token, on_state=states.append,
                        backoff=Backoff(initial=0.01, maximum=0.05), **kwargs)
    return session, stream


async def _until_connected(stream: IbkrStream) -> None:
    while stream.websocket.connections == 0:
        await asyncio.sleep(0)


async def _shutdown(session: IbkrSession, stream: IbkrStream) -> None:
    await stream.close()
    await session.close()
    await session.client.close()


def _smd_sent(gw, conid: str) -> list[bool]:
    return [handled for text, handled in gw.ws_received if text.startswith(f"smd+{conid}+")]


def test_fake_gateway_waits_for_system_frame(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            gw.state.ws_system_gate = asyncio.Event()
            session, stream = await _connected(gw, [])
            quotes = stream.quotes(265598)
            pending = asyncio.ensure_future(anext(quotes))
            await asyncio.wait_for(_until_connected(stream), 5)
            assert not stream.ready and not pending.done()
            gw.state.ws_system_gate.set()
            quote = await asyncio.wait_for(pending, 5)
            assert quote["55"] == "AAPL" and quote["31"]
            assert _smd_sent(gw, "265598") == [True]  # sent once, after the system frame
            await _shutdown(session, stream)

    arun(main())


def test_fake_gateway_reconnects_and_resubscribes_after_drop(arun, tmp_path):
    states: list = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            session, stream = await _connected(gw, states)
            quotes = stream.quotes(272093)
            first = await asyncio.wait_for(anext(quotes), 5)
            assert first["55"] == "MSFT"
            await gw.drop_websockets()
            # the fake streams every field again for the new subscription
            while stream.websocket.connections < 2 or len(_smd_sent(gw, "272093")) < 2:
                await asyncio.wait_for(anext(quotes), 5)
            gw.paper.advance_minutes(5)
            resumed = await asyncio.wait_for(anext(quotes), 5)
            assert resumed["55"] == "MSFT"
            assert _smd_sent(gw, "272093") == [True, True]
            await _shutdown(session, stream)

    arun(main())
    assert [s.status for s in states] == [ConnectionStatus.RECONNECTING, ConnectionStatus.CONNECTED]


def test_fake_gateway_resubscribe_timer(arun, tmp_path):
    async def main():
        async with running_gateway(tmp_path) as gw:
            session, stream = await _connected(gw, [], resubscribe_every=0.1)
            quotes = stream.quotes(8314)
            await asyncio.wait_for(anext(quotes), 5)
            await gw.wait_ws(lambda: len(_smd_sent(gw, "8314")) >= 3)  # re-sent by the timer
            assert all(_smd_sent(gw, "8314"))
            assert stream.websocket.connections == 1
            await _shutdown(session, stream)

    arun(main(), timeout=10)


def test_fake_gateway_daily_reset_sts_reconnects(arun, tmp_path):
    states: list = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            session, stream = await _connected(gw, states)
            quotes = stream.quotes(208813720)
            await asyncio.wait_for(anext(quotes), 5)
            gw.daily_reset()
            await session.client.get("/iserver/accounts")  # what the adapter's re-prime does
            while len(_smd_sent(gw, "208813720")) < 2:
                await asyncio.wait_for(anext(quotes), 5)
            await _shutdown(session, stream)

    arun(main())
    assert states[0].status is ConnectionStatus.RECONNECTING
    assert ConnectionStatus.CONNECTED in [s.status for s in states]


def test_fake_gateway_silence_reconnects_heartbeats_keep_alive(arun, tmp_path):
    """No frame for idle_timeout (three missed heartbeats) -> reconnect and re-subscribe
    (after the system frame); while the gateway's hb frames arrive, the connection stays."""
    states: list = []

    async def main():
        async with running_gateway(tmp_path) as gw:
            gw.state.ws_heartbeat = 0.03
            session, stream = await _connected(gw, states, idle_timeout=0.3)
            frames = stream.websocket.frames()
            quotes = stream.quotes(265598)
            await asyncio.wait_for(anext(quotes), 5)
            beats = 0
            while beats < 15:  # ~0.45 s of heartbeats, longer than idle_timeout
                frame = await asyncio.wait_for(anext(frames), 5)
                beats += frame.get("topic") == "system" and "hb" in frame
            assert stream.websocket.connections == 1 and stream.websocket.idle_drops == 0
            gw.state.ws_heartbeat = 3600  # the gateway goes silent (new connections too)
            for conn in list(gw.websockets):
                conn._stop("hb")
            while len(_smd_sent(gw, "265598")) < 2:
                await asyncio.wait_for(anext(quotes), 5)
            assert stream.websocket.idle_drops >= 1 and stream.websocket.connections >= 2
            assert all(_smd_sent(gw, "265598"))  # re-subscribed only after the system frame
            await frames.aclose()
            await _shutdown(session, stream)

    arun(main())
    assert [s.status for s in states][:2] == [ConnectionStatus.RECONNECTING, ConnectionStatus.CONNECTED]


def test_close_right_after_sts_leaves_no_task_behind(arun):
    """close() cancels the reconnect task an ``sts`` frame started: closing a half-open
    connection can hang for websockets' close_timeout (10 s), so the task must not
    outlive the stream (here it hangs forever)."""
    gw = ScriptedGateway()

    async def main() -> list:
        async with serve(gw.handler, "127.0.0.1", 0) as srv:
            stream = _stream(srv.sockets[0].getsockname()[1], [])
            await stream.start()
            await asyncio.wait_for(stream.wait_ready(), 5)
            stream._ws.reconnect = asyncio.Event().wait  # a close that never completes
            before = set(asyncio.all_tasks())
            stream._on_frame({"topic": "sts", "args": {"authenticated": False}})
            spawned = set(asyncio.all_tasks()) - before
            assert spawned  # the reconnect task
            await stream.close()
            return [t for t in spawned if not t.done()]

    assert arun(main()) == []
