"""A scripted HTTP/1.1 server on a real loopback socket (plain or TLS), used by the REST
pipeline's tests (tests/unit/test_transport_rest*.py, tests/ibkr/test_ibkr_client*.py),
and its own tests.

``ScriptedServer`` records every request it reads (``requests``) and answers each
(method, path) from a script: ``on("POST", "/orders", Reply(500), Reply(200, [...]))``
answers in turn and repeats the last; unscripted paths get 404. Actions: ``Reply``
(status, JSON or text body, headers), ``Drop`` (close the connection without an
answer), ``Stall`` (never answer; released at stop()). A callable action gets the
request and returns an action.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx


@dataclass(frozen=True)
class Seen:
    """A request as the server read it: ``target`` is path + "?" + query as sent."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # JSON value; a str is sent as text
    headers: dict[str, str] = field(default_factory=dict)


class Drop:
    """Close the connection after reading the request, without answering."""


class Stall:
    """Never answer (the client times out); released when the server stops."""


Action = Reply | Drop | Stall | Callable[[Seen], Any]


class ScriptedServer:
    """See the module docstring. ``ssl_context``: a server context (TLS) or None."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.requests: list[Seen] = []
        self._script: dict[tuple[str, str], list[Action]] = {}
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._released = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    def on(self, method: str, path: str, *actions: Action) -> "ScriptedServer":
        self._script[(method.upper(), path)] = list(actions)
        return self

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    async def start(self, port: int = 0) -> "ScriptedServer":
        self._released = asyncio.Event()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port or self.port,
                                                  ssl=self.ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and close every connection (also pooled keep-alive ones)."""
        self._released.set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> "ScriptedServer":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _action(self, seen: Seen) -> Action:
        actions = self._script.get((seen.method, seen.path))
        if not actions:
            return Reply(404, {"error": f"no script for {seen.method} {seen.path}"})
        action = actions.pop(0) if len(actions) > 1 else actions[0]
        return action(seen) if callable(action) else action

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                seen = await self._read(reader)
                if seen is None:
                    return
                self.requests.append(seen)
                action = self._action(seen)
                if isinstance(action, Drop):
                    return
                if isinstance(action, Stall):
                    await self._released.wait()
                    return
                writer.write(_encode(action))
                await writer.drain()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Seen | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Seen(method, target, headers, body)


def _encode(reply: Reply) -> bytes:
    if isinstance(reply.body, str):
        body, kind = reply.body.encode(), "text/plain"
    elif reply.body is None:
        body, kind = b"", "application/json"
    else:
        body, kind = json.dumps(reply.body).encode(), "application/json"
    head = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}", f"Content-Length: {len(body)}",
            f"Content-Type: {kind}", *(f"{k}: {v}" for k, v in reply.headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the helper's own tests ------------------------------------------------------------

def test_script_answers_in_turn_and_records(arun):
    async def main():
        async with ScriptedServer() as server:
            server.on("GET", "/a", Reply(503), Reply(200, {"ok": True}, {"X-Test": "1"}))
            async with httpx.AsyncClient() as http:
                first = await http.get(server.base_url + "/a?x=1")
                second = await http.get(server.base_url + "/a")
                third = await http.post(server.base_url + "/b", content=b"{}")
            return server, [first, second, third]

    server, answers = arun(main())
    assert [a.status_code for a in answers] == [503, 200, 404]
    assert answers[1].json() == {"ok": True} and answers[1].headers["x-test"] == "1"
    assert [(r.method, r.target) for r in server.requests] == [("GET", "/a?x=1"), ("GET", "/a"), ("POST", "/b")]
    assert server.requests[0].params == {"x": "1"} and server.requests[2].body == b"{}"


def test_drop_closes_without_an_answer(arun):
    async def main():
        async with ScriptedServer() as server:
            server.on("GET", "/gone", Drop())
            async with httpx.AsyncClient() as http:
                try:
                    await http.get(server.base_url + "/gone")
                except httpx.TransportError as exc:
                    return exc, server.count("GET", "/gone")
        raise AssertionError("the dropped request got an answer")

    error, count = arun(main())
    assert isinstance(error, httpx.RemoteProtocolError) and count == 1
