"""The kit's websocket additions for authenticate-after-connect streams: the
``on_open`` hook of ReconnectingWebSocket (a fresh credential per connection) and
WsSubscriptions (every subscription sent again after a reconnect, built afresh);
and the ``dynamic_headers`` sign hook."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.server import serve

from desktop.brokers.transport import Backoff, ReconnectingWebSocket, WsSubscriptions, dynamic_headers
from desktop.brokers.transport.rest_request import RestRequest
from desktop.security.redaction import redact


def test_on_open_authenticates_each_connection_and_subscriptions_come_back(arun):
    received: list[list[dict]] = []
    conns = []

    async def handler(conn) -> None:
        conns.append(conn)
        mine: list[dict] = []
        received.append(mine)
        async for raw in conn:
            msg = json.loads(raw)
            mine.append(msg)
            if msg.get("action") == "authenticate":
                await conn.send(json.dumps({"type": "auth_success" if msg["token"] != "bad" else "error"}))

    async def main():
        async with serve(handler, "127.0.0.1", 0) as srv:
            port = srv.sockets[0].getsockname()[1]
            tokens = iter(["t1", "t2", "t3"])

            async def on_open(send) -> None:
                await send(json.dumps({"action": "authenticate", "token": next(tokens)}))

            ws = ReconnectingWebSocket(f"ws://127.0.0.1:{port}", None, ready=lambda f: f.get("type") == "auth_success",
                                       on_open=on_open, backoff=Backoff(initial=0.01, maximum=0.05))
            subs = WsSubscriptions(ws.send)
            ws._on_ready = subs.resubscribe
            await ws.start()
            await subs.add("AAPL", lambda again: {"action": "subscribe", "symbol": "AAPL", "again": again},
                           send_now=ws.ready)
            async with asyncio.timeout(5):
                while len(received) < 1 or len(received[0]) < 2:
                    await asyncio.sleep(0.01)
                await conns[0].close()  # the server drops the stream
                while len(received) < 2 or len(received[1]) < 2:
                    await asyncio.sleep(0.01)
            await subs.remove("AAPL", {"action": "unsubscribe", "symbol": "AAPL"})
            async with asyncio.timeout(5):
                while len(received[1]) < 3:
                    await asyncio.sleep(0.01)
            await ws.close()
            return subs.resubscribed

    rounds = arun(main(), timeout=15)
    first, second = received[0], received[1]
    assert first[0] == {"action": "authenticate", "token": "t1"}
    assert first[1] == {"action": "subscribe", "symbol": "AAPL", "again": True}  # sent once, when ready
    assert second[0] == {"action": "authenticate", "token": "t2"}  # a fresh credential
    assert second[1]["action"] == "subscribe" and second[1]["again"] is True
    assert second[2] == {"action": "unsubscribe", "symbol": "AAPL"}
    assert rounds == 2 and all(m["action"] != "subscribe" for m in second[2:])


def test_dynamic_headers_read_afresh_and_redacted():
    creds = {"user-secret": "first-secret-value-123"}
    sign = dynamic_headers(lambda: creds)
    first = RestRequest.build("GET", "/x")
    sign(first)
    creds["user-secret"] = "second-secret-value-456"
    creds["empty"] = ""
    second = RestRequest.build("GET", "/x")
    sign(second)
    assert first.headers["user-secret"] == "first-secret-value-123"
    assert second.headers["user-secret"] == "second-secret-value-456" and "empty" not in second.headers
    assert "second-secret-value-456" not in redact("sent second-secret-value-456")
