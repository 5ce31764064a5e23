"""ConnectTradeBroker: linked brokerage accounts through Connect Trade (REST polling
within its limits; bars over mdstream; users and links in :mod:`.linking`). Source:
the cookbook (NOTES.md section 3); the wire format is in :mod:`.wire` only.

Polling budget (60 requests a minute per user): every list endpoint answers for all
linked accounts at once, so one snapshot per endpoint is shared by every account
(:class:`~desktop.brokers.transport.SnapshotCache`): the orders snapshot (orders and
their fills) every ``order_poll`` seconds, balances and positions every
``poll_interval`` (defaults 3 s and 6 s: 20 + 10 + 10 = 40 requests a minute), and
the account list (GET /accounts and /connections, so brokerages linked or unlinked
while connected come and go) every 5 × ``poll_interval``: 4 more, 44 in all.

Not offered, and why: ``modify_order`` (the cookbook defines a PATCH helper but no
sample or source shows an order-change endpoint: capabilities.modify_order is False
and modify_order says to cancel and place again); bid/ask quotes (the stream as
documented serves bars only: watch_quotes gives the last price from 1-minute bars);
instrument search (no such endpoint known: a ticker or OCC symbol is taken as typed).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from desktop.brokers.base import Broker
from desktop.brokers.capabilities import BrokerCapabilities
from desktop.brokers.errors import InvalidRequestError, NotFoundError, OrderRejectedError, UnavailableError
from desktop.brokers.streams import Topic
from desktop.brokers.transport import Backoff, ChangePoller, MaybeSentError, Pacer, SnapshotCache, Supervisor, submit_once, wait_event
from desktop.domain import (Account, Balance, Bar, Fill, Instrument, Interval, Order, OrderRequest, OrderStatus,
                            OrderType, Position, QuestionHandler, Quote, TimeInForce, order_from_request)
from desktop.domain.occ import OccSymbolError, parse_occ

from . import wire
from .client import default_trade_pacer, make_client
from .linking import Linking
from .marketdata import BarStream, fetch_history
from .transactions import Transaction, read_transaction

log = logging.getLogger(__name__)
_TICKER = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")


class ConnectTradeBroker(Linking, Broker):
    """One Connect Trade user: every brokerage account linked to it.

    ``base_url`` (REST) and ``mdstream_url``; the four credentials (secrets: kept in
    the keyring by the connection, never logged); ``market_data_connection``: the
    linked connection whose token opens mdstream ("" = the first trading one).
    Test knobs: ``poll_interval`` / ``order_poll`` (seconds), ``pacer`` /
    ``trade_pacer``, ``stream_backoff``, ``reconcile_delay`` (seconds between
    look-ups of a maybe-sent order), ``timeout``.
    """

    name = wire.BROKER
    display_name = "Connect Trade"

    def __init__(self, base_url: str = wire.BASE_URL, mdstream_url: str = wire.MDSTREAM_URL, *, client_id: str = "",
                 client_secret: str = "", user_id: str = "", user_secret: str = "", market_data_connection: str = "",
                 poll_interval: float = 6.0, order_poll: float = 3.0, pacer: Pacer | None = None,
                 trade_pacer: Pacer | None = None, stream_backoff: Backoff | None = None,
                 reconcile_delay: float = 2.0, timeout: float = 10.0) -> None:
        self._credentials = {"client-id": client_id, "client-secret": client_secret, "user-id": user_id,
                             "user-secret": user_secret}
        self.rest = make_client(base_url, lambda: self._credentials, pacer=pacer, timeout=timeout)
        self.mdstream_url = mdstream_url
        self.market_data_connection = market_data_connection
        self.poll_interval, self.order_poll = poll_interval, order_poll
        self._trade_pacer = trade_pacer or default_trade_pacer()
        self._reconcile_delay = reconcile_delay
        self._stream_backoff = stream_backoff
        self.book = wire.AccountBook()
        self._snapshots = SnapshotCache(max_age=min(poll_interval, order_poll) * 0.9)
        self._orders: Topic[Order] = Topic()
        self._sent_ids: dict[str, str] = {}  # cl_order_id sent -> the request's client_order_id
        self.supervisor = Supervisor(name="Connect Trade")
        self._poller: ChangePoller[Order, Order] | None = None
        self._poke = asyncio.Event()
        self._bars: BarStream | None = None
        self._closed = asyncio.Event()
        self._connected = False

    # -- capabilities / life cycle ----------------------------------------------------
    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities(order_types=frozenset(OrderType), time_in_force=frozenset(TimeInForce),
                                  intervals=tuple(Interval), modify_order=False, options=True, streaming_bars=True,
                                  streaming_quotes=True, streaming_orders=False, quotes=True,
                                  bid_ask=False, poll_interval=self.poll_interval, exchange_timezone="America/New_York",
                                  accounts_poll_interval=5 * self.poll_interval)

    async def connect(self) -> None:
        """Check the credentials and load the linked accounts (GET /accounts, GET
        /connections); start the order poller. Raises AuthError (a credential
        refused), UnavailableError."""
        if self._connected:
            return
        missing = [name for name, value in self._credentials.items() if not value]
        if missing:
            raise InvalidRequestError(f"Connect Trade needs the {', '.join(missing)} of this connection",
                                      field=missing[0].replace("-", "_"))
        await self.rest.open()
        await self._load_accounts()
        if not self.market_data_connection and self.book.trade_connections:
            self.market_data_connection = self.book.trade_connections[0]
        elif not self.market_data_connection and self.book.connection:
            self.market_data_connection = next(iter(self.book.connection.values()))
        self._bars = BarStream(self.mdstream_url, self._token, backoff=self._stream_backoff,
                               supervisor=self.supervisor,
                               ssl_context=self.rest.ssl_context if self.mdstream_url.startswith("wss") else None)
        self._poller = ChangePoller(lambda: self._orders_snapshot(fresh=True), self._orders, key=lambda o: o.key,
                                    interval=self.order_poll, name="Connect Trade orders")
        await self._poller.poll_once()  # the first snapshot before anything else asks for it
        self.supervisor.start("orders", self._poll_orders, label="order updates")
        self._connected = True

    async def close(self) -> None:
        """Stop polling and streaming, close the HTTP client. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        await self.supervisor.close()
        if self._bars is not None:
            await self._bars.close()
        self._orders.close()
        await self._snapshots.close()
        await self.rest.close()

    async def _load_accounts(self) -> None:
        accounts = await self.rest.request("GET", wire.ACCOUNTS)
        connections = await self.rest.request("GET", wire.CONNECTIONS)
        self.book = wire.read_accounts(accounts, connections, self.connection_id)

    async def _token(self) -> str:
        """A fresh mdstream token of :attr:`market_data_connection`."""
        if not self.market_data_connection:
            raise NotFoundError("Connect Trade: no linked connection to open market data with")
        body = await self.rest.request("GET", wire.token_path(self.market_data_connection))
        token = wire.text(body if isinstance(body, dict) else {}, "access_token")
        if not token:
            raise UnavailableError("Connect Trade answered the market-data token request without a token")
        from desktop.security.redaction import register_secret

        register_secret(token)
        return token

    # -- snapshots -------------------------------------------------------------------
    def _account(self, account_id: str) -> Account:
        for account in self.book.accounts:
            if account.account_id == account_id:
                return account
        known = ", ".join(a.account_id for a in self.book.accounts) or "none"
        raise NotFoundError(f"Connect Trade account {account_id} not found; linked accounts: {known}")

    async def fetch_accounts(self) -> list[Account]:
        """The linked accounts (GET /accounts); read-only ones have kind "read-only"."""
        await self._load_accounts()
        return list(self.book.accounts)

    async def _rows(self, path: str) -> list[Any]:
        async def fetch() -> Any:
            return await self.rest.request("GET", path)
        body = await self._snapshots.get(path, fetch, max_age=self.poll_interval * 0.9)
        return body if isinstance(body, list) else []

    async def fetch_balances(self, account_id: str) -> list[Balance]:
        """GET /balances, the row of ``account_id`` (matched by account_id or account_number)."""
        self._account(account_id)
        rows = [r for r in await self._rows(wire.BALANCES) if isinstance(r, dict) and self.book.account_of(r) == account_id]
        return [b for b in (wire.read_balance(r, account_id, self.connection_id) for r in rows) if b is not None]

    async def fetch_positions(self, account_id: str) -> list[Position]:
        """GET /positions, the rows of ``account_id``; quantity 0 rows are dropped."""
        self._account(account_id)
        rows = [r for r in await self._rows(wire.POSITIONS) if isinstance(r, dict) and self.book.account_of(r) == account_id]
        return [p for p in (wire.read_position(r, account_id, self.connection_id) for r in rows) if p is not None]

    async def _orders_snapshot(self, *, fresh: bool = False) -> list[Order]:
        """Every linked account's recent orders (GET /orders status=all, newest 500)."""
        if fresh:
            self._snapshots.invalidate(wire.ORDERS)

        async def fetch() -> Any:
            return await self.rest.request("GET", wire.ORDERS, params=wire.orders_params())
        body = await self._snapshots.get(wire.ORDERS, fetch, max_age=self.order_poll * 0.9)
        rows = body if isinstance(body, list) else []
        return [o for o in (wire.read_order(r, self.connection_id, self._sent_ids) for r in rows) if o is not None]

    async def fetch_orders(self, account_id: str, status: Sequence[OrderStatus] | None = None) -> list[Order]:
        self._account(account_id)
        orders = [o for o in await self._orders_snapshot() if o.account_id == account_id]
        return [o for o in orders if status is None or o.status in status]

    async def fetch_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """The fills of the account's recent orders (each order's ``fills`` array, with
        the order's side and symbol), at or after ``since``, oldest first."""
        orders = await self.fetch_orders(account_id)
        fills = [f for o in orders for f in wire.fills_of(o) if since is None or f.timestamp >= since]
        return sorted(fills, key=lambda f: (f.timestamp, f.fill_id))

    async def fetch_transactions(self, account_id: str | None, start: date, end: date) -> list[Transaction]:
        """GET /transactions from ``start`` to ``end`` (inclusive dates), of
        ``account_id`` (None: every linked account). Raises InvalidRequestError when
        ``end`` is before ``start``."""
        if end < start:
            raise InvalidRequestError(f"The end date {end} is before the start date {start}", field="end_date")
        body = await self.rest.request("GET", wire.TRANSACTIONS, params=wire.transactions_params(start, end))
        out = []
        for row in body if isinstance(body, list) else []:
            owner = self.book.account_of(row) if isinstance(row, dict) else None
            if owner is None or (account_id is not None and owner != account_id):
                continue
            txn = read_transaction(row, self.connection_id, owner)
            if txn is not None:
                out.append(txn)
        return out

    async def fetch_bars(self, symbol: str, interval: Interval, start: datetime | None = None,
                         end: datetime | None = None, limit: int | None = None) -> list[Bar]:
        """History over mdstream (subscribe with ``backfill_nbars``; the cookbook's way):
        ``limit`` bars (default 500), then cut to ``start <= bar.start < end``."""
        count = limit or 500
        if start is not None and limit is None:
            count = 5000
        bars = await fetch_history(self.mdstream_url, self._token, symbol, Interval(interval), count,
                                   ssl_context=self.rest.ssl_context if self.mdstream_url.startswith("wss") else None)
        bars = [b for b in bars if (start is None or b.start >= start) and (end is None or b.start < end)]
        return bars[-limit:] if limit else bars

    async def search_instruments(self, query: str) -> list[Instrument]:
        """No search endpoint is known: a ticker is taken as typed, an OCC symbol as
        its option; [] for anything else."""
        text = query.strip()
        try:
            return [Instrument.for_option(parse_occ(text))]
        except (OccSymbolError, TypeError):
            pass
        return [Instrument.equity(text.upper())] if _TICKER.match(text.upper()) else []

    # -- orders ---------------------------------------------------------------------
    async def create_order(self, request: OrderRequest, *, confirm: QuestionHandler | None = None) -> Order:
        """POST /orders once (NOTES.md section 3.2). A read-only account is refused
        before anything is sent (OrderRejectedError saying so). A timeout, dropped
        connection or 5xx is never re-sent: the order is looked up by its cl_order_id
        in GET /orders (OrderStateUnknownError when not found). A repeated client
        order id returns the order it placed."""
        self.check_request(request)
        account = self._account(request.account_id)
        if self.book.read_only.get(account.account_id):
            raise OrderRejectedError(
                f"{account.name or account.account_id} is linked to Connect Trade read-only: it cannot trade. Link "
                "it again as a trading connection to place orders.", code="READ_ONLY")
        body = wire.order_body(request, self.book.broker.get(account.account_id, ""))
        sent_id = body["cl_order_id"]
        self._sent_ids[sent_id] = request.client_order_id

        async def send() -> Order:
            async with self._trade_pacer.slot(wire.ORDERS):
                answer = await self.rest.request("POST", wire.ORDERS, json=body)
            answer = answer if isinstance(answer, dict) else {}
            order_id = wire.text(answer, "order_id")
            if not order_id:  # accepted, but which order? look it up by its cl_order_id
                raise MaybeSentError("Connect Trade accepted the order without saying its order_id", raw=answer)
            try:
                status = wire.status_of(answer)
            except ValueError:
                status = OrderStatus.SUBMITTED
            return order_from_request(request, self.name, order_id, status)

        async def reconcile() -> Order | None:
            return next((o for o in await self._orders_snapshot(fresh=True) if o.client_order_id == request.client_order_id
                         and o.account_id == request.account_id), None)

        try:
            order = await submit_once(send, reconcile, delay=self._reconcile_delay)
        except OrderRejectedError as exc:
            if exc.code == "409":  # the cl_order_id was used: that order is the answer
                found = await reconcile()
                if found is not None:
                    return found
            raise
        self._seen(order)
        return order

    def _seen(self, order: Order) -> None:
        """Publish ``order`` (placed or cancelled here) and keep it as the newest known
        state; poll again at once."""
        if self._poller is not None:
            self._poller.latest[order.key] = order
        self._orders.publish(order)
        self._poke.set()

    async def cancel_order(self, account_id: str, order_id: str) -> Order:
        """DELETE /accounts/{account_id}/orders/{order_id}; returns the order as listed
        afterwards (CANCELED, or PENDING_CANCEL while the broker works on it)."""
        self._account(account_id)
        async with self._trade_pacer.slot("/accounts/orders"):
            await self.rest.request("DELETE", wire.cancel_path(account_id, order_id))
        orders = {o.order_id: o for o in await self._orders_snapshot(fresh=True) if o.account_id == account_id}
        order = orders.get(order_id)
        if order is None:
            raise NotFoundError(f"order {order_id} was cancelled but is no longer listed")
        if order.is_working and order.status is not OrderStatus.PENDING_CANCEL:
            order = order.model_copy(update={"status": OrderStatus.PENDING_CANCEL})
        self._seen(order)
        return order

    async def cancel_all_working(self, account_id: str | None = None) -> list[Order]:
        """The cookbook's "cancel all open orders": GET /orders?status=open, then DELETE
        each with its own account_id and order_id (only ``account_id``'s when given).
        Returns the orders as they are afterwards."""
        body = await self.rest.request("GET", wire.ORDERS, params={"status": "open"})
        done = []
        for row in body if isinstance(body, list) else []:
            order = wire.read_order(row, self.connection_id, self._sent_ids)
            if order is None or (account_id is not None and order.account_id != account_id):
                continue
            done.append(await self.cancel_order(order.account_id, order.order_id))
        return done

    async def modify_order(self, account_id: str, order_id: str, *, amount: Decimal | None = None,
                           limit_price: Decimal | None = None, stop_price: Decimal | None = None,
                           confirm: QuestionHandler | None = None) -> Order:
        """Not offered (capabilities.modify_order False): no order-change endpoint is
        established by the sources. Raises InvalidRequestError saying so."""
        raise InvalidRequestError("Connect Trade orders cannot be changed here (no documented endpoint for it): "
                                  "cancel the order and place a new one", field="order_id")

    # -- streams ---------------------------------------------------------------------
    async def _poll_orders(self) -> None:
        """The order poller: a fresh orders snapshot every ``order_poll`` seconds (at
        once after an order was placed or cancelled), its changes published."""
        assert self._poller is not None
        while True:
            try:
                await self._poller.poll_once()
                self.supervisor.ok("orders")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a failed round is retried next round
                log.info("Connect Trade: order poll failed, trying again: %s", exc)
            self._poke.clear()
            await wait_event(self._poke, self.order_poll)  # not wait_for: it can drop a cancel (transport.waits)

    async def watch_orders(self, account_id: str) -> AsyncIterator[Order]:
        """The account's working orders now (the newest snapshot, with the orders
        placed or cancelled since, oldest first), then every change (polled). No await
        between reading them and subscribing: no change is missed."""
        self._account(account_id)
        latest = self._poller.latest.values() if self._poller is not None else ()
        working = sorted((o for o in latest if o.account_id == account_id and o.is_working),
                         key=lambda o: (o.created_at, o.order_id))
        async for order in self._orders.subscribe(lambda o: o.account_id == account_id, initial=working):
            yield order

    async def watch_quotes(self, symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """Last prices from the stream's 1-minute bars (the stream as documented serves
        bars, no bid/ask): each bar update of a symbol is a Quote with ``last`` = its
        close, timestamped with the bar's start. Symbols the stream does not know give
        nothing. Until close() or cancellation."""
        if self._bars is None:
            raise InvalidRequestError("connect first", field="symbols")
        queue: asyncio.Queue[Quote] = asyncio.Queue()

        async def pump(symbol: str) -> None:
            async for bar in self._bars.watch(symbol, Interval.M1):  # type: ignore[union-attr]
                queue.put_nowait(Quote(symbol=bar.symbol, connection_id=self.connection_id, last=bar.close,
                                       timestamp=bar.start, raw=bar.raw))

        loop = asyncio.get_running_loop()
        pumps = [loop.create_task(pump(s)) for s in dict.fromkeys(s.upper() for s in symbols if s.strip())]
        closed = loop.create_task(self._closed.wait())
        getter: asyncio.Task | None = None
        try:
            while True:
                getter = loop.create_task(queue.get())
                done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    return
                yield getter.result()
        finally:
            tasks = (*pumps, closed) + ((getter,) if getter is not None else ())
            for task in tasks:  # the watcher cancelled mid-wait leaves no pending queue.get()
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def watch_bars(self, symbol: str, interval: Interval) -> AsyncIterator[Bar]:
        """Live bars over mdstream (see :mod:`.marketdata`), until close()."""
        if self._bars is None:
            raise InvalidRequestError("connect first", field="symbol")
        async for bar in self._bars.watch(symbol, interval):
            yield bar
