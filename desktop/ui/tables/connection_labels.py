"""The connections the blotters show rows of: their names (the Connection column, the
connection filter) and which are stale (disconnected or lost: their rows are greyed
and say "disconnected"). One instance is shared by every panel of a window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import QObject, Signal


class ConnectionLabels(QObject):
    """Names by connection id, in the order connections were opened, and the stale set.

    ``changed`` is emitted after :meth:`set_connections` or :meth:`set_stale` changed
    anything (panels then refresh their filter and repaint).
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._names: dict[str, str] = {}
        self._stale: set[str] = set()

    def set_connections(self, items: Iterable[tuple[str, str]]) -> None:
        """``(connection_id, name)`` of every connection with rows, in display order."""
        names = dict(items)
        if names != self._names or list(names) != list(self._names):
            self._names = names
            self.changed.emit()

    def set_stale(self, changes: Mapping[str, bool]) -> None:
        """Apply ``{connection_id: stale}`` changes."""
        before = set(self._stale)
        for connection_id, stale in changes.items():
            (self._stale.add if stale else self._stale.discard)(connection_id)
        if self._stale != before:
            self.changed.emit()

    def name(self, connection_id: str) -> str:
        """The connection's name (its id when unknown, "" for rows spanning connections)."""
        return self._names.get(connection_id, connection_id)

    def is_stale(self, connection_id: str) -> bool:
        """Whether the connection's rows are out of date (disconnected or lost)."""
        return connection_id in self._stale

    def items(self) -> list[tuple[str, str]]:
        """``(connection_id, name)`` in display order."""
        return list(self._names.items())

    def __len__(self) -> int:
        return len(self._names)
