"""LiveConnection: one connection of the desk, live. Qt-free.

It owns the connection's adapter (a bound :class:`~desktop.brokers.Broker`), its
state (``status``, the broker's session ``ConnectionState``, ``capabilities`` read
after connect), its per-connection caches (instruments, allocation groups) and its
supervised tasks: one ``watch_orders`` per account and allocation group, one
``watch_quotes`` for the symbols wanted from it, ``watch_connection``, and one
snapshot poll (balances, positions, fills; groups for advisors) paced by
``capabilities.poll_interval``. Everything it learns goes into the shared
:class:`~desktop.desk.state.DeskState` under its own ``connection_id``.

Every task runs under the connection's :class:`~desktop.desk.supervisor.TaskSupervisor`
(the adapter kit's supervisor): one that dies is logged, reported (ERROR event) and
restarted with back-off; one that keeps failing shows in ``failing`` ("order
updates", HEALTH event) until it works again; a stream the adapter ends (close) is
not restarted. One item a task cannot apply (a bad order, a quote, a session state)
is logged and skipped; the task goes on. An order whose outcome is unknown is checked in the background
(``checks``, see :mod:`desktop.desk.order_checks`). Stopping cancels every task and
closes the adapter; the rows stay, marked stale.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from desktop.brokers import AuthError, Broker, BrokerCapabilities, BrokerError, RateLimitedError
from desktop.domain import (
    AccountValues,
    AllocationGroup,
    ConnectionState,
    ConnectionStatus,
    Instrument,
    Order,
)
from desktop.security.redaction import redact

from . import events as ev
from .instruments import ConnectionInstruments
from .order_checks import CHECK_DELAYS, OrderChecks
from .polling import AccountRefresher
from .state import DeskState
from .supervisor import ACCOUNT_UPDATES, ORDER_UPDATES, QUOTES, SESSION_UPDATES, Supervision, TaskSupervisor
from .tasks import spawn

log = logging.getLogger(__name__)

DISCONNECTED, CONNECTING, CONNECTED = "disconnected", "connecting", "connected"

STALE_SESSIONS = frozenset({ConnectionStatus.RECONNECTING, ConnectionStatus.DISCONNECTED,
                            ConnectionStatus.LOGIN_REQUIRED, ConnectionStatus.COMPETING})
"""Session states in which a connected broker's rows may be out of date (greyed)."""


