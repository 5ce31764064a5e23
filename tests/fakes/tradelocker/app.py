"""The fake TradeLocker server: one aiohttp HTTP server on loopback serving
``http://127.0.0.1:<port>/backend-api/...`` as the real hosts serve
``https://demo.tradelocker.com/backend-api/...`` (specs/tradelocker/NOTES.md).

Gate order for every request (middleware): record it in ``fake.requests``; armed
"before" faults; ``/auth/jwt/token`` and ``/auth/jwt/refresh`` are open; everything
else needs a valid, unexpired access token (401 otherwise); ``/trade/*`` also needs
the ``accNum`` header of one of the user's accounts (an accountId in its place is
refused, naming the mix-up) and, for paths naming an account, that the accNum is that
account's; then the rate limit of the endpoint's rateLimitType from the config
(429 ``{"s":"error"}`` beyond it, counted in ``fake.windows.violations``); then the
handler; then armed "after" faults (the request took effect, the answer is a 5xx).

Test handles: ``engine`` (accounts, orders, positions; the market under it),
``tokens`` (:class:`~.jwt.TokenIssuer`: expire tokens, move its clock), ``rates``
(rateLimitType -> (limit, measure, intervalNum) served in the config and enforced),
``faults`` (:meth:`fail_next`), ``inject`` (extra raw rows), ``advance_minutes``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from email.utils import format_datetime
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from desktop.brokers.paper.market import MarketSimulator

from .market import FakeMarket

from . import routes_auth, routes_market, routes_trade
from .catalog import build_catalog
from .columns import config_body, shuffled_columns
from .engine import Engine, FakeAccount, Refused
from .jwt import TokenError, TokenIssuer
from .limits import limit_type
from .state import Fault, Injected, RateWindows, RecordedRequest
from .wire import fail

log = logging.getLogger(__name__)

BASE = "/backend-api"
FAKE_KEY: web.AppKey["FakeTradeLocker"] = web.AppKey("fake")
USER_KEY: web.RequestKey[str] = web.RequestKey("user", str)
ACCOUNT_KEY: web.RequestKey[FakeAccount] = web.RequestKey("account", FakeAccount)
EMAIL, PASSWORD, SERVER = "trader@tradedesk.test", "demo-password-1", "TDESK-DEMO"
_ACCOUNT_PATH = re.compile(r"/trade/accounts/([^/]+)(/.*)?")


class FakeTradeLocker:
    """An emulated TradeLocker server (see the module docstring).

    ``market``: the paper market it trades on (default: the shipped stocks and the
    ECB-based forex pairs on one clock, :class:`~.market.FakeMarket`; ``forex=False``
    leaves the pairs out);
    ``host``/``port`` (0 picks a free port); ``seed``: the order of the config's
    columns; ``history_bars``: the config's QUOTES_HISTORY_BARS limit.
    """

    def __init__(self, market: MarketSimulator | FakeMarket | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 seed: int = 14, history_bars: int = 20000, access_ttl: float = 3600.0, forex: bool = True) -> None:
        self.market = market if isinstance(market, FakeMarket) else FakeMarket(market, forex=forex)
        self.host, self.port = host, port
        self.catalog = build_catalog(self.market.symbols)
        self.by_tid = {inst.tid: inst for inst in self.catalog}
        self.engine = Engine(self.market, self.by_tid)
        self.engine.accounts = {
            "1163012": FakeAccount("1163012", "1", "TL Demo #1", "USD", Decimal("100000.00")),
            "1163019": FakeAccount("1163019", "2", "TL Demo #2", "USD", Decimal("25000.00")),
        }
        self.users = {EMAIL: (PASSWORD, SERVER)}
        self.tokens = TokenIssuer(access_ttl=access_ttl)
        self.columns = shuffled_columns(seed)
        self.rates: dict[str, tuple[int, str, int]] = {}
        self.history_bars = history_bars
        self.windows = RateWindows()
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.injected = Injected()
        self.logins = 0
        self.market_closed = False
        """True: every session status says "Closed" (limit and stop orders only)."""
        self.refreshes = 0
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task | None = None

    # -- addresses and credentials --------------------------------------------------
    @property
    def environment(self) -> str:
        """What a TradeLocker client is given as its environment: "http://127.0.0.1:N"
        (it appends ``/backend-api`` itself, as the official client does)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base: environment + "/backend-api"."""
        return self.environment + BASE

    credentials = {"email": EMAIL, "password": PASSWORD, "server": SERVER}

    def config(self) -> dict[str, Any]:
        """``d`` of ``/trade/config``."""
        return config_body(self.columns, self.rates, self.history_bars)

    # -- test controls ------------------------------------------------------------------
    def advance_minutes(self, minutes: int = 1) -> int:
        """Play ``minutes`` of the market and match orders each minute; returns fills."""
        filled = 0
        for _ in range(minutes):
            bars = dict(self.market.advance_one_minute())
            if bars:
                filled += self.engine.step(bars)
        return filled

    def fail_next(self, method: str, pattern: str, status: int = 500, *, after: bool = True, count: int = 1) -> Fault:
        """Arm a fault (see :class:`~.state.Fault`); ``pattern`` is a regular
        expression of the path below ``/backend-api``."""
        fault = Fault(method.upper(), pattern, status, after, count)
        self.faults.append(fault)
        return fault

    def inject(self, kind: str, values: dict[str, Any]) -> None:
        """Serve an extra raw row (column id -> value) in every later answer of list
        ``kind`` ("orders", "positions", "ordersHistory", "executions")."""
        self.injected.rows.setdefault(kind, []).append(values)

    def order_posts(self) -> int:
        """Order placements received (``POST /trade/accounts/{id}/orders``)."""
        return sum(1 for r in self.requests if r.limit_type == "PLACE_ORDER")

    def account_of(self, acc_num: str) -> FakeAccount | None:
        return next((a for a in self.engine.accounts.values() if a.acc_num == acc_num), None)

    # -- serving --------------------------------------------------------------------------
    def _fault(self, method: str, path: str, after: bool) -> Fault | None:
        for fault in self.faults:
            if fault.after == after and fault.matches(method, path):
                fault.count -= 1
                return fault
        return None

    @web.middleware
    async def _gate(self, request: web.Request, handler) -> web.StreamResponse:
        path = request.path.removeprefix(BASE) or "/"
        method = request.method
        kind = limit_type(method, path)
        self.requests.append(RecordedRequest(method, path, dict(request.query), request.headers.get("accNum", ""),
                                             request.headers.get("Authorization", "").startswith("Bearer "), kind,
                                             time.monotonic()))
        if not request.path.startswith(BASE + "/"):
            return fail("Not found", 404)
        if (fault := self._fault(method, path, after=False)) is not None:
            return fail("Internal server error", fault.status)
        if path not in ("/auth/jwt/token", "/auth/jwt/refresh"):
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                return fail("Unauthorized: no bearer token", 401)
            try:
                payload = self.tokens.check(auth.removeprefix("Bearer ").strip(), "access")
            except TokenError as exc:
                return fail(f"Unauthorized: {exc}", 401)
            request[USER_KEY] = payload["sub"]
            if path.startswith("/trade/"):
                refused = self._check_acc_num(request, path)
                if refused is not None:
                    return refused
                if kind:
                    limit, measure, interval = self.config_rate(kind)
                    seconds = interval * (60 if measure == "MINUTES" else 1)
                    if not self.windows.admit(payload["sub"], kind, limit, seconds):
                        return fail(f"Rate limit exceeded for {kind}: at most {limit} requests per {interval} "
                                    f"{measure}", 429)
        try:
            response = await handler(request)
        except Refused as exc:
            return fail(str(exc), exc.status)
        if (fault := self._fault(method, path, after=True)) is not None:
            return fail("Internal server error", fault.status)
        return response

    def config_rate(self, kind: str) -> tuple[int, str, int]:
        from .columns import DEFAULT_RATE

        return self.rates.get(kind, DEFAULT_RATE)

    def _check_acc_num(self, request: web.Request, path: str) -> web.Response | None:
        acc_num = request.headers.get("accNum", "").strip()
        if not acc_num:
            return fail("Missing accNum header: every /trade/* request needs the account number (accNum)", 400)
        account = self.account_of(acc_num)
        if account is None:
            if acc_num in self.engine.accounts:
                return fail(f"accNum {acc_num} is an accountId, not an account number: send the account's accNum "
                            "in the header", 400)
            return fail(f"Unknown accNum {acc_num}", 400)
        request[ACCOUNT_KEY] = account
        match = _ACCOUNT_PATH.fullmatch(path)
        if match is not None and match.group(1) != account.account_id:
            named = match.group(1)
            if self.account_of(named) is not None and named not in self.engine.accounts:
                return fail(f"{named} in the path is an accNum; the path needs the accountId", 400)
            return fail(f"Account {named} does not match the accNum header {acc_num}", 403)
        return None

    async def _date_header(self, _request: web.Request, response: web.StreamResponse) -> None:
        """Every answer's ``Date`` is the replay clock's now: the server's time, as a
        real server's Date is its wall clock (clients take "now" from it)."""
        response.headers["Date"] = format_datetime(self.market.clock.now, usegmt=True)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._gate])
        app.on_response_prepare.append(self._date_header)
        app[FAKE_KEY] = self
        routes_auth.add(app, BASE)
        routes_trade.add(app, BASE)
        routes_market.add(app, BASE)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def tick(self, seconds: float = 1.0) -> None:
        """Play one market minute every ``seconds`` (standalone mode) until :meth:`stop`."""
        async def run() -> None:
            while True:
                await asyncio.sleep(seconds)
                self.advance_minutes(1)

        self._ticker = asyncio.get_running_loop().create_task(run(), name="fake tradelocker market")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@asynccontextmanager
async def running_fake(workdir: Path | None = None, **kw: Any):
    """``async with running_fake() as fake:`` a started :class:`FakeTradeLocker`."""
    fake = FakeTradeLocker(**kw)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
