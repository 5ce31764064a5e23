"""The SnapTrade adapter: every account a user links through SnapTrade, with trading
where the brokerage and the connection allow it (specs/snaptrade/NOTES.md).

Auth (section 2): a Commercial key registers its user once (``registerUser``; the
user secret goes to the keyring through :meth:`Broker.save_secret`) and sends
``userId``/``userSecret`` on user calls; a Personal key sends neither. Every request
is signed (:mod:`.signing`). No streaming: orders are polled per watched account
(:mod:`.order_watch`), snapshots share one orders request (:class:`SnapshotCache`),
quotes are polled (at most 10 symbols a call; :mod:`.market`). Pacing, 429 cool-downs, error words:
:mod:`.client` and :mod:`.errors`. Linking brokerages: :mod:`.linking`.

Orders: ``create_order`` places the previewed (checked) trade by its trade id when
the request is the one just previewed and the check is younger than 5 minutes,
otherwise ``POST /trade/place`` with a client order id. A timed-out or 5xx placement
is never re-sent: it is reconciled through ``recentOrders`` (an order id not known
before, same symbol, action, quantity and prices).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta, timezone

from desktop.brokers.base import Broker
from desktop.brokers.capabilities import BrokerCapabilities
from desktop.brokers.errors import (
    AuthError,
    BrokerError,
    InvalidRequestError,
    NotFoundError,
)
from desktop.brokers.streams import Topic
from desktop.brokers.transport import Pacer, SnapshotCache
from desktop.domain import (
    Account,
    Balance,
    ConnectionState,
    ConnectionStatus,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
)

from .client import DEFAULT_BASE_URL, SnapTradeClient
from .fills import ActivityFills, merge_fills, order_fills
from .legs import group_legs
from .linking import Linking
from .market import SnapTradeMarket
from .order_watch import AccountPoller, OrderBook
from .trading import TIFS, SnapTradeTrading
from .parse import (
    AccountInfo,
    Authorization,
    parse_account,
    parse_authorization,
    parse_balance,
    parse_order,
    parse_positions,
)

log = logging.getLogger(__name__)

ORDER_TYPES = frozenset(OrderType)


class SnapTradeBroker(SnapTradeTrading, SnapTradeMarket, Broker):
    """SnapTrade over its REST API (see the module docstring).

    ``base_url`` (default https://api.snaptrade.com; http only on loopback),
    ``client_id``, ``consumer_key``; ``personal``: a Personal key; ``user_id`` and
    ``user_secret`` (Commercial; without a secret, connect() registers ``user_id``);
    ``legacy_prefix``: send the ``/api/v1`` paths; ``poll_interval`` seconds between
    polls of an account (default 15 by SnapTrade's advice, 30 for a Personal key, whose
    10 requests per minute per account the snapshots, the order poll and the quotes
    share); ``pacer`` (default: SnapTrade's
    limits); ``reconcile_delay`` seconds between reconcile attempts; ``clock`` Unix
    seconds (signing, checked-trade expiry); ``activities_every``: seconds between
    reads of an account's activities (default 6 h: SnapTrade refreshes them daily
    and advises reading them about once a day).
    """

    name = "snaptrade"
    display_name = "SnapTrade"

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, client_id: str, consumer_key: str,
                 personal: bool = False, user_id: str | None = None, user_secret: str | None = None,
                 legacy_prefix: bool = False, poll_interval: float | None = None, pacer: Pacer | None = None,
                 reconcile_delay: float = 2.0, timeout: float = 15.0, clock: Callable[[], float] = time.time,
                 activities_every: float = 6 * 3600.0) -> None:
        self.personal = personal
        self.user_id = (user_id or "").strip() or None
        self.poll_interval = poll_interval if poll_interval is not None else (30.0 if personal else 15.0)
        self.reconcile_delay = reconcile_delay
        self._clock = clock
        self._states: Topic[ConnectionState] = Topic()
        self.client = SnapTradeClient(base_url, client_id=client_id, consumer_key=consumer_key, personal=personal,
                                      user_id=self.user_id, user_secret=user_secret or None,
                                      legacy_prefix=legacy_prefix, pacer=pacer, timeout=timeout, clock=clock,
                                      on_cool_down=self._cooling)
        self.linking = Linking(self.client)
        self.activity_fills = ActivityFills(self.client, clock=clock, every=activities_every)
        self.authorizations: dict[str, Authorization] = {}
        self.accounts: dict[str, AccountInfo] = {}
        self.freshness: dict[str, datetime] = {}
        self.book = OrderBook()
        self._cache = SnapshotCache(max_age=max(0.5, self.poll_interval / 2))
        self._pollers: dict[str, AccountPoller] = {}
        self._symbol_ids: dict[str, str] = {}
        self._client_ids: dict[str, str] = {}
        self._checked: dict[tuple, tuple[str, float]] = {}
        self._order_lock = asyncio.Lock()
        self._connected = False
        self._closed = False
        self._cool_down_timer: asyncio.TimerHandle | None = None

    # -- capabilities -------------------------------------------------------------
    @property
    def capabilities(self) -> BrokerCapabilities:
        auths = list(self.authorizations.values())
        infos = list(self.accounts.values())
        return BrokerCapabilities(
            order_types=ORDER_TYPES, time_in_force=TIFS, intervals=(), modify_order=True, options=True,
            preview_orders=True, fractional=any(a.fractional for a in auths), quotes=True,
            poll_interval=self.poll_interval, paper=bool(infos) and all(i.account.is_paper for i in infos),
            accounts_poll_interval=2 * self.poll_interval)

    def account_capabilities(self, account_id: str) -> BrokerCapabilities:
        """The account's own: fractional shares and dollar-amount (notional) orders if
        its brokerage allows fractional units (SnapTrade's Brokerage has no notional
        flag of its own; notional orders buy fractions), paper when it is a paper
        account, and ``trade_refusal`` when it cannot trade (a read-only brokerage or
        connection, a disabled connection)."""
        info = self.accounts.get(account_id)
        base = self.capabilities
        if info is None:
            return base
        auth = self.authorizations.get(info.authorization_id)
        fractional = bool(auth and auth.fractional)
        return base.model_copy(update={"fractional": fractional, "notional": fractional,
                                       "paper": info.account.is_paper,
                                       "trade_refusal": self.trade_refusal(account_id) or ""})

    def trade_refusal(self, account_id: str) -> str | None:
        """Why ``account_id`` cannot trade, in words with what to do, or None."""
        info = self.accounts.get(account_id)
        if info is None:
            return None
        auth = self.authorizations.get(info.authorization_id)
        where = info.institution or "this brokerage"
        if auth is None:
            return None
        if auth.disabled:
            return (f"The connection to {where} is disabled at SnapTrade: reconnect it (Link a brokerage…) "
                    "before trading")
        if not auth.allows_trading:
            return f"{where} does not allow trading through SnapTrade: this account shows positions and orders only"
        if auth.read_only:
            return (f"The connection to {where} is read-only. To trade this account, reconnect it with trading "
                    "access: File → Connections… → Edit → Upgrade to trading")
        return None

    # -- life cycle ---------------------------------------------------------------
    async def connect(self) -> None:
        """Open the client, register the Commercial user when it has no secret yet
        (kept in the keyring), load the authorizations and accounts. Raises
        AuthError (keys, signature, user), UnavailableError."""
        if not self.personal and not self.user_id:
            raise AuthError("Enter a SnapTrade user id for this Commercial key (any id that never changes)")
        await self.client.open()
        self._closed = False
        try:
            if not self.personal and not self.client.user_secret:
                await self.register()
            await self.reload()
        except BaseException:
            await self.client.close()
            raise
        self._connected = True

    async def register(self) -> str:
        """Register ``user_id`` (Commercial keys; POST /snapTrade/registerUser) and keep
        the returned user secret in the keyring. Returns the secret."""
        try:
            answer = await self.client.register_user(self.user_id or "")
        except InvalidRequestError as exc:
            if "already exist" in exc.message.lower():
                raise AuthError(f"SnapTrade already has a user {self.user_id!r}, but this connection does not hold its "
                                "secret: enter another user id (or reset that user's secret at SnapTrade)",
                                code=exc.code, raw=exc.raw) from exc
            raise
        secret = answer.get("userSecret") if isinstance(answer, dict) else None
        if not isinstance(secret, str) or not secret:
            raise AuthError("SnapTrade registered the user but sent no user secret")
        self.client.set_user(self.user_id or "", secret)
        self.save_secret("user_secret", secret)
        return secret

    async def reload(self) -> None:
        """Read the authorizations and accounts again (after linking a brokerage)."""
        auths = await self.client.authorizations()
        self.authorizations = {a.id: a for a in (parse_authorization(r) for r in auths or [] if isinstance(r, dict))
                               if a is not None}
        rows = await self.client.accounts()
        infos = [parse_account(r, self.connection_id) for r in rows or [] if isinstance(r, dict)]
        self.accounts = {i.account.account_id: i for i in infos if i is not None}
        self.client.set_accounts(list(self.accounts))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._connected = False
        if self._cool_down_timer is not None:
            self._cool_down_timer.cancel()
        for poller in self._pollers.values():
            if poller.task is not None:
                poller.task.cancel()
        tasks = [p.task for p in self._pollers.values() if p.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._pollers.clear()
        self.book.close()
        self._states.close()
        await self._cache.close()
        await self.client.close()

    def _cooling(self, seconds: float) -> None:
        """The throttle's hook after a global 429: COOL_DOWN now (the status bar shows
        until when), CONNECTED when it ends."""
        until = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        self._states.publish(ConnectionState(status=ConnectionStatus.COOL_DOWN, until=until,
                                             message=f"SnapTrade asked us to slow down: requests paused for "
                                                     f"{seconds:.0f} s"))
        if self._cool_down_timer is not None:
            self._cool_down_timer.cancel()
        self._cool_down_timer = asyncio.get_running_loop().call_later(
            seconds, lambda: self._states.publish(ConnectionState(status=ConnectionStatus.CONNECTED,
                                                                  message="Cool-down over")))

    async def watch_connection(self) -> AsyncIterator[ConnectionState]:
        async for state in self._states.subscribe():
            yield state

    # -- accounts -----------------------------------------------------------------
    def _info(self, account_id: str) -> AccountInfo:
        info = self.accounts.get(account_id)
        if info is None:
            raise NotFoundError(f"SnapTrade has no account {account_id} for this user")
        return info

    async def fetch_accounts(self) -> list[Account]:
        await self.reload()
        return [self.owned(i.account) for i in self.accounts.values()]

    async def fetch_balances(self, account_id: str) -> list[Balance]:
        self._info(account_id)
        rows = await self.client.balances(account_id)
        found = [parse_balance(r, account_id, self.connection_id) for r in rows or [] if isinstance(r, dict)]
        return [b for b in found if b is not None]

    async def fetch_positions(self, account_id: str) -> list[Position]:
        """Positions of ``/positions/all`` (stocks, ETFs, options by OCC, crypto);
        ``freshness[account_id]`` keeps its ``data_freshness.as_of``, which is also
        each position's ``as_of`` and ``timestamp`` (some brokerages' data is a day old)."""
        self._info(account_id)
        body = await self.client.positions(account_id)
        positions, as_of = parse_positions(body if isinstance(body, dict) else {}, account_id, self.connection_id)
        if as_of is not None:
            self.freshness[account_id] = as_of
            positions = [p.model_copy(update={"timestamp": as_of, "as_of": as_of}) for p in positions]
        return positions

    async def refresh_account(self, account_id: str) -> str:
        """Ask SnapTrade to sync the account's connection now (POST
        /authorizations/{id}/refresh; SnapTrade may charge for each call: ask the
        user first). Returns SnapTrade's answer text."""
        return await self.linking.refresh(self._info(account_id).authorization_id)

    # -- orders: snapshots ---------------------------------------------------------
    async def _order_rows(self, account_id: str, *, fresh: bool = False) -> list[Order]:
        async def fetch() -> list[Order]:
            rows = await self.client.orders(account_id, state="all", days=30)
            parsed = [parse_order(r, account_id, self.connection_id, self._client_ids)
                      for r in rows or [] if isinstance(r, dict)]
            return [self.book.put(o, polled=True) for o in group_legs(o for o in parsed if o is not None)]

        return await self._cache.get(("orders", account_id), fetch, max_age=0 if fresh else None)

    async def fetch_orders(self, account_id: str, status: Sequence[OrderStatus] | None = None) -> list[Order]:
        self._info(account_id)
        orders = await self._order_rows(account_id)
        return [o for o in orders if status is None or o.status in status]

    async def fetch_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """Fills derived from executed orders (one per order or multi-leg leg with a
        filled quantity) and from the account's BUY/SELL activities, the same trade
        once (:mod:`.fills`), oldest first. Activities are read at most every
        ``activities_every`` seconds per account (SnapTrade refreshes them daily); a
        fresh read's fills are returned even when older than ``since`` (a trade shows
        in the activities a day late; the desk keeps each fill once). When they cannot
        be read, the order fills alone are returned."""
        self._info(account_id)
        fills = [f for order in await self._order_rows(account_id)
                 for f in order_fills(order, self.name, self.connection_id)]
        activities, fresh = await self.activity_fills.read(account_id, self.connection_id)
        reported = {f.fill_id for f in activities} if fresh else set()
        return [f.model_copy(update={"connection_id": self.connection_id}) for f in merge_fills(fills, activities)
                if since is None or f.timestamp >= since or f.fill_id in reported]

    # -- orders: updates -----------------------------------------------------------
    async def watch_orders(self, account_id: str) -> AsyncIterator[Order]:
        """The account's working orders as they are now (a fresh poll), then every
        change the account's poller or our own orders find, until close()."""
        self._info(account_id)
        start = self.book.seq
        poller = self._pollers.get(account_id)
        if poller is None:
            poller = self._pollers[account_id] = AccountPoller(
                account_id, lambda: self._order_rows(account_id, fresh=True), self.book, interval=self.poll_interval)
        poller.watchers += 1
        try:
            try:
                await self._order_rows(account_id, fresh=True)
            except BrokerError as exc:
                log.info("SnapTrade: first orders of %s not read yet (%s); the poller goes on", account_id, exc)
            if poller.task is None or poller.task.done():
                poller.task = asyncio.get_running_loop().create_task(poller.run(), name=f"snaptrade orders {account_id}")
            initial = self.book.initial(account_id, start)
            async for order in self.book.topic.subscribe(lambda o: o.account_id == account_id, initial=initial):
                yield order
        finally:
            poller.watchers -= 1