class LiveConnection(ConnectionInstruments):
    """One connection (see the module docstring).

    ``connection_id`` / ``name``: the saved connection's id and name (or the
    adapter's own for an ad-hoc one); ``broker``: its bound adapter; ``state``: the
    desk's rows; ``notify(DeskEvent)``: the desk's listeners; ``poll_s``: seconds
    between snapshot polls (None: ``capabilities.poll_interval``);
    ``start_budget_s``: how long :meth:`start` waits for the first snapshots;
    ``supervision``: restart and "keeps failing" policy of its tasks; ``check_delays``:
    seconds before each look-up of an order whose outcome is unknown.
    ``status`` is "disconnected", "connecting", "connected" or "error: <why>";
    ``failing`` the labels of its tasks that keep failing.
    """

    def __init__(self, connection_id: str, name: str, broker: Broker, state: DeskState,
                 notify: Callable[[ev.DeskEvent], None], *, poll_s: float | None = None,
                 start_budget_s: float = 3.0, saved: bool = True, supervision: Supervision | None = None,
                 check_delays: Iterable[float] = CHECK_DELAYS) -> None:
        self.id = connection_id
        self.name = name
        self.broker = broker
        self.saved = saved
        self.state = state
        self._notify = notify
        self.poll_s = poll_s
        self.start_budget_s = start_budget_s
        self.status = DISCONNECTED
        self.session: ConnectionState | None = None
        self.capabilities: BrokerCapabilities | None = None
        self.instruments: dict[str, Instrument] = {}
        self.groups: dict[str, AllocationGroup] = {}
        self.allocation_values: dict[str, AccountValues] = {}
        self._tasks: set[asyncio.Task] = set()
        self._order_sources: set[str] = set()
        self._quote_symbols: tuple[str, ...] = ()
        self._quote_task: asyncio.Task | None = None
        self.supervisor = TaskSupervisor(name, report=self.report,
                                         changed=lambda failing: self.emit(ev.HEALTH, failing), policy=supervision)
        self.checks = OrderChecks(connection_id=connection_id, name=lambda: self.name,
                                  fetch_orders=lambda source: self.broker.fetch_orders(source), apply=self.apply_order,
                                  changed=lambda check: self.emit(ev.ORDER_CHECK, check), spawn=self.spawn,
                                  delays=tuple(check_delays))
        self.refresher = AccountRefresher(
            connection_id=connection_id, name=name, broker=broker, state=state, remember=self.remember,
            new_holdings=self.positions_changed, spawn=self.spawn, poll_interval=lambda: self.poll_interval,
            advisor=lambda: self.is_advisor, load_allocation=self.load_allocation, failed=self._poll_failed,
            ok=self.supervisor.ok)

    # -- what it is ---------------------------------------------------------------
    @property
    def kind(self) -> str:
        """The broker kind ("paper", "ibkr", ...)."""
        return self.broker.name

    @property
    def is_live(self) -> bool:
        """Connected (its session may still be in a transient state, e.g. cool-down)."""
        return self.status == CONNECTED

    @property
    def is_advisor(self) -> bool:
        """The login has allocation groups (read after connect)."""
        return bool(self.capabilities is not None and self.capabilities.allocation_groups)

    @property
    def poll_interval(self) -> float:
        """Seconds between snapshot polls: ``poll_s``, else what the broker sustains."""
        if self.poll_s is not None:
            return self.poll_s
        return (self.capabilities or self.broker.capabilities).poll_interval

    @property
    def failing(self) -> tuple[str, ...]:
        """Labels of this connection's tasks that keep failing ("order updates",
        "quotes", "account updates", "session updates"); empty when all deliver."""
        return self.supervisor.failing

    def __repr__(self) -> str:
        return f"LiveConnection({self.id!r}, {self.name!r}, {self.kind}, {self.status})"

    # -- life cycle -----------------------------------------------------------------
    async def start(self, symbols: Iterable[str] = ()) -> None:
        """Connect, read capabilities, load accounts, the instruments of ``symbols``,
        (advisor) groups, the first snapshots (waiting at most ``start_budget_s``), then
        start the order streams and the poll; quotes start when the desk sets the
        symbols wanted from this connection (:meth:`set_quote_symbols`). Raises
        BrokerError when the broker cannot be connected (``status`` says why; its rows
        stay stale)."""
        self._set_status(CONNECTING)
        self._spawn(self.supervisor.run("connection", SESSION_UPDATES, self._watch_connection),
                    "watch_connection")  # login prompts while connect() waits
        try:
            await self.broker.connect()
            self.capabilities = self.broker.capabilities
            accounts = await self.broker.fetch_accounts()
        except BrokerError as exc:
            await self._cancel_tasks()
            self._set_status(f"error: {exc.message}")
            raise
        self.state.put_accounts(self.id, accounts)
        await self._load_instruments(dict.fromkeys(symbols))
        if self.is_advisor:
            await self.load_allocation()
        loads = [self._spawn(self._follow_orders(source), f"orders:{source}")
                 for source in [a.account_id for a in accounts] + list(self.groups)]
        loads += [self._spawn(self.refresher.refresh(a.account_id), f"refresh:{a.account_id}") for a in accounts]
        await asyncio.wait(loads, timeout=self.start_budget_s)
        self._spawn(self.supervisor.run("poll", ACCOUNT_UPDATES, self.refresher.poll_loop), "poll")
        if self.capabilities.accounts_poll_interval:
            self._spawn(self.supervisor.run("accounts", ACCOUNT_UPDATES, self._accounts_loop), "accounts")
        self._set_status(CONNECTED)

    async def reload_accounts(self) -> list:
        """Read the account list again (``fetch_accounts``); follow the orders of the
        accounts new to the desk and load their snapshots. Returns the new accounts
        (STATUS event when there are any). Raises BrokerError."""
        accounts = await self.broker.fetch_accounts()
        known = {a.account_id for a in self.state.accounts_of(self.id)}
        self.state.put_accounts(self.id, accounts)
        new = [a for a in accounts if a.account_id not in known]
        for account in new:
            self._spawn(self._follow_orders(account.account_id), f"orders:{account.account_id}")
            self.refresher.schedule(account.account_id)
        if new:
            self.capabilities = self.broker.capabilities
            log.info("%s: %d new account(s): %s", self.name, len(new), ", ".join(a.account_id for a in new))
            self.emit(ev.STATUS)
        return new

    async def _accounts_loop(self) -> None:
        """Every ``capabilities.accounts_poll_interval`` s: :meth:`reload_accounts`
        (a failed read is logged, counts against "account updates", and is retried)."""
        while True:
            await asyncio.sleep((self.capabilities or self.broker.capabilities).accounts_poll_interval or 60.0)
            try:
                await self.reload_accounts()
            except BrokerError as exc:
                self._poll_failed("poll:accounts", "the account list", exc)
            else:
                self.supervisor.ok("poll:accounts")

    async def stop(self) -> None:
        """Cancel every task and close the adapter (idempotent); rows stay, stale."""
        await self._cancel_tasks()
        self.checks.cancel()
        self.supervisor.clear()
        try:
            await self.broker.close()
        except Exception:  # a failing close must not keep the others from stopping
            log.exception("closing %s failed", self.name)
        self._order_sources.clear()
        self._set_status(DISCONNECTED)

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._quote_task = None

    def _set_status(self, status: str) -> None:
        self.status = status
        self.state.set_stale(self.id, status != CONNECTED or (
            self.session is not None and self.session.status in STALE_SESSIONS))
        self.emit(ev.STATUS)

    def rename(self, name: str) -> None:
        """The saved connection was renamed: show the new name (STATUS event)."""
        self.name = self.refresher.name = self.supervisor.name = name
        self.emit(ev.STATUS)

    def emit(self, kind: str, detail: object = None) -> None:
        """Tell the desk's listeners (see :mod:`desktop.desk.events`)."""
        self._notify(ev.DeskEvent(kind, self, detail))

    def report(self, exc: BaseException) -> None:
        """Report a failure of one of this connection's tasks (ERROR event, redacted)."""
        message = exc.message if isinstance(exc, BrokerError) else f"{type(exc).__name__}: {exc}"
        self.emit(ev.ERROR, redact(f"{self.name}: {message}"))

    def spawn(self, coro: Awaitable, name: str) -> asyncio.Task:
        """Run ``coro`` as one of this connection's tasks (cancelled by stop())."""
        return self._spawn(coro, name)

    def _spawn(self, coro, name: str) -> asyncio.Task:
        return spawn(coro, name=f"{self.id}:{name}", on_error=self.report, tasks=self._tasks)

    def _poll_failed(self, task: str, what: str, exc: BaseException) -> None:
        """One poll of ``what`` failed: it counts against the poll (one that keeps
        failing shows as "account updates"), unless it is the session's own state (a
        pause, a lost login, a session being restored): that one is only logged."""
        session_down = self.session is not None and self.session.status in STALE_SESSIONS
        if isinstance(exc, (RateLimitedError, AuthError)) or session_down:
            log.warning("%s: poll of %s failed: %s", self.name, what, redact(str(exc)))
        else:
            self.supervisor.failed(task, ACCOUNT_UPDATES, exc, raw=what)

    async def _watch_connection(self) -> None:
        async for state in self.broker.watch_connection():
            with self.supervisor.item("connection", state):
                self._session_changed(state)

    def _session_changed(self, state: ConnectionState) -> None:
        self.session = state
        if state.status is ConnectionStatus.CONNECTED and self.status == CONNECTED:
            self.capabilities = self.broker.capabilities  # a re-login may change them (e.g. advisor groups)
        if self.status == CONNECTED:
            self.state.set_stale(self.id, state.status in STALE_SESSIONS)
        self.emit(ev.SESSION, state)

    # -- quotes ---------------------------------------------------------------------
    def set_quote_symbols(self, symbols: Iterable[str]) -> None:
        """Stream quotes of ``symbols`` (plus every symbol this connection holds)."""
        wanted = tuple(dict.fromkeys(symbols))
        if wanted == self._quote_symbols and self._quote_task is not None:
            return
        self._quote_symbols = wanted
        if self.is_live:
            self._resubscribe_quotes()

    def _quote_targets(self) -> list[str]:
        held = (p.symbol for p in self.state.positions_of(self.id))
        return list(dict.fromkeys([*self._quote_symbols, *held]))

    def _resubscribe_quotes(self) -> None:
        caps = self.capabilities or self.broker.capabilities
        if not caps.quotes:
            return
        if self._quote_task is not None:
            self._quote_task.cancel()
        targets = self._quote_targets()
        self._quote_task = self._spawn(self.supervisor.run("quotes", QUOTES, lambda: self._watch_quotes(targets)),
                                       "watch_quotes")

    async def _watch_quotes(self, symbols: list[str]) -> None:
        if not symbols:
            return
        async for quote in self.broker.watch_quotes(symbols):
            with self.supervisor.item("quotes", quote):
                self.state.put_quote(quote)

    def positions_changed(self, new_symbols: Iterable[str]) -> None:
        """New holdings appeared: stream their quotes too (for marking)."""
        if any(s not in self._quote_symbols for s in new_symbols) and self.is_live:
            self._resubscribe_quotes()

    # -- orders -----------------------------------------------------------------------
    async def _follow_orders(self, source: str) -> None:
        """Watch the orders of an account or group (once per source) and load its order
        snapshot; the stream starts first, and the snapshot never overwrites a newer
        version the stream delivered."""
        if source in self._order_sources:
            return
        self._order_sources.add(source)
        self._spawn(self.supervisor.run(f"orders:{source}", ORDER_UPDATES, lambda: self._watch_orders(source)),
                    f"watch_orders:{source}")
        await asyncio.sleep(0)
        for order in await self.broker.fetch_orders(source):
            with self.supervisor.item(f"orders:{source}", order):
                self.remember(order.instrument)
                self.state.add_order_if_new(order)

    async def _watch_orders(self, source: str) -> None:
        async for order in self.broker.watch_orders(source):
            with self.supervisor.item(f"orders:{source}", order):
                self.apply_order(order)

    def apply_order(self, order: Order) -> None:
        """Keep ``order``; when its fill or status changed, refresh the accounts it
        touches (a group order's: every member). An order check it answers ends."""
        self.remember(order.instrument)
        previous = self.state.put_order(order)
        if previous is None or previous.filled != order.filled or previous.status != order.status:
            group = self.groups.get(order.account_id)
            for account_id in (group.account_ids if group is not None else (order.account_id,)):
                self.refresher.schedule(account_id)
        self.checks.seen(order)

    # -- advisor ------------------------------------------------------------------------
    async def load_allocation(self) -> None:
        """Fetch groups and client values; emit ALLOCATION when either changed and start
        following the orders of a group seen for the first time (after start)."""
        groups = await self.broker.fetch_allocation_groups()
        values = await self.broker.fetch_allocation_values()
        by_name = {g.name: g for g in groups}
        by_account = {v.account_id: v for v in values}
        if by_name == self.groups and by_account == self.allocation_values:
            return
        self.groups, self.allocation_values = by_name, by_account
        self.emit(ev.ALLOCATION)
        if self.is_live:
            for name in by_name:
                if name not in self._order_sources:
                    self._spawn(self._follow_orders(name), f"orders:{name}")

    def client_accounts(self) -> list:
        """Accounts that hold positions: every account but an advisor's master."""
        return [a for a in self.state.accounts_of(self.id) if not a.is_master]

    def group_orders(self) -> list[Order]:
        """Orders placed to an allocation group (their ``account_id`` is the group)."""
        return [o for o in self.state.orders.values() if o.connection_id == self.id and o.account_id in self.groups]
