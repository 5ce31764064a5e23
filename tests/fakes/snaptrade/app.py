"""The fake SnapTrade API: one aiohttp HTTP server on 127.0.0.1 (SnapTrade's SDK
refuses "localhost"), backed by the paper advisor demo's simulated market.

:class:`FakeSnapTrade` serves every path at the root and under the legacy ``/api/v1``
prefix (those answers carry a ``Deprecation`` header). Gate order for API requests
(middleware): record it; ``clientId``, ``timestamp`` and the ``Signature`` header
checked over the path and raw query as requested and the JSON body (401, code 1076);
rate limits (250 per 60 s per clientId, and for a Personal key 10 per 60 s per
account on account data paths; ``X-RateLimit-*`` headers on every answer, 429 when
full or when a test queued one); retired endpoints (410); the user (Commercial:
``userId``/``userSecret``); the account (404; 425 while it is being populated after
linking); the handler; then a failure a test armed for after the handler acted
(``fail_after``: e.g. a 500 after the order was placed). The Connection Portal pages
(``/portal/...``) are for the browser and are not signed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from desktop.brokers.paper import PaperBroker

from . import replies
from .signature import signature_ok
from .state import LinkedAccount, RecordedRequest, SnapState, User

log = logging.getLogger(__name__)

LEGACY = "/api/v1"
FAKE_KEY: web.AppKey["FakeSnapTrade"] = web.AppKey("snaptrade")
USER_KEY: web.RequestKey[User] = web.RequestKey("user", object)
ACCOUNT_KEY: web.RequestKey[LinkedAccount] = web.RequestKey("account", object)
BODY_KEY: web.RequestKey[Any] = web.RequestKey("body", object)
DEPRECATION = "@1781222400"

COMMERCIAL_CLIENT, COMMERCIAL_KEY = "TRADEDESK-TEST", "c0nsumer-key-commercial-5f2a9d"
PERSONAL_CLIENT, PERSONAL_KEY = "PERS-TRADEDESK", "c0nsumer-key-personal-81b7e4"
DEMO_USER = "tradedesk-demo"

_RETIRED = re.compile(r"/holdings|/accounts/[^/]+/(holdings|positions|options)")
_ACCOUNT = re.compile(r"/accounts/(?P<id>[^/]+)(?P<rest>/.*)?")
_ACCOUNT_DATA = re.compile(r"/(balances|positions/all|orders|recentOrders|activities|quotes|holdings)")
_UNSIGNED = re.compile(r"/portal/.*|/favicon.ico")
_NO_USER = re.compile(r"/|/snapTrade/(registerUser|partners|listUsers|deleteUser)|/brokerages")


class FakeSnapTrade:
    """An emulated SnapTrade API on loopback (see the module docstring).

    ``paper``: the paper broker in advisor mode whose client accounts the linked
    brokerage accounts trade in. ``personal``: serve a Personal key instead of a
    Commercial one. Test handles: ``state`` (:class:`~.state.SnapState`: users,
    authorizations, accounts, limits, switches), ``paper``, ``base_url``.
    """

    def __init__(self, paper: PaperBroker, *, personal: bool = False, host: str = "127.0.0.1", port: int = 0,
                 populate_seconds: float = 0.0) -> None:
        self.paper = paper
        client, key = (PERSONAL_CLIENT, PERSONAL_KEY) if personal else (COMMERCIAL_CLIENT, COMMERCIAL_KEY)
        self.state = SnapState(client, key, personal=personal, populate_seconds=populate_seconds)
        self.host, self.port = host, port
        self.placed_at: dict[str, Any] = {}  # brokerage_order_id -> wall time it was placed
        self._changed: dict[str, tuple[Any, Any]] = {}  # brokerage_order_id -> (status, filled), wall time
        self.injected: dict[str, list[Any]] = {}  # "orders"/"positions" -> raw rows added to the next answer
        self.extra_activities: dict[str, list[Any]] = {}  # account id -> AccountUniversalActivity rows a test added
        self.groups: dict[str, str] = {}  # brokerage_order_id -> brokerage_group_order_id (multi-leg orders)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    async def start(self) -> None:
        """Connect the paper broker and start listening."""
        from . import portal, routes_accounts, routes_activities, routes_trading, routes_user

        await self.paper.connect()
        app = web.Application(middlewares=[self._middleware])
        app[FAKE_KEY] = self
        for prefix in ("", LEGACY):
            for module in (routes_user, routes_accounts, routes_activities, routes_trading):
                module.setup(app, prefix)
        portal.setup(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.paper.close()

    # -- test controls ---------------------------------------------------------------
    def demo_user(self) -> User:
        """The user the standalone fake prints (registered on first use)."""
        return self.state.users.get(DEMO_USER) or self.state.register(DEMO_USER)

    def link(self, user_id: str, slug: str, connection_type: str = "trade") -> str:
        """Link brokerage ``slug`` for ``user_id`` as the portal's button does; returns
        the authorization id (tests that do not drive the portal page)."""
        from .catalog import brokerage

        session = self.state.new_portal(user_id, connection_type, slug, None)
        found = brokerage(slug)
        assert found is not None, slug
        return self.state.link(session, found).id

    def account_for(self, slug: str) -> LinkedAccount:
        """The linked account at brokerage ``slug``."""
        return next(a for a in self.state.accounts.values() if a.brokerage.slug == slug)

    def changed_at(self, order) -> Any:
        """Wall time the fake first saw ``order`` in its current state (status, filled)."""
        from .state import now_utc

        seen = self._changed.get(order.order_id)
        if seen is None or seen[0] != (order.status, order.filled):
            seen = ((order.status, order.filled), now_utc())
            self._changed[order.order_id] = seen
        return seen[1]

    async def place_legs(self, account: LinkedAccount, legs: list[Any]) -> tuple[str, list[Any]]:
        """Place a multi-leg order (e.g. an option spread) at ``account``: each
        OrderRequest of ``legs`` (account ids are replaced by the account's paper
        client) becomes a paper order, and their records share one
        ``brokerage_group_order_id``, as SnapTrade reports a multi-leg order's legs.
        Returns ``(group id, the leg orders)``; a leg refused cancels the legs placed
        before it and raises."""
        from .state import now_utc

        group = str(uuid.uuid4())
        placed = []
        try:
            for leg in legs:
                order = await self.paper.create_order(leg.model_copy(update={
                    "account_id": account.brokerage.client, "connection_id": self.paper.connection_id}))
                self.placed_at.setdefault(order.order_id, now_utc())
                self.groups[order.order_id] = group
                placed.append(order)
        except Exception:
            for order in placed:  # all legs or none, as a brokerage's multi-leg order
                if order.is_working:
                    await self.paper.cancel_order(account.brokerage.client, order.order_id)
            raise
        return group, placed

    def add_activity(self, account: LinkedAccount, row: dict[str, Any]) -> None:
        """Serve ``row`` (an ``AccountUniversalActivity``) among ``account``'s activities
        from now on (e.g. a trade older than the orders' 30 days, a dividend)."""
        self.extra_activities.setdefault(account.id, []).append(row)

    def inject(self, what: str, row: Any) -> None:
        """Add a raw ``row`` to the next ``orders`` or ``positions`` answer (malformed-payload tests)."""
        self.injected.setdefault(what, []).append(row)

    # -- the gate --------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw and request.content_type == "application/json" else None
        except ValueError:
            return replies.bad_input("The request body is not JSON")
        request[BODY_KEY] = body
        raw_path = request.rel_url.raw_path
        record = RecordedRequest(request.method, raw_path, request.rel_url.raw_query_string, body)
        self.state.requests.append(record)
        response = await self._gate(request, handler, raw_path, body)
        record.status = response.status
        response.headers["X-Request-ID"] = str(uuid.uuid4())
        if raw_path.startswith(LEGACY + "/"):
            response.headers["Deprecation"] = DEPRECATION
        return response

    async def _gate(self, request: web.Request, handler, raw_path: str, body: Any) -> web.StreamResponse:
        path = raw_path[len(LEGACY):] if raw_path.startswith(LEGACY + "/") else raw_path
        if _UNSIGNED.fullmatch(path):
            return await handler(request)
        state, query = self.state, request.query
        if (query.get("clientId") != state.client_id or not query.get("timestamp", "").isdigit()
                or not signature_ok(state.consumer_key, request.headers.get("Signature"), body, raw_path,
                                    request.rel_url.raw_query_string)):
            return replies.signature_failed()
        match = _ACCOUNT.fullmatch(path)
        account_id = match["id"] if match and match["rest"] and _ACCOUNT_DATA.match(match["rest"]) else None
        if state.throttle_next:
            with_headers = state.throttle_next.pop(0)
            wait = str(state.throttle_seconds)
            headers = {"X-RateLimit-Limit": str(state.customer_limit), "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset": wait, "Retry-After": wait} if with_headers else None
            return replies.throttled(state.throttle_seconds, headers)
        limit_headers, wait = state.count(account_id)
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            return replies.throttled(seconds, {**limit_headers, "Retry-After": str(seconds)})
        response = await self._gate_user(request, handler, path, match)
        response.headers.update(limit_headers)
        return response

    async def _gate_user(self, request: web.Request, handler, path: str, match) -> web.StreamResponse:
        state = self.state
        if _RETIRED.fullmatch(path):
            return replies.retired()
        if not _NO_USER.fullmatch(path):
            if state.personal:
                request[USER_KEY] = state.personal_user()
            else:
                user = state.users.get(request.query.get("userId", ""))
                if user is None or request.query.get("userSecret") != user.secret:
                    return replies.default_error(401, "Invalid userID or userSecret provided", "1083")
                request[USER_KEY] = user
        if match is not None and match["id"] not in ("",):
            account = state.accounts.get(match["id"])
            if account is None or account.user_id != request[USER_KEY].user_id:
                return replies.not_found(f"Account {match['id']}")
            request[ACCOUNT_KEY] = account
            if match["rest"] and _ACCOUNT_DATA.match(match["rest"]) and not state.populated(account):
                return replies.populating()
        response = await handler(request)
        armed = state.fail_next.pop(f"{request.method} {path}", None)
        if armed is None and path.startswith("/trade/") and request.method == "POST":
            armed = state.fail_next.pop("POST /trade/*", None)
        if armed is not None:
            log.info("fake SnapTrade: answering %s %s with %s after acting", request.method, path, armed)
            return replies.detail_error(armed, "Unexpected error", 1000 if armed == 500 else 3002)
        return response


def fake_of(request: web.Request) -> FakeSnapTrade:
    return request.app[FAKE_KEY]


@asynccontextmanager
async def running_snaptrade(tmp_path: Path | str, *, personal: bool = False, port: int = 0,
                            autostart: bool = False, populate_seconds: float = 0.0,
                            paper: PaperBroker | None = None):
    """Run a :class:`FakeSnapTrade` for the ``async with`` block: ``tmp_path`` holds
    the paper store; ``autostart`` runs the paper replay (tests keep False and call
    ``fake.paper.advance_minutes``); ``populate_seconds``: how long a newly linked
    account answers 425."""
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    if paper is None:
        paper = PaperBroker(tmp_path / "fake-snaptrade-paper.sqlite", advisor=True, autostart=autostart)
    fake = FakeSnapTrade(paper, personal=personal, port=port, populate_seconds=populate_seconds)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
        await asyncio.sleep(0)
