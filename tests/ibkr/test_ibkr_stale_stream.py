"""A websocket left open but silent is detected a few seconds past its heartbeat
interval (not 30 s), the connection is shown RECONNECTING meanwhile (the desk greys a
connection in that state: ``desktop.desk.session.STALE_SESSIONS``), the stream is
re-opened and CONNECTED follows once data flows again.

NOTES.md section 6: the gateway sends ``{"topic":"system","hb":...}`` about every
10 s; the adapter's allowed silence defaults to one heartbeat + 3 s (13 s). The
tests scale both down (heartbeat 0.1 s): first against a loopback websocket server
this test controls (it stops sending but keeps the connection open), then the whole
broker against the gateway emulator's ``silence_websockets()``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from decimal import Decimal

import pytest
from websockets.asyncio.server import serve

from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.ibkr.stream import ALLOWED_SILENCE, HEARTBEAT_GRACE, SERVER_HEARTBEAT, IbkrStream
from desktop.brokers.transport import Backoff, Pacer
from desktop.desk.session import STALE_SESSIONS
from desktop.domain import ConnectionStatus

fakes = pytest.importorskip("tests.fakes.ibkr")

HEARTBEAT = 0.1
SILENCE = HEARTBEAT + 0.15  # the scaled "heartbeat + a few seconds"


def test_the_allowed_silence_is_a_few_seconds_past_the_heartbeat_not_30_s():
    assert SERVER_HEARTBEAT == 10.0 and 0 < HEARTBEAT_GRACE <= 5
    assert ALLOWED_SILENCE == SERVER_HEARTBEAT + HEARTBEAT_GRACE < 30
    stream_default = inspect.signature(IbkrStream).parameters["idle_timeout"].default
    broker_default = inspect.signature(IbkrBroker).parameters["allowed_silence"].default
    assert stream_default == broker_default == ALLOWED_SILENCE
    assert ConnectionStatus.RECONNECTING in STALE_SESSIONS  # what the stream publishes while silent


class SilentGateway:
    """Loopback websocket: ``system``, heartbeats every HEARTBEAT s and a quote on
    ``smd+265598``; the first connection stops sending after ``beats`` heartbeats
    (staying open), later ones keep beating."""

    def __init__(self, beats: int) -> None:
        self.beats = beats
        self.connections = 0
        self.last_sent = 0.0  # monotonic time of the first connection's last frame
        self.silent = asyncio.Event()

    async def handler(self, conn) -> None:
        self.connections += 1
        first = self.connections == 1

        async def send(frame: dict) -> None:
            await conn.send(json.dumps(frame))
            if first:
                self.last_sent = time.monotonic()

        async def beat() -> None:
            for n in range(self.beats if first else 10**6):
                await asyncio.sleep(HEARTBEAT)
                await send({"topic": "system", "hb": n})
            self.silent.set()
            await asyncio.Event().wait()  # open, silent

        await send({"topic": "system", "success": "fakeuser"})
        beats = asyncio.ensure_future(beat())
        try:
            async for message in conn:
                if isinstance(message, str) and message.startswith("smd+265598") and not (first and self.silent.is_set()):
                    await send({"topic": "smd+265598", "31": f"{100 + self.connections}.5"})
        finally:
            beats.cancel()


def test_a_silent_websocket_is_detected_within_its_heartbeat_window_and_reopened(arun):
    gateway = SilentGateway(beats=5)
    states: list[tuple[float, ConnectionStatus, str]] = []

    async def scenario():
        async with serve(gateway.handler, "127.0.0.1", 0) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/api/ws"
            stream = IbkrStream(url, None, lambda: "tok", idle_timeout=SILENCE,
                                backoff=Backoff(initial=0.01, maximum=0.05),
                                on_state=lambda s: states.append((time.monotonic(), s.status, s.message)))
            quotes = stream.quotes(265598)
            try:
                first = await asyncio.wait_for(anext(quotes), 5)
                assert first["31"] == "101.5"
                again = await asyncio.wait_for(anext(quotes), 5)  # the re-opened connection's quote
            finally:
                await quotes.aclose()
                await stream.close()
            return first, again, stream.websocket.idle_drops

    first, again, drops = arun(scenario())
    assert again["31"] == "102.5" and drops == 1 and gateway.connections == 2
    (down_at, down, message), (_up_at, up, _m) = states[0], states[1]
    assert (down, up) == (ConnectionStatus.RECONNECTING, ConnectionStatus.CONNECTED)
    assert message.startswith("No data from the IBKR stream for") and message.endswith("; reconnecting")
    detected_after = down_at - gateway.last_sent
    print(f"silent websocket detected {detected_after:.3f} s after its last frame "
          f"(heartbeat {HEARTBEAT} s, allowed silence {SILENCE} s)")
    assert SILENCE - 0.01 <= detected_after <= SILENCE + HEARTBEAT  # within the heartbeat window


def test_the_broker_marks_a_silent_gateway_stale_and_recovers(tmp_path, arun):
    """Against the emulator: ``silence_websockets()`` keeps the websocket open but
    sends nothing; watch_connection says RECONNECTING within the allowed silence,
    CONNECTED once the gateway sends again, and quotes flow again."""
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            gw.state.ws_heartbeat = HEARTBEAT
            broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, poll_interval=0.05, session_poll=0.05,
                                pacer=Pacer(global_rate=1000), allowed_silence=SILENCE)
            await broker.connect()
            states = broker.watch_connection()
            quotes = broker.watch_quotes(["AAPL"])
            try:
                assert (await asyncio.wait_for(anext(states), 5)).status is ConnectionStatus.CONNECTED
                await asyncio.wait_for(anext(quotes), 10)
                silenced = time.monotonic()
                gw.silence_websockets()
                stale = await asyncio.wait_for(anext(states), 5)
                detected = time.monotonic() - silenced
                gw.resume_websockets()
                fresh = await asyncio.wait_for(anext(states), 5)
                quote = await asyncio.wait_for(anext(quotes), 10)
                return stale, detected, fresh, quote
            finally:
                await quotes.aclose()
                await states.aclose()
                await broker.close()

    stale, detected, fresh, quote = arun(scenario(), timeout=60)
    print(f"emulator silenced: RECONNECTING after {detected:.3f} s (allowed silence {SILENCE} s)")
    assert stale.status is ConnectionStatus.RECONNECTING and stale.status in STALE_SESSIONS
    assert detected <= SILENCE + HEARTBEAT + 0.2  # a frame may have been on its way when silenced
    assert fresh.status is ConnectionStatus.CONNECTED and quote.symbol == "AAPL"
