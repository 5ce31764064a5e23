"""The fake Connect Trade API: one aiohttp HTTP server on loopback (REST + mdstream).

:class:`FakeConnectTrade` serves ``http://127.0.0.1:<port>`` (the REST paths of the
cookbook at the root, as on ``https://api.connecttrade.com``) and the market-data
stream at ``ws://127.0.0.1:<port>/mdstream`` (``wss://mdstream.connecttrade.com``),
backed by a :class:`~desktop.brokers.paper.PaperBroker` (see :mod:`.book`).

Gate order for every REST request (middleware): record it in ``ct.requests``; the
four headers ``client-id``, ``client-secret``, ``user-id``, ``user-secret`` (POST
/users needs the first two only): a missing or wrong one is ``401 {"message": ...}``
naming it; rate limits when ``ct.pacing`` (60 requests a minute per user, 30 a minute
for POST/DELETE of orders: ``429 {"message": ...}``); armed faults (``ct.fail_next``);
then the handler. Plain HTTP is fine on loopback (the adapter's REST pipeline allows
http only there).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from desktop.brokers.paper import PaperBroker

from .book import ACCOUNTS, CREDENTIALS, LinkedAccount

log = logging.getLogger(__name__)

CT_KEY: web.AppKey["FakeConnectTrade"] = web.AppKey("ct")
JSON_KEY: web.RequestKey[Any] = web.RequestKey("json", object)
USER_KEY: web.RequestKey[str] = web.RequestKey("user", str)
PLATFORM_HEADERS = ("client-id", "client-secret")
USER_HEADERS = ("user-id", "user-secret")
USER_LIMIT, TRADE_LIMIT = 60, 30
"""Requests per minute per user, and order submissions/cancels per minute (NOTES.md section 2)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: ``method``, ``path``, ``query``, ``json`` body (None
    when absent) and the names of the headers it carried (lower case)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: frozenset[str]


@dataclass
class Fault:
    """An armed fault: the next request ``method`` to a path starting with ``path``
    gets ``status`` (or the connection dropped, ``drop``), ``after`` the handler ran
    (the order was placed) or before."""

    method: str
    path: str
    status: int = 500
    after: bool = True
    drop: bool = False


@dataclass
class Token:
    """An mdstream access token: ``value``, its ``connection_id``, ``expires``
    (monotonic seconds), ``revoked`` by :meth:`FakeConnectTrade.expire_tokens`."""

    value: str
    connection_id: str
    expires: float
    revoked: bool = False

    @property
    def valid(self) -> bool:
        return not self.revoked and time.monotonic() < self.expires


@dataclass
class Linking:
    """A pending POST /connections request (the browser link not visited yet)."""

    connection_type: str
    broker: str
    redirect_url: str
    expires_at: str


