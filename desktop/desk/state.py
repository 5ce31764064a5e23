"""DeskState: every connection's accounts, balances, positions, orders, fills and quotes.

Qt-free. Rows are frozen domain objects keyed by ``(connection_id, account_id, id)``
(their ``.key``; quotes by ``(connection_id, symbol)``), so two connections of the
same broker never collide. Every change is recorded in each :class:`ChangeFeed`
(one per consumer: the Qt bridge, tests); a consumer takes what changed since its
last :meth:`ChangeFeed.take` as one :class:`Changes` batch (newest object per key).

A connection that is disconnected or lost keeps its rows, marked *stale*
(:meth:`DeskState.set_stale`), until it is back or removed (:meth:`DeskState.drop`).
A position that cannot be marked to a quote (e.g. a price out of range) is logged and
kept as it was; the quote and the other positions still apply.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from desktop.domain import Account, Balance, Fill, Order, Position, Quote
from desktop.security.redaction import redact

log = logging.getLogger(__name__)

KINDS = ("accounts", "balances", "positions", "orders", "fills", "quotes")


def quote_key(quote: Quote) -> tuple[str, str]:
    """Quotes are kept per connection and symbol: ``(connection_id, symbol)``."""
    return (quote.connection_id, quote.symbol)


@dataclass
class Changes:
    """One batch of changes: the newest object of each changed key per kind, the keys
    of removed positions, the ``(connection_id, account_id)`` of accounts a connection
    no longer lists (their balances and positions go with them), connections whose
    rows were dropped, and connections whose staleness changed (id -> now stale)."""

    accounts: list[Account] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    positions_removed: list[Hashable] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    stale: dict[str, bool] = field(default_factory=dict)
    accounts_removed: list[tuple[str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.accounts, self.balances, self.positions, self.positions_removed, self.orders, self.fills,
                    self.quotes, self.dropped, self.stale, self.accounts_removed))


class ChangeFeed:
    """What changed since the last :meth:`take`, for one consumer."""

    def __init__(self) -> None:
        self._dirty: dict[str, dict[Hashable, object]] = {kind: {} for kind in KINDS}
        self._removed: dict[Hashable, None] = {}
        self._accounts_removed: dict[tuple[str, str], None] = {}
        self._dropped: list[str] = []
        self._stale: dict[str, bool] = {}

    def _put(self, kind: str, key: Hashable, item: object) -> None:
        self._dirty[kind][key] = item
        if kind == "positions":
            self._removed.pop(key, None)

    def _remove_position(self, key: Hashable) -> None:
        self._dirty["positions"].pop(key, None)
        self._removed[key] = None

    def _remove_account(self, key: tuple[str, str]) -> None:
        self._dirty["accounts"].pop(key, None)
        for dirty_key in [k for k, b in self._dirty["balances"].items()
                          if (b.connection_id, b.account_id) == key]:
            del self._dirty["balances"][dirty_key]
        self._accounts_removed[key] = None

    def _drop(self, connection_id: str) -> None:
        for kind, dirty in self._dirty.items():
            for key in [k for k, item in dirty.items() if getattr(item, "connection_id", None) == connection_id]:
                del dirty[key]
        self._removed = {k: None for k in self._removed if not (isinstance(k, tuple) and k[:1] == (connection_id,))}
        self._accounts_removed = {k: None for k in self._accounts_removed if k[0] != connection_id}
        self._stale.pop(connection_id, None)
        self._dropped.append(connection_id)

    def pending(self) -> bool:
        """Whether :meth:`take` would return a non-empty batch."""
        return bool(self._removed or self._accounts_removed or self._dropped or self._stale
                    or any(self._dirty.values()))

    def take(self) -> Changes:
        """Everything changed since the last call (and forget it)."""
        dirty, self._dirty = self._dirty, {kind: {} for kind in KINDS}
        changes = Changes(**{kind: list(items.values()) for kind, items in dirty.items()})
        changes.positions_removed, self._removed = list(self._removed), {}
        changes.accounts_removed, self._accounts_removed = list(self._accounts_removed), {}
        changes.dropped, self._dropped = self._dropped, []
        changes.stale, self._stale = self._stale, {}
        return changes


class DeskState:
    """The rows of every connection (see the module docstring). Mutated only by the
    desk (on the event loop); read by anyone."""

    def __init__(self) -> None:
        self.accounts: dict[Hashable, Account] = {}
        self.balances: dict[Hashable, Balance] = {}
        self.positions: dict[Hashable, Position] = {}
        self.orders: dict[Hashable, Order] = {}
        self.fills: dict[Hashable, Fill] = {}
        self.quotes: dict[Hashable, Quote] = {}
        self.stale: set[str] = set()
        self._feeds: list[ChangeFeed] = []
        self._unmarkable: set[Hashable] = set()

    # -- consumers -------------------------------------------------------------------
    def feed(self) -> ChangeFeed:
        """A new consumer's feed; it first receives every row already held."""
        feed = ChangeFeed()
        for kind in KINDS:
            for key, item in getattr(self, kind).items():
                feed._put(kind, key, item)
        for connection_id in self.stale:
            feed._stale[connection_id] = True
        self._feeds.append(feed)
        return feed

    def close_feed(self, feed: ChangeFeed) -> None:
        """Stop recording changes for ``feed``."""
        if feed in self._feeds:
            self._feeds.remove(feed)

    def _changed(self, kind: str, key: Hashable, item: object) -> None:
        for feed in self._feeds:
            feed._put(kind, key, item)

    # -- writes ------------------------------------------------------------------------
    def put_accounts(self, connection_id: str, accounts: Iterable[Account]) -> list[Account]:
        """Set ``connection_id``'s accounts; the others of that connection are
        forgotten with their balances and positions (an aggregator's brokerage was
        unlinked; the feeds record them as ``accounts_removed``). Returns them."""
        accounts = list(accounts)
        fresh = {a.key: a for a in accounts}
        for key in [k for k, a in self.accounts.items() if a.connection_id == connection_id and k not in fresh]:
            del self.accounts[key]
            for balance_key in [k for k, b in self.balances.items() if (b.connection_id, b.account_id) == key]:
                del self.balances[balance_key]
            self.replace_positions(key[0], key[1], [])
            for feed in self._feeds:
                feed._remove_account(key)
        for key, account in fresh.items():
            if self.accounts.get(key) != account:
                self.accounts[key] = account
                self._changed("accounts", key, account)
        return accounts

    def put_balances(self, balances: Iterable[Balance]) -> None:
        """Upsert balances (unchanged ones record nothing)."""
        for balance in balances:
            if self.balances.get(balance.key) != balance:
                self.balances[balance.key] = balance
                self._changed("balances", balance.key, balance)

    def put_order(self, order: Order) -> Order | None:
        """Upsert one order; returns the previous version (None when new)."""
        previous = self.orders.get(order.key)
        self.orders[order.key] = order
        if previous != order:
            self._changed("orders", order.key, order)
        return previous

    def add_order_if_new(self, order: Order) -> bool:
        """Keep a snapshot's order unless a newer version (from a stream) is held."""
        if order.key in self.orders:
            return False
        self.put_order(order)
        return True

    def add_fills(self, fills: Iterable[Fill]) -> list[Fill]:
        """Append fills not seen yet (fills never change); returns the new ones."""
        new = []
        for fill in fills:
            if fill.key not in self.fills:
                self.fills[fill.key] = fill
                self._changed("fills", fill.key, fill)
                new.append(fill)
        return new

    def replace_positions(self, connection_id: str, account_id: str, positions: Iterable[Position]) -> list[Position]:
        """Set one account's positions (missing ones are removed), each marked to the
        connection's latest quote of its symbol. Returns the positions that are new."""
        fresh = {p.key: p for p in positions}
        for key in [k for k, p in self.positions.items()
                    if p.connection_id == connection_id and p.account_id == account_id and k not in fresh]:
            del self.positions[key]
            for feed in self._feeds:
                feed._remove_position(key)
        new = []
        for key, pos in fresh.items():
            quote = self.quotes.get((connection_id, pos.symbol))
            if quote is not None and quote.last is not None:
                pos = self._marked(pos, quote.last)
            if key not in self.positions:
                new.append(pos)
            if self.positions.get(key) != pos:
                self.positions[key] = pos
                self._changed("positions", key, pos)
        return new

    def put_quote(self, quote: Quote) -> None:
        """Keep the newest quote of (connection, symbol) and mark that connection's
        positions in the symbol to its last price."""
        key = quote_key(quote)
        self.quotes[key] = quote
        self._changed("quotes", key, quote)
        if quote.last is not None:
            self._mark(quote.connection_id, quote.symbol, quote.last)

    def _mark(self, connection_id: str, symbol: str, last: Decimal) -> None:
        for key, pos in self.positions.items():
            if pos.connection_id == connection_id and pos.symbol == symbol and pos.last_price != last:
                marked = self._marked(pos, last)
                if marked is not pos:
                    self.positions[key] = marked
                    self._changed("positions", key, marked)

    def _marked(self, pos: Position, last: Decimal) -> Position:
        """``pos`` marked to ``last``; ``pos`` itself when it cannot be (logged once
        per position until it can be marked again)."""
        try:
            marked = pos.marked(last)
        except Exception as exc:  # noqa: BLE001 - one position must not stop the quote or the others
            if pos.key not in self._unmarkable:
                self._unmarkable.add(pos.key)
                log.warning("position %s %s could not be marked to %s: %s", pos.connection_id, pos.symbol,
                            redact(str(last))[:60], redact(repr(exc)))
            return pos
        self._unmarkable.discard(pos.key)
        return marked

    def set_stale(self, connection_id: str, stale: bool) -> bool:
        """Mark ``connection_id``'s rows stale (disconnected, lost) or live again.
        Returns whether that changed anything."""
        if (connection_id in self.stale) == stale:
            return False
        (self.stale.add if stale else self.stale.discard)(connection_id)
        for feed in self._feeds:
            feed._stale[connection_id] = stale
        return True

    def drop(self, connection_id: str) -> None:
        """Forget every row of ``connection_id`` (the connection was removed)."""
        for kind in KINDS:
            table = getattr(self, kind)
            for key in [k for k, item in table.items() if item.connection_id == connection_id]:
                del table[key]
        self.stale.discard(connection_id)
        for feed in self._feeds:
            feed._drop(connection_id)

    # -- reads ---------------------------------------------------------------------------
    def accounts_of(self, connection_id: str) -> list[Account]:
        """``connection_id``'s accounts, in the order the broker listed them."""
        return [a for a in self.accounts.values() if a.connection_id == connection_id]

    def positions_of(self, connection_id: str) -> list[Position]:
        """``connection_id``'s positions."""
        return [p for p in self.positions.values() if p.connection_id == connection_id]

    def quote(self, connection_id: str, symbol: str) -> Quote | None:
        """The newest quote of ``symbol`` from ``connection_id``, or None."""
        return self.quotes.get((connection_id, symbol))
