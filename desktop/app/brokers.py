"""Which brokers the app can start, by name (``tradedesk --broker NAME``)."""

from __future__ import annotations

from collections.abc import Callable

from desktop.brokers import Broker


def _paper() -> Broker:
    from desktop.brokers.paper import PaperBroker
    from desktop.paths import data_dir

    return PaperBroker.open(data_dir() / "paper.sqlite3")


BROKER_FACTORIES: dict[str, Callable[[], Broker]] = {"paper": _paper}


def create_broker(name: str) -> Broker:
    """Instantiate the broker adapter registered as ``name``.

    Raises KeyError with the known names when ``name`` is not registered.
    """
    try:
        factory = BROKER_FACTORIES[name]
    except KeyError:
        raise KeyError(f"unknown broker {name!r}; known brokers: {', '.join(sorted(BROKER_FACTORIES))}") from None
    return factory()