class FakeConnectTrade:
    """An emulated Connect Trade API on loopback. See the module docstring.

    Test handles: ``paper`` (the market and the trading account), ``requests`` (every
    REST request), ``pacing`` (enforce the rate limits; default True), ``token_ttl``
    (seconds a market-data token lives), ``streams`` (open mdstream sessions),
    ``injected`` (rows added to answers: ``inject``), ``users`` (user-id -> secret).
    """

    def __init__(self, paper: PaperBroker, *, host: str = "127.0.0.1", port: int = 0, pacing: bool = True,
                 token_ttl: float = 900.0) -> None:
        self.paper = paper
        self.host, self.port = host, port
        self.pacing = pacing
        self.token_ttl = token_ttl
        self.requests: list[RecordedRequest] = []
        self.users: dict[str, str] = {CREDENTIALS["user-id"]: CREDENTIALS["user-secret"]}
        self.accounts: list[LinkedAccount] = list(ACCOUNTS)
        self.linking: dict[str, Linking] = {}
        self.tokens: dict[str, Token] = {}
        self.streams: set[Any] = set()  # mdstream.StreamSession
        self.stream_messages: list[dict] = []  # every mdstream message received
        self.faults: list[Fault] = []
        self.injected: dict[str, list[Any]] = {}
        self.placements = 0  # orders placed (POST /orders that reached the market)
        self.client_ids: dict[str, str] = {}  # cl_order_id -> paper order id
        self._calls: dict[str, deque[float]] = {}
        self._runner: web.AppRunner | None = None

    # -- addresses ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """REST base, e.g. "http://127.0.0.1:5002"."""
        return f"http://{self.host}:{self.port}"

    @property
    def mdstream_url(self) -> str:
        return f"ws://{self.host}:{self.port}/mdstream"

    @property
    def connection_id(self) -> str:
        """The trading (Alpaca) connection's id: the one market-data tokens are for."""
        return ACCOUNTS[0].connection_id

    def banner(self) -> list[str]:
        """The lines the standalone fake prints: URLs, then the test credentials."""
        return [f"REST base URL: {self.base_url}", f"mdstream URL: {self.mdstream_url}",
                *(f"{name}: {value}" for name, value in CREDENTIALS.items()),
                f"connection id: {self.connection_id}"]

    def account(self, account_id: str) -> LinkedAccount | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    # -- life cycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Connect the paper broker and start listening."""
        from . import mdstream, routes

        await self.paper.connect()
        app = web.Application(middlewares=[self._middleware])
        app[CT_KEY] = self
        routes.setup(app)
        mdstream.setup(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        await self.drop_streams()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.paper.close()

    # -- test controls ---------------------------------------------------------------
    async def drop_streams(self) -> None:
        """Abort every mdstream connection (no close frame): a network drop."""
        for session in list(self.streams):
            session.abort()

    async def expire_tokens(self) -> None:
        """Every market-data token issued so far expires now; each open mdstream session
        gets ``{"type": "error", "code": "token_expired", "message": ...}`` and is
        closed (code 4001). A new token (GET /connections/{id}/token) works."""
        for token in self.tokens.values():
            token.revoked = True
        for session in list(self.streams):
            await session.expire()

    def fail_next(self, method: str, path: str, status: int = 500, *, after: bool = True, drop: bool = False) -> None:
        """Arm a fault for the next ``method`` request to a path starting with ``path``."""
        self.faults.append(Fault(method.upper(), path, status, after, drop))

    def inject(self, kind: str, *rows: Any) -> None:
        """Add ``rows`` as they are to every later answer of ``kind`` ("orders",
        "positions", "balances", "bars": mdstream bar messages before the real ones)."""
        self.injected.setdefault(kind, []).extend(rows)

    def issue_token(self, connection_id: str) -> Token:
        token = Token("mdt_" + secrets.token_urlsafe(24), connection_id, time.monotonic() + self.token_ttl)
        self.tokens[token.value] = token
        return token

    def order_posts(self) -> int:
        return sum(1 for r in self.requests if r.method == "POST" and r.path == "/orders")

    # -- middleware ---------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        if request.path == "/mdstream" or request.path.startswith("/connect/"):
            return await handler(request)
        body = None
        if request.can_read_body:
            try:
                body = json.loads(await request.text())
            except ValueError:
                body = None
        self.requests.append(RecordedRequest(request.method, request.path, dict(request.query), body,
                                             frozenset(h.lower() for h in request.headers)))
        request[JSON_KEY] = body
        refused = self._check_headers(request)
        if refused is not None:
            return refused
        if self.pacing and (limited := self._rate_limited(request)) is not None:
            return limited
        fault = self._take_fault(request, after=False)
        if fault is not None:
            return self._apply(request, fault)
        placed = self.placements
        try:
            response = await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:  # a fake bug shows as a 500 with the reason, not a hang
            log.exception("fake Connect Trade handler failed for %s %s", request.method, request.path)
            return web.json_response({"message": f"fake Connect Trade error: {exc!r}"}, status=500)
        fault = self._take_fault(request, after=True)
        if fault is not None and (request.method != "POST" or self.placements != placed or request.path != "/orders"):
            return self._apply(request, fault)
        return response

    def _check_headers(self, request: web.Request) -> web.Response | None:
        needed = PLATFORM_HEADERS if (request.method, request.path) == ("POST", "/users") else (
            PLATFORM_HEADERS + USER_HEADERS)
        for name in needed:
            value = request.headers.get(name)
            if not value:
                return web.json_response({"message": f"Missing required header: {name}"}, status=401)
        for name in PLATFORM_HEADERS:
            if request.headers[name] != CREDENTIALS[name]:
                return web.json_response({"message": f"Invalid {name}"}, status=401)
        if len(needed) > 2:
            user = request.headers["user-id"]
            if user not in self.users:
                return web.json_response({"message": "Invalid user-id: no such user"}, status=401)
            if self.users[user] != request.headers["user-secret"]:
                return web.json_response({"message": "Invalid user-secret"}, status=401)
            request[USER_KEY] = user
        return None

    def _rate_limited(self, request: web.Request) -> web.Response | None:
        now = time.monotonic()
        user = request.get(USER_KEY, request.headers.get("client-id", ""))
        trading = request.method in ("POST", "DELETE") and "/orders" in request.path
        for key, limit in ((user, USER_LIMIT), *(((user + "/trade", TRADE_LIMIT),) if trading else ())):
            calls = self._calls.setdefault(key, deque())
            while calls and now - calls[0] >= 60:
                calls.popleft()
            if len(calls) >= limit:
                wait = 60 - (now - calls[0])
                what = "trading requests" if key.endswith("/trade") else "requests"
                return web.json_response({"message": f"Rate limit exceeded: at most {limit} {what} per minute"},
                                         status=429, headers={"Retry-After": str(max(1, round(wait)))})
        for key in (user, *((user + "/trade",) if trading else ())):
            self._calls[key].append(now)
        return None

    def _take_fault(self, request: web.Request, *, after: bool) -> Fault | None:
        for fault in self.faults:
            if fault.after == after and fault.method == request.method and request.path.startswith(fault.path):
                self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _apply(request: web.Request, fault: Fault) -> web.Response:
        if fault.drop:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        return web.json_response({"message": f"Internal error ({fault.status})"}, status=fault.status)


@asynccontextmanager
async def running_connecttrade(workdir: Path | str, *, autostart: bool = False, port: int = 0, pacing: bool = True,
                               token_ttl: float = 900.0, paper: PaperBroker | None = None):
    """Run a :class:`FakeConnectTrade` for the duration of the ``async with`` block.

    ``workdir``: where the paper store lives. ``autostart``: run the paper replay
    loop (tests keep False and call ``ct.paper.advance_minutes``). ``pacing``: enforce
    the rate limits. ``token_ttl``: seconds a market-data token lives.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    paper = paper or PaperBroker(workdir / "fake-connecttrade-paper.sqlite", autostart=autostart)
    ct = FakeConnectTrade(paper, port=port, pacing=pacing, token_ttl=token_ttl)
    await ct.start()
    try:
        yield ct
    finally:
        await ct.stop()
        await asyncio.sleep(0)
