"""TablePanel: a filter toolbar over a sortable BlotterView of a KeyedTableModel.

The panel owns its model (``.model``), proxy (``.proxy``) and view (``.view``);
``stage(rows)`` forwards to the model. A context menu offers Copy, Export CSV… and
Resize columns (subclasses add their own actions through :meth:`add_row_actions`);
right-clicking the header shows or hides columns. :meth:`header_state` /
:meth:`restore_header_state` persist column order, widths, visibility and sorting.

Given the window's :class:`~.connection_labels.ConnectionLabels`, the panel greys the
rows of stale connections and repaints when the labels change (one ``dataChanged``),
and may show a connection filter (:class:`~.connection_filter.ConnectionFilter`);
:meth:`drop_connections` removes every row of removed connections.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection, Hashable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QMenu, QMessageBox, QStyle, QVBoxLayout, QWidget

from . import header_state
from .connection_filter import ConnectionFilter
from .connection_labels import ConnectionLabels
from .model import KeyedTableModel
from .proxy import TableProxy
from .view import BlotterView


class TablePanel(QWidget):
    """A reusable blotter panel: optional toolbar (filter box) plus a table view.

    ``name`` prefixes object names: ``<name>Panel``, ``<name>View``, ``<name>Filter``.
    ``default_sort`` is (column id, order) applied at start, e.g. ("time", Descending);
    None keeps the model's insertion order. ``filter_placeholder`` None hides the
    filter box. ``labels``: the window's connection names and stale set (None: rows
    show connection ids and are never greyed); ``connection_filter`` adds the
    ``<name>ConnectionFilter`` combo to the toolbar; ``connection_column`` is the id
    of the column naming each row's connection: it shows once there are several
    connections and hides when one is left (the user's header menu and a restored
    header state decide in between). ``hidden``: ids of columns hidden by default;
    ``legacy_columns``: earlier column sets of this panel whose saved header states
    are mapped onto today's columns by id. Emits :attr:`activated` with the
    row object on double-click and :attr:`exported` (path, rows) after a CSV export.
    """

    activated = Signal(object)
    exported = Signal(str, int)
    view_type: type[BlotterView] = BlotterView
    """The class of :attr:`view` (a subclass may show a BlotterView of its own)."""

    def __init__(
        self,
        model: KeyedTableModel,
        proxy: TableProxy | None = None,
        *,
        name: str,
        default_sort: tuple[str, Qt.SortOrder] | None = None,
        filter_placeholder: str | None = "Filter",
        labels: ConnectionLabels | None = None,
        connection_filter: bool = False,
        connection_column: str | None = None,
        hidden: Iterable[str] = (),
        legacy_columns: Iterable[header_state.Legacy] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}Panel")
        self.name = name
        self.model = model
        self.model.setParent(self)
        self.proxy = proxy if proxy is not None else TableProxy()
        self.proxy.setParent(self)
        self.proxy.setSourceModel(model)
        self.ask_export_path: Callable[[], str | None] = self._ask_export_path
        """Asks where to export; replace it in tests (returns a path or None)."""

        self.labels = labels
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.toolbar = QHBoxLayout()
        self.toolbar.setContentsMargins(4, 2, 4, 0)
        self.toolbar.setSpacing(6)
        self.toolbar.addStretch(1)
        self._toolbar_shown = False
        self.filter_edit: QLineEdit | None = None
        if filter_placeholder is not None:
            self.filter_edit = QLineEdit(self)
            self.filter_edit.setObjectName(f"{name}Filter")
            self.filter_edit.setPlaceholderText(filter_placeholder)
            self.filter_edit.setClearButtonEnabled(True)
            fm = self.filter_edit.fontMetrics()
            self.filter_edit.setMinimumWidth(fm.horizontalAdvance(filter_placeholder) + 48)
            self.filter_edit.setMaximumWidth(max(260, self.filter_edit.minimumWidth()))
            self.filter_edit.textChanged.connect(self.proxy.set_filter_text)
            self.add_tool(self.filter_edit)
        self.connection_filter: ConnectionFilter | None = None
        if labels is not None and connection_filter:
            self.connection_filter = ConnectionFilter(labels, name, self)
            self.connection_filter.chosen.connect(self.set_connection_filter)
            self.add_tool(self.connection_filter)

        self.view = self.view_type(self)
        self.view.setObjectName(f"{name}View")
        self.view.setModel(self.proxy)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.doubleClicked.connect(self._on_double_clicked)
        copy = QAction("Copy", self.view)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selection)
        self.view.addAction(copy)
        layout.addWidget(self.view)
        self.hidden_by_default = tuple(hidden)
        """Ids of the columns hidden until the user shows them (header menu)."""
        self.legacy_columns = tuple(legacy_columns)
        """Earlier column sets whose saved header states are mapped by id."""
        for column_id in self.hidden_by_default:
            self.view.setColumnHidden(self.model.column_index(column_id), True)
        self._setup_sort(default_sort)
        self.model.flushed.connect(self.view.maybe_fit)  # fit right after each batch (the view also defers one)
        self._connection_column = connection_column
        self._several: bool | None = None
        if labels is not None:
            labels.changed.connect(self._labels_changed)
            self.model.set_stale_connections(labels.stale_ids)
        self._follow_connection_count()

    def add_tool(self, widget: QWidget) -> None:
        """Add ``widget`` to the toolbar above the table, after the ones there."""
        if not self._toolbar_shown:
            self._toolbar_shown = True
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertLayout(0, self.toolbar)
        self.toolbar.insertWidget(self.toolbar.count() - 1, widget)  # before the stretch

    # ----------------------------------------------------------------- set-up
    def _setup_sort(self, default_sort: tuple[str, Qt.SortOrder] | None) -> None:
        self.view.setSortingEnabled(True)
        if default_sort is None:
            self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.proxy.sort(-1)
        else:
            column_id, order = default_sort
            self.view.sortByColumn(self.model.column_index(column_id), order)

    # ------------------------------------------------------------------- data
    def stage(self, rows: Iterable[Any]) -> None:
        """Insert or update ``rows`` at the model's next flush."""
        self.model.stage(rows)

    def remove(self, keys: Iterable[Hashable]) -> None:
        """Remove rows by key at the model's next flush."""
        self.model.remove_many(keys)

    def drop_connections(self, connection_ids: Iterable[str]) -> None:
        """Remove every row (shown or staged) of ``connection_ids`` at the next flush:
        those connections were removed."""
        ids = frozenset(connection_ids)
        if ids:
            self.model.remove_where(lambda row: row.connection_id in ids)

    # ------------------------------------------------------------ connections
    def set_connection_filter(self, connection_id: str | None) -> None:
        """Show only ``connection_id``'s rows (None: every connection's); the combo,
        when shown, follows."""
        if self.connection_filter is not None and self.connection_filter.connection != (connection_id or None):
            if self.connection_filter.choose(connection_id):
                return  # re-enters through the combo's chosen signal
        if (connection_id or None) != self.proxy.connection:
            self.proxy.set_connection(connection_id)
            self.on_connection_filter_changed()

    def on_connection_filter_changed(self) -> None:
        """Hook: the connection filter changed (``self.proxy.connection``)."""

    def _labels_changed(self) -> None:
        """Names or stale connections changed: grey / un-grey rows, repaint once."""
        assert self.labels is not None
        self._follow_connection_count()
        self.on_labels_changed(self.labels.stale_ids)

    def _follow_connection_count(self) -> None:
        """Show the connection column when a second connection arrives, hide it when
        one is left (only then: the user may show or hide it in between)."""
        several = self.labels is not None and len(self.labels) > 1
        if self._connection_column is not None and several != self._several:
            self.view.setColumnHidden(self.model.column_index(self._connection_column), not several)
        self._several = several

    def on_labels_changed(self, stale: Collection[str]) -> None:
        """Hook (call the base): repaint the model with ``stale`` connections greyed."""
        self.model.set_stale_connections(stale)
        self.model.refresh()

    @property
    def shown_model(self) -> KeyedTableModel:
        """The model the view shows now: ``model``, unless a subclass switched the
        proxy to another one with the same columns (e.g. consolidated positions)."""
        source = self.proxy.sourceModel()
        return source if isinstance(source, KeyedTableModel) else self.model

    def row_for(self, index: QModelIndex) -> Any:
        """Row object behind a view (proxy) index."""
        return self.shown_model.row_at(self.proxy.mapToSource(index).row())

    def selected_rows(self) -> list[Any]:
        """Row objects of the selected rows, in view order."""
        rows = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.row_for(i) for i in rows]

    def visible_columns(self) -> list[int]:
        """Model column numbers of the shown columns, in header (visual) order."""
        return self.view.visible_columns()

    def needed_width(self, through: str | None = None) -> int:
        """Width (px) the panel needs to show its columns as fitted now, up to and
        including column ``through`` (None: all shown ones), without scrolling
        sideways: the view's frame and a vertical scroll bar included. The window sizes
        docks from it."""
        hh, view = self.view.horizontalHeader(), self.view
        shown = self.visible_columns()
        if through is not None and self.model.column_index(through) in shown:
            shown = shown[:shown.index(self.model.column_index(through)) + 1]
        end = sum(hh.sectionSize(c) for c in shown)
        bar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view)
        return end + 2 * view.frameWidth() + bar

    # ----------------------------------------------------------- header state
    def _ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.model.columns)

    def header_state(self) -> bytes:
        """Column order, widths, visibility, sort indicator and the hand-sized columns,
        for settings; tagged with the column ids (see :mod:`.header_state`)."""
        ids = self._ids()
        sized = [ids[c] for c in self.view.user_sized_columns()]
        return header_state.encode(ids, sized, bytes(self.view.horizontalHeader().saveState().data()))

    def restore_header_state(self, state: bytes) -> bool:
        """Restore :meth:`header_state` output; a state saved for one of the panel's
        ``legacy_columns`` sets is mapped onto today's columns by id. False (and nothing
        changed) if invalid or saved for another set of columns (e.g. before the
        Connection column, or another panel's)."""
        saved = header_state.decode(state)
        if saved is None:
            return False
        ids = self._ids()
        if saved.ids == ids:
            hh = self.view.horizontalHeader()
            if not hh.restoreState(QByteArray(saved.qt)) or hh.count() != self.model.columnCount():
                return False
            self.view.adopt_restored({ids.index(i) for i in saved.sized or () if i in ids})
            self.proxy.sort(hh.sortIndicatorSection(), hh.sortIndicatorOrder())
            return True
        legacy = next((old for old in self.legacy_columns if old.ids == saved.ids), None)
        layout = header_state.read_legacy(saved) if legacy is not None else None
        if legacy is None or layout is None:
            return False
        self._apply_layout(header_state.plan_migration(layout, legacy, ids, self.hidden_by_default))
        return True

    def _apply_layout(self, layout: header_state.Layout) -> None:
        """Put the columns where ``layout`` says (by id)."""
        hh, index = self.view.horizontalHeader(), self.model.column_index
        for visual, column_id in enumerate(layout.order):
            hh.moveSection(hh.visualIndex(index(column_id)), visual)
        for c, column_id in enumerate(self._ids()):
            hh.setSectionHidden(c, column_id in layout.hidden)
        for column_id, width in layout.widths.items():
            hh.resizeSection(index(column_id), width)
        self.view.adopt_restored({index(i) for i in layout.sized})
        if layout.sort is None:
            hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.proxy.sort(-1)
        else:
            self.view.sortByColumn(index(layout.sort[0]), layout.sort[1])

    def resize_columns(self) -> None:
        """Fit the columns to the rows in sight and let them keep fitting as rows and
        values arrive, also columns resized by hand (the "Resize columns" menu action)."""
        self.view.refit()

    # --------------------------------------------------------- context menus
    def context_rows(self, index: QModelIndex | None) -> list[Any]:
        """Rows a context menu at ``index`` acts on: the selection if it holds the row."""
        if index is None or not index.isValid():
            return self.selected_rows()
        sel = self.view.selectionModel()
        if not sel.isRowSelected(index.row(), QModelIndex()):
            self.view.selectRow(index.row())
            return [self.row_for(index)]
        return self.selected_rows()

    def build_context_menu(self, index: QModelIndex | None = None) -> QMenu:
        """The row context menu for a view (proxy) ``index`` (None = the selection)."""
        menu = QMenu(self)
        menu.setObjectName(f"{self.name}ContextMenu")
        rows = self.context_rows(index)
        self.add_row_actions(menu, rows)
        if not menu.isEmpty():
            menu.addSeparator()
        copy = menu.addAction("Copy", self.copy_selection)
        copy.setObjectName("copyAction")
        copy.setEnabled(bool(rows))
        export = menu.addAction("Export CSV…", self._export_interactive)
        export.setObjectName("exportCsvAction")
        export.setEnabled(self.proxy.rowCount() > 0)
        menu.addAction("Resize columns", self.resize_columns).setObjectName("resizeColumnsAction")
        return menu

    def add_row_actions(self, menu: QMenu, rows: list[Any]) -> None:
        """Hook: add actions for the targeted ``rows`` at the top of the menu."""

    def _show_context_menu(self, pos: QPoint) -> None:
        menu = self.build_context_menu(self.view.indexAt(pos))
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def build_header_menu(self) -> QMenu:
        """The header menu that shows or hides columns."""
        return self.view.build_header_menu()

    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.double_click(self.row_for(index))

    def double_click(self, row: Any) -> None:
        """What a double-click on ``row`` does: emit :attr:`activated`, then
        :meth:`on_row_double_clicked`. A menu entry that names the double-click calls
        this (nothing for None)."""
        if row is not None:
            self.activated.emit(row)
            self.on_row_double_clicked(row)

    def on_row_double_clicked(self, row: Any) -> None:
        """Hook: called after :attr:`activated` on double-click."""

    # ------------------------------------------------------- copy and export
    def _table_text(self, rows: list[Any], cols: list[int]) -> list[list[str]]:
        columns = self.shown_model.columns
        return [[columns[c].export(r) for c in cols] for r in rows]

    def copy_selection(self) -> None:
        """Copy the selected rows (shown columns) to the clipboard, tab-separated."""
        rows = self.selected_rows()
        if not rows:
            return
        lines = self._table_text(rows, self.visible_columns())
        QGuiApplication.clipboard().setText("\n".join("\t".join(line) for line in lines))

    def export_csv(self, path: str | Path) -> int:
        """Write the shown rows (filtered, in view order) and columns to ``path``.

        Numbers are written without thousands separators, times as full local
        timestamps. Returns the number of data rows; raises OSError on failure.
        """
        self.shown_model.flush()
        cols = self.visible_columns()
        rows = self.proxy.visible_rows()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([self.shown_model.columns[c].header for c in cols])
            writer.writerows(self._table_text(rows, cols))
        self.exported.emit(str(path), len(rows))
        return len(rows)

    def _ask_export_path(self) -> str | None:
        default = Path.home() / f"{self.name}-{date.today().isoformat()}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", str(default), "CSV files (*.csv);;All files (*)")
        if not path:
            return None
        return path if Path(path).suffix else path + ".csv"

    def _export_interactive(self) -> None:
        path = self.ask_export_path()
        if not path:
            return
        try:
            self.export_csv(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export CSV", f"Could not write {path}:\n{exc}")
