"""The broker interface every adapter implements. Async, Qt-free.

Naming follows CCXT: ``fetch_*`` return snapshots, ``watch_*`` are async iterators
over a stream, ``create/cancel/modify_order`` change orders. All methods raise
:class:`desktop.brokers.errors.BrokerError` subclasses, never bare transport errors.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from desktop.domain import (
    AccountValues,
    AllocationGroup,
    ConnectionState,
    OrderPreview,
    QuestionHandler,
    Account,
    Balance,
    Bar,
    Fill,
    Instrument,
    Interval,
    MarketSession,
    OptionChain,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    Quote,
)

from .capabilities import BrokerCapabilities

if TYPE_CHECKING:
    from .bar_columns import BarColumns

M = TypeVar("M")


class Broker(abc.ABC):
    """Abstract broker adapter.

    Life cycle: ``await connect()`` before anything else, ``await close()`` at the
    end (idempotent). ``name`` is the broker kind stamped into domain models' ``broker``
    ("paper", "ibkr", ...); ``display_name`` is for people.

    Identity: one adapter instance serves one *connection* (one configured login; two
    paper accounts are two connections). Every Account, Balance, Position, Order, Fill
    and Quote it returns or yields carries its :attr:`connection_id`, so objects of two
    connections of the same broker never share a key; an OrderRequest naming another
    connection is refused (:meth:`check_request`).

    Streams: ``watch_orders(account)`` first yields the account's working orders as
    they are when the watch starts (possibly none), then every change of any of its
    orders, as full Order snapshots, until close() (see tests/conformance).
    """

    name: str = "broker"
    display_name: str = "Broker"
    _connection_id: str | None = None
    _secret_sink: Callable[[str, str], None] | None = None

    @property
    def connection_id(self) -> str:
        """The connection this instance serves; ``name`` when made without one (tests)."""
        return self._connection_id or self.name

    @connection_id.setter
    def connection_id(self, value: str) -> None:
        self._connection_id = value

    def bind(self, connection_id: str, save_secret: Callable[[str, str], None] | None = None) -> "Broker":
        """Make this instance the adapter of connection ``connection_id`` (before
        ``connect()``); ``save_secret(field, value)`` keeps a secret the session
        learns (a refreshed token, a user secret returned at registration) with the
        connection, in the OS keyring. Returns self."""
        self._connection_id = connection_id
        self._secret_sink = save_secret
        return self

    def save_secret(self, field: str, value: str) -> None:
        """Keep ``value`` as the connection's secret ``field`` (see :meth:`bind`); it is
        registered for log redaction first. Without a sink (an unbound adapter, tests)
        it stays in this object only and a warning says so."""
        from desktop.security.redaction import register_secret

        register_secret(value)
        if self._secret_sink is None:
            import logging

            logging.getLogger(__name__).warning("%s: secret %s changed but no connection keeps it", self.connection_id, field)
            return
        self._secret_sink(field, value)

    def owned(self, item: M) -> M:
        """``item`` (a broker-sourced domain model) carrying this connection's id: the
        same object when it does already, else a copy."""
        if getattr(item, "connection_id", None) == self.connection_id:
            return item
        return item.model_copy(update={"connection_id": self.connection_id})  # type: ignore[attr-defined]

    def owned_all(self, items: Iterable[M]) -> list[M]:
        """:meth:`owned` of each of ``items``."""
        return [self.owned(item) for item in items]

    def check_request(self, request: OrderRequest) -> None:
        """Refuse a request made for another connection (InvalidRequestError naming
        both): an order goes to the connection it names and nowhere else; and a
        dollar-amount (``notional``) order where the account's capabilities do not
        say ``notional`` (InvalidRequestError, field "notional")."""
        from .errors import InvalidRequestError

        if request.connection_id != self.connection_id:
            raise InvalidRequestError(
                f"this order is for connection {request.connection_id!r}, not {self.connection_id!r}; "
                "it was not sent", field="connection_id")
        if request.notional is not None and not self.account_capabilities(request.account_id).notional:
            raise InvalidRequestError(
                f"{self.display_name} does not take dollar-amount orders: enter a number of shares instead; "
                "the order was not sent", field="notional")

    @property
    @abc.abstractmethod
    def capabilities(self) -> BrokerCapabilities:
        """The features this adapter supports. Read them after ``connect()``: some
        depend on the login (an IBKR paper login is ``paper``, an advisor login has
        ``allocation_groups``); before it they describe the adapter in general."""

    def account_capabilities(self, account_id: str) -> BrokerCapabilities:
        """What ``account_id`` can do, where accounts of one login differ (an
        aggregator's accounts at several brokerages: read-only ones carry a
        ``trade_refusal``, fractional shares per brokerage). Default: the
        connection's :attr:`capabilities`."""
        return self.capabilities

    # -- life cycle ---------------------------------------------------------
    @abc.abstractmethod
    async def connect(self) -> None:
        """Open the session. Raises AuthError / UnavailableError."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the session and end every watch_* iterator. Idempotent."""

    # -- snapshots ----------------------------------------------------------
    @abc.abstractmethod
    async def fetch_accounts(self) -> list[Account]:
        """Every account this login can see."""

    @abc.abstractmethod
    async def fetch_balances(self, account_id: str) -> list[Balance]:
        """One Balance per currency. Raises NotFoundError for an unknown account."""

    @abc.abstractmethod
    async def fetch_positions(self, account_id: str) -> list[Position]:
        """Open positions of the account (quantity != 0), marked to the last price."""

    @abc.abstractmethod
    async def fetch_orders(self, account_id: str, status: Sequence[OrderStatus] | None = None) -> list[Order]:
        """Orders of the account, optionally only those whose status is in ``status``."""

    @abc.abstractmethod
    async def fetch_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """Fills of the account at or after ``since`` (UTC), oldest first."""

    @abc.abstractmethod
    async def fetch_bars(
        self,
        symbol: str,
        interval: Interval,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Bar]:
        """Bars oldest first, start <= bar.start < end; the newest ``limit`` when given.

        The last bar may still be forming. Raises NotFoundError for an unknown symbol,
        InvalidRequestError for an interval not in capabilities.
        """

    async def fetch_bars_array(
        self,
        symbol: str,
        interval: Interval,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> BarColumns:
        """The bars :meth:`fetch_bars` returns, as numpy columns (what the chart draws
        from; see :mod:`desktop.brokers.bar_columns`). This default converts
        ``fetch_bars``' result; an adapter holding its history in arrays overrides it.
        Raises what ``fetch_bars`` raises.
        """
        from .bar_columns import BarColumns  # numpy: imported when history is first asked for, not at start-up

        bars = await self.fetch_bars(symbol, interval, start=start, end=end, limit=limit)
        return BarColumns.from_bars(symbol, interval, bars)

    async def fetch_market_session(self, symbol: str) -> MarketSession | None:
        """Whether ``symbol``'s market is open now and which order types it takes, when
        the broker says so (TradeLocker's session statuses); None by default (the
        ticket then judges by the exchange's regular hours). Raises BrokerError."""
        return None

    def data_source(self, symbol: str) -> str | None:
        """Where ``symbol``'s prices come from when the connection's name does not say
        it (the paper broker's currency pairs: "ECB reference rates, intraday
        synthetic"); None by default. Synchronous and cheap: the chart asks on every
        symbol it draws."""
        return None

    @abc.abstractmethod
    async def search_instruments(self, query: str) -> list[Instrument]:
        """Instruments whose symbol or description matches ``query`` (best first)."""

    # -- orders -------------------------------------------------------------
    @abc.abstractmethod
    async def create_order(self, request: OrderRequest, *, confirm: QuestionHandler | None = None) -> Order:
        """Submit an order; returns it as acknowledged (maybe already filled).

        ``request.account_id`` may name an allocation group (advisor logins,
        ``capabilities.allocation_groups``). When the broker asks a question before
        accepting (IBKR reply flow), ``confirm`` is awaited with it and the answer
        sent back; without ``confirm`` every question is answered "no". Submissions
        are serialised: one question chain at a time.

        Raises OrderRejectedError with the reason when refused (also when a question
        was declined). Adapters never retry a POST blindly: after a timeout they
        reconcile by ``client_order_id``.
        """

    @abc.abstractmethod
    async def cancel_order(self, account_id: str, order_id: str) -> Order:
        """Request cancellation; returns the order (CANCELED or PENDING_CANCEL).

        Raises NotFoundError, or OrderRejectedError if it can no longer be cancelled.
        """

    @abc.abstractmethod
    async def modify_order(
        self,
        account_id: str,
        order_id: str,
        *,
        amount: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        confirm: QuestionHandler | None = None,
    ) -> Order:
        """Change a working order's quantity and/or prices; returns the new state.

        ``amount`` is the new total quantity (must exceed what is already filled).
        ``account_id`` is the order's account, or its allocation group for a group
        order. ``confirm`` as for :meth:`create_order`.
        """

    async def close_position(self, account_id: str, position_id: str, quantity: Decimal | None = None) -> None:
        """Close the position ``position_id`` of ``account_id``: all of it (``quantity``
        None) or ``quantity`` of it (same unit as its quantity, positive). Only where
        ``capabilities.close_position``; elsewhere InvalidRequestError. Raises
        NotFoundError for an unknown position, InvalidRequestError for a quantity
        above the position's, OrderRejectedError when the broker refuses."""
        from .errors import InvalidRequestError

        raise InvalidRequestError(f"{self.display_name} does not close positions by id; place an opposite order",
                                  field="position_id")

    async def modify_position(self, account_id: str, position_id: str, *, stop_loss: Decimal | None = None,
                              take_profit: Decimal | None = None, clear: Sequence[str] = ()) -> None:
        """Set the stop-loss and/or take-profit (absolute prices) of an open position;
        ``clear`` names the ones to remove ("stop_loss", "take_profit"). Only where
        ``capabilities.protection`` and ``close_position``; elsewhere
        InvalidRequestError. Raises NotFoundError, OrderRejectedError."""
        from .errors import InvalidRequestError

        raise InvalidRequestError(f"{self.display_name} does not attach a stop-loss or take-profit to positions",
                                  field="stop_loss")

    async def modify_protection(self, account_id: str, order_id: str, *, stop_loss: Decimal | None = None,
                                take_profit: Decimal | None = None, clear: Sequence[str] = ()) -> Order:
        """Set the stop-loss and/or take-profit (absolute prices) attached to a
        working order, as :meth:`modify_position`; returns the order's new state. Only
        where ``capabilities.protection``; elsewhere InvalidRequestError."""
        from .errors import InvalidRequestError

        raise InvalidRequestError(f"{self.display_name} does not attach a stop-loss or take-profit to orders",
                                  field="stop_loss")

    async def fetch_option_chain(self, underlying: str, expiry: date | None = None) -> OptionChain:
        """Listed expiries and strikes of ``underlying``, with quotes for ``expiry``
        (the nearest expiry when None). Raises InvalidRequestError when the broker does
        not support options (``capabilities.options`` is False), NotFoundError for an
        unknown underlying or expiry."""
        from .errors import InvalidRequestError

        raise InvalidRequestError(f"{self.display_name} does not support options", field="underlying")

    async def preview_order(self, request: OrderRequest) -> OrderPreview:
        """What-if: the order's expected cost and margin impact, without placing it.

        Raises InvalidRequestError when ``capabilities.preview_orders`` is False.
        """
        from .errors import InvalidRequestError

        raise InvalidRequestError(f"{self.display_name} does not preview orders", field="account_id")

    async def fetch_allocation_groups(self) -> list[AllocationGroup]:
        """The advisor's allocation groups with their method and members; [] when the
        login is not an advisor (``capabilities.allocation_groups`` False)."""
        return []

    async def fetch_allocation_values(self) -> list[AccountValues]:
        """NetLiquidation / AvailableEquity of every client account, the inputs of A
        and N allocation; [] when the login is not an advisor."""
        return []

    async def suppress_questions(self, message_ids: Sequence[str]) -> None:
        """Stop the broker asking the questions with these ids for the rest of the
        session (IBKR ``/iserver/questions/suppress``). No-op for brokers that ask none."""
        return None

    async def watch_connection(self) -> AsyncIterator[ConnectionState]:
        """Changes of the session state (login needed, competing, cool-down, ...), until
        close(). Brokers without such states yield nothing."""
        return
        yield  # pragma: no cover - makes this an async generator

    def set_adjusted_prices(self, adjusted: bool) -> None:
        """Whether ``fetch_bars`` serves daily bars adjusted for splits and dividends
        (True) or as traded (False), for brokers whose capabilities declare
        ``adjusted_prices``; a no-op for the others (their bars are as they send them)."""
        return None

    @property
    def adjusted_prices(self) -> bool:
        """Whether daily bars from ``fetch_bars`` are adjusted (see set_adjusted_prices)."""
        return False

    def estimate_commission(self, request: OrderRequest, price: Decimal) -> Decimal | None:
        """Expected commission (account currency) of ``request`` filled at ``price``;
        None when the broker does not say. Used for the ticket's cost estimate."""
        return None

    # -- streams ------------------------------------------------------------
    @abc.abstractmethod
    def watch_quotes(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Quotes for ``symbols`` as they change, until close() or cancellation."""

    @abc.abstractmethod
    def watch_bars(self, symbol: str, interval: Interval) -> AsyncIterator[Bar]:
        """Updates of the forming bar and each new bar (same ``start`` = update in place)."""

    @abc.abstractmethod
    def watch_orders(self, account_id: str) -> AsyncIterator[Order]:
        """Every change of any order of the account, as full Order snapshots."""
