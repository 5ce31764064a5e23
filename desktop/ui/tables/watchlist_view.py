"""The watchlist's model and view: rows dragged to a new place in the user's order.

:class:`WatchlistModel` is the keyed model of quotes whose rows can be dragged (their
symbols travel as :data:`SYMBOLS_MIME`, one per line); :class:`WatchlistView` accepts
such a drop between rows and asks its ``reorder(symbols, before)`` callback to move
them (``before``: the symbol they now precede, None for the end). Dragging is off
while a column sorts the rows (the drop would land somewhere the sort moves it from).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QWidget

from .model import KeyedTableModel
from .view import BlotterView

SYMBOLS_MIME = "application/x-tradedesk-watchlist-symbols"
"""Drag payload: the dragged symbols, UTF-8, one per line, in the list's order."""

Reorder = Callable[[list[str], str | None], None]


class WatchlistModel(KeyedTableModel):
    """A KeyedTableModel of quotes keyed by symbol whose rows can be dragged and
    dropped between rows (never onto one). ``momentum``: the
    :class:`~desktop.ui.tables.momentum_column.MomentumValues` its momentum column
    reads (its header and tooltip follow it through ``set_header``)."""

    momentum: Any = None

    def momentum_changed(self) -> None:
        """The momentum values (or their n) changed: new header and tooltip, cells repainted."""
        if self.momentum is not None:
            self.set_header("momentum", self.momentum.header(), tip=self.momentum.header_tip())
            self.refresh()

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """Rows drag; drops land between rows (the root), never onto one."""
        flags = super().flags(index)
        if index.isValid():
            return flags | Qt.ItemFlag.ItemIsDragEnabled
        return flags | Qt.ItemFlag.ItemIsDropEnabled  # between rows, and below the last one

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        """Rows move (never copy)."""
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        """Rows move (never copy)."""
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        """The one payload a drag carries: :data:`SYMBOLS_MIME`."""
        return [SYMBOLS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802 - Qt override
        """The symbols of the rows of ``indexes``, in the model's order."""
        rows = sorted({i.row() for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(SYMBOLS_MIME, "\n".join(str(self.key_at(r)) for r in rows).encode())
        return data

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                     parent: QModelIndex | QPersistentModelIndex) -> bool:
        """Nothing: the view moves the rows itself (through its reorder callback)."""
        return False


def dropped_symbols(data: QMimeData | None) -> list[str]:
    """The symbols a watchlist drag carries ([] for any other drag)."""
    if data is None or not data.hasFormat(SYMBOLS_MIME):
        return []
    raw = bytes(data.data(SYMBOLS_MIME).data())
    try:
        return [s for s in raw.decode().split("\n") if s]
    except UnicodeDecodeError:
        return []


class WatchlistView(BlotterView):
    """A BlotterView whose rows move by drag and drop (``reorder`` does the move)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reorder: Reorder = lambda _symbols, _before: None
        """Called with the dropped symbols and the symbol they go before (None: the end)."""
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        # DragDrop, not InternalMove: the drop is told apart by its data (SYMBOLS_MIME),
        # and InternalMove would have Qt remove the "moved" rows itself after the drop.
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.horizontalHeader().sortIndicatorChanged.connect(self._sorting_changed)

    def _sorting_changed(self, section: int, _order: Qt.SortOrder) -> None:
        """Rows can be dragged only in the user's order (no column sorting them)."""
        self.setDragEnabled(section < 0)

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Accept a watchlist drag while rows can move."""
        if dropped_symbols(event.mimeData()) and self.dragEnabled():
            super().dragEnterEvent(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Show where the rows would land (Qt's drop indicator)."""
        if dropped_symbols(event.mimeData()) and self.dragEnabled():
            super().dragMoveEvent(event)
        else:
            event.ignore()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Move the dragged symbols before the row under the drop (after it when
        dropped on its lower half; to the end below the last row)."""
        symbols = dropped_symbols(event.mimeData())
        if not symbols or not self.dragEnabled():
            event.ignore()
            return
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        before: str | None = None
        if index.isValid():
            rect = self.visualRect(index)
            row = index.row() + (1 if pos.y() >= rect.center().y() else 0)
            if row < self.model().rowCount():
                before = str(self.proxy().row_object(row).symbol)
        # Copy, not Move: the drag's source must not remove the "moved" rows afterwards.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.stopAutoScroll()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()
        self.reorder(symbols, before)
