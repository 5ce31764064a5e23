"""What every conformance case shares: :class:`BrokerCase` (one adapter against its
fake), :class:`Session` (one running scenario), :class:`Watcher` (a watch_* stream
pumped in a task), :class:`Malformed` and :class:`Transport`.

A :class:`BrokerCase` knows how to start its fake, build the adapter bound to
:attr:`BrokerCase.connection_id`, which account and symbol to trade, how to make the
market move (so an order fills), and how to feed its adapter a malformed payload.
:meth:`BrokerCase.session` runs one scenario: the fake started, the adapter built
and connected, a :class:`Session` handed to the test, everything closed afterwards
(also when the test fails). ``tests.conformance.cases.CASES`` is the list the suite is
parametrised over; a new adapter joins by adding its case there (see README.md).
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

from desktop.brokers.base import Broker
from desktop.brokers.transport import wait_event
from desktop.domain import Instrument, Order, OrderQuestion, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce

T = TypeVar("T")

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent (the equities' tick)."""
    return Decimal(value).quantize(CENT)


async def answer_yes(_question: OrderQuestion) -> bool:
    """The confirm handler of the suite: every broker question is answered yes (the
    suite tests orders, not the question flow; a declined question would make any
    order look rejected)."""
    return True


def describe(item: Any) -> str:
    """A short text of a yielded item for failure messages."""
    if isinstance(item, Order):
        return f"{item.order_id}:{item.status.value}:{item.filled}/{item.amount}"
    return type(item).__name__


