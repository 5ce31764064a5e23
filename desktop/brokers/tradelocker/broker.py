"""The TradeLocker adapter (specs/tradelocker/NOTES.md; issue 14): forex and CFD
accounts with positions by id (hedging), stop-loss and take-profit, quantities in
lots.

On :meth:`~TradeLockerBroker.connect`: log in (or refresh a stored session, see
:mod:`.auth`), ``GET /auth/jwt/all-accounts`` (``id`` = accountId in paths,
``accNum`` = the header of every /trade/* call), ``GET /trade/config`` (column maps,
:mod:`.columns`; rate limits into the kit's pacer, :mod:`.limits`) and the
instruments with their INFO/TRADE routes (:mod:`.catalog`), all cached for the
connection. Lists are zipped with the config's columns and read totally
(:mod:`.rows`). Orders: :mod:`.trading`; market data: :mod:`.marketdata`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop.brokers.base import Broker
from desktop.brokers.capabilities import BrokerCapabilities
from desktop.brokers.errors import BrokerError, NotFoundError
from desktop.brokers.transport import Pacer, RestClient, TlsPolicy, wait_event
from desktop.domain import Account, Balance, Fill, Instrument, Interval, Order, OrderStatus, OrderType, Position, TimeInForce

from . import parse, rows
from .auth import TokenSession
from .catalog import Catalog, Listed
from .client import ErrorMapper, TradeLockerClient
from .columns import ColumnMaps
from .environments import DEMO, api_base
from .limits import DEFAULT_HISTORY_BARS, history_bars, pace_rules
from .marketdata import MarketData
from .server_clock import ServerClock
from .tracker import OrderTracker
from .trading import Trading

log = logging.getLogger(__name__)

INTERVALS = (Interval.M1, Interval.M5, Interval.M15, Interval.H1, Interval.D1)


@dataclass(frozen=True)
class TlAccount:
    """One account of the login: ``account_id`` (TradeLocker's ``id``, in paths) and
    ``acc_num`` (the ``accNum`` header): never the one for the other."""

    account_id: str
    acc_num: str
    name: str
    currency: str


class TradeLockerBroker(Trading, MarketData, Broker):
    """TradeLocker REST adapter.

    ``environment``: "demo", "live", or a URL (https; http only on loopback, for
    the fake) with or without ``/backend-api``. ``email``/``password``/``server``:
    the login (``server`` is the broker server name shown at login);
    ``refresh_token``: a stored session (the keyring's), used before the password.
    ``pacer``: the kit's pacer (its rules are replaced by the config's rate limits at
    connect); ``poll_interval``: seconds between order/quote/bar polls;
    ``reconcile_delay``: seconds between reconcile attempts after a maybe-sent order;
    ``clock``: epoch seconds (token expiry; injectable); ``tls``: TlsPolicy.
    ``demo``: whether the accounts trade simulated money; None (the default) reads it
    from ``environment`` (the demo host, or "demo" in a custom URL). A custom host
    says nothing reliable, so the connection form asks (``custom_kind``).
    """

    name = "tradelocker"
    display_name = "TradeLocker"

    def __init__(self, environment: str = "demo", *, email: str, password: str | None, server: str,
                 refresh_token: str | None = None, pacer: Pacer | None = None, poll_interval: float = 2.0,
                 reconcile_delay: float = 1.0, clock: Callable[[], float] = time.time, tls: TlsPolicy | None = None,
                 timeout: float = 15.0, refresh_margin: float = 1800.0, demo: bool | None = None) -> None:
        self.base_url = api_base(environment)
        self.demo = (self.base_url.startswith(DEMO) or "demo" in environment.lower()) if demo is None else demo
        self.server_clock = ServerClock()
        self.pacer = pacer or Pacer(global_rate=10)
        self.session = TokenSession(self._post_auth, email=email, password=password, server=server,
                                    refresh_token=refresh_token, save_refresh=self._keep_refresh, clock=clock,
                                    margin=refresh_margin)
        self.rest = RestClient(self.base_url, name="TradeLocker", tls=tls, sign=self.session.bearer,
                               map_error=ErrorMapper(self.server_clock), pacer=self.pacer, timeout=timeout)
        self.client = TradeLockerClient(self.rest, before=self.session.ensure_fresh)
        self.poll_interval = poll_interval
        self.reconcile_delay = reconcile_delay
        self.accounts: dict[str, TlAccount] = {}
        self.columns: ColumnMaps | None = None
        self.rate_limits: dict[str, tuple[int, float]] = {}
        self.history_limit = DEFAULT_HISTORY_BARS
        self.catalog = Catalog(self._fetch_details)
        self.known_tags: dict[str, str] = {}  # strategyId -> client order id (this session)
        self._trackers: dict[str, OrderTracker] = {}
        self._closed = asyncio.Event()
        self._connected = False

    # -- capabilities ------------------------------------------------------------------
    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(
            order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP}),
            time_in_force=frozenset({TimeInForce.GTC, TimeInForce.IOC}), intervals=INTERVALS, modify_order=True,
            fractional=True, poll_interval=max(self.poll_interval, 0.05), paper=self.demo, quotes=True,
            close_position=True, hedging=True, protection=True, trailing_stop=True)

    # -- life cycle ---------------------------------------------------------------------
    def _keep_refresh(self, token: str) -> None:
        self.save_secret("refresh_token", token)

    async def _post_auth(self, path: str, body: dict[str, Any]) -> Any:
        return await self.client.post_auth(path, body)

    async def connect(self) -> None:
        """Log in, read accounts, config (columns, rate limits) and instruments.
        Raises AuthError (login refused), UnavailableError, BrokerError."""
        self._closed.clear()
        await self.rest.open()
        await self.session.open()
        await self._load_accounts()
        first = next(iter(self.accounts.values()))
        config = await self.client.call("GET", "/trade/config", acc_num=first.acc_num)
        self.columns = ColumnMaps.from_config(config)
        rules, self.rate_limits = pace_rules(config.get("rateLimits") if isinstance(config, Mapping) else None)
        self.pacer.configure(rules=rules)
        self.history_limit = history_bars(config.get("limits") if isinstance(config, Mapping) else None)
        listing = await self.client.call("GET", f"/trade/accounts/{first.account_id}/instruments",
                                         acc_num=first.acc_num)
        count = self.catalog.load(listing)
        for acc in self.accounts.values():  # the watch_orders baseline (see .tracker)
            await self.tracker(acc).baseline()
        log.info("TradeLocker: %d account(s), %d instrument(s), %d rate limit(s)", len(self.accounts), count,
                 len(self.rate_limits))
        self._connected = True

    async def _load_accounts(self) -> None:
        body = await self.client.call("GET", "/auth/jwt/all-accounts")
        items = body.get("accounts") if isinstance(body, Mapping) else None
        accounts: dict[str, TlAccount] = {}
        for raw in items if isinstance(items, list) else ():
            if not isinstance(raw, Mapping):
                continue
            aid, num = parse.ident(raw.get("id"), "id"), parse.ident(raw.get("accNum"), "accNum")
            if aid is None or num is None:
                log.warning("TradeLocker: an account without id/accNum skipped")
                continue
            accounts[aid] = TlAccount(aid, num, parse.text(raw.get("name")) or aid,
                                      parse.text(raw.get("currency")).upper()[:3] or "USD")
        if not accounts:
            raise BrokerError("TradeLocker lists no account for this login", raw=body)
        self.accounts = accounts

    async def close(self) -> None:
        """End every watch and close the HTTP client. Idempotent."""
        self._closed.set()
        trackers, self._trackers = list(self._trackers.values()), {}
        for tracker in trackers:
            await tracker.close()
        await self.rest.close()
        self._connected = False

    def account(self, account_id: str) -> TlAccount:
        """The account ``account_id`` (its accountId). Raises NotFoundError."""
        found = self.accounts.get(str(account_id))
        if found is None:
            raise NotFoundError(f"TradeLocker account {account_id!r} is not one of this login's "
                                f"({', '.join(self.accounts)})")
        return found

    async def call(self, method: str, path: str, account: TlAccount | None = None, **kw: Any) -> Any:
        """A call with ``account``'s accNum (the first account's when None)."""
        acc = account or next(iter(self.accounts.values()))
        return await self.client.call(method, path, acc_num=acc.acc_num, **kw)

    async def _fetch_details(self, listed: Listed) -> Any:
        return await self.call("GET", f"/trade/instruments/{listed.tid}",
                               params={"routeId": listed.info_route or "", "locale": "en"})

    # -- snapshots -----------------------------------------------------------------------
    async def fetch_accounts(self) -> list[Account]:
        return [self.owned(Account(broker=self.name, account_id=a.account_id, name=a.name, currency=a.currency,
                                   kind="margin", is_paper=self.demo)) for a in self.accounts.values()]

    async def fetch_balances(self, account_id: str) -> list[Balance]:
        acc = self.account(account_id)
        body = await self.call("GET", f"/trade/accounts/{acc.account_id}/state", acc)
        data = body.get("accountDetailsData") if isinstance(body, Mapping) else None
        assert self.columns is not None
        values = self.columns.zip("accountDetailsConfig", data)
        if values is None:
            return []
        return [rows.read_balance(self.connection_id, values, acc.account_id, acc.currency)]

    async def _rows(self, acc: TlAccount, endpoint: str, key: str, config: str,
                    params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        body = await self.call("GET", f"/trade/accounts/{acc.account_id}/{endpoint}", acc, params=params)
        items = body.get(key) if isinstance(body, Mapping) else None
        assert self.columns is not None
        out = []
        for row in items if isinstance(items, list) else ():
            values = self.columns.zip(config, row)
            if values is not None:
                out.append(values)
        tids = {parse.ident(v.get("tradableInstrumentId"), "tradableInstrumentId") for v in out}
        for tid in tids:
            listed = self.catalog.by_tid.get(tid or "")
            if listed is not None and listed.instrument is None:
                try:
                    await self.catalog.complete(listed)
                except BrokerError as exc:
                    log.info("TradeLocker: details of %s unavailable: %s", listed.symbol, exc)
        return out

    def _orders_of(self, acc: TlAccount, values: list[dict[str, Any]]) -> list[Order]:
        out = []
        for row in values:
            order = rows.read_order(self.connection_id, row, acc.account_id, self.catalog.instrument_by_tid,
                                    self.known_tags)
            if order is not None:
                out.append(order)
        return out

    async def _all_orders(self, acc: TlAccount) -> list[Order]:
        working = await self._rows(acc, "orders", "orders", "ordersConfig")
        history = await self._rows(acc, "ordersHistory", "ordersHistory", "ordersHistoryConfig")
        return self._orders_of(acc, working) + self._orders_of(acc, history)

    async def fetch_orders(self, account_id: str, status: Sequence[OrderStatus] | None = None) -> list[Order]:
        acc = self.account(account_id)
        orders = await self._all_orders(acc)
        tracker = self._trackers.get(acc.account_id)
        if tracker is not None:
            tracker.absorb(orders)
        wanted = set(status) if status is not None else None
        return [o for o in orders if wanted is None or o.status in wanted]

    async def fetch_positions(self, account_id: str) -> list[Position]:
        acc = self.account(account_id)
        values = await self._rows(acc, "positions", "positions", "positionsConfig")
        protection: dict[str, Decimal] = {}
        if any(v.get("stopLossId") not in (None, "", "0") or v.get("takeProfitId") not in (None, "", "0")
               for v in values):
            for order in self._orders_of(acc, await self._rows(acc, "orders", "orders", "ordersConfig")):
                price = order.stop_price if order.type is OrderType.STOP else order.limit_price
                if price is not None:
                    protection[order.order_id] = price
        out = []
        for row in values:
            pos = rows.read_position(self.connection_id, row, acc.account_id, self.catalog.instrument_by_tid,
                                     protection)
            if pos is not None:
                out.append(pos)
        return out

    async def fetch_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        acc = self.account(account_id)
        values = await self._rows(acc, "executions", "executions", "filledOrdersConfig")
        tracker = self._trackers.get(acc.account_id)
        client_ids = {o.order_id: o.client_order_id for o in (tracker.latest.values() if tracker else ())}
        if not client_ids and any(v.get("orderId") for v in values):
            client_ids = {o.order_id: o.client_order_id for o in await self._all_orders(acc)}
        fills = []
        for row in values:
            fill = rows.read_fill(self.connection_id, row, acc.account_id, self.catalog.instrument_by_tid, client_ids)
            if fill is not None and (since is None or fill.timestamp >= since):
                fills.append(fill)
        return sorted(fills, key=lambda f: (f.timestamp, f.fill_id))

    async def search_instruments(self, query: str) -> list[Instrument]:
        found = self.catalog.search(query)[:8]
        out = []
        for listed in found:
            try:
                out.append(await self.catalog.complete(listed))
            except BrokerError as exc:
                log.info("TradeLocker: details of %s unavailable: %s", listed.symbol, exc)
        return out

    # -- streams --------------------------------------------------------------------------
    def tracker(self, acc: TlAccount) -> OrderTracker:
        tracker = self._trackers.get(acc.account_id)
        if tracker is None:
            tracker = OrderTracker(lambda: self._all_orders(acc), self.poll_interval,
                                   f"TradeLocker {acc.account_id}")
            self._trackers[acc.account_id] = tracker
        return tracker

    async def watch_orders(self, account_id: str) -> AsyncIterator[Order]:
        acc = self.account(account_id)
        if self._closed.is_set():
            return
        async for order in self.tracker(acc).watch():
            yield order

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds``; False when the adapter closed meanwhile."""
        return not await wait_event(self._closed, seconds)
