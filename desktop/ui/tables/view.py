"""BlotterView: the QTableView of the blotter panels.

Row selection, alternating rows, no grid, compact fixed-height rows, movable and
hideable columns (right-click the header), cell text inset so numbers never touch
the next column, and compact header hints (:class:`~.header.BlotterHeader`).

Column fitting: an empty table's columns fit their header labels; a column fits its
texts (capped at MAX_AUTO_WIDTH) when rows first arrive, then only grows (never
shrinks, so live updates do not jitter) whenever a row comes into sight (inserted,
scrolled to, or the view grew) or a changed value no longer fits, e.g. the
watchlist's bid/ask that arrive after its empty rows, or accounts listed below the
fold. A column the user resized by hand keeps the user's width; hiding or showing a
column is not a resize. After a restored header state the saved widths are where
columns start: they still grow to fit (hand-sized ones excepted, see
:meth:`BlotterView.adopt_restored`); "Resize columns" (:meth:`BlotterView.refit`)
fits them all afresh. The view's model must be a
:class:`~desktop.ui.tables.proxy.TableProxy`.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QStyle, QTableView, QWidget

from .header import BlotterHeader
from .model import KeyedTableModel
from .proxy import TableProxy
from .paint_hold import PaintHold
from .turns import note_work

MAX_AUTO_WIDTH = 280
"""Fitting never makes a column wider than this (long messages elide)."""
FIT_SAMPLE_ROWS = 100
"""Fitting measures at most this many rows (those in sight, or the changed ones)."""
CELL_MARGIN = 4
"""Extra horizontal margin of cell text on each side (on top of the style's own)."""
COLUMN_PADDING = 2 * CELL_MARGIN + 2
"""Extra width added to the widest text of a column (the cell margins, and 2 px of air)."""


def cell_style_sheet(text_margin: int) -> str:
    """The views' own style sheet: cell text inset by ``text_margin`` px on both sides,
    on top of the style's own item margin (so that a right-aligned number never touches the left-aligned text of the next
    column; header labels get the same air from the model) and no focus frame around
    the current cell (whole rows are selected). Applied by Qt's style sheet style in
    C++: no Python call per painted cell."""
    return (f"QTableView {{ outline: 0; }}"
            f" QTableView::item {{ padding-left: {text_margin}px; padding-right: {text_margin}px; }}")


class BlotterView(PaintHold, QTableView):
    """A read-only, row-selecting table view over a TableProxy, with auto-fitting columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auto_fit = True
        """Fit columns as rows and values arrive (the options view turns it off and on)."""
        self._fit_pending = True  # rows arrived or came into sight: measure the rows in sight (none: headers)
        self._changed: list[Any] = []  # row objects whose values changed since the last fit
        self._changed_overflow = False  # more than FIT_SAMPLE_ROWS changed: measure the rows in sight
        self._fitting = False
        self._fitted: set[int] = set()  # logical columns fitted once: from then on they only grow
        self._user_sized: set[int] = set()  # logical columns the user resized: never fitted
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.maybe_fit)
        self._init_paint_hold()
        self.setStyleSheet(cell_style_sheet(CELL_MARGIN))
        self.setHorizontalHeader(BlotterHeader(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        vh = self.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.horizontalHeader()
        hh.setSectionsMovable(True)
        hh.setHighlightSections(False)
        hh.setStretchLastSection(False)
        hh.setSortIndicatorClearable(True)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._show_header_menu)
        hh.sectionResized.connect(self._on_section_resized)
        hh.sortIndicatorChanged.connect(self._on_sort_indicator_changed)
        self.verticalScrollBar().valueChanged.connect(self.request_fit)  # rows scrolled into sight
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802 - Qt override
        """Show ``model`` (a TableProxy) and fit columns as its rows and values arrive."""
        old = self.model()
        if old is not None:
            for signal, slot in self._model_hooks(old):
                signal.disconnect(slot)
            if isinstance(old, TableProxy):
                old.sourceModelChanged.disconnect(self._hook_source)
        super().setModel(model)
        if model is not None:
            for signal, slot in self._model_hooks(model):
                signal.connect(slot)
            if isinstance(model, TableProxy):
                model.sourceModelChanged.connect(self._hook_source)
        self._hook_source()

    def _model_hooks(self, model: QAbstractItemModel) -> list[tuple[Any, Any]]:
        return [(model.rowsInserted, self._note_inserted), (model.modelReset, self.request_fit),
                (model.layoutChanged, self.request_fit), (model.dataChanged, self._note_changed)]

    def proxy(self) -> TableProxy:
        """The view's model, a TableProxy."""
        return self.model()  # type: ignore[return-value]

    def visible_columns(self) -> list[int]:
        """Model column numbers of the shown columns, in header (visual) order."""
        hh = self.horizontalHeader()
        cols = (hh.logicalIndex(v) for v in range(hh.count()))
        return [c for c in cols if not hh.isSectionHidden(c)]

    # ---------------------------------------------------------------- fitting
    def request_fit(self, *_: Any) -> None:
        """Note that rows arrived; :meth:`maybe_fit` (now or on the next event-loop
        turn) fits the columns to the rows in sight."""
        self._fit_pending = True
        self._fit_timer.start()

    def _note_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        """Rows arrived: fit the rows in sight and the new ones (wherever they are:
        below the fold too)."""
        self._note_rows(first, last)
        self.request_fit()

    def _note_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Any = ()) -> None:
        """Values of shown rows changed: remember those rows for a grow-only fit."""
        if roles and int(Qt.ItemDataRole.DisplayRole) not in [int(r) for r in roles]:
            return
        self._note_rows(top_left.row(), bottom_right.row())
        self._fit_timer.start()

    def _note_rows(self, first: int, last: int) -> None:
        """Remember proxy rows ``first``..``last`` for the next fit (beyond
        FIT_SAMPLE_ROWS of them: the rows in sight only)."""
        if not self.auto_fit or self._changed_overflow:
            return
        if last - first + 1 + len(self._changed) > FIT_SAMPLE_ROWS:
            self._changed, self._changed_overflow = [], True
        else:
            proxy = self.proxy()
            self._changed.extend(proxy.row_object(r) for r in range(first, last + 1))

    def maybe_fit(self) -> None:
        """Fit columns to rows that arrived, changed or came into sight, if auto-fit is
        on and the view is shown (a hidden view fits when shown); an empty table's
        columns fit their headers. Connected to the model's ``flushed``."""
        if not (self.auto_fit and self.isVisible()) or self._paint_held:
            return  # (held by a batch: fitted on the next turn, before the repaint)
        self._fit_timer.stop()
        if not (self._fit_pending or self._changed_overflow or self._changed):
            return
        sight = self._fit_pending or self._changed_overflow
        rows = (self._rows_in_sight() if sight else []) + self._changed
        self._fit_pending, self._changed, self._changed_overflow = False, [], False
        columns = [c for c in self.visible_columns() if c not in self._user_sized]
        if not rows:  # nothing to measure yet: headers only, of columns not fitted before
            columns = [c for c in columns if c not in self._fitted]
        self._fit(rows, columns)

    def fit_columns(self, grow_only: bool = False) -> None:
        """Fit every shown column to the rows in sight (``grow_only``: keep wider ones).

        Explicit: also fits columns the user resized. See :meth:`refit` to hand them
        back to auto-fitting too.
        """
        self._fit(self._rows_in_sight(), self.visible_columns(), exact=not grow_only)

    def refit(self) -> None:
        """"Resize columns": fit every shown column now and turn auto-fit back on for
        all of them (forgets hand-set widths and a restored state)."""
        self.auto_fit = True
        self._user_sized.clear()
        self._fitted.clear()
        self._changed, self._changed_overflow, self._fit_pending = [], False, False
        self.fit_columns()

    def adopt_restored(self, user_sized: set[int]) -> None:
        """After a restored header state: its widths are where columns start (they only
        grow from there, to fit rows), except ``user_sized`` (logical columns the user
        had resized by hand: they keep their width)."""
        self.auto_fit = True
        self._fitted = set(range(self.horizontalHeader().count()))
        self._user_sized = set(user_sized)
        self._changed, self._changed_overflow = [], False
        self.request_fit()

    def user_sized_columns(self) -> frozenset[int]:
        """Logical columns the user resized by hand (auto-fitting leaves them alone)."""
        return frozenset(self._user_sized)

    def fit_state(self) -> tuple[bool, frozenset[int], frozenset[int]]:
        """Opaque fitting state, to carry over a model swap (see :meth:`set_fit_state`)."""
        return self.auto_fit, frozenset(self._fitted), frozenset(self._user_sized)

    def set_fit_state(self, state: tuple[bool, frozenset[int], frozenset[int]]) -> None:
        """Restore :meth:`fit_state` output."""
        self.auto_fit, fitted, user = state
        self._fitted, self._user_sized = set(fitted), set(user)

    def column_need(self, column: int, rows: list[Any]) -> int:
        """Width (px) column ``column`` needs for ``rows``' texts and its header label,
        capped at MAX_AUTO_WIDTH."""
        model = self.proxy().keyed_model()
        return self._need(column, {model.texts_of(r)[column] for r in rows}, QFontMetricsF(self.font()))

    def _need(self, column: int, texts: set[str], fm: QFontMetricsF) -> int:
        """Width column ``column`` needs for ``texts`` (each measured once) and its
        header label, capped at MAX_AUTO_WIDTH. ``fm``: fractional metrics (text is
        laid out at fractional widths: 119.45 px does not fit in 119)."""
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)
        text = math.ceil(max((fm.horizontalAdvance(t) for t in texts), default=0))
        return min(max(text + margin + COLUMN_PADDING, self.horizontalHeader().sectionSizeHint(column)), MAX_AUTO_WIDTH)

    def _fit(self, rows: list[Any], columns: list[int], exact: bool = False) -> None:
        """Fit ``columns`` to ``rows``: exactly when ``exact`` or the column was never
        fitted, else only growing. Measures display text in Python (Qt's own
        resizeColumnsToContents asks the model ~1000 rows x 8 roles per column)."""
        hh = self.horizontalHeader()
        model = self.proxy().keyed_model()
        texts = [model.texts_of(r) for r in rows]  # formatted once per row (and kept for the paint)
        fm = QFontMetricsF(self.font())
        self._fitting = True
        try:
            for c in columns:
                if hh.isSectionHidden(c):
                    continue
                width = self._need(c, {t[c] for t in texts}, fm)
                if not exact and c in self._fitted:
                    width = max(width, hh.sectionSize(c))
                if width != hh.sectionSize(c):
                    hh.resizeSection(c, width)
                self._fitted.add(c)
        finally:
            self._fitting = False

    def _on_section_resized(self, logical: int, old: int, new: int) -> None:
        """A resize not made by fitting is the user's, unless it hides or shows the
        column (size to or from 0): a shown column is fitted afresh."""
        if self._fitting:
            return
        if new == 0:
            return
        if old == 0:
            self._fitted.discard(logical)
            self.request_fit()
            return
        self._user_sized.add(logical)

    def _on_sort_indicator_changed(self, logical: int, _order: Qt.SortOrder) -> None:
        """Give the newly sorted column room for its arrow (auto-fitted columns only)."""
        hh = self.horizontalHeader()
        if not self.auto_fit or logical < 0 or logical in self._user_sized or hh.isSectionHidden(logical):
            return
        if logical not in self._fitted:
            return  # fitted (with the arrow) when rows arrive
        need = hh.sectionSizeHint(logical)
        if need > hh.sectionSize(logical):
            self._fitting = True
            try:
                hh.resizeSection(logical, min(need, MAX_AUTO_WIDTH))
            finally:
                self._fitting = False

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Paint, after letting the model drop cells formatted for another number
        format, palette or second (once per paint, not per cell)."""
        proxy = self.model()
        if not isinstance(proxy, TableProxy) or not isinstance(proxy.sourceModel(), KeyedTableModel):
            super().paintEvent(event)
            return
        proxy.keyed_model().check_cells()
        rect = event.rect()
        first = self.rowAt(rect.top())
        last = self.rowAt(rect.bottom())
        proxy.painting(first, last if last >= 0 else proxy.rowCount() - 1)
        try:
            super().paintEvent(event)
        finally:
            proxy.painted()
            note_work(self)  # a table's batch due right after this paint waits a turn

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Fit columns deferred while the view was hidden."""
        super().showEvent(event)
        self.maybe_fit()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """A taller view shows more rows: fit them (grow only)."""
        super().resizeEvent(event)
        if event.size().height() > event.oldSize().height():
            self.request_fit()

    def _rows_in_sight(self) -> list[Any]:
        proxy = self.proxy()
        n = proxy.rowCount()
        if not n:
            return []
        first = max(0, self.rowAt(0))
        last = self.rowAt(self.viewport().height() - 1)
        if last < 0:
            last = n - 1
        last = min(last, first + FIT_SAMPLE_ROWS - 1, n - 1)
        return [proxy.row_object(r) for r in range(first, last + 1)]

    # ------------------------------------------------------------ header menu
    def build_header_menu(self) -> QMenu:
        """Checkable actions showing or hiding each column (the last shown one stays)."""
        menu = QMenu(self)
        menu.setObjectName("headerMenu")
        hh = self.horizontalHeader()
        shown = len(self.visible_columns())
        for c, col in enumerate(self.proxy().keyed_model().columns):
            act = menu.addAction(col.header)
            act.setObjectName(f"column_{col.id}")
            act.setCheckable(True)
            act.setChecked(not hh.isSectionHidden(c))
            act.setEnabled(hh.isSectionHidden(c) or shown > 1)
            act.toggled.connect(lambda on, c=c: hh.setSectionHidden(c, not on))
        return menu

    def _show_header_menu(self, pos: QPoint) -> None:
        menu = self.build_header_menu()
        menu.exec(self.horizontalHeader().mapToGlobal(pos))
        menu.deleteLater()
