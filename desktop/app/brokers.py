"""Which brokers the app can start, by name (``tradedesk --broker NAME``)."""

from __future__ import annotations

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
with their defaults."""


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
    raise KeyError(f"unknown broker {name!r}; known brokers: {', '.join(sorted({*BROKER_FACTORIES, *specs}))}")


def startup_broker(name: str, store, secrets) -> tuple[Broker, object | None]:
    """The broker to open at start and its saved connection (or None).

    ``tradedesk`` (``--broker paper``, the default) opens the last connected saved
    connection when its secrets are at hand, else the built-in paper connection;
    any other ``--broker NAME`` opens that broker with its defaults. ``store`` is a
    ConnectionStore, ``secrets`` a SecretStore. Raises KeyError for an unknown name.
    """
    import logging

    if name != "paper":
        return create_broker(name), None
    candidates = {c.id: c for c in (store.startup(), store.default()) if c is not None}
    for conn in candidates.values():
        try:
            fields = [f.name for f in conn.spec.secret_fields]
            found, _missing = secrets.secrets_for(conn.id, fields) if fields else ({}, [])
            return conn.create_broker(found), conn
        except (KeyError, ValueError) as exc:
            logging.getLogger(__name__).warning("not opening %s at start: %s", conn.name, exc)
    return create_broker("paper"), None
