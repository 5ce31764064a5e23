"""BrokerService: one per connected broker; owns its state and feeds Qt in batches.

Data flow: the adapter's watch_* streams and fetch_* snapshots update dicts keyed by
stable ids ((broker, account, id)); changed keys are marked dirty, and a QTimer
flushes them at most every ``flush_ms`` (100 ms) as one signal per kind carrying a
list of changed objects. Table models stage those lists and apply them in batches.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.security.redaction import redact
from desktop.brokers import Broker, BrokerError
from desktop.domain import ConnectionState
from desktop.domain import (
    Account,
    AccountValues,
    AllocationGroup,
    Balance,
    Fill,
    Instrument,
    OptionChain,
    Order,
    OrderRequest,
    Position,
    QuestionHandler,
    Quote,
)

from .advisor import AdvisorMixin
from desktop.desk.tasks import spawn

log = logging.getLogger(__name__)


class BrokerService(QObject, AdvisorMixin):
    """Connects a :class:`Broker`, runs its streams and polls, batches changes.

    Signals carry lists of frozen domain objects (never one signal per tick):
    ``ordersChanged(list[Order])``, ``fillsAdded(list[Fill])``,
    ``positionsChanged(list[Position])``, ``positionsRemoved(list[key])``,
    ``balancesChanged(list[Balance])``, ``quotesChanged(list[Quote])``,
    ``accountsChanged(list[Account])``; ``stateChanged(str)`` for the status bar
    ("connecting", "connected", "disconnected", "error: ..."); ``errorOccurred(str)``;
    ``connectionChanged(ConnectionState)`` each session state the broker publishes
    through ``Broker.watch_connection`` (login needed, competing, cool-down, ...).

    Advisor logins (``capabilities.allocation_groups``): the allocation groups and the
    clients' values are loaded at start and at every poll and emitted as
    ``allocationChanged(list[AllocationGroup], list[AccountValues])`` when they change;
    orders are fetched and watched for every account *and* every group (a group order
    has the group as its ``account_id``); balances, positions and fills are polled for
    every account. :meth:`consolidated_positions` sums the clients' positions.
    """

    stateChanged = Signal(str)
    accountsChanged = Signal(list)
    balancesChanged = Signal(list)
    positionsChanged = Signal(list)
    positionsRemoved = Signal(list)
    ordersChanged = Signal(list)
    fillsAdded = Signal(list)
    quotesChanged = Signal(list)
    errorOccurred = Signal(str)
    allocationChanged = Signal(list, list)
    connectionChanged = Signal(object)

    def __init__(self, broker: Broker, *, flush_ms: int = 100, poll_s: float | None = None, start_budget_s: float = 3.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.broker = broker
        self.poll_s = poll_s
        self.start_budget_s = start_budget_s
        self.state = "disconnected"
        self.instruments: dict[str, Instrument] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)
        self._tasks: set[asyncio.Task] = set()
        self.reset_state()

    def reset_state(self) -> None:
        """Forget every account, order, fill, position, balance and quote."""
        self.accounts: dict[tuple[str, str], Account] = {}
        self.balances: dict[tuple, Balance] = {}
        self.positions: dict[tuple, Position] = {}
        self.orders: dict[tuple, Order] = {}
        self.fills: dict[tuple, Fill] = {}
        self.quotes: dict[str, Quote] = {}
        self._dirty: dict[str, dict] = {k: {} for k in ("balances", "positions", "orders", "fills", "quotes")}
        self._removed_positions: list[tuple] = []
        self._quote_task: asyncio.Task | None = None
        self._refresh_pending: set[str] = set()
        self._refresh_again: set[str] = set()
        self._fills_since: dict[str, datetime | None] = {}
        self._watch_symbols: list[str] = []
        self.groups: dict[str, AllocationGroup] = {}
        self.allocation_values: dict[str, AccountValues] = {}
        self._order_sources: set[str] = set()
        self.connection: ConnectionState | None = None

    # -- life cycle ---------------------------------------------------------
    async def start(self, watch_symbols: list[str]) -> None:
        """Connect, load snapshots of every account (and allocation group), start the
        streams and polls. Snapshots that take longer than ``start_budget_s`` seconds
        finish in the background (their failures go to ``errorOccurred``).

        Raises BrokerError when the broker cannot be connected (state shows why).
        """
        self._set_state("connecting")
        # Session states (login needed, competing, ...) are published while connect() waits.
        self._spawn(self._watch_connection(), "watch_connection")
        try:
            await self.broker.connect()
            accounts = await self.broker.fetch_accounts()
        except BrokerError as exc:
            self._set_state(f"error: {exc.message}")
            raise
        self.accounts = {a.key: a for a in accounts}
        self.accountsChanged.emit(accounts)
        await self._load_instruments(watch_symbols)
        if self.is_advisor:
            await self._load_allocation()
        else:  # no groups: a ticket that showed an advisor's groups before forgets them
            self.allocationChanged.emit([], [])
        # Order and account snapshots load side by side; start() waits for them at most
        # start_budget_s (a paced broker, e.g. IBKR's 1 request per 5 s for live orders and
        # trades, may need far longer for an advisor's many accounts): the rest arrive later.
        loads = [self._spawn(self._follow_orders(source), f"orders:{source}")
                 for source in [a.account_id for a in accounts] + list(self.groups)]
        loads += [self._spawn(self._refresh_account(a.account_id, fills=True), f"refresh:{a.account_id}") for a in accounts]
        await asyncio.wait(loads, timeout=self.start_budget_s)
        self._spawn(self._poll_loop(), "poll")
        self.set_watchlist(watch_symbols)
        self._timer.start()
        self._set_state("connected")
        self.flush()

    async def stop(self) -> None:
        """Cancel every task and close the broker. Idempotent."""
        self._timer.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.broker.close()
        self._set_state("disconnected")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.stateChanged.emit(state)

    async def _watch_connection(self) -> None:
        async for state in self.broker.watch_connection():
            self.connection = state
            self.connectionChanged.emit(state)

    def _spawn(self, coro, name: str) -> asyncio.Task:
        return spawn(coro, name=name, on_error=self._task_failed, tasks=self._tasks)

    def _task_failed(self, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, BrokerError) else f"{type(exc).__name__}: {exc}"
        self.errorOccurred.emit(redact(message))

    # -- instruments ----------------------------------------------------------
    async def _load_instruments(self, symbols: list[str]) -> None:
        for symbol in symbols:
            for inst in await self.broker.search_instruments(symbol):
                self.instruments.setdefault(inst.symbol, inst)

    def _remember(self, instrument: Instrument) -> None:
        self.instruments.setdefault(instrument.symbol, instrument)

    def instrument_for(self, symbol: str) -> Instrument | None:
        """The instrument for ``symbol`` if this broker is known to list it. On a broker
        with options, an OCC symbol (padded or not) resolves to its option instrument."""
        key = symbol.strip().upper()
        found = self.instruments.get(key)
        if found is None and len(key) >= 16 and self.broker.capabilities.options:
            from desktop.domain.occ import OccSymbolError, parse_occ

            try:
                found = Instrument.for_option(parse_occ(key))
            except OccSymbolError:
                return None
        return found

    async def fetch_option_chain(self, underlying: str, expiry: date | None = None) -> OptionChain:
        """The broker's option chain of ``underlying`` (quotes of ``expiry``, or its default).
        Raises BrokerError (InvalidRequestError when the broker has no options)."""
        return await self.broker.fetch_option_chain(underlying, expiry)

    def known_symbols(self) -> list[str]:
        """Symbols with a known instrument, sorted."""
        return sorted(self.instruments)

    # -- quotes -------------------------------------------------------------
    def set_watchlist(self, symbols: list[str]) -> None:
        """(Re)subscribe quotes for ``symbols`` plus every position's symbol."""
        wanted = list(dict.fromkeys([*symbols, *(p.symbol for p in self.positions.values())]))
        self._watch_symbols = wanted
        if self._quote_task is not None:
            self._quote_task.cancel()
        self._quote_task = self._spawn(self._watch_quotes(wanted), "watch_quotes")

    async def _watch_quotes(self, symbols: list[str]) -> None:
        async for quote in self.broker.watch_quotes(symbols):
            self.quotes[quote.symbol] = quote
            self._dirty["quotes"][quote.symbol] = quote
            if quote.last is not None:
                self._mark_positions(quote.symbol, quote.last)

    def _mark_positions(self, symbol: str, last: Decimal) -> None:
        for key, pos in self.positions.items():
            if pos.symbol == symbol and pos.last_price != last:
                marked = pos.marked(last)
                self.positions[key] = marked
                self._dirty["positions"][key] = marked

    # -- orders, fills, positions, balances ---------------------------------
    async def _watch_orders(self, account_id: str) -> None:
        async for order in self.broker.watch_orders(account_id):
            self._apply_order(order)

    def _apply_order(self, order: Order) -> None:
        self._remember(order.instrument)
        previous = self.orders.get(order.key)
        self.orders[order.key] = order
        self._dirty["orders"][order.key] = order
        if previous is None or previous.filled != order.filled or previous.status != order.status:
            group = self.groups.get(order.account_id)
            for account_id in (group.account_ids if group is not None else (order.account_id,)):
                self._schedule_refresh(account_id)

    def _schedule_refresh(self, account_id: str) -> None:
        """Coalesce refreshes: at most one in flight per account; one asked for while
        another runs makes it run once more afterwards (the running one may have read
        positions or fills from before the change)."""
        if account_id in self._refresh_pending:
            self._refresh_again.add(account_id)
            return
        self._refresh_pending.add(account_id)

        async def run() -> None:
            try:
                while True:
                    self._refresh_again.discard(account_id)
                    await self._refresh_account(account_id, fills=True)
                    if account_id not in self._refresh_again:
                        break
            finally:
                self._refresh_pending.discard(account_id)

        self._spawn(run(), f"refresh:{account_id}")

    async def _refresh_account(self, account_id: str, *, fills: bool) -> None:
        broker = self.broker
        balances = await broker.fetch_balances(account_id)
        positions = await broker.fetch_positions(account_id)
        if fills:
            since = self._fills_since.get(account_id)
            for fill in await broker.fetch_fills(account_id, since=since):
                if fill.key not in self.fills:
                    self.fills[fill.key] = fill
                    self._dirty["fills"][fill.key] = fill
                if since is None or fill.timestamp > since:
                    since = fill.timestamp
            self._fills_since[account_id] = since
        for bal in balances:
            if self.balances.get(bal.key) != bal:
                self.balances[bal.key] = bal
                self._dirty["balances"][bal.key] = bal
        self._replace_positions(account_id, positions)

    def _replace_positions(self, account_id: str, positions: list[Position]) -> None:
        fresh = {p.key: p for p in positions}
        for key in [k for k, p in self.positions.items() if p.account_id == account_id and k not in fresh]:
            del self.positions[key]
            self._dirty["positions"].pop(key, None)
            self._removed_positions.append(key)
        new_symbols = False
        for key, pos in fresh.items():
            self._remember(pos.instrument)
            quote = self.quotes.get(pos.symbol)
            if quote is not None and quote.last is not None:
                pos = pos.marked(quote.last)
            if self.positions.get(key) != pos:
                new_symbols = new_symbols or key not in self.positions
                self.positions[key] = pos
                self._dirty["positions"][key] = pos
        if new_symbols and any(p.symbol not in self._watch_symbols for p in fresh.values()):
            self.set_watchlist(self._watch_symbols)

    async def _poll_loop(self) -> None:
        """Balances move with prices; poll them, positions and new fills (fills not tied to
        an order change, e.g. option exercise or expiry) at a modest pace. A failing poll
        is logged and retried next time; it never ends the loop."""
        while True:
            await asyncio.sleep(self.poll_interval)
            if self.is_advisor:
                try:
                    await self._load_allocation()
                except BrokerError as exc:
                    log.warning("allocation groups poll failed: %s", redact(str(exc)))
                except Exception:
                    log.exception("allocation groups poll failed")
            for account in list(self.accounts.values()):
                try:
                    await self._refresh_account(account.account_id, fills=True)
                except BrokerError as exc:
                    log.warning("poll of %s failed: %s", account.account_id, redact(str(exc)))
                except Exception:
                    log.exception("poll of %s failed", account.account_id)

    @property
    def poll_interval(self) -> float:
        """Seconds between snapshot polls: ``poll_s`` when given, else what the broker's
        rate limits sustain (``capabilities.poll_interval``)."""
        return self.poll_s if self.poll_s is not None else self.broker.capabilities.poll_interval

    # -- order actions (awaited by the UI) ----------------------------------
    async def submit(self, request: OrderRequest, confirm: QuestionHandler | None = None) -> Order:
        """Send ``request``; returns the acknowledged order. Raises BrokerError.

        ``confirm`` answers the broker's questions (see ``Broker.create_order``); without
        it every question is declined and the order is refused (OrderRejectedError).
        ``request.account_id`` may be an allocation group on an advisor login.
        """
        order = await self.broker.create_order(request, confirm=confirm)
        self._apply_order(order)
        self.flush()
        return order

    async def cancel(self, order: Order) -> Order:
        """Cancel a working order. Raises BrokerError with the broker's reason."""
        updated = await self.broker.cancel_order(order.account_id, order.order_id)
        self._apply_order(updated)
        self.flush()
        return updated

    async def modify(self, order: Order, changes: dict[str, Any], confirm: QuestionHandler | None = None) -> Order:
        """Modify a working order's amount / limit_price / stop_price (``changes`` keys).

        ``confirm`` as for :meth:`submit`. A group order is modified by its group
        (its ``account_id`` is the group). Raises BrokerError.
        """
        updated = await self.broker.modify_order(order.account_id, order.order_id, confirm=confirm, **changes)
        self._apply_order(updated)
        self.flush()
        return updated

    # -- batching to Qt ------------------------------------------------------
    def flush(self) -> None:
        """Emit every batch of changes collected since the last flush."""
        signals = {
            "balances": self.balancesChanged,
            "orders": self.ordersChanged,
            "fills": self.fillsAdded,
            "quotes": self.quotesChanged,
            "positions": self.positionsChanged,
        }
        if self._removed_positions:
            removed, self._removed_positions = self._removed_positions, []
            self.positionsRemoved.emit(removed)
        for kind, signal in signals.items():
            dirty = self._dirty[kind]
            if dirty:
                self._dirty[kind] = {}
                signal.emit(list(dirty.values()))
