"""The option chain's table view: dense, read-only, its columns sharing the width.

:class:`ChainView` ("chainView") sizes every column to its widest value (numbers are
never elided) and shares the view's width between them; a horizontal scroll bar appears
only when even the least padding does not fit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from .chain_model import COLUMN_COUNT, STRIKE_COLUMN, OptionChainModel, column_spec

PAD = 11
"""Pixels around a cell's text."""

_SAMPLES = {"bid": "999.99", "ask": "999.99", "last": "999.99", "volume": "9,999", "open_interest": "99,999",
            "iv": "99.9", "delta": "-0.00", "strike": "9999.5"}
"""A typical widest value of each field: a column's width before any chain is shown."""


class ChainView(QTableView):
    """The chain table over ``model`` (see module docs); ``fit_columns()`` after each update."""

    def __init__(self, model: OptionChainModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="chainView")
        self.chain_model = model
        self.setModel(model)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setMouseTracking(True)
        font = self.font()
        if font.pointSizeF() > 8:
            font.setPointSizeF(font.pointSizeF() - 0.5)  # a chain is dense: 15 columns
            self.setFont(font)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # the view shares the width out
        header.setMinimumSectionSize(20)
        header.setStretchLastSection(False)
        self._natural: list[int] = []
        self._size_columns()
        self.viewport().installEventFilter(self)

    def _size_columns(self) -> None:
        """Natural width of every column: its widest value (or a typical one) and its header."""
        metrics = self.fontMetrics()
        head_metrics = self.horizontalHeader().fontMetrics()
        self._natural = []
        for column in range(COLUMN_COUNT):
            _right, field = column_spec(column)
            title = str(self.chain_model.headerData(column, Qt.Orientation.Horizontal))
            # a header section pads its text (app style sheet: 6 px each side plus a border)
            self._natural.append(max(metrics.horizontalAdvance(_SAMPLES[field]),
                                     head_metrics.horizontalAdvance(title) + 16 - PAD))
        self._layout_columns()

    def fit_columns(self) -> None:
        """Grow (never shrink) a column's natural width to its widest value: numbers are never elided."""
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        model = self.chain_model
        grown = False
        for column in range(COLUMN_COUNT):
            widest = 0
            for row in range(model.rowCount()):
                text = model.data(model.index(row, column))
                if text:
                    widest = max(widest, metrics.horizontalAdvance(text))
            if widest > self._natural[column]:
                self._natural[column] = widest
                grown = True
        if grown:
            self._layout_columns()

    def _layout_columns(self) -> None:
        """Share the view's width between the columns: natural width plus padding, the
        padding shrinking (down to 4 px) before a horizontal scroll bar appears, any
        extra width spread evenly so the table fills the panel."""
        header = self.horizontalHeader()
        avail = self.viewport().width()
        preferred = [n + PAD for n in self._natural]
        least = [n + 6 for n in self._natural]
        if avail >= sum(preferred):
            extra = avail - sum(preferred)
            widths = [p + extra // COLUMN_COUNT for p in preferred]
            widths[STRIKE_COLUMN] += extra - (extra // COLUMN_COUNT) * COLUMN_COUNT
        elif avail > sum(least):
            ratio = (avail - sum(least)) / (sum(preferred) - sum(least))
            widths = [m + int((p - m) * ratio) for m, p in zip(least, preferred)]
            widths[STRIKE_COLUMN] += avail - sum(widths)
        else:
            widths = least
        for column, width in enumerate(widths):
            if header.sectionSize(column) != width:
                header.resizeSection(column, width)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if watched is self.viewport() and event.type() == QEvent.Type.Resize:
            self._layout_columns()
        return super().eventFilter(watched, event)

    def minimum_width(self) -> int:
        """Width that shows every column with some air (no horizontal scroll bar)."""
        return sum(n + PAD for n in self._natural) + self.verticalScrollBar().sizeHint().width() + 4
