"""Saved connections: a JSON file in the user config directory. Never any secret.

A :class:`Connection` keeps the broker key, a name, the non-secret field values and,
for each secret field, only a *reference* to where the secret lives (the OS keyring,
or this session's memory when there is no keyring). Qt-free.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from desktop.brokers import Broker

from .registry import broker_spec, broker_specs
from .spec import BrokerSpec

log = logging.getLogger(__name__)

FILE_NAME = "connections.json"
FORMAT_VERSION = 1


def new_connection_id() -> str:
    """A short random id (12 hex digits); stable for the life of the connection."""
    return uuid.uuid4().hex[:12]


class Connection(BaseModel):
    """One saved connection.

    ``id``: stable id (keyring user names are ``"<id>:<field>"``); ``broker``: the
    BrokerSpec key; ``name``: what the user called it; ``values``: non-secret field
    values; ``secrets``: field name -> reference (``"keyring:Tradedesk/<id>:<field>"``
    or ``"session:<id>:<field>"``), never the value; ``builtin``: created on first run
    and not removable (the paper connection).
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_connection_id, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    broker: str
    name: str
    values: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    builtin: bool = False

    @property
    def spec(self) -> BrokerSpec:
        """The broker's declaration. Raises KeyError when that broker is not registered."""
        return broker_spec(self.broker)

    def config(self) -> dict[str, Any]:
        """Parsed non-secret values with defaults, for ``spec.factory``."""
        return self.spec.config_from(self.values)

    def missing_secrets(self, available: Iterable[str]) -> list[str]:
        """Required secret fields not in ``available`` (the user must enter them)."""
        have = set(available)
        return [f.name for f in self.spec.secret_fields if f.required and f.name not in have]

    def create_broker(self, secrets: Mapping[str, str] | None = None, *,
                      save_secret: Callable[[str, str], None] | None = None) -> Broker:
        """A new, unconnected Broker for this connection (``secrets`` by field name),
        bound to it (``Broker.bind``: every object it reports carries this ``id``;
        ``save_secret(field, value)`` keeps secrets the session learns).

        Raises KeyError for an unregistered broker, ValueError when a required secret
        is missing."""
        secrets = dict(secrets or {})
        missing = self.missing_secrets(secrets)
        if missing:
            labels = ", ".join(self.spec.field(name).label for name in missing)
            raise ValueError(f"{self.name}: {labels} not entered")
        return self.spec.create(self.values, secrets).bind(self.id, save_secret)


