"""Which saved connections the app connects at start. Qt-free.

Without ``--broker`` the app restores the connections that were connected when it
last quit (the built-in paper connection on first run). ``tradedesk --broker KEY``
also opens (and connects) connection KEY beside them: KEY is a broker kind ("paper":
the built-in paper connection; "ibkr": the saved IBKR connection used last, else the
newest, else a new one with the spec's defaults, saved so what the session learns,
e.g. a trusted certificate, is kept) or a preset ("paper-advisor": the saved paper
connection in advisor mode with its own account file, created when missing).
"""

from __future__ import annotations

import logging

from desktop.connections import ConnectionStore, broker_spec, broker_specs, find_preset
from desktop.connections.store import Connection, names_in_use

log = logging.getLogger(__name__)


def known_keys() -> list[str]:
    """Every KEY ``--broker`` accepts: broker kinds and presets."""
    return sorted({spec.key for spec in broker_specs()} | {p.key for spec in broker_specs() for p in spec.presets})


def connection_for_key(store: ConnectionStore, key: str) -> Connection:
    """The saved connection ``--broker KEY`` opens (see the module docstring), created
    and saved when there is none. Raises KeyError naming the known keys."""
    preset = find_preset(key)
    if preset is not None:
        spec, found = preset
        for conn in store.all():
            if conn.broker == spec.key and all(str(conn.values.get(k)) == v for k, v in found.values.items()):
                return conn
        return _add(store, spec.key, found.name, {**spec.defaults(), **found.values})
    try:
        spec = broker_spec(key)
    except KeyError:
        raise KeyError(f"unknown broker {key!r}; known: {', '.join(known_keys())}") from None
    if spec.builtin:
        builtin = next((c for c in store.all() if c.builtin and c.broker == key), None)
        if builtin is not None:
            return builtin
    last = store.get(store.last_connected) if store.last_connected and store.last_connected in store else None
    if last is not None and last.broker == key:
        return last
    saved = [c for c in store.all() if c.broker == key]
    if saved:
        return saved[-1]
    return _add(store, key, spec.display_name, {k: v for k, v in spec.defaults().items() if v != ""})


def _add(store: ConnectionStore, broker: str, base_name: str, values: dict) -> Connection:
    taken, name, n = names_in_use(store.all()), base_name, 2
    while name.casefold() in taken:
        name, n = f"{base_name} {n}", n + 1
    conn = store.add(broker, name, values)
    log.info("saved a new %s connection %r (%s)", broker, name, conn.id)
    return conn


def startup_connections(store: ConnectionStore, key: str | None = None) -> list[str]:
    """The ids to connect at start: those to restore, plus ``key``'s connection (see
    :func:`connection_for_key`) when given. Raises KeyError for an unknown key."""
    ids = store.restore_ids()
    if key:
        conn = connection_for_key(store, key)
        if conn.id not in ids:
            ids.append(conn.id)
    return ids
