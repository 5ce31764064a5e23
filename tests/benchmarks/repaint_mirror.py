"""The blotter's cells served from C++: a measured design probe for ``bench_repaint.py --mirror``.

Not the app's design. A ``QStandardItemModel`` mirror of a :class:`KeyedTableModel`
(same rows and columns) sits under a ``QSortFilterProxyModel`` subclass that keeps the
app proxy's Python ``filterAcceptsRow`` and ``lessThan`` but overrides nothing a
paint calls. Before each paint the view fills the mirror's items of the rows in
sight from the model's kept cells (:meth:`KeyedTableModel.cells`), only where a row's
kept cells changed since it was filled. A repaint with nothing changed then makes no
Python call per cell: Qt's delegate reads every role from C++ items.

What the app would give up for it: a mirror item exists only for a row that has been
painted, so ``data()`` of any other row (Qt's keyboard search, accessibility, tooltips,
every ``index.data()`` caller) would be empty or stale unless answered by a second,
Python path; a Python ``data()`` override on the mirror or the proxy would be called
once per role and cell again. See tests/benchmarks/README.md, ``bench_repaint.py``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTableView

from desktop.ui.tables.model import KeyedTableModel
from desktop.ui.tables.view import CELL_MARGIN, cell_style_sheet

_CELL_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled


class MirrorProxy(QSortFilterProxyModel):
    """Sorts the mirror's rows by the keyed model's kept sort values (as the app's
    TableProxy does) and accepts every row; overrides nothing a paint calls."""

    def __init__(self, keyed: KeyedTableModel) -> None:
        super().__init__()
        self._keyed = keyed

    def filterAcceptsRow(self, source_row: int, source_parent: Any) -> bool:  # noqa: N802 - Qt override
        return True

    def lessThan(self, left: Any, right: Any) -> bool:  # noqa: N802 - Qt override
        keyed = self._keyed
        return keyed.sort_value(left.row(), left.column()) < keyed.sort_value(right.row(), right.column())


class MirrorView(QTableView):
    """A table view over a :class:`MirrorProxy` that fills the mirror's items of the rows
    in sight before each paint (the mirror's signals blocked: filling is not a change)."""

    def __init__(self, keyed: KeyedTableModel, mirror: QStandardItemModel, proxy: MirrorProxy) -> None:
        super().__init__()
        self._keyed, self._mirror, self._proxy = keyed, mirror, proxy
        self._filled: dict[int, Any] = {}  # source row -> the kept cells its items were made from

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        first, last = self.rowAt(0), self.rowAt(self.viewport().height() - 1)
        if last < 0:
            last = self._proxy.rowCount() - 1
        keyed, mirror, aligns = self._keyed, self._mirror, self._keyed.alignments()
        keyed.check_cells()
        mirror.blockSignals(True)
        try:
            for r in range(max(first, 0), last + 1):
                source = self._proxy.mapToSource(self._proxy.index(r, 0)).row()
                cells = keyed.cells(source)
                if self._filled.get(source) is cells:
                    continue
                self._filled[source] = cells
                texts, colours = cells
                for c, text in enumerate(texts):
                    item = QStandardItem(text)
                    item.setTextAlignment(Qt.AlignmentFlag(aligns[c]))
                    item.setFlags(_CELL_FLAGS)
                    if colours[c] is not None:
                        item.setForeground(colours[c])
                    mirror.setItem(source, c, item)
        finally:
            mirror.blockSignals(False)
        super().paintEvent(event)


def mirrored_view(view: Any, keyed: KeyedTableModel, size: tuple[int, int]) -> MirrorView:
    """A shown :class:`MirrorView` of ``keyed`` with ``view``'s sort, column widths,
    hidden columns, row height, cell padding and row look, ``size`` (width, height) px."""
    mirror = QStandardItemModel(len(keyed), len(keyed.columns))
    for c, column in enumerate(keyed.columns):
        mirror.setHorizontalHeaderItem(c, QStandardItem(column.header))
    proxy = MirrorProxy(keyed)
    proxy.setSourceModel(mirror)
    hh = view.horizontalHeader()
    if view.isSortingEnabled() and hh.sortIndicatorSection() >= 0:
        proxy.sort(hh.sortIndicatorSection(), hh.sortIndicatorOrder())
    out = MirrorView(keyed, mirror, proxy)
    out.setModel(proxy)
    mirror.setParent(out)
    proxy.setParent(out)
    out.setStyleSheet(cell_style_sheet(CELL_MARGIN))
    out.setShowGrid(False)
    out.setAlternatingRowColors(True)
    out.setWordWrap(False)
    out.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    out.verticalHeader().setVisible(False)
    out.verticalHeader().setDefaultSectionSize(view.verticalHeader().defaultSectionSize())
    for c in range(len(keyed.columns)):
        out.setColumnWidth(c, hh.sectionSize(c))
        out.setColumnHidden(c, hh.isSectionHidden(c))
    out.resize(*size)
    out.show()
    return out
