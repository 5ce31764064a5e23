"""BlotterView: the QTableView of the blotter panels.

Row selection, alternating rows, no grid, compact fixed-height rows, movable and
hideable columns (right-click the header), cell text inset so numbers never touch
the next column, and columns that fit their contents when rows first arrive and
keep growing (never shrinking) as rows come, until the user resizes one by hand.
The view's model must be a :class:`~desktop.ui.tables.proxy.TableProxy`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QMenu, QProxyStyle, QStyle, QTableView, QWidget

from .proxy import TableProxy

MAX_AUTO_WIDTH = 280
"""Fitting never makes a column wider than this (long messages elide)."""
FIT_SAMPLE_ROWS = 100
"""Fitting measures at most this many rows (those in sight)."""
CELL_MARGIN = 4
"""Extra horizontal margin of cell text on each side (on top of the style's own)."""
COLUMN_PADDING = 2 * CELL_MARGIN + 4
"""Extra width added to the widest text of a column (cell margins plus some air)."""


class _CellPaddingStyle(QProxyStyle):
    """Insets cell text by CELL_MARGIN on both sides, so that a right-aligned number
    never touches the left-aligned text of the next column. (Header labels get the
    same air from the model, which pads header text with a space on each side.)
    Also drops the focus frame around the current cell: whole rows are selected."""

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: Any, painter: Any, widget: Any = None) -> None:  # noqa: N802
        if element != QStyle.PrimitiveElement.PE_FrameFocusRect:
            super().drawPrimitive(element, option, painter, widget)

    def subElementRect(self, element: QStyle.SubElement, option: Any, widget: Any = None) -> QRect:  # noqa: N802
        rect = super().subElementRect(element, option, widget)
        if element == QStyle.SubElement.SE_ItemViewItemText:
            rect.adjust(CELL_MARGIN, 0, -CELL_MARGIN, 0)
        return rect


class BlotterView(QTableView):
    """A read-only, row-selecting table view over a TableProxy, with auto-fitting columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.auto_fit = True
        """Fit columns as rows arrive; turned off by a manual resize or a restored state."""
        self._fit_pending = False
        self._fitting = False
        self._fitted_once = False
        self._style: _CellPaddingStyle | None = None
        self._follow_app_style()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
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
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def _follow_app_style(self) -> None:
        """(Re)wrap the application's style, e.g. after a theme switch changed it."""
        app_style = QApplication.style()
        if self._style is not None and self._style.baseStyle().name() == app_style.name():
            return
        old, self._style = self._style, _CellPaddingStyle(app_style.name())
        self._style.setParent(self)
        self.setStyle(self._style)
        if old is not None:
            old.deleteLater()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Follow application style changes (a widget with its own style is not told)."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange):
            # Deferred: setting a style inside the palette change that QApplication.setStyleSheet
            # sends while it re-polishes widgets re-enters that polish and crashes (live theme switch).
            QTimer.singleShot(0, self, self._follow_app_style)

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
        """Note that rows arrived; :meth:`maybe_fit` will fit the columns."""
        self._fit_pending = True

    def maybe_fit(self) -> None:
        """Fit columns if rows arrived, auto-fit is on and the view is shown."""
        if self.auto_fit and self._fit_pending and self.proxy().rowCount() and self.isVisible():
            self._fit_pending = False
            self.fit_columns(grow_only=self._fitted_once)
            self._fitted_once = True

    def _on_section_resized(self, *_: Any) -> None:
        if not self._fitting:
            self.auto_fit = False

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        """Fit columns deferred while the view was hidden."""
        super().showEvent(event)
        self.maybe_fit()

    def fit_columns(self, grow_only: bool = False) -> None:
        """Fit columns to the rows in sight plus COLUMN_PADDING, capped at MAX_AUTO_WIDTH.

        Measures display text of at most FIT_SAMPLE_ROWS rows in Python (Qt's own
        resizeColumnsToContents asks the model ~1000 rows x 8 roles per column).
        ``grow_only`` keeps columns that are already wider (no jitter on live updates).
        """
        hh = self.horizontalHeader()
        fm = self.fontMetrics()
        margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1)
        rows = self._rows_in_sight()
        self._fitting = True
        try:
            for c, col in enumerate(self.proxy().keyed_model().columns):
                if hh.isSectionHidden(c):
                    continue
                text = max((fm.horizontalAdvance(col.display(r)) for r in rows), default=0)
                width = min(max(text + margin + COLUMN_PADDING, hh.sectionSizeHint(c)), MAX_AUTO_WIDTH)
                if grow_only:
                    width = max(width, hh.sectionSize(c))
                if width != hh.sectionSize(c):
                    hh.resizeSection(c, width)
        finally:
            self._fitting = False

    def _rows_in_sight(self) -> list[Any]:
        proxy = self.proxy()
        n = proxy.rowCount()
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
