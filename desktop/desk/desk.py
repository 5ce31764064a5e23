"""The desk: every connection live at once, their rows in one state, orders routed by
connection. Qt-free (the Qt side bridges it: desktop.ui.services.desk_bridge).

- Connections: :meth:`Desk.connect` builds a saved connection's adapter from the
  :class:`~desktop.connections.ConnectionStore` and the keyring
  (:class:`~desktop.security.secrets.SecretStore`), bound to its id, and starts it
  as a :class:`~desktop.desk.session.LiveConnection`; :meth:`Desk.disconnect` stops
  one without touching the others (its rows stay, stale); :meth:`Desk.remove` also
  forgets its rows. Which saved connections are connected is remembered in the store
  and :meth:`Desk.restore` connects them again at start.
- Routing: :meth:`Desk.submit` sends an OrderRequest to the connection it names and
  nowhere else; cancel / modify / preview act on the order's own connection. A
  connection that is not connected refuses with :class:`NotConnectedError` (nothing
  was sent).
- Maybe sent: when the adapter cannot say whether an order POST (or a modify) was
  acted on (a 5xx, timeout or dropped connection after sending), :meth:`Desk.submit`
  / :meth:`Desk.modify` raise :class:`~desktop.desk.errors.OrderUnconfirmedError`,
  not a refusal: its ``check`` looks for the order in the background by its client
  order id and reports the real outcome (:mod:`desktop.desk.order_checks`; also an
  ORDER_CHECK event). The same request (same client order id) is never sent again
  while it is being checked, nor after it was found.
- Market data: one source per symbol for the watchlist (see :mod:`.market_data`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from desktop.brokers import Broker, BrokerError
from desktop.brokers.errors import InvalidRequestError
from desktop.brokers.transport.http_errors import MaybeSentError, is_maybe_sent
from desktop.domain import (ConsolidatedPosition, Order, OrderPreview, OrderRequest, Position, QuestionHandler,
                            consolidate_positions)

from . import events as ev
from .errors import NotConnectedError, OrderUnconfirmedError
from .market_data import MarketData
from .order_checks import CHECK_DELAYS, PLACED
from .session import LiveConnection
from .state import DeskState
from .supervisor import Supervision

log = logging.getLogger(__name__)


class Desk:
    """Every connection of one window (see the module docstring).

    ``store`` / ``secrets``: the saved connections and where their secrets live (None:
    only ad-hoc adapters, :meth:`attach`); ``poll_s`` / ``start_budget_s`` /
    ``supervision`` (restart and "keeps failing" policy of the tasks) /
    ``check_delays`` (seconds before each look-up of an unconfirmed order): passed to
    each LiveConnection (tests make them short).
    """

    def __init__(self, store=None, secrets=None, *, poll_s: float | None = None, start_budget_s: float = 3.0,
                 supervision: Supervision | None = None, check_delays: Sequence[float] = CHECK_DELAYS) -> None:
        self.store = store
        self.secrets = secrets
        self.poll_s = poll_s
        self.start_budget_s = start_budget_s
        self.supervision = supervision
        self.check_delays = tuple(check_delays)
        self.state = DeskState()
        self.connections: dict[str, LiveConnection] = {}
        self.market = MarketData(self.live)
        self._listeners: list[ev.Listener] = []
        self._connecting: dict[str, asyncio.Task] = {}

    # -- listeners ------------------------------------------------------------------
    def listen(self, listener: ev.Listener) -> Callable[[], None]:
        """Call ``listener(DeskEvent)`` for every event; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, event: ev.DeskEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - one listener must not break the others
                log.exception("desk listener failed on %s", event.kind)
        if event.kind in (ev.STATUS, ev.INSTRUMENTS):
            self.market.refresh()

    # -- connections ----------------------------------------------------------------------
    def connection(self, connection_id: str) -> LiveConnection:
        """The connection opened this session as ``connection_id``. Raises KeyError."""
        return self.connections[connection_id]

    def live(self) -> list[LiveConnection]:
        """The connected connections, in the order they were opened."""
        return [c for c in self.connections.values() if c.is_live]

    def create_broker(self, connection_id: str) -> Broker:
        """A new adapter for saved connection ``connection_id``, bound to it, with its
        secrets from the keyring; secrets the session learns go back there. Raises
        KeyError (unknown connection or broker), ValueError (a secret is missing)."""
        if self.store is None:
            raise KeyError(f"no saved connection {connection_id!r}")
        conn = self.store.get(connection_id)
        fields = [f.name for f in conn.spec.secret_fields] + list(conn.spec.session_secrets)
        found: dict[str, str] = {}
        if fields and self.secrets is not None:
            found, _missing = self.secrets.secrets_for(conn.id, fields)
        return conn.create_broker(found, save_secret=lambda field, value: self._save_secret(conn.id, field, value))

    def _save_secret(self, connection_id: str, field: str, value: str) -> None:
        if self.secrets is None or self.store is None or connection_id not in self.store:
            log.warning("%s: a changed secret %s is kept in memory only", connection_id, field)
            return
        reference = self.secrets.store(connection_id, field, value)
        conn = self.store.get(connection_id)
        self.store.update(connection_id, secrets={**conn.secrets, field: reference})

    def _name_of(self, connection_id: str, broker: Broker) -> tuple[str, bool]:
        if self.store is not None and connection_id in self.store:
            return self.store.get(connection_id).name, True
        return broker.display_name, False

    def refresh_names(self) -> None:
        """Take renamed saved connections' new names (a STATUS event for each renamed)."""
        for conn in list(self.connections.values()):
            if conn.saved and self.store is not None and conn.id in self.store:
                name = self.store.get(conn.id).name
                if name != conn.name:
                    conn.rename(name)

    async def connect(self, connection_id: str, broker: Broker | None = None) -> LiveConnection:
        """Connect saved connection ``connection_id`` (with ``broker``, else a new adapter
        from the store) beside the others; remembered for the next start. Connecting a
        connected one returns it. Raises BrokerError (the connection then shows the
        error; its old rows stay stale), KeyError / ValueError as create_broker."""
        current = self.connections.get(connection_id)
        if current is not None and current.is_live and broker is None:
            return current
        if current is not None:
            await current.stop()
        broker = broker if broker is not None else self.create_broker(connection_id)
        if broker.connection_id != connection_id:
            broker.bind(connection_id)
        name, saved = self._name_of(connection_id, broker)
        conn = LiveConnection(connection_id, name, broker, self.state, self._notify, poll_s=self.poll_s,
                              start_budget_s=self.start_budget_s, saved=saved, supervision=self.supervision,
                              check_delays=self.check_delays)
        self.connections[connection_id] = conn
        if current is None:
            conn.emit(ev.ADDED)
        await conn.start([*self.market.watchlist, *self.market.symbols_for(connection_id)])
        if saved:
            self.store.set_connected(connection_id, True)
        return conn

    async def attach(self, broker: Broker, name: str | None = None) -> LiveConnection:
        """Connect an adapter that is not a saved connection (tests, embedded use),
        as connection ``broker.connection_id``; nothing is remembered."""
        conn = await self.connect(broker.connection_id, broker)
        if name:
            conn.name = name
        return conn

    async def disconnect(self, connection_id: str, *, remember: bool = True) -> None:
        """Stop one connection; the others go on. Its rows stay, marked stale. With
        ``remember`` the store forgets to reconnect it at the next start."""
        conn = self.connections.get(connection_id)
        if conn is not None:
            await conn.stop()
        if remember and self.store is not None and connection_id in self.store:
            self.store.set_connected(connection_id, False)

    async def remove(self, connection_id: str) -> None:
        """Disconnect ``connection_id`` and forget its rows (the connection was removed)."""
        conn = self.connections.get(connection_id)
        await self.disconnect(connection_id)
        self.state.drop(connection_id)
        if conn is not None:
            del self.connections[connection_id]
            conn.emit(ev.REMOVED)

    async def restore(self, connection_ids: Sequence[str] | None = None) -> dict[str, BaseException | None]:
        """Connect ``connection_ids`` (default: those the store remembers, else the
        built-in paper connection) side by side. Returns each id's failure or None;
        a failure of one never stops the others."""
        ids = list(connection_ids) if connection_ids is not None else (self.store.restore_ids() if self.store else [])
        results = await asyncio.gather(*(self.connect(cid) for cid in ids), return_exceptions=True)
        outcome: dict[str, BaseException | None] = {}
        for cid, result in zip(ids, results):
            if isinstance(result, asyncio.CancelledError):
                raise result
            outcome[cid] = result if isinstance(result, BaseException) else None
            if isinstance(result, BaseException) and not isinstance(result, BrokerError):
                log.error("could not connect %s: %s", cid, result)
        return outcome

    async def reset_paper(self, connection_id: str) -> LiveConnection:
        """Start paper connection ``connection_id`` over: its account is reset
        (``ReplayControl.reset_account``: starting cash, first replay day), its rows
        dropped, and it is connected again (the others are untouched). Raises KeyError
        when it is not a live replaying connection, BrokerError when it cannot reconnect."""
        from desktop.brokers.replay_control import replay_control

        conn = self.connections[connection_id]
        control = replay_control(conn.broker) if conn.is_live else None
        if control is None:
            raise KeyError(f"{conn.name} is not a connected paper account")
        await control.reset_account()  # while connected: its store is open and is cleared
        await self.remove(connection_id)
        if conn.saved:
            return await self.connect(connection_id)
        return await self.attach(conn.broker, conn.name)

    async def shutdown(self) -> None:
        """Stop every connection (the app quits): the store keeps remembering which
        were connected, so the next start restores them."""
        await asyncio.gather(*(c.stop() for c in self.connections.values()), return_exceptions=True)

    # -- routing ------------------------------------------------------------------------
    def route(self, connection_id: str) -> LiveConnection:
        """The connected connection ``connection_id``. Raises NotConnectedError naming it."""
        conn = self.connections.get(connection_id)
        if conn is None or not conn.is_live:
            name = conn.name if conn is not None else self._saved_name(connection_id)
            raise NotConnectedError(f"{name} is not connected. Connect it in File → Connections…",
                                    connection_id=connection_id)
        return conn

    def _saved_name(self, connection_id: str) -> str:
        if self.store is not None and connection_id in self.store:
            return self.store.get(connection_id).name
        return connection_id or "The order's connection"

    async def submit(self, request: OrderRequest, confirm: QuestionHandler | None = None) -> Order:
        """Send ``request`` to the connection it names; returns the acknowledged order.

        Raises NotConnectedError (not sent), BrokerError (the broker refused:
        OrderRejectedError with the reason, ...), or OrderUnconfirmedError when the
        outcome is unknown (see the module docstring): its ``check`` reports it. A
        request whose client order id is still being checked is not sent again (the
        same OrderUnconfirmedError); one that was found returns that order; one not
        found is sent again with the same client order id: the broker's idempotency
        answers with the order if it appeared after all, and a broker that refuses the
        id as already used is asked for the order with it (returned when found)."""
        conn = self.route(request.connection_id)
        earlier = conn.checks.submission(request)
        if earlier is not None and not earlier.done:
            raise OrderUnconfirmedError(earlier)
        if earlier is not None and earlier.state == PLACED and earlier.order is not None:
            return earlier.order
        try:
            order = await conn.broker.create_order(request, confirm=confirm)
        except BrokerError as exc:
            found = await conn.checks.find(request) if earlier is not None and not is_maybe_sent(exc) else None
            if found is None:
                cause = self._maybe_sent(conn, exc, f"sending {request.describe()}")
                raise OrderUnconfirmedError(conn.checks.check_submission(request, cause)) from exc
            log.info("%s: %s refused as a repeat; the order with its client order id is %s", conn.name,
                     request.client_order_id, found.order_id)
            order = found
        except Exception as exc:
            cause = self._maybe_sent(conn, exc, f"sending {request.describe()}")
            raise OrderUnconfirmedError(conn.checks.check_submission(request, cause)) from exc
        conn.checks.settled(request)
        conn.apply_order(order)
        return order

    @staticmethod
    def _maybe_sent(conn: LiveConnection, exc: Exception, what: str) -> BrokerError:
        """``exc`` when it says the request may have been acted on; re-raises a refusal
        (a BrokerError that is not maybe-sent). An unexpected exception (an adapter's
        bug, possibly after the order left) is maybe-sent too: logged, wrapped."""
        if isinstance(exc, BrokerError):
            if not is_maybe_sent(exc):
                raise exc
            return exc
        log.error("%s failed unexpectedly while %s; checking whether it was acted on", conn.name, what,
                  exc_info=exc)
        return MaybeSentError(f"{conn.name} failed while {what} ({type(exc).__name__}); the outcome is unknown")

    async def cancel(self, order: Order) -> Order:
        """Cancel ``order`` at its own connection. Raises NotConnectedError, BrokerError."""
        conn = self.route(order.connection_id)
        updated = await conn.broker.cancel_order(order.account_id, order.order_id)
        conn.apply_order(updated)
        return updated

    async def modify(self, order: Order, changes: dict[str, Any], confirm: QuestionHandler | None = None) -> Order:
        """Change ``order``'s amount / limit_price / stop_price (``changes``) at its own
        connection (a group order by its group). Raises NotConnectedError, BrokerError,
        or OrderUnconfirmedError when the change may or may not have been made (its
        ``check`` reads the order back until it shows the change); a change of an
        order still being checked is not sent (the same OrderUnconfirmedError)."""
        conn = self.route(order.connection_id)
        earlier = conn.checks.modification(order.order_id)
        if earlier is not None:
            raise OrderUnconfirmedError(earlier)
        try:
            updated = await conn.broker.modify_order(order.account_id, order.order_id, confirm=confirm, **changes)
        except Exception as exc:
            cause = self._maybe_sent(conn, exc, f"changing order {order.order_id}")
            raise OrderUnconfirmedError(conn.checks.check_modification(order, changes, cause)) from exc
        conn.apply_order(updated)
        return updated

    async def close_position(self, position: Position, quantity: Decimal | None = None) -> None:
        """Close ``position`` (all of it, or ``quantity``) by its id at its own
        connection, where the broker declares ``close_position`` (hedging brokers:
        TradeLocker); its account is refreshed right after. Raises NotConnectedError,
        InvalidRequestError (no position id, or the broker closes none by id),
        BrokerError."""
        conn = self.route(position.connection_id)
        caps = conn.capabilities or conn.broker.capabilities
        if not position.position_id or not caps.close_position:
            raise InvalidRequestError(f"{conn.name} closes positions with an opposite order, not by id",
                                      field="position_id")
        try:
            await conn.broker.close_position(position.account_id, position.position_id, quantity)
        finally:
            conn.refresher.schedule(position.account_id)

    async def modify_position(self, position: Position, *, stop_loss: Decimal | None = None,
                              take_profit: Decimal | None = None, clear: Sequence[str] = ()) -> None:
        """Set or clear ``position``'s stop-loss / take-profit at its own connection
        (``capabilities.protection``); its account is refreshed right after. Raises
        NotConnectedError, InvalidRequestError, BrokerError."""
        conn = self.route(position.connection_id)
        caps = conn.capabilities or conn.broker.capabilities
        if not position.position_id or not caps.protection:
            raise InvalidRequestError(f"{conn.name} does not attach a stop-loss or take-profit to positions",
                                      field="stop_loss")
        try:
            await conn.broker.modify_position(position.account_id, position.position_id, stop_loss=stop_loss,
                                              take_profit=take_profit, clear=clear)
        finally:
            conn.refresher.schedule(position.account_id)

    async def modify_protection(self, order: Order, *, stop_loss: Decimal | None = None,
                                take_profit: Decimal | None = None, clear: Sequence[str] = ()) -> Order:
        """Set or clear the stop-loss / take-profit attached to the working ``order`` at
        its own connection (``capabilities.protection``); returns and applies its new
        state. Raises NotConnectedError, InvalidRequestError, BrokerError."""
        conn = self.route(order.connection_id)
        caps = conn.capabilities or conn.broker.capabilities
        if not caps.protection:
            raise InvalidRequestError(f"{conn.name} does not attach a stop-loss or take-profit to orders",
                                      field="stop_loss")
        updated = await conn.broker.modify_protection(order.account_id, order.order_id, stop_loss=stop_loss,
                                                      take_profit=take_profit, clear=clear)
        conn.apply_order(updated)
        return updated

    async def preview(self, request: OrderRequest) -> OrderPreview:
        """What-if of ``request`` at its connection. Raises NotConnectedError, BrokerError."""
        return await self.route(request.connection_id).broker.preview_order(request)

    async def suppress_questions(self, connection_id: str, message_ids: Iterable[str]) -> None:
        """Stop ``connection_id``'s broker asking these questions this session."""
        await self.route(connection_id).broker.suppress_questions(list(message_ids))

    # -- portfolio -------------------------------------------------------------------------
    def instrument_for(self, connection_id: str, symbol: str):
        """``symbol``'s instrument at ``connection_id`` (None when unknown there)."""
        conn = self.connections.get(connection_id)
        return conn.instrument_for(symbol) if conn is not None else None

    def known_symbols(self) -> list[str]:
        """Every symbol any connection knows, sorted."""
        return sorted({s for c in self.connections.values() for s in c.instruments})

    def masters(self) -> set[tuple[str, str]]:
        """``(connection_id, account_id)`` of advisors' master accounts (they hold nothing)."""
        return {a.key for a in self.state.accounts.values() if a.is_master}

    def consolidated_positions(self) -> list[ConsolidatedPosition]:
        """Every account's positions at every connection summed per instrument (advisor
        masters left out); each keeps its per-account ``sources``."""
        masters = self.masters()
        return consolidate_positions(p for p in self.state.positions.values()
                                     if (p.connection_id, p.account_id) not in masters)
