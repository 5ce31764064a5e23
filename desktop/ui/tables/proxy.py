"""Sort/filter proxies over :class:`~desktop.ui.tables.model.KeyedTableModel`.

Sorting uses the model's :data:`SortRole` (floats for numbers, POSIX seconds for
times), so Qt compares natively and numerically: 9 < 10 < 100. Filtering is a
case-insensitive substring match over the display text of chosen columns, composed
with an optional connection filter (the rows of one connection only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt

from .columns import SortRole
from .model import KeyedTableModel


class TableProxy(QSortFilterProxyModel):
    """Sorts by :data:`SortRole` and keeps rows whose text matches :meth:`set_filter_text`.

    ``filter_columns`` are the column ids searched by the text filter (None = all).
    :meth:`set_connection` keeps only one connection's rows (rows of no connection,
    such as consolidated positions, always pass it).
    """

    def __init__(self, filter_columns: Sequence[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._filter_columns = tuple(filter_columns) if filter_columns is not None else None
        self._needle = ""
        self._connection: str | None = None
        self._search: tuple[Any, ...] = ()
        self._keyed: KeyedTableModel | None = None
        self._painting: dict[int, Any] = {}  # proxy row -> the source row's kept cells, during a view's paint
        self._paint_rows: dict[int, int] = {}  # proxy row -> source row, during a view's paint
        self._slots: tuple[Any, Any, Any, Any, Any] | None = None  # the delegate's role data a paint fills (_paint_slots)
        self._aligns: tuple[int, ...] = ()
        self._cell_flags = Qt.ItemFlag.NoItemFlags

    # ----------------------------------------------------------------- filters
    @property
    def filter_text(self) -> str:
        """The current text filter ("" = none)."""
        return self._needle

    def set_filter_text(self, text: str) -> None:
        """Keep only rows with ``text`` (case-insensitive) in a searched column."""
        needle = text.strip().casefold()
        if needle == self._needle:
            return
        self._change_filter(lambda: setattr(self, "_needle", needle))

    @property
    def connection(self) -> str | None:
        """The connection whose rows only are shown (None = every connection's)."""
        return self._connection

    def set_connection(self, connection_id: str | None) -> None:
        """Show only the rows of ``connection_id`` (None or "": every connection's)."""
        connection_id = connection_id or None
        if connection_id != self._connection:
            self._change_filter(lambda: setattr(self, "_connection", connection_id))

    def _change_filter(self, apply: Any) -> None:
        """Run ``apply`` between beginFilterChange/endFilterChange (rows filter only)."""
        self.beginFilterChange()
        apply()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def setSourceModel(self, model: Any) -> None:  # noqa: N802 - Qt override
        """Set the source (a KeyedTableModel) and resolve the searched columns."""
        super().setSourceModel(model)
        self._search = ()
        self._keyed = model if isinstance(model, KeyedTableModel) else None
        if isinstance(model, KeyedTableModel):
            self._cell_flags = model.cell_flags()
            model.note_sort_column(self, self.sortColumn())
            cols = model.columns
            if self._filter_columns is None:
                self._search = cols
            else:
                self._search = tuple(c for c in cols if c.id in self._filter_columns)

    def keyed_model(self) -> KeyedTableModel:
        """The source model."""
        return self.sourceModel()  # type: ignore[return-value]

    def accepts(self, row: Any) -> bool:
        """Whether a row object passes this proxy's filters (override to add filters)."""
        connection = self._connection
        if connection is not None and row.connection_id and row.connection_id != connection:
            return False
        if not self._needle:
            return True
        needle = self._needle
        return any(needle in c.display(row).casefold() for c in self._search)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        if not isinstance(model, KeyedTableModel) or source_row >= len(model):
            return True
        return self.accepts(model.row_at(source_row))

    # ----------------------------------------------------------------- sorting
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column`` (-1: insertion order) and tell the source, so that it
        announces changes that keep the row's place without a re-sort."""
        super().sort(column, order)
        if self._keyed is not None:
            self._keyed.note_sort_column(self, column)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex, right: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        """Compare the source's kept :data:`SortRole` values in one call (Qt's own
        would ask the source's ``index`` and ``data`` twice per comparison). As Qt
        does: an empty value (None) sorts after every other; values of different
        kinds compare as text."""
        keyed = self._keyed
        if keyed is None:
            return super().lessThan(left, right)
        a = keyed.sort_value(left.row(), left.column())
        b = keyed.sort_value(right.row(), right.column())
        if a is None:
            return False
        if b is None:
            return True
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)

    # ---------------------------------------------------------------- painting
    def multiData(self, index: QModelIndex | QPersistentModelIndex, span: Any) -> None:  # noqa: N802 - Qt override
        """Every role a delegate asks for one cell, in one call into the source
        (QSortFilterProxyModel would ask the source once per role). During a paint
        (:meth:`painting`) the row's kept cells are known already, and so are the
        delegate's role slots (:meth:`_paint_slots`): a cell costs three ``setData``
        calls and nothing else."""
        got = self._painting.get(index.row())
        if got is not None:
            slots = self._slots
            if slots is None or span.data() is not slots[0]:
                slots = self._paint_slots(span)
            if slots is not None:
                # inlined on purpose: this runs once per visible cell of every paint
                _first, display, align, foreground, other = slots
                column = index.column()
                if display is not None:
                    display.setData(got[0][column])
                if align is not None:
                    align.setData(self._aligns[column])
                if foreground is not None:
                    colour = got[1][column]
                    if colour is not None:
                        foreground.setData(colour)
                    else:  # the role data is reused from cell to cell: empty what the cell before set
                        foreground.clearData()
                if other:
                    self._keyed.fill_other_roles(self._paint_rows[index.row()], column, span, other)
                return
        keyed = self._keyed
        if keyed is None:
            super().multiData(index, span)
            return
        src = self.mapToSource(index)
        if src.isValid():
            keyed.fill_roles(src.row(), src.column(), span)

    def _paint_slots(self, span: Any) -> tuple[Any, Any, Any, Any, Any] | None:
        """The role data of ``span`` that a paint fills: (its first element, the
        display, alignment and foreground elements or None, the other roles to ask
        the model for as (position, role) pairs), kept until the paint ends
        (:meth:`painted`). A delegate hands every cell the same role array (Qt's
        QStyledItemDelegate keeps it), so the elements' wrappers are made once per
        paint, not three per cell; a span that is not that array (its first element
        is another) gets its own. None for an empty span."""
        if not len(span):
            return None
        _first, display, align, foreground, other = self._keyed.plan(span)
        slots = self._slots = (span.data(), span[display] if display >= 0 else None,
                               span[align] if align >= 0 else None,
                               span[foreground] if foreground >= 0 else None, other)
        return slots

    def painting(self, first: int, last: int) -> None:
        """A view paints proxy rows ``first``..``last``: map them to source rows and
        fetch their kept cells once (not once per cell) until :meth:`painted`.
        Nothing changes rows during a paint."""
        keyed = self._keyed
        if keyed is None or first < 0:
            return
        index, to_source, cells = self.index, self.mapToSource, keyed.cells
        rows = self._paint_rows = {r: to_source(index(r, 0)).row() for r in range(first, min(last, self.rowCount() - 1) + 1)}
        self._painting = {r: cells(s) for r, s in rows.items()}
        self._aligns = keyed.alignments()
        self._slots = None

    def painted(self) -> None:
        """The paint :meth:`painting` announced is over."""
        self._painting = {}
        self._paint_rows = {}
        self._slots = None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        """The source's cell flags, the same for every cell (without mapping each
        painted cell to the source)."""
        if self._keyed is not None and index.isValid():
            return self._cell_flags
        return super().flags(index)

    # --------------------------------------------------------------- accessors
    def row_object(self, proxy_row: int) -> Any:
        """Row object shown at proxy row ``proxy_row``."""
        src = self.mapToSource(self.index(proxy_row, 0))
        return self.keyed_model().row_at(src.row())

    def visible_rows(self) -> list[Any]:
        """Row objects in the order shown (after filtering and sorting)."""
        model = self.keyed_model()
        return [model.row_at(self.mapToSource(self.index(r, 0)).row()) for r in range(self.rowCount())]


class OrdersProxy(TableProxy):
    """Orders: a Working / All mode on top of a symbol/account text filter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(filter_columns=("symbol", "account"), parent=parent)
        self._working_only = False

    @property
    def working_only(self) -> bool:
        """True: only orders whose status ``is_working``; False: all orders."""
        return self._working_only

    def set_working_only(self, on: bool) -> None:
        """Show only working orders (True) or all orders (False)."""
        on = bool(on)
        if on != self._working_only:
            self._change_filter(lambda: setattr(self, "_working_only", on))

    def accepts(self, row: Any) -> bool:
        if self._working_only and not row.status.is_working:
            return False
        return super().accepts(row)
