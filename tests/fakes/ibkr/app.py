"""The fake Client Portal Gateway: one aiohttp HTTPS server (REST + websocket).

:class:`FakeGateway` serves ``https://127.0.0.1:<port>/v1/api/...`` and
``wss://127.0.0.1:<port>/v1/api/ws`` from one port with a self-signed certificate,
backed by a :class:`~desktop.brokers.paper.PaperBroker` in advisor mode (master
DF100000, clients DU100001-4, groups Everyone/ByNetLiq/ByEquity/Shares/Growth; see
/tmp/brief/fixtures.md). :func:`running_gateway` is the async context manager tests use.

Gate order for every ``/v1/api`` request (middleware): record it in ``gw.requests``;
armed "before" faults (:mod:`.faults`); pacing (429); no SSO login -> 401; for
``/iserver`` data paths: competing -> 401, no brokerage session -> 400 "Bad Request:
no bridge", not primed -> 400 "Please query /accounts first"; then the handler, then
armed "after" faults (the request took effect, the answer is an error, late or never
sent). No fault is armed unless a test arms one (``gw.faults``).

The paper broker's own 50% price band is lifted on its engines at start: the real
gateway accepts a limit far from the market after the ``o163`` precaution
(:mod:`.order_flow`), it does not refuse it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from desktop.brokers.errors import BrokerError
from desktop.brokers.paper import PaperBroker
from desktop.domain import Account, AllocationGroup

from . import certs
from .faults import Fault, Faults, STATUS_TEXT
from .pacing import Pacer
from .state import INJECTABLE, GatewayState, RecordedRequest

log = logging.getLogger(__name__)

API = "/v1/api"
GW_KEY: web.AppKey["FakeGateway"] = web.AppKey("gw")
NO_PRICE_BAND = Decimal(1000)
"""The paper engines' ``max_deviation`` under the gateway: 100,000% (finite, so the
paper store still accepts the saved setting), i.e. no band."""
JSON_KEY: web.RequestKey[Any] = web.RequestKey("json", object)

_OPEN_ISERVER = re.compile(r"/iserver/(auth/.*|reauthenticate)\Z")
_NEEDS_PRIMING = re.compile(r"/iserver/(account(/.*)?|marketdata/snapshot|reply/.*|questions/.*)\Z")


def error(message: str, status: int = 400) -> web.Response:
    """A gateway error body ``{"error": message, "statusCode": status}``."""
    return web.json_response({"error": message, "statusCode": status}, status=status)


class FakeGateway:
    """An emulated IBKR Client Portal Gateway on loopback. See the module docstring.

    ``paper`` must be connected by :meth:`start` (it is, when created here).
    ``host``/``port``: where to listen (port 0 picks a free one). Test handles:
    ``state`` (switches, :class:`~.state.GatewayState`), ``faults`` (fault injection,
    :class:`~.faults.Faults`), ``requests`` (every request received), ``paper``.
    """

    def __init__(self, workdir: Path, paper: PaperBroker, *, authenticated: bool = True,
                 start_established: bool = True, host: str = "127.0.0.1", port: int = 0) -> None:
        self.workdir = Path(workdir)
        self.paper = paper
        self.state = GatewayState(authenticated=authenticated, established=authenticated and start_established)
        self.requests: list[RecordedRequest] = []
        self.pacer = Pacer(lambda: self.state.clock())
        self.host, self.port = host, port
        self.accounts: list[Account] = []
        self.groups: list[AllocationGroup] = []
        self.websockets: set[Any] = set()  # ws.Connection objects
        self.ws_received: list[tuple[str, bool]] = []  # websocket messages in, (text, handled)
        self.smd_expired = 0  # smd subscriptions ended by state.smd_expiry
        self.faults = Faults()  # armed faults; empty (no fault) unless a test arms one
        self._ws_changed: asyncio.Event | None = None
        self._served = certs.make_certificate()
        self._ssl = None
        self._runner: web.AppRunner | None = None

    # -- addresses ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """REST base, e.g. "https://127.0.0.1:5000/v1/api"."""
        return f"https://{self.host}:{self.port}{API}"

    @property
    def ws_url(self) -> str:
        return f"wss://{self.host}:{self.port}{API}/ws"

    @property
    def login_url(self) -> str:
        return f"https://{self.host}:{self.port}/"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate served now, "AB:CD:..." (upper hex, colons)."""
        return self._served.fingerprint

    @property
    def cert_pem(self) -> bytes:
        """The PEM of the certificate served now (to build a trusting client context)."""
        return self._served.cert_pem

    def client_ssl_context(self):
        """An ``ssl.SSLContext`` trusting exactly the certificate served now."""
        return self._served.client_context()

    # -- accounts ---------------------------------------------------------------
    @property
    def master_id(self) -> str:
        masters = [a.account_id for a in self.accounts if a.is_master]
        return masters[0] if masters else (self.accounts[0].account_id if self.accounts else "")

    @property
    def client_ids(self) -> list[str]:
        return [a.account_id for a in self.accounts if not a.is_master]

    @property
    def group_names(self) -> list[str]:
        return [g.name for g in self.groups]

    def group(self, name: str) -> AllocationGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    def is_account(self, account_id: str) -> bool:
        return any(a.account_id == account_id for a in self.accounts)

    # -- life cycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Connect the paper broker, load accounts and groups, start listening."""
        from . import routes_accounts, routes_marketdata, routes_orders, routes_portfolio, routes_session, ws

        await self.paper.connect()
        self.accounts = await self.paper.fetch_accounts()
        self.groups = list(await self.paper.fetch_allocation_groups())
        self._lift_price_band()
        self.state.selected_account = self.master_id
        app = web.Application(middlewares=[self._middleware])
        app[GW_KEY] = self
        for module in (routes_session, routes_accounts, routes_orders, routes_portfolio, routes_marketdata, ws):
            module.setup(app)
        self._ssl = certs.server_context(self._served, self.workdir)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self._ssl)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close websockets, stop the server and the paper broker."""
        await self.drop_websockets(graceful=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.paper.close()

    def _lift_price_band(self) -> None:
        """Turn off the paper engines' "limit or stop more than 50% from last" refusal:
        IBKR only warns (``o163``) about a limit away from the market. The engines'
        ``max_deviation`` is a public setting of the paper matching engine."""
        for account in self.accounts:
            try:
                engine = self.paper.engine_for(account.account_id)
            except BrokerError:  # the advisor master has no engine
                continue
            engine.max_deviation = NO_PRICE_BAND

    # -- test controls ---------------------------------------------------------------
    def log_in(self) -> None:
        """What the user's browser login does: a new SSO session (new session token).

        The brokerage session is established right away (as the real login page
        does) unless another session competes.
        """
        self.state.authenticated = True
        self.state.new_session()
        self.state.established = not self.state.competing
        self.state.accounts_primed = False

    def daily_reset(self) -> None:
        """The brokerage session is lost (IBKR's nightly reset): /iserver answers
        "no bridge" until ``ssodh/init``, then "Please query /accounts first" until
        ``GET /iserver/accounts``; websockets get ``sts`` authenticated:false and close."""
        self.state.established = False
        self.state.accounts_primed = False
        self.state.replies.clear()
        self.state.snapshot_fields.clear()
        for conn in list(self.websockets):
            conn.reset()

    async def drop_websockets(self, graceful: bool = False) -> None:
        """Close every websocket abruptly (no close frame) or, ``graceful``, with one."""
        for conn in list(self.websockets):
            await conn.drop(graceful)

    def silence_websockets(self, *, pongs: bool = False) -> None:
        """Keep every websocket (and new ones) open but send nothing on them: no quotes,
        no heartbeats, no ``tic`` replies (a stalled gateway). ``pongs``: also stop
        answering websocket-protocol pings. :meth:`resume_websockets` ends it."""
        self.state.ws_silent = True
        self.state.ws_silent_pongs = pongs

    def resume_websockets(self) -> None:
        """Send on the websockets again (frames held back while silent are lost)."""
        self.state.ws_silent = False
        self.state.ws_silent_pongs = False

    async def rotate_certificate(self) -> None:
        """Serve a different self-signed certificate to every new connection."""
        self._served = certs.make_certificate()
        if self._ssl is not None:
            certs.load_into(self._ssl, self._served, self.workdir)

    def inject(self, kind: str, *rows: Any) -> None:
        """Add ``rows`` as they are (e.g. malformed ones) to every later answer of
        ``kind`` (see :data:`~.state.INJECTABLE`) until :meth:`clear_injected`. The
        contract test never injects: injected rows need not follow the schema."""
        if kind not in INJECTABLE:
            raise ValueError(f"cannot inject into {kind!r}; one of {', '.join(INJECTABLE)}")
        self.state.injected.setdefault(kind, []).extend(rows)

    def clear_injected(self) -> None:
        """Stop adding injected rows to answers."""
        self.state.injected.clear()

    def injected(self, kind: str) -> list[Any]:
        """The rows injected into answers of ``kind`` (a copy)."""
        return list(self.state.injected.get(kind, ()))

    def notify_ws(self) -> None:
        """Wake :meth:`wait_ws` waiters (called on every websocket message in)."""
        if self._ws_changed is not None:
            self._ws_changed.set()

    async def wait_ws(self, predicate, timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` is true, re-checked on each websocket message in."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._ws_changed = asyncio.Event()
                await self._ws_changed.wait()

    # -- middleware ---------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        path = request.path
        api_path = path[len(API):] if path.startswith(API) else path
        body = None
        if request.can_read_body:
            try:
                body = json.loads(await request.text())
            except ValueError:
                body = None
        self.requests.append(RecordedRequest(request.method, api_path, dict(request.query), body, self.state.clock()))
        request[JSON_KEY] = body
        if not path.startswith(API) or api_path == "/ws":
            return await handler(request)
        if self.faults.armed and (fault := self.faults.take(request.method, api_path, after=False)) is not None:
            early = await self._apply_fault(request, fault, None)
            if early is not None:
                return early
        placed_before = self.state.placements
        response = await self._gated(request, handler, api_path)
        if self.faults.armed:
            placed = self.state.placements != placed_before
            if (fault := self.faults.take(request.method, api_path, after=True, placed=placed)) is not None:
                return await self._apply_fault(request, fault, response) or response
        return response

    async def _apply_fault(self, request: web.Request, fault: Fault, response: web.StreamResponse | None):
        """The answer ``fault`` gives instead of (or, for a delay, before) ``response``;
        None to carry on (a delay before the handler)."""
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            return response
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never written: the connection is gone
        if isinstance(fault.body, str):
            return web.Response(text=fault.body, status=fault.status, content_type="text/html")
        body = fault.body if fault.body is not None else {
            "error": STATUS_TEXT.get(fault.status, "error"), "statusCode": fault.status}
        return web.json_response(body, status=fault.status)

    async def _gated(self, request: web.Request, handler, api_path: str) -> web.StreamResponse:
        if self.state.pacing and (why := self.pacer.admit(request.method, api_path)) is not None:
            return web.json_response({"error": f"Too Many Requests ({why})", "statusCode": 429}, status=429)
        if not self.state.authenticated:
            return web.json_response({"error": "not authenticated", "statusCode": 401}, status=401)
        if api_path.startswith("/iserver/") and not _OPEN_ISERVER.match(api_path) and api_path != "/iserver/accounts":
            if self.state.competing:
                return error("not authenticated (competing session)", 401)
            if not self.state.established:
                return error("Bad Request: no bridge", 400)
            if not self.state.accounts_primed and _NEEDS_PRIMING.match(api_path):
                return error("Please query /accounts first", 400)
        elif api_path == "/iserver/accounts" and (self.state.competing or not self.state.established):
            return error("Bad Request: no bridge", 400)
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:  # a fake bug must show as a 500 with the reason, not a hang
            log.exception("fake gateway handler failed for %s %s", request.method, api_path)
            return error(f"fake gateway error: {exc!r}", 500)


def _paper_accepts_advisor() -> bool:
    return "advisor" in inspect.signature(PaperBroker).parameters


@asynccontextmanager
async def running_gateway(tmp_path: Path | str, *, authenticated: bool = True, start_established: bool = True,
                          autostart: bool = False, port: int = 0, paper: PaperBroker | None = None):
    """Run a :class:`FakeGateway` for the duration of the ``async with`` block.

    ``tmp_path``: a directory for the paper store and certificate files.
    ``authenticated``: whether the browser login is already done. ``start_established``:
    whether the brokerage session exists from the start (else ``ssodh/init`` makes it).
    ``autostart``: run the paper replay loop (tests keep False and call
    ``gw.paper.advance_minutes``). ``paper``: use this broker instead of a fresh
    ``PaperBroker(tmp_path/"fake-ibkr-paper.sqlite", advisor=True, autostart=autostart)``.
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    if paper is None:
        kwargs: dict[str, Any] = {"autostart": autostart}
        if _paper_accepts_advisor():
            kwargs["advisor"] = True
        paper = PaperBroker(tmp_path / "fake-ibkr-paper.sqlite", **kwargs)
    gw = FakeGateway(tmp_path, paper, authenticated=authenticated, start_established=start_established, port=port)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()
        await asyncio.sleep(0)
