"""Which connection the order ticket sends to: the connections it is given, the target
chosen in its account selector, and what that connection offers.

:class:`TicketRouting` is part of :class:`~desktop.ui.ticket.ticket.OrderTicket` (a
mixin: it uses the ticket's selector, combos, ``extras``, ``_quotes``,
``_on_symbol_text`` and ``connectionChanged``); kept apart so ticket.py stays small.
"""

from __future__ import annotations

from collections.abc import Iterable

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import Account, Instrument

from .offers import CLOSEST_TIFS, CLOSEST_TYPES, fallback_note, fit, offered_tifs, offered_types
from .style import show_error
from .targets import ACCOUNT, GROUP, MASTER_TIP, TargetKey, TicketConnection, build_listing
from .values import TIF_LABELS, TIF_TIPS, TYPE_LABELS, CommissionEstimator, Offer, is_occ

_ANY = BrokerCapabilities()  # offered before any connection is known


class TicketRouting:
    """The connection part of the ticket's public API (see :class:`OrderTicket`)."""

    def _init_routing(self) -> None:
        self._connections: dict[str, TicketConnection] = {}
        self._names: dict[str, str] = {}
        self._wanted: TargetKey | None = None
        self._applied: tuple[str | None, BrokerCapabilities | None] = (None, None)
        self._announced: str | None = None
        self.selector.targetChanged.connect(self._target_picked)
        self.type_combo.activated.connect(lambda _i: self._note(""))
        self.tif_combo.activated.connect(lambda _i: self._note(""))
        self._fill_offer(_ANY)

    # --------------------------------------------------------------- public API
    def set_connections(self, connections: Iterable[TicketConnection]) -> None:
        """Every connection the ticket may send to, in the order they are listed.

        Call it whenever a connection's accounts, groups, capabilities or status change:
        it is cheap when nothing did, and the choice and the typed fields are kept. The
        first call chooses the first account (or group) that can be picked; later a
        choice whose connection or account went away stays chosen, marked "not
        available", and nothing can be sent until it is back or another is chosen.
        """
        self._connections = {c.connection_id: c for c in connections}
        self._names.update({c.connection_id: c.name for c in self._connections.values()})
        self._list(keep_search=True)
        self._follow_target()
        if self._asked == (self.current_connection_id(), self.symbol()) and self._instrument is not None:
            self._announce_symbol()  # the symbol asked for is known now: stream it

    def connections(self) -> list[TicketConnection]:
        """The connections last given to :meth:`set_connections`."""
        return list(self._connections.values())

    def current_connection_id(self) -> str | None:
        """The connection of the chosen account or group (None while nothing is chosen)."""
        return self._wanted.connection_id if self._wanted is not None else None

    def current_connection(self) -> TicketConnection | None:
        """The chosen target's connection as last given (None when absent)."""
        return self._connections.get(self._wanted.connection_id) if self._wanted is not None else None

    def current_target(self) -> TargetKey | None:
        """``(connection_id, kind, id)`` of the chosen account or group."""
        return self._wanted

    def current_account(self) -> Account | None:
        """The chosen account (None for an allocation group, or while none is chosen)."""
        conn = self.current_connection()
        if conn is None or self._wanted.kind != ACCOUNT:
            return None
        return conn.account(self._wanted.id)

    def select_account(self, connection_id: str, account_id: str) -> bool:
        """Point the ticket at account ``account_id`` of ``connection_id`` (e.g. to close
        a position at its own account). It is chosen even when it cannot be sent to now
        (its connection disconnected, not listed, a master account): the account field
        then says why and Submit stays off. Returns True when orders can go to it."""
        return self._select(TargetKey(connection_id, ACCOUNT, account_id))

    def select_group(self, connection_id: str, name: str) -> bool:
        """Point the ticket at allocation group ``name`` of ``connection_id``; as
        :meth:`select_account`."""
        return self._select(TargetKey(connection_id, GROUP, name))

    def target_problem(self) -> str:
        """Why the chosen target cannot take an order now ("" when it can)."""
        key = self._wanted
        if key is None:
            return ""
        conn = self.current_connection()
        name = conn.name if conn is not None else self._names.get(key.connection_id, key.connection_id)
        found = None if conn is None else conn.account(key.id) if key.kind == ACCOUNT else conn.group(key.id)
        if found is None:
            return f"{key.id} at {name} is not available: {name} is not connected or no longer lists it"
        if not conn.live:
            return f"{name} is disconnected: connect it (File → Connections…) to send orders to {key.id}"
        if conn.stale:
            return (f"{name} is {conn.state_words()}: orders to {key.id} are not sent until it is connected "
                    "again (its prices may be out of date)")
        if isinstance(found, Account) and found.is_master:
            return MASTER_TIP
        if isinstance(found, Account):
            return conn.refusal(found.account_id)
        return ""

    # ------------------------------------------------------------------ private
    def _select(self, key: TargetKey) -> bool:
        self._wanted = key
        self._list()
        self._follow_target()
        self.extras.target_changed()
        return not self.target_problem()

    def _target_picked(self) -> None:
        self._wanted = self.selector.key()
        self._list()  # a "not available" line left behind goes
        self._follow_target()
        self.extras.target_changed()

    def _list(self, keep_search: bool = False) -> None:
        listing = build_listing(list(self._connections.values()), self._wanted, self._names)
        if self._wanted is None:
            self._wanted = listing.default()
        self.selector.set_listing(listing, self._wanted, keep_search=keep_search)
        conn = self.current_connection()
        self.show_account_row("Allocate to" if conn is not None and conn.has_groups else "Account",
                              wide=listing.searchable)

    def _follow_target(self) -> None:
        """Offer what the target's connection offers; re-check the fields; announce a
        new connection with ``connectionChanged``."""
        conn = self.current_connection()
        cid = self.current_connection_id()
        state = (cid, conn.capabilities if conn is not None else None)
        moved = cid != self._applied[0]
        if moved:
            self._quotes.clear()  # another connection's prices; the window sends this one's
        if conn is not None and state != self._applied:
            changes = self._fill_offer(conn.capabilities)
            self._note(fallback_note(conn.name, changes) if self._applied[0] is not None else "")
            self._applied = state
        elif moved:
            self._note("")
            self._applied = (cid, None)
        self.extras.set_connection(conn, moved)
        self._on_symbol_text()
        if moved:
            self._ask_lookup()
        if cid != self._announced:
            self._announced = cid
            self.connectionChanged.emit(cid or "")

    def _fill_offer(self, caps: BrokerCapabilities) -> list[tuple]:
        """Offer ``caps``' order types and times in force; returns (was, now) pairs."""
        changes = []
        for combo, offered, closest, labels, tips, current in (
                (self.type_combo, offered_types(caps), CLOSEST_TYPES, TYPE_LABELS, None, self.order_type()),
                (self.tif_combo, offered_tifs(caps), CLOSEST_TIFS, TIF_LABELS, TIF_TIPS, self.time_in_force())):
            self.fill_combo(combo, offered, labels, tips)
            now = fit(current, offered, closest)
            if now is not None:
                combo.blockSignals(True)
                self.select(combo, now)
                combo.blockSignals(False)
                changes.append((current, now))
        self.enable_price_fields(self.order_type())
        return changes

    def _note(self, text: str) -> None:
        show_error(self.connection_note, text)

    def _offer(self) -> Offer:
        """What the chosen account offers: its own fractional shares where its
        connection's accounts differ (an aggregator's brokerages), named after the
        account then (its connection's name otherwise)."""
        conn = self.current_connection()
        if conn is None:
            return Offer()
        account = self.current_account()
        caps = conn.capabilities_for(account.account_id) if account is not None else conn.capabilities
        name = conn.name
        if account is not None and caps.fractional != conn.capabilities.fractional:
            name = f"This account ({account.name})"
        return Offer(name, conn.capabilities.options, caps.fractional,
                     caps.notional and account is not None and not caps.trade_refusal)

    def _instrument_lookup(self):
        conn = self.current_connection()
        return conn.instrument_for if conn is not None else None

    def _commission(self) -> CommissionEstimator | None:
        conn = self.current_connection()
        return conn.commission_for if conn is not None else None

    def _lookup(self, symbol: str) -> Instrument | None:
        """``symbol`` at the chosen connection (None while unknown, or an option where
        options are not offered)."""
        lookup = self._instrument_lookup()
        if not symbol or lookup is None or (not self._offer().options and is_occ(symbol)):
            return None
        try:
            found = lookup(symbol)
        except Exception:  # build_request explains a failing lookup next to the field
            return None
        return None if found is not None and found.is_option and not self._offer().options else found
