"""SQLite persistence of the paper broker (stdlib sqlite3, WAL mode).

Tables: ``meta`` (schema version), ``accounts``, ``orders``, ``fills`` (domain models
as JSON from ``model_dump(mode="json")``; ``raw`` is not stored), ``ledgers`` and
``engines`` (plain state dicts per account), ``clock`` (the replay clock's state
dict).

Crash safety: :meth:`PaperStore.save_state` writes one state change (new order
snapshots and fills, every account's engine state with its ledger, the clock) in ONE
transaction, so a crash at any point (kill -9 included) leaves the file as it was
before the change or after it, never in between. An order or fill id names one order
or fill for good: saving a different order (another account or client order id)
under a stored order id, or a different fill under a stored fill id, raises
:class:`StoreConflictError` and saves nothing. ``synchronous=NORMAL`` survives a
killed process; a power cut may lose the last transactions but never splits one.

Loading never raises for a bad row: it is logged, skipped and the rest loads (see
:mod:`.store_rows`).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from desktop.domain import Account, Fill, Order, OrderStatus

from .store_rows import parse_dict, parse_fill, parse_model, parse_order

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, client_order_id TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS orders_account ON orders (account_id, status);
CREATE INDEX IF NOT EXISTS orders_client ON orders (client_order_id);
CREATE TABLE IF NOT EXISTS fills (
    fill_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, order_id TEXT NOT NULL,
    timestamp TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fills_account ON fills (account_id, timestamp);
CREATE TABLE IF NOT EXISTS ledgers (account_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS engines (account_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clock (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
"""
_TABLES = ("accounts", "orders", "fills", "ledgers", "engines", "clock")
KEY_COLUMNS = {"orders": "order_id", "fills": "fill_id"}


class StoreVersionError(RuntimeError):
    """The database was written by a newer, incompatible schema version."""


class StoreConflictError(RuntimeError):
    """A save would reuse a stored order or fill id for another order or fill."""


StepHook = Callable[[str], None]
"""Test hook called at each step of :meth:`PaperStore.save_state` with its name."""

_ORDER_UPSERT = (
    "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET "
    "status = excluded.status, created_at = excluded.created_at, data = excluded.data "
    "WHERE orders.account_id = excluded.account_id AND orders.client_order_id = excluded.client_order_id")
_FILL_INSERT = (
    "INSERT INTO fills VALUES (?, ?, ?, ?, ?) ON CONFLICT (fill_id) DO UPDATE SET data = excluded.data "
    "WHERE fills.account_id = excluded.account_id AND fills.order_id = excluded.order_id "
    "AND fills.timestamp = excluded.timestamp")