# -- watching a stream -------------------------------------------------------------
class Watcher(Generic[T]):
    """Pumps one ``watch_*`` iterator in a task of its own.

    ``items`` is everything yielded so far, ``finished`` is set when the iterator ends
    (normally: ``error`` None; or by raising: ``error`` the exception). Waiting is on
    events with timeouts (:meth:`until`, :meth:`ended`), never on sleeps.
    """

    def __init__(self, iterator: AsyncIterator[T], what: str, step: float) -> None:
        self.what = what
        self.items: list[T] = []
        self.error: BaseException | None = None
        self.finished = asyncio.Event()
        self._step = step
        self._iterator = iterator
        self._new = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._pump(), name=f"conformance {what}")

    async def _pump(self) -> None:
        try:
            async for item in self._iterator:
                self.items.append(item)
                self._new.set()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - reported by until()/ended()
            self.error = exc
        finally:
            self.finished.set()
            self._new.set()

    async def started(self) -> None:
        """Let the pump run into the iterator's body (its first await): one turn of
        the event loop, so a watch has started before what the test does next."""
        await asyncio.sleep(0)

    async def until(self, predicate: Callable[[list[T]], bool], *, timeout: float = 10.0,
                    drive: Callable[[], None] | None = None, what: str = "") -> list[T]:
        """Wait until ``predicate(items)`` holds and return the items. ``drive`` (e.g.
        move the market a minute) is called before each wait for a new item. Raises
        AssertionError naming what was seen when the iterator ends first or
        ``timeout`` seconds pass."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self.items):
                    if self.finished.is_set():
                        raise AssertionError(f"{self.what} ended ({self.error!r}) before {what or 'the wanted item'}; "
                                             f"seen: {[describe(i) for i in self.items]}")
                    if drive is not None:
                        drive()
                    self._new.clear()
                    await wait_event(self._new, self._step)  # not wait_for: it can drop until()'s own timeout
        except TimeoutError:
            raise AssertionError(f"{self.what}: {what or 'the wanted item'} not seen within {timeout}s; "
                                 f"seen: {[describe(i) for i in self.items]}") from None
        return self.items

    async def first(self, *, timeout: float = 10.0, drive: Callable[[], None] | None = None) -> T:
        """The first item, waiting for it as :meth:`until` does."""
        return (await self.until(bool, timeout=timeout, drive=drive, what="a first item"))[0]

    async def ended(self, timeout: float = 5.0) -> bool:
        """Whether the iterator finished within ``timeout`` seconds."""
        return await wait_event(self.finished, timeout)

    async def stop(self) -> None:
        """Cancel the pump (and so the iteration) if it still runs."""
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def order_seen(order_id: str, predicate: Callable[[Order], bool] = lambda _o: True) -> Callable[[list[Order]], bool]:
    """A :meth:`Watcher.until` predicate: some yielded snapshot of ``order_id`` satisfies ``predicate``."""
    return lambda items: any(o.order_id == order_id and predicate(o) for o in items)


# -- one scenario --------------------------------------------------------------------
@dataclass
class Malformed:
    """A malformed payload a case fed to its adapter (:meth:`BrokerCase.inject_malformed`).

    ``token``: text a WARNING (or worse) log record must contain, naming the problem
    (the unreadable value or the skipped row's id). ``read()``: reads the data again
    through the adapter (a fetch, or waiting on a watch). ``key(item)``: an item's id;
    ``survivors``: ids that must still arrive; ``dropped``: the id of the malformed item,
    which must not arrive.
    """

    what: str
    token: str
    read: Callable[[], Awaitable[list[Any]]]
    key: Callable[[Any], str]
    survivors: set[str]
    dropped: str


@dataclass(frozen=True)
class Transport:
    """How a case's adapter reaches its fake: ``host``/``port`` where the fake listens,
    ``requests`` it has received so far, ``websockets`` open now (None: not counted)."""

    host: str
    port: int
    requests: int
    websockets: int | None = None


@dataclass
class Session:
    """One running scenario: the case, its fake, the connected adapter, the account and
    symbol to trade, and helpers every test uses."""

    case: "BrokerCase"
    workdir: Path
    fake: Any
    broker: Broker = field(init=False)
    watchers: list[Watcher] = field(default_factory=list)

    @property
    def connection_id(self) -> str:
        return self.case.connection_id

    @property
    def account_id(self) -> str:
        return self.case.account_id

    @property
    def symbol(self) -> str:
        return self.case.symbol

    # -- orders -------------------------------------------------------------------
    def request(self, limit_price: Decimal, *, amount: int | Decimal = 10, side: OrderSide = OrderSide.BUY,
                **fields: Any) -> OrderRequest:
        """A limit order of :attr:`symbol` for this connection and account, good for the
        case's :attr:`BrokerCase.time_in_force` (DAY unless the broker has none)."""
        fields.setdefault("time_in_force", self.case.time_in_force)
        return OrderRequest(connection_id=self.connection_id, account_id=self.account_id,
                            instrument=Instrument.equity(self.symbol), side=side, type=OrderType.LIMIT,
                            amount=Decimal(amount), limit_price=cents(limit_price), **fields)

    async def last_price(self) -> Decimal:
        price = await self.case.last_price(self)
        assert price is not None and price > 0, f"{self.case.id}: no last price of {self.symbol}"
        return price

    async def far_limit(self, amount: int = 10, factor: str = "0.7") -> OrderRequest:
        """A buy limit 30% under the market: accepted, and working until cancelled."""
        return self.request(await self.last_price() * Decimal(factor), amount=amount)

    async def marketable(self, amount: int = 10) -> OrderRequest:
        """A buy limit 5% over the market: fills as the market moves."""
        return self.request(await self.last_price() * Decimal("1.05"), amount=amount)

    async def create(self, request: OrderRequest) -> Order:
        return await self.broker.create_order(request, confirm=self.case.confirm)

    def move(self, minutes: int = 1) -> None:
        """Make the market move ``minutes`` minutes (orders may fill)."""
        self.case.move(self, minutes)

    async def watch(self, iterator: AsyncIterator[T], what: str) -> Watcher[T]:
        """A started :class:`Watcher` of ``iterator`` (stopped by :meth:`close`)."""
        watcher = Watcher(iterator, what, self.case.step)
        self.watchers.append(watcher)
        await watcher.started()
        return watcher

    async def watch_orders(self) -> Watcher[Order]:
        return await self.watch(self.broker.watch_orders(self.account_id), f"watch_orders({self.account_id})")

    async def fill(self, request: OrderRequest, watcher: Watcher[Order] | None = None) -> Order:
        """Place ``request`` (marketable) and move the market until ``watcher`` (a new
        watch_orders when None) shows it FILLED; returns that snapshot."""
        watcher = watcher or await self.watch_orders()
        order = await self.create(request)
        items = await watcher.until(order_seen(order.order_id, lambda o: o.status is OrderStatus.FILLED),
                                    drive=self.move, what=f"order {order.order_id} FILLED")
        return [o for o in items if o.order_id == order.order_id and o.status is OrderStatus.FILLED][0]

    async def orders_by_id(self) -> dict[str, Order]:
        return {o.order_id: o for o in await self.broker.fetch_orders(self.account_id)}

    # -- identity ---------------------------------------------------------------------
    def check_owned(self, item: Any) -> None:
        """``item`` carries this connection's id and (when it has one) the adapter's name."""
        assert item.connection_id == self.connection_id, (
            f"{type(item).__name__} carries connection_id {item.connection_id!r}, not {self.connection_id!r}")
        if "broker" in type(item).model_fields:
            assert item.broker == self.broker.name, f"{type(item).__name__}.broker {item.broker!r} != {self.broker.name!r}"

    # -- life cycle -------------------------------------------------------------------
    async def connect(self) -> None:
        self.broker = self.case.build(self)
        await self.broker.connect()

    async def reconnect(self, between: Callable[[], Awaitable[None] | None] | None = None) -> None:
        """Close the adapter, run ``between`` (e.g. corrupt the saved state), then build
        and connect a new adapter on the same fake: a later session of the same login."""
        await self.close()
        if between is not None:
            result = between()
            if result is not None:
                await result
        await self.connect()

    async def close(self) -> None:
        for watcher in self.watchers:
            await watcher.stop()
        self.watchers.clear()
        await self.broker.close()


# -- cases ---------------------------------------------------------------------------
class BrokerCase(abc.ABC):
    """One adapter against its fake. Subclasses set the class attributes and implement
    the abstract methods; the rest has defaults.

    ``id``: the pytest id. ``account_id`` / ``symbol``: what the suite trades (the
    account must be able to buy ``symbol`` with cash to spare). ``advisor``: the login
    is an advisor's (capabilities must say ``allocation_groups``). ``network``: the
    adapter reaches its fake over sockets (:meth:`transport` says where). ``step``: seconds to
    wait for a stream item before moving the market again. ``timeout``: seconds one
    scenario may take. ``malformed``: kind of malformed payload -> the name of
    the method (``async (session) -> Malformed``) that feeds it (empty: ``no_malformed``
    says why, and the check is skipped with that reason). ``known_failures``: conformance test name -> reason;
    those checks are marked ``xfail(strict=True)`` for this case only (temporary:
    remove the entry once the adapter is fixed, a strict xfail fails when it passes).
    """

    id: str = ""
    connection_id = "conn-x"
    account_id: str = ""
    symbol = "AAPL"
    time_in_force = TimeInForce.DAY
    """What the suite's limit orders are good for (a broker without DAY orders names its own)."""
    advisor = False
    network = False
    step = 0.1
    timeout = 30.0
    malformed: Mapping[str, str] = {}
    no_malformed = ""
    known_failures: Mapping[str, str] = {}
    confirm = staticmethod(answer_yes)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

    @abc.abstractmethod
    def fake(self, workdir: Path) -> Any:
        """An async context manager running this case's fake in ``workdir``; what it
        yields is :attr:`Session.fake`."""

    @abc.abstractmethod
    def build(self, session: Session) -> Broker:
        """A new adapter for ``session.fake``, bound to :attr:`connection_id`, not connected."""

    @abc.abstractmethod
    async def last_price(self, session: Session) -> Decimal:
        """The market's last price of ``session.symbol`` now (from the fake's truth)."""

    @abc.abstractmethod
    def move(self, session: Session, minutes: int) -> None:
        """Make the fake's market move ``minutes`` minutes."""

    def transport(self, session: Session) -> Transport | None:
        """Where the fake listens and what it received; None for an in-process adapter."""
        return None

    def order_posts(self, session: Session) -> int | None:
        """How many order submissions the fake has received; None when it cannot tell."""
        return None

    async def inject_malformed(self, session: Session, kind: str) -> Malformed:
        """Feed the adapter a malformed payload of ``kind``: calls the method
        :attr:`malformed` names for it."""
        return await getattr(self, self.malformed[kind])(session)

    @asynccontextmanager
    async def session(self, workdir: Path) -> AsyncIterator[Session]:
        async with self.fake(workdir) as fake:
            session = Session(self, workdir, fake)
            await session.connect()
            try:
                yield session
            finally:
                await session.close()

    async def run(self, workdir: Path, scenario: Callable[[Session], Awaitable[T]]) -> T:
        async with self.session(workdir) as session:
            return await scenario(session)