class ConnectionStore:
    """The saved connections in ``path`` (JSON), in the order the user added them.

    Loading creates the built-in connections (paper) on first run. Every change is
    written at once (atomically). Values of secret fields are dropped before saving
    even if a caller passes them.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._connections: dict[str, Connection] = {}
        self.last_connected: str | None = None
        self.connected: list[str] = []
        self.first_run = False
        self._load()

    @classmethod
    def open_default(cls) -> "ConnectionStore":
        """The store in the user config directory (``desktop.paths.config_dir``)."""
        from desktop.paths import config_dir

        return cls(config_dir() / FILE_NAME)

    # -- reading ----------------------------------------------------------------
    def _load(self) -> None:
        if not self.path.exists():
            self.first_run = True
            self._add_builtins()
            self.save()
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            items = data.get("connections", [])
            self.last_connected = data.get("last_connected")
            connected = data.get("connected")
            if isinstance(connected, list):
                self.connected = [str(c) for c in connected if isinstance(c, str)]
            elif self.last_connected:  # a file from before several connections could be live
                self.connected = [self.last_connected]
        except (OSError, ValueError, AttributeError) as exc:
            log.error("could not read %s, starting with the built-in connections: %s", self.path, exc)
            items = []
        for item in items:
            try:
                conn = Connection.model_validate(item)
            except ValidationError as exc:
                log.error("skipping an unreadable saved connection: %s", exc.errors()[0].get("msg"))
                continue
            self._connections[conn.id] = conn
        if self._add_builtins():
            self.save()

    def _add_builtins(self) -> bool:
        added = False
        present = {c.broker for c in self._connections.values() if c.builtin}
        for spec in broker_specs():
            if spec.builtin and spec.key not in present:
                conn = Connection(id=spec.key, broker=spec.key, name=_builtin_name(spec), values=spec.defaults(), builtin=True)
                self._connections[conn.id] = conn
                added = True
        return added

    def all(self) -> list[Connection]:
        """Every saved connection."""
        return list(self._connections.values())

    def get(self, connection_id: str) -> Connection:
        """The connection with ``connection_id``. Raises KeyError."""
        try:
            return self._connections[connection_id]
        except KeyError:
            raise KeyError(f"no saved connection {connection_id!r}") from None

    def __contains__(self, connection_id: object) -> bool:
        return connection_id in self._connections

    def __len__(self) -> int:
        return len(self._connections)

    def default(self) -> Connection | None:
        """The built-in paper connection (what a fresh install starts on)."""
        return next((c for c in self._connections.values() if c.builtin and c.broker == "paper"), None)

    # -- changing ---------------------------------------------------------------
    def add(self, broker: str, name: str, values: Mapping[str, Any] | None = None,
            secrets: Mapping[str, str] | None = None, *, connection_id: str | None = None) -> Connection:
        """Save a new connection (``secrets``: field -> reference). Returns it."""
        spec = broker_spec(broker)
        conn = Connection(id=connection_id or new_connection_id(), broker=broker, name=name.strip(),
                          values=_plain_values(spec, values or {}), secrets=dict(secrets or {}))
        if conn.id in self._connections:
            raise ValueError(f"connection id {conn.id!r} is taken")
        self._connections[conn.id] = conn
        self.save()
        return conn

    def update(self, connection_id: str, *, name: str | None = None, values: Mapping[str, Any] | None = None,
               secrets: Mapping[str, str] | None = None) -> Connection:
        """Change a saved connection's name, values and/or secret references."""
        old = self.get(connection_id)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name.strip()
        if values is not None:
            changes["values"] = _plain_values(old.spec, values)
        if secrets is not None:
            changes["secrets"] = dict(secrets)
        conn = old.model_copy(update=changes)
        self._connections[connection_id] = conn
        self.save()
        return conn

    def remove(self, connection_id: str) -> Connection:
        """Forget a connection (its secrets are the caller's to delete). Raises
        ValueError for a built-in one."""
        conn = self.get(connection_id)
        if conn.builtin:
            raise ValueError(f"{conn.name} is built in and cannot be removed")
        del self._connections[connection_id]
        if self.last_connected == connection_id:
            self.last_connected = None
        if connection_id in self.connected:
            self.connected.remove(connection_id)
        self.save()
        return conn

    def set_last_connected(self, connection_id: str | None) -> None:
        """Remember the connection used last (``--broker KEY`` prefers it)."""
        if connection_id != self.last_connected:
            self.last_connected = connection_id
            self.save()

    def set_connected(self, connection_id: str, connected: bool) -> None:
        """Remember whether ``connection_id`` is connected, to restore it at the next
        start (:meth:`restore_ids`); connecting also makes it the last one used."""
        ids = [c for c in self.connected if c != connection_id]
        if connected:
            ids.append(connection_id)
        if ids != self.connected or (connected and self.last_connected != connection_id):
            self.connected = ids
            if connected:
                self.last_connected = connection_id
            self.save()

    def restore_ids(self) -> list[str]:
        """The saved connections to connect at start, in the order they are listed (the
        order the user added them): those connected when the app last quit; on first
        run (or when none is left) the built-in paper connection."""
        ids = [c for c in self._connections if c in self.connected]
        if not ids and self.default() is not None:
            ids = [self.default().id]
        return ids

    def save(self) -> None:
        """Write the file atomically (temp file + rename), readable by the user only."""
        data = {
            "version": FORMAT_VERSION,
            "last_connected": self.last_connected,
            "connected": self.connected,
            "connections": [c.model_dump(mode="json") for c in self._connections.values()],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        try:
            os.chmod(tmp, 0o600)
        except OSError:  # pragma: no cover - e.g. some Windows file systems
            pass
        os.replace(tmp, self.path)


def _plain_values(spec: BrokerSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Only the spec's non-secret fields: a secret value can never reach the file."""
    plain = {f.name for f in spec.plain_fields}
    return {k: v for k, v in values.items() if k in plain}


def _builtin_name(spec: BrokerSpec) -> str:
    return "Paper" if spec.key == "paper" else spec.display_name


def names_in_use(connections: Iterable[Connection], *, exclude: str | None = None) -> set[str]:
    """Lower-cased names of ``connections`` (other than ``exclude``), to keep names unique."""
    return {c.name.strip().casefold() for c in connections if c.id != exclude}
