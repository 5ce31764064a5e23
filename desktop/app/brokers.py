"""Which brokers the app can start, by name (``tradedesk --broker NAME``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from desktop.brokers import Broker


def _paper() -> Broker:
    from desktop.brokers.paper import PaperBroker
    from desktop.paths import data_dir

    return PaperBroker.open(data_dir() / "paper.sqlite3")


def _paper_advisor() -> Broker:
    from desktop.brokers.paper import PaperBroker
    from desktop.paths import data_dir

    return PaperBroker.open(data_dir() / "paper-advisor.sqlite3", advisor=True)


BROKER_FACTORIES: dict[str, Callable[[], Broker]] = {"paper": _paper, "paper-advisor": _paper_advisor}
"""Brokers ``--broker`` opens without a saved connection: ``paper`` (one cash account)
and ``paper-advisor`` (the advisor demo: a master, four clients, allocation groups, in
its own account file). Brokers registered in desktop.connections (e.g. ``ibkr``) open
their saved connection (see :func:`startup_broker`)."""


def create_broker(name: str) -> Broker:
    """Instantiate the broker adapter registered as ``name``.

    Raises KeyError with the known names when ``name`` is not registered.
    """
    from desktop.connections import broker_specs

    specs = {spec.key: spec for spec in broker_specs()}
    if name in BROKER_FACTORIES:
        return BROKER_FACTORIES[name]()
    if name in specs:  # registered through desktop.connections (fields, then factory)
        return specs[name].create()
    raise _unknown_broker(name)


def _unknown_broker(name: str) -> KeyError:
    from desktop.connections import broker_specs

    known = {*BROKER_FACTORIES, *(spec.key for spec in broker_specs())}
    return KeyError(f"unknown broker {name!r}; known brokers: {', '.join(sorted(known))}")


def startup_broker(name: str, store, secrets) -> tuple[Broker, object | None]:
    """The broker to open at start and its saved connection (or None).

    - ``paper`` (the default ``tradedesk``): the last connected saved connection when
      its secrets are at hand, else the built-in paper connection.
    - ``paper-advisor`` (and any other name in :data:`BROKER_FACTORIES`): that broker,
      with no saved connection.
    - any other broker registered in desktop.connections (e.g. ``ibkr``): its saved
      connection (see :func:`connection_for_broker`), created with the spec's defaults
      and saved when there is none, so what the session learns (the gateway
      certificate the user trusted) is kept for the next start.

    ``store`` is a ConnectionStore, ``secrets`` a SecretStore. Raises KeyError for an
    unknown name, ValueError when that broker's connection lacks a required secret
    (enter it in File → Connections…).
    """
    if name == "paper":
        return _startup_paper(store, secrets)
    if name in BROKER_FACTORIES:
        return create_broker(name), None
    from desktop.connections import broker_specs

    if name not in {spec.key for spec in broker_specs()}:
        raise _unknown_broker(name)
    conn = connection_for_broker(store, name)
    return conn.create_broker(_secrets_of(conn, secrets)), conn


def connection_for_broker(store, broker: str):
    """The saved connection ``--broker NAME`` opens: the last connected one when it is of
    ``broker``, else the most recently added one of ``broker``; when there is none, a
    new one named after the broker's display name with the spec's defaults, saved in
    ``store`` (a ConnectionStore). Raises KeyError when ``broker`` is not registered."""
    from desktop.connections import broker_spec
    from desktop.connections.store import names_in_use

    spec = broker_spec(broker)
    last = store.get(store.last_connected) if store.last_connected and store.last_connected in store else None
    if last is not None and last.broker == broker:
        return last
    saved = [c for c in store.all() if c.broker == broker]
    if saved:
        return saved[-1]
    taken, name, n = names_in_use(store.all()), spec.display_name, 2
    while name.casefold() in taken:
        name, n = f"{spec.display_name} {n}", n + 1
    conn = store.add(broker, name, {k: v for k, v in spec.defaults().items() if v != ""})
    logging.getLogger(__name__).info("saved a new %s connection %r (%s) with the defaults", broker, name, conn.id)
    return conn


def _secrets_of(conn, secrets) -> dict[str, str]:
    fields = [f.name for f in conn.spec.secret_fields]
    found, _missing = secrets.secrets_for(conn.id, fields) if fields else ({}, [])
    return found


def _startup_paper(store, secrets) -> tuple[Broker, object | None]:
    candidates = {c.id: c for c in (store.startup(), store.default()) if c is not None}
    for conn in candidates.values():
        try:
            return conn.create_broker(_secrets_of(conn, secrets)), conn
        except (KeyError, ValueError) as exc:
            logging.getLogger(__name__).warning("not opening %s at start: %s", conn.name, exc)
    return create_broker("paper"), None
