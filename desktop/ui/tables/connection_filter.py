"""ConnectionFilter: the "All connections / <name>…" combo beside a blotter's filters.

It lists every connection of the window's :class:`ConnectionLabels` (a stale one says
"(disconnected)") and emits :attr:`ConnectionFilter.chosen` with the chosen
connection's id, or None for all of them. It is hidden while there is only one
connection (and then shows them all); a chosen connection that goes away falls back
to "All connections".
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from .connection_labels import ALL_CONNECTIONS, ConnectionLabels


class ConnectionFilter(QComboBox):
    """A combo of "All connections" then each connection's name (item data: its id).

    ``name`` prefixes the object name: ``<name>ConnectionFilter``.
    """

    chosen = Signal(object)
    """The connection id whose rows only are to be shown, or None for all."""

    def __init__(self, labels: ConnectionLabels, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}ConnectionFilter")
        self.setToolTip("Show the rows of one connection only")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._labels = labels
        self._current: str | None = None
        self.currentIndexChanged.connect(self._on_index_changed)
        labels.changed.connect(self.refresh)
        self.refresh()

    @property
    def connection(self) -> str | None:
        """The chosen connection id (None: all connections)."""
        return self._current

    def choose(self, connection_id: str | None) -> bool:
        """Select ``connection_id`` (None: all); False when it is not listed."""
        index = self.findData(connection_id) if connection_id else 0
        if index < 0:
            return False
        self.setCurrentIndex(index)
        return True

    def refresh(self) -> None:
        """Re-list the connections (after ``labels.changed``), keeping the choice when
        that connection is still listed and there are several."""
        items = self._labels.items()
        several = len(items) > 1
        keep = self._current if several and any(cid == self._current for cid, _ in items) else None
        self.blockSignals(True)
        try:
            self.clear()
            self.addItem(ALL_CONNECTIONS, None)
            for cid, name in items:
                stale = " (disconnected)" if self._labels.is_stale(cid) else ""
                self.addItem(f"{name}{stale}", cid)
            self.setCurrentIndex(self.findData(keep) if keep else 0)
        finally:
            self.blockSignals(False)
        if self.parentWidget() is not None:  # never pop up as a window of its own
            self.setVisible(several)
        if keep != self._current:
            self._current = keep
            self.chosen.emit(keep)

    def _on_index_changed(self, index: int) -> None:
        connection_id = self.itemData(index) if index >= 0 else None
        if connection_id != self._current:
            self._current = connection_id
            self.chosen.emit(connection_id)
