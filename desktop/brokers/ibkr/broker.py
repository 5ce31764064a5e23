"""IbkrBroker: the Broker interface over IBKR's Client Portal Gateway (CPAPI v1).

Wires the pinned, paced :class:`IbkrClient`, the :class:`IbkrSession` (login, competing
sessions, tickle, re-priming), the :class:`IbkrStream` websocket and the mapping
modules of this package. See ``specs/ibkr-cpapi/NOTES.md`` for every endpoint used.

Connect: probe + pin the certificate (CertificateUntrustedError / CertificateChangedError),
wait for the browser login (LOGIN_REQUIRED published through ``watch_connection``),
pre-flight ``/iserver/accounts``, then ``/portfolio/accounts`` + ``/portfolio/subaccounts``
and the allocation groups (advisor login). The same pre-flight runs after every
re-prime (daily reset, re-login): NOTES.md section 10.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

from desktop.brokers.base import Broker
from desktop.brokers.capabilities import BrokerCapabilities
from desktop.brokers.errors import BrokerError, InvalidRequestError, NotFoundError
from desktop.brokers.transport import Pacer, Supervisor, wait_event
from desktop.domain import (
    Account,
    AccountValues,
    AllocationGroup,
    Balance,
    Bar,
    ConnectionState,
    ConnectionStatus,
    Fill,
    Instrument,
    Interval,
    Order,
    OrderPreview,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    QuestionHandler,
    Quote,
    TimeInForce,
)

from . import accounts as acc
from .client import IbkrClient
from .contracts import ConidCache
from .directory import AccountDirectory
from .live_orders import SOR_TASK, OrderPoller
from .marketdata import BAR_SIZES, bars_from_history, history_params, select_bars, stream_quotes
from .orders import OrderDesk
from .positions import fetch_positions
from .session import IbkrSession
from .stream import ALLOWED_SILENCE, IbkrStream

log = logging.getLogger("desktop.brokers.ibkr")

DEFAULT_BASE_URL = "https://localhost:5000/v1/api"


def gateway_urls(base_url: str) -> tuple[str, str]:
    """``(login_url, ws_url)`` of a REST base: the gateway root and ``<base>/ws`` (wss)."""
    parts = urlsplit(base_url.rstrip("/"))
    login = urlunsplit(("https", parts.netloc, "/", "", ""))
    ws = urlunsplit(("wss", parts.netloc, parts.path + "/ws", "", ""))
    return login, ws


WATCHER_TASK = "session watcher"
BARS_TASK = "bars"

POLL_INTERVAL = 10.0
"""Seconds between the UI's balance/position/fill polls: each poll costs about three
requests per account (summary, ledger, positions) against the gateway's 10 per second
shared with orders and market data; order changes still refresh their accounts at once."""


class IbkrBroker(Broker):
    """Interactive Brokers through a Client Portal Gateway the user runs and logs in to.

    ``base_url``: the gateway's REST base; ``pinned_sha256``: the accepted certificate
    fingerprint (None on first contact, which raises CertificateUntrustedError with
    the fingerprint to show); ``account_id``: preferred account (informational);
    ``poll_interval``: seconds between live-order / forming-bar polls. Test hooks:
    ``pacer`` (e.g. a fast one against the fake gateway), ``timeout`` (seconds per
    request), ``session_poll`` (auth/status polling while waiting for a login),
    ``tickle_interval``, ``reconcile_delay`` (seconds between cOID look-ups after a
    timed-out order POST). ``connection_id``: the connection this instance serves
    (default "ibkr"); every object it reports carries it. ``supervisor``: runs every
    long-running task of the adapter (live-order poller, websocket order relay, quote
    pumps, tickle keep-alive, session recovery and watcher, websocket connection, smd
    refresh; bar polls are guarded per poll): restarted when they die, and a task that
    keeps failing shows in ``watch_connection`` as RECONNECTING "<what> failing: see
    the log" until it works again. Default: a :class:`Supervisor` named "IBKR".
    ``allowed_silence``: seconds the websocket may stay silent (no frame, not even the
    gateway's ~10 s heartbeat) before it counts as dead: the connection shows
    RECONNECTING (its rows stale) and the stream is re-opened; default 13 s (one
    heartbeat + 3 s, :data:`~desktop.brokers.ibkr.stream.ALLOWED_SILENCE`).
    """

    name = "ibkr"
    display_name = "Interactive Brokers"

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, pinned_sha256: str | None = None,
                 account_id: str | None = None, poll_interval: float = 5.0, pacer: Pacer | None = None,
                 timeout: float = 10.0, session_poll: float = 2.0, tickle_interval: float = 60.0,
                 reconcile_delay: float = 5.0, connection_id: str | None = None,
                 supervisor: Supervisor | None = None, allowed_silence: float = ALLOWED_SILENCE) -> None:
        self._connection_id = connection_id
        self.allowed_silence = allowed_silence
        self.supervisor = supervisor or Supervisor(name="IBKR")
        self.supervisor.on_state = self._task_state
        self.base_url = base_url.rstrip("/")
        self.preferred_account = account_id
        self.poll_interval = poll_interval
        self._login_url, self._ws_url = gateway_urls(self.base_url)
        self.client = IbkrClient(self.base_url, pinned_sha256=pinned_sha256, timeout=timeout, pacer=pacer)
        self.session = IbkrSession(self.client, login_url=self._login_url, poll_interval=session_poll,
                                   tickle_interval=tickle_interval, supervisor=self.supervisor)
        self.client.on_state = self.session.reporter("client")
        self.session.preflight = lambda: self.directory.preflight(self.session.accounts, first=not self._connected)
        self.contracts = ConidCache(self.client)
        window = self.client.pacer.window_for("/iserver/account/orders")
        self.orders = OrderDesk(self.client, self.contracts, groups=self._group_set,
                                client_accounts=self._account_set, members=self._group_members,
                                cache_seconds=window or poll_interval, reconcile_delay=reconcile_delay)
        self._poller = OrderPoller(self.orders.live_orders, interval=poll_interval, on_change=self._order_changed,
                                   supervisor=self.supervisor)
        self.stream: IbkrStream | None = None
        self.directory = AccountDirectory(self.client)
        self._connected = False
        self._closed = asyncio.Event()

    # -- capabilities / session control --------------------------------------------
    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(
            order_types=frozenset({OrderType.LIMIT, OrderType.MARKET, OrderType.STOP, OrderType.STOP_LIMIT}),
            time_in_force=frozenset({TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC}),
            intervals=tuple(BAR_SIZES), modify_order=True, options=False, streaming_quotes=True,
            streaming_orders=False, streaming_bars=False, allocation_groups=self.directory.fa, fractional=False,
            preview_orders=True, order_questions=True, poll_interval=POLL_INTERVAL,
            paper=self.directory.iserver_accounts.get("isPaper") is True,
            exchange_timezone="America/New_York")  # US stocks only so far: times in their exchange's zone

    @property
    def login_url(self) -> str:
        """The gateway's browser login page (its root URL)."""
        return self._login_url

    async def take_over_session(self) -> None:
        """Take the brokerage session from another login (only after the user agreed)."""
        await self.session.take_over()

    @property
    def fingerprint(self) -> str | None:
        """The certificate fingerprint the gateway presented at connect()."""
        return self.client.fingerprint

    def _group_set(self) -> set[str]:
        return set(self.directory.group_names)

    def _account_set(self) -> set[str]:
        return {a.account_id for a in self.directory.accounts}

    def _group_members(self, group: str) -> set[str] | None:
        found = self.directory.groups.get(group)
        return set(found.account_ids) if found is not None else None

    def _order_changed(self, previous: Order | None, order: Order) -> None:
        """A group order whose filled quantity changed: its clients' fills can come
        from one group trades request (see :mod:`desktop.brokers.ibkr.trades_book`)."""
        if (order.account_id in self._group_set() and order.filled > 0
                and (previous is None or previous.filled != order.filled)):
            self.orders.note_group_fill(order.account_id)

    def is_group(self, account_id: str) -> bool:
        """Whether ``account_id`` names an allocation group of this advisor login."""
        return self.directory.is_group(account_id)

    @property
    def groups_generation(self) -> int:
        """Bumped whenever a re-prime (daily reset, re-login) finds other allocation
        groups; CONNECTED then says "allocation groups changed"."""
        return self.directory.groups_generation

    # -- life cycle -----------------------------------------------------------------
    async def connect(self) -> None:
        """Open the pinned client, wait for the login, pre-flight, load accounts and
        (advisor) groups, prepare the websocket. Raises CertificateError subclasses,
        UnavailableError, AuthError."""
        await self.client.open()
        await self.session.start()  # runs the directory's pre-flight before CONNECTED
        self.stream = IbkrStream(self._ws_url, self.client.ssl_context, lambda: self.session.session_token,
                                 on_state=self.session.reporter("stream"), supervisor=self.supervisor,
                                 idle_timeout=self.allowed_silence)
        self._connected = True
        self.supervisor.start(SOR_TASK, self._relay_sor, label="order updates (websocket)")
        self.supervisor.start(WATCHER_TASK, self._after_reconnects, label="session watcher")

    def _task_state(self, task: str, state: ConnectionState) -> None:
        """A supervised task started or stopped failing: its own component of the
        session state (see IbkrSession.reporter)."""
        self.session.reporter(f"task:{task}")(state)

    async def close(self) -> None:
        """Stop streams and pollers, close the session and the client. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        await self.supervisor.stop(SOR_TASK, WATCHER_TASK)  # the stream's consumers first
        await self._poller.close()
        await self.orders.close()
        if self.stream is not None:
            await self.stream.close()
        await self.session.close()
        await self.supervisor.close()
        await self.client.close()

    async def watch_connection(self) -> AsyncIterator[ConnectionState]:
        async for state in self.session.watch():
            yield state

    # -- accounts -------------------------------------------------------------------
    async def fetch_accounts(self) -> list[Account]:
        if not self.directory.accounts:
            await self.directory.load_accounts()
        return self.owned_all(self.directory.accounts)

    def _check_account(self, account_id: str) -> None:
        if self.is_group(account_id):
            raise NotFoundError(f"{account_id} is an allocation group, not an account")

    async def fetch_balances(self, account_id: str) -> list[Balance]:
        self._check_account(account_id)
        await self.directory.ensure_portfolio()
        summary = await self.client.request("GET", f"/portfolio/{account_id}/summary")
        ledger = await self.client.request("GET", f"/portfolio/{account_id}/ledger")
        return self.owned_all(acc.balances_from(account_id, summary, ledger))

    async def fetch_positions(self, account_id: str) -> list[Position]:
        if not self.is_group(account_id):
            await self.directory.ensure_portfolio()
        return self.owned_all(await fetch_positions(self.client, account_id, is_group=self.is_group))

    async def fetch_allocation_groups(self) -> list[AllocationGroup]:
        if not self.directory.fa:
            return []
        if not self.directory.groups:
            await self.directory.load_groups()
        return list(self.directory.groups.values())

    async def fetch_allocation_values(self) -> list[AccountValues]:
        if not self.directory.fa:
            return []
        return acc.account_values_from(await self.client.request("GET", "/iserver/account/allocation/accounts"))

    # -- orders ---------------------------------------------------------------------
    async def fetch_orders(self, account_id: str, status: Sequence[OrderStatus] | None = None) -> list[Order]:
        """Live orders of an account or group: the snapshot shared with watch_orders'
        poller, reused while younger than the endpoint's pacing window (5 s; see
        :mod:`desktop.brokers.transport.snapshots`); for a watched source not polled yet,
        the poller's first poll of it (see OrderPoller.snapshot)."""
        orders = await self._poller.snapshot(account_id)
        return self.owned_all(o for o in orders if status is None or o.status in status)

    async def fetch_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """Fills from ``/iserver/account/trades``: a shared snapshot per account, reused
        for 5 s like fetch_orders; after a group order's fill, a client's allocations
        come from one group request shared by every client (freshness rule in
        :mod:`desktop.brokers.ibkr.trades_book`)."""
        return self.owned_all(await self.orders.fills(account_id, since))

    async def create_order(self, request: OrderRequest, *, confirm: QuestionHandler | None = None) -> Order:
        self.check_request(request)
        order = self.owned(await self.orders.create(request, confirm))
        self._poller.remember(order)
        return order

    async def preview_order(self, request: OrderRequest) -> OrderPreview:
        self.check_request(request)
        return await self.orders.preview(request)

    async def modify_order(self, account_id: str, order_id: str, *, amount: Decimal | None = None,
                           limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                           confirm: QuestionHandler | None = None) -> Order:
        order = await self.orders.modify(account_id, order_id, amount=amount, limit_price=limit_price,
                                         stop_price=stop_price, confirm=confirm)
        order = self.owned(order)
        self._poller.remember(order)
        return order

    async def cancel_order(self, account_id: str, order_id: str) -> Order:
        order = self.owned(await self.orders.cancel(account_id, order_id))
        self._poller.remember(order)
        return order

    async def suppress_questions(self, message_ids: Sequence[str]) -> None:
        await self.orders.suppress(message_ids)

    async def watch_orders(self, account_id: str) -> AsyncIterator[Order]:
        async for order in self._poller.watch(account_id):
            yield self.owned(order)

    async def _relay_sor(self) -> None:
        """Each websocket ``sor`` frame updates the orders we know at once (published
        to watch_orders); the accounts/groups it touched are re-read next by the
        poller (REST stays the truth), their snapshots marked stale."""
        if self.stream is None:
            return
        try:
            async for rows in self.stream.orders():
                for source in self._poller.apply_sor(rows):  # each row guarded by the supervisor
                    self.orders.invalidate_live(source)
        except BrokerError as exc:
            log.info("IBKR: sor relay stopped: %s", exc)

    async def _after_reconnects(self) -> None:
        """After the session is restored (daily reset, re-login), the gateway has
        forgotten suppressed questions: send the list again."""
        previous = None
        async for state in self.session.watch():
            if (state.status is ConnectionStatus.CONNECTED and previous is ConnectionStatus.RECONNECTING
                    and self.orders.suppressed):
                try:
                    await self.orders.suppress(())
                except BrokerError as exc:
                    log.info("IBKR: re-suppressing questions failed: %s", exc)
            previous = state.status

    # -- market data ------------------------------------------------------------------
    async def search_instruments(self, query: str) -> list[Instrument]:
        return await self.contracts.search(query)

    async def fetch_bars(self, symbol: str, interval: Interval, start: datetime | None = None,
                         end: datetime | None = None, limit: int | None = None) -> list[Bar]:
        if interval not in BAR_SIZES:
            raise InvalidRequestError(f"IBKR does not serve {interval.value} bars", field="interval")
        conid = await self.contracts.conid(symbol)
        payload = await self.client.request("GET", "/iserver/marketdata/history",
                                            params=history_params(conid, interval, start=start, end=end, limit=limit))
        inst = await self.contracts.instrument(symbol)
        return select_bars(bars_from_history(inst.symbol, interval, payload), start, end, limit)

    async def watch_quotes(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Quotes from the websocket (``smd``), one merged update at a time."""
        if self.stream is None:
            raise InvalidRequestError("Connect to the IBKR gateway first", field="symbols")
        async for quote in stream_quotes(self.stream, self.contracts, symbols, supervisor=self.supervisor):
            yield self.owned(quote)

    async def watch_bars(self, symbol: str, interval: Interval) -> AsyncIterator[Bar]:
        """Polls history every ``poll_interval`` and yields the newest bars that changed
        (the forming bar updates in place: same ``start``). A poll that fails
        unexpectedly is logged and counted by the supervisor (task "bars"); the next
        poll runs as usual. Ends at close()."""
        last: dict[datetime, Bar] = {}
        while not self._closed.is_set():
            changed: list[Bar] = []
            with self.supervisor.item(BARS_TASK, f"{symbol} {interval.value}", label="chart bars"):
                try:
                    bars = await self.fetch_bars(symbol, interval, limit=2)
                except BrokerError as exc:
                    log.info("IBKR: bar poll of %s failed: %s", symbol, exc)
                    bars = []
                for bar in bars:
                    if last.get(bar.start) != bar:
                        last[bar.start] = bar
                        changed.append(bar)
            for bar in changed:
                yield bar
            await wait_event(self._closed, self.poll_interval)  # not wait_for: it can drop a cancel (transport.waits)