def _utc_key(ts: datetime) -> str:
    """A sortable UTC text key for a timestamp (naive ones are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


class PaperStore:
    """The paper broker's SQLite database at ``path`` (a file path or ":memory:").

    Opening creates the schema when missing and raises StoreVersionError when the
    file's schema version is newer than this code's. Thread-safe (one lock). Use as
    a context manager or call :meth:`close`. ``step_hook`` (tests only, default
    None): called with each step's name inside :meth:`save_state` ("begin",
    "orders", "fills", "engine:<account>", "clock", "commit", "committed"), so that a
    test can kill the process at exactly that moment.
    """

    def __init__(self, path: str | Path, step_hook: StepHook | None = None) -> None:
        self.path = str(path)
        self.step_hook = step_hook
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreVersionError(f"{self.path} has schema version {row[0]}; this Tradedesk reads up to {SCHEMA_VERSION}")

    # -- plumbing -------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    def _step(self, name: str) -> None:
        if self.step_hook is not None:
            self.step_hook(name)

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        return int(self._rows("SELECT value FROM meta WHERE key = 'schema_version'")[0][0])

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> "PaperStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- accounts -------------------------------------------------------------
    def save_account(self, account: Account) -> None:
        """Insert or replace ``account`` (keyed by account_id)."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO accounts VALUES (?, ?)", (account.account_id, account.model_dump_json()))

    def load_accounts(self) -> list[Account]:
        """Every stored account, by account_id."""
        rows = self._rows("SELECT account_id, data FROM accounts ORDER BY account_id")
        return [a for k, d in rows if (a := parse_model(Account, "accounts", k, d)) is not None]

    # -- orders and fills -----------------------------------------------------
    def save_order(self, order: Order) -> None:
        """Insert or update ``order`` (keyed by order_id): call on every new snapshot."""
        self.save_events([order])

    def save_fill(self, fill: Fill) -> None:
        """Insert or update ``fill`` (keyed by fill_id)."""
        self.save_events([fill])

    def save_events(self, events: Iterable[Order | Fill]) -> None:
        """Save matching engine events (Order snapshots and Fills) in one transaction.

        Raises TypeError for anything else, StoreConflictError for a reused id
        (nothing is saved then).
        """
        self.save_state(events)

    def save_state(self, events: Iterable[Order | Fill] = (), engines: Mapping[str, dict[str, Any]] | None = None,
                   clock: dict[str, Any] | None = None, *, reset: bool = False) -> None:
        """Save one state change in ONE transaction: ``events`` (new Order snapshots
        and Fills), ``engines`` (account id -> matching engine state dict, replacing
        each account's) and ``clock`` (the replay clock's state, when given);
        ``reset``: delete everything first (a reset account). All or nothing: raises
        TypeError (not an event), StoreConflictError (an id reused), sqlite3.Error.
        """
        events = list(events)
        with self._tx() as db:
            self._step("begin")
            if reset:
                for table in _TABLES:
                    db.execute(f"DELETE FROM {table}")
            orders = [ev for ev in events if isinstance(ev, Order)]
            fills = [ev for ev in events if isinstance(ev, Fill)]
            if len(orders) + len(fills) != len(events):
                bad = next(ev for ev in events if not isinstance(ev, (Order, Fill)))
                raise TypeError(f"cannot store {type(bad).__name__}")
            for ev in orders:
                row = (ev.order_id, ev.account_id, ev.client_order_id, ev.status.value, _utc_key(ev.created_at), ev.model_dump_json())
                if db.execute(_ORDER_UPSERT, row).rowcount != 1:
                    raise StoreConflictError(f"order id {ev.order_id} is stored for another order; not saving "
                                             f"{ev.account_id}/{ev.client_order_id} over it")
            self._step("orders")
            for ev in fills:
                row = (ev.fill_id, ev.account_id, ev.order_id, _utc_key(ev.timestamp), ev.model_dump_json())
                if db.execute(_FILL_INSERT, row).rowcount != 1:
                    raise StoreConflictError(f"fill id {ev.fill_id} is stored for another fill")
            self._step("fills")
            for account_id, state in (engines or {}).items():
                db.execute("INSERT OR REPLACE INTO engines VALUES (?, ?)", (account_id, json.dumps(state)))
                self._step(f"engine:{account_id}")
            if clock is not None:
                db.execute("INSERT OR REPLACE INTO clock VALUES (1, ?)", (json.dumps(clock),))
            self._step("clock")
            self._step("commit")
        self._step("committed")

    def load_orders(self, account_id: str | None = None, status: Iterable[OrderStatus] | None = None) -> list[Order]:
        """Stored orders, oldest first, optionally of one account / with these statuses."""
        sql, args = "SELECT order_id, account_id, data FROM orders WHERE 1=1", []
        if account_id is not None:
            sql, args = sql + " AND account_id = ?", [account_id]
        if status is not None:
            wanted = [s.value for s in status]
            sql += f" AND status IN ({','.join('?' * len(wanted))})"
            args += wanted
        rows = self._rows(sql + " ORDER BY created_at, rowid", args)
        return [o for k, a, d in rows if (o := parse_order(k, a, d)) is not None]

    def load_order(self, order_id: str) -> Order | None:
        """The stored order ``order_id``, or None (also when its row is corrupt)."""
        rows = self._rows("SELECT order_id, account_id, data FROM orders WHERE order_id = ?", [order_id])
        return parse_order(*rows[0]) if rows else None

    def load_order_by_client_id(self, client_order_id: str) -> Order | None:
        """The first stored order with ``client_order_id``, or None."""
        rows = self._rows("SELECT order_id, account_id, data FROM orders WHERE client_order_id = ? ORDER BY rowid",
                          [client_order_id])
        return parse_order(*rows[0]) if rows else None

    def load_fills(self, account_id: str | None = None, since: datetime | None = None) -> list[Fill]:
        """Stored fills oldest first, optionally of one account and at or after ``since``."""
        sql, args = "SELECT fill_id, account_id, data FROM fills WHERE 1=1", []
        if account_id is not None:
            sql, args = sql + " AND account_id = ?", [account_id]
        if since is not None:
            sql, args = sql + " AND timestamp >= ?", args + [_utc_key(since)]
        rows = self._rows(sql + " ORDER BY timestamp, rowid", args)
        return [f for k, a, d in rows if (f := parse_fill(k, a, d)) is not None]

    def id_floor(self, prefix: str = "", order_letter: str = "O") -> tuple[int, int]:
        """The highest number of the stored order ids "<prefix><order_letter><digits>"
        and of the fill ids "<prefix><LETTERS><digits>" (e.g. "DU100001-O000012",
        "DU100001-EX000013"; groups: prefix "", letter "G"), read from the key column
        of every row, whatever account it is filed under and also rows that do not
        load: new ids must be above them."""
        orders = re.compile(rf"{re.escape(prefix)}{re.escape(order_letter)}(\d{{1,12}})")
        fills = re.compile(rf"{re.escape(prefix)}[A-Z]+(\d{{1,12}})")

        def top(table: str, pattern: re.Pattern[str]) -> int:
            ids = self._rows(f"SELECT {KEY_COLUMNS[table]} FROM {table}")
            return max((int(m.group(1)) for (ident,) in ids if isinstance(ident, str) and (m := pattern.fullmatch(ident))),
                       default=0)

        return top("orders", orders), top("fills", fills)

    # -- state dicts ----------------------------------------------------------
    def save_ledger(self, account_id: str, state: dict[str, Any]) -> None:
        """Store a ledger's ``to_state()`` dict for ``account_id`` (replacing the old one)."""
        self._save_state("ledgers", account_id, state)

    def load_ledger(self, account_id: str) -> dict[str, Any] | None:
        """The stored ledger state of ``account_id``, or None."""
        return self._load_state("ledgers", account_id)

    def save_engine(self, account_id: str, state: dict[str, Any]) -> None:
        """Store a matching engine's ``to_state()`` dict for ``account_id``."""
        self._save_state("engines", account_id, state)

    def load_engine(self, account_id: str) -> dict[str, Any] | None:
        """The stored matching engine state of ``account_id``, or None."""
        return self._load_state("engines", account_id)

    def save_clock(self, state: dict[str, Any]) -> None:
        """Store the replay clock's state dict (JSON-safe), replacing the old one."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO clock VALUES (1, ?)", (json.dumps(state),))

    def load_clock(self) -> dict[str, Any] | None:
        """The stored replay clock state, or None."""
        rows = self._rows("SELECT data FROM clock WHERE id = 1")
        return parse_dict("clock", "1", rows[0][0]) if rows else None

    def _save_state(self, table: str, account_id: str, state: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (account_id, json.dumps(state)))

    def _load_state(self, table: str, account_id: str) -> dict[str, Any] | None:
        rows = self._rows(f"SELECT data FROM {table} WHERE account_id = ?", [account_id])
        return parse_dict(table, account_id, rows[0][0]) if rows else None

    # -- maintenance ----------------------------------------------------------
    def reset(self) -> None:
        """Start over: delete every account, order, fill, ledger, engine and clock row."""
        with self._tx() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")
