"""The connections the blotters show rows of: their names (the Connection column, the
connection filter) and which are stale (disconnected or lost: their rows are greyed
and say "disconnected"). One instance is shared by every panel of a window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from PySide6.QtCore import QObject, Signal

ALL_CONNECTIONS = "All connections"
"""What rows spanning every connection (consolidated positions) and the connection
filter's first entry say."""


class ConnectionLabels(QObject):
    """Names by connection id, in the order connections were opened, and the stale set.

    ``changed`` is emitted after :meth:`set_connections` or :meth:`set_stale` changed
    anything (panels then refresh their filter and repaint).
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}
        self._stale: frozenset[str] = frozenset()
        self._last_only: frozenset[str] = frozenset()

    def set_connections(self, items: Iterable[tuple[str, str]]) -> None:
        """``(connection_id, name)`` of every connection with rows, in display order.
        A name already taken by an earlier connection is told apart by a number:
        "Paper", "Paper (2)" (saved connections have unique names; ad-hoc ones may not)."""
        names: dict[str, str] = {}
        taken: dict[str, int] = {}
        for connection_id, name in items:
            count = taken[name.casefold()] = taken.get(name.casefold(), 0) + 1
            names[connection_id] = name if count == 1 else f"{name} ({count})"
        if names != self._names or list(names) != list(self._names):
            self._names = names
            self.changed.emit()

    def set_stale(self, changes: Mapping[str, bool]) -> None:
        """Apply ``{connection_id: stale}`` changes."""
        stale = set(self._stale)
        for connection_id, is_stale in changes.items():
            (stale.add if is_stale else stale.discard)(connection_id)
        if stale != self._stale:
            self._stale = frozenset(stale)
            self.changed.emit()

    def set_last_only(self, connection_ids: Iterable[str]) -> None:
        """The connections whose quotes carry a last price only, no bid or ask
        (``BrokerCapabilities.bid_ask`` False)."""
        ids = frozenset(connection_ids)
        if ids != self._last_only:
            self._last_only = ids
            self.changed.emit()

    def offers_bid_ask(self, connection_id: str) -> bool:
        """Whether the connection's quotes can carry a bid and an ask."""
        return connection_id not in self._last_only

    def name(self, connection_id: str) -> str:
        """The connection's name (its id when unknown, "" for rows spanning connections)."""
        return self._names.get(connection_id, connection_id)

    def is_stale(self, connection_id: str) -> bool:
        """Whether the connection's rows are out of date (disconnected or lost)."""
        return connection_id in self._stale

    @property
    def stale_ids(self) -> frozenset[str]:
        """The ids of the stale connections (a new frozenset after every change)."""
        return self._stale

    def items(self) -> list[tuple[str, str]]:
        """``(connection_id, name)`` in display order."""
        return list(self._names.items())

    def __len__(self) -> int:
        return len(self._names)


@lru_cache(maxsize=64)
def kind_label(kind: str) -> str:
    """What people call a broker kind ("ibkr" -> "Interactive Brokers (Client Portal)"),
    from its connection spec; the kind itself when no spec is registered for it."""
    if not kind:
        return ""
    from desktop.connections.registry import broker_spec

    try:
        return broker_spec(kind).display_name
    except KeyError:
        return kind
