"""SQLite persistence of the paper broker (stdlib sqlite3, WAL mode).

Tables: ``meta`` (schema version), ``accounts``, ``orders``, ``fills`` (domain models
as JSON from ``model_dump(mode="json")``; ``raw`` is not stored), ``ledgers`` and
``engines`` (plain state dicts per account), ``clock`` (the replay clock's state
dict). Every save is one small transaction; loading skips (and logs) rows that no
longer parse.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from desktop.domain import Account, Fill, Order, OrderStatus

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_M = TypeVar("_M", bound=BaseModel)

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


class StoreVersionError(RuntimeError):
    """The database was written by a newer, incompatible schema version."""


def _utc_key(ts: datetime) -> str:
    """A sortable UTC text key for a timestamp (naive ones are taken as UTC)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


class PaperStore:
    """The paper broker's SQLite database at ``path`` (a file path or ":memory:").

    Opening creates the schema when missing and raises StoreVersionError when the
    file's schema version is newer than this code's. Thread-safe (one lock). Use as
    a context manager or call :meth:`close`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
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

    @staticmethod
    def _parse(model: type[_M], table: str, key: str, data: str) -> _M | None:
        try:
            return model.model_validate_json(data)
        except (ValidationError, ValueError) as exc:
            log.warning("skipping corrupt %s row %s: %s", table, key, exc)
            return None

    @staticmethod
    def _parse_dict(table: str, key: str, data: str) -> dict[str, Any] | None:
        try:
            value = json.loads(data)
        except ValueError as exc:
            log.warning("skipping corrupt %s row %s: %s", table, key, exc)
            return None
        if not isinstance(value, dict):
            log.warning("skipping corrupt %s row %s: not an object", table, key)
            return None
        return value

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
        return [a for k, d in rows if (a := self._parse(Account, "accounts", k, d)) is not None]

    # -- orders and fills -----------------------------------------------------
    def save_order(self, order: Order) -> None:
        """Insert or update ``order`` (keyed by order_id): call on every new snapshot."""
        self.save_events([order])

    def save_fill(self, fill: Fill) -> None:
        """Insert or update ``fill`` (keyed by fill_id)."""
        self.save_events([fill])

    def save_events(self, events: Iterable[Order | Fill]) -> None:
        """Save matching engine events (Order snapshots and Fills) in one transaction.

        Raises TypeError for anything else (nothing is saved then).
        """
        with self._tx() as db:
            for ev in events:
                if isinstance(ev, Order):
                    db.execute(
                        "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET "
                        "account_id = excluded.account_id, client_order_id = excluded.client_order_id, "
                        "status = excluded.status, created_at = excluded.created_at, data = excluded.data",
                        (ev.order_id, ev.account_id, ev.client_order_id, ev.status.value,
                         _utc_key(ev.created_at), ev.model_dump_json()),
                    )
                elif isinstance(ev, Fill):
                    db.execute(
                        "INSERT INTO fills VALUES (?, ?, ?, ?, ?) ON CONFLICT (fill_id) DO UPDATE SET "
                        "account_id = excluded.account_id, order_id = excluded.order_id, "
                        "timestamp = excluded.timestamp, data = excluded.data",
                        (ev.fill_id, ev.account_id, ev.order_id, _utc_key(ev.timestamp), ev.model_dump_json()),
                    )
                else:
                    raise TypeError(f"cannot store {type(ev).__name__}")

    def load_orders(self, account_id: str | None = None, status: Iterable[OrderStatus] | None = None) -> list[Order]:
        """Stored orders, oldest first, optionally of one account / with these statuses."""
        sql, args = "SELECT order_id, data FROM orders WHERE 1=1", []
        if account_id is not None:
            sql, args = sql + " AND account_id = ?", [account_id]
        if status is not None:
            wanted = [s.value for s in status]
            sql += f" AND status IN ({','.join('?' * len(wanted))})"
            args += wanted
        rows = self._rows(sql + " ORDER BY created_at, rowid", args)
        return [o for k, d in rows if (o := self._parse(Order, "orders", k, d)) is not None]

    def load_order(self, order_id: str) -> Order | None:
        """The stored order ``order_id``, or None (also when its row is corrupt)."""
        rows = self._rows("SELECT order_id, data FROM orders WHERE order_id = ?", [order_id])
        return self._parse(Order, "orders", rows[0][0], rows[0][1]) if rows else None

    def load_order_by_client_id(self, client_order_id: str) -> Order | None:
        """The first stored order with ``client_order_id``, or None."""
        rows = self._rows("SELECT order_id, data FROM orders WHERE client_order_id = ? ORDER BY rowid", [client_order_id])
        return self._parse(Order, "orders", rows[0][0], rows[0][1]) if rows else None

    def load_fills(self, account_id: str | None = None, since: datetime | None = None) -> list[Fill]:
        """Stored fills oldest first, optionally of one account and at or after ``since``."""
        sql, args = "SELECT fill_id, data FROM fills WHERE 1=1", []
        if account_id is not None:
            sql, args = sql + " AND account_id = ?", [account_id]
        if since is not None:
            sql, args = sql + " AND timestamp >= ?", args + [_utc_key(since)]
        rows = self._rows(sql + " ORDER BY timestamp, rowid", args)
        return [f for k, d in rows if (f := self._parse(Fill, "fills", k, d)) is not None]

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
        return self._parse_dict("clock", "1", rows[0][0]) if rows else None

    def _save_state(self, table: str, account_id: str, state: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (account_id, json.dumps(state)))

    def _load_state(self, table: str, account_id: str) -> dict[str, Any] | None:
        rows = self._rows(f"SELECT data FROM {table} WHERE account_id = ?", [account_id])
        return self._parse_dict(table, account_id, rows[0][0]) if rows else None

    # -- maintenance ----------------------------------------------------------
    def reset(self) -> None:
        """Start over: delete every account, order, fill, ledger, engine and clock row."""
        with self._tx() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")
