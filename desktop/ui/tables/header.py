"""BlotterHeader: the horizontal header of the blotter views, with compact size hints.

Qt's header reserves room for a sort arrow in the size hint of *every* section as
soon as sorting is on (the arrow's height plus a margin, ~20-25 px a column), though
only one section ever shows it. A blotter of ten columns loses ~200 px to that, which
is what pushed the last columns of the Fills and Positions panels out of sight. This
header reserves the arrow's room only in the sorted section's hint; the view widens a
section that becomes sorted (see :class:`~desktop.ui.tables.view.BlotterView`).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHeaderView, QStyle, QStyleOptionHeader, QWidget


class BlotterHeader(QHeaderView):
    """A clickable horizontal header whose :meth:`sectionSizeHint` counts the sort
    arrow only for :meth:`sortIndicatorSection`. Sizes are in pixels."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)

    def sectionSizeFromContents(self, logicalIndex: int) -> QSize:  # noqa: N802,N803 - Qt override
        """The style's size of the section's label; without the sort arrow's room
        unless the section is the sorted one."""
        size = super().sectionSizeFromContents(logicalIndex)
        if self.isSortIndicatorShown() and logicalIndex != self.sortIndicatorSection():
            size.setWidth(max(0, size.width() - self.arrow_room(logicalIndex)))
        return size

    def arrow_room(self, logical_index: int) -> int:
        """Pixels the style adds to a section's width for the sort arrow (0 if none)."""
        model = self.model()
        opt = QStyleOptionHeader()
        opt.initFrom(self)
        opt.orientation = Qt.Orientation.Horizontal
        opt.section = logical_index
        opt.text = str(model.headerData(logical_index, Qt.Orientation.Horizontal) or "") if model is not None else ""
        style = self.style()
        opt.sortIndicator = QStyleOptionHeader.SortIndicator.SortDown
        with_arrow = style.sizeFromContents(QStyle.ContentsType.CT_HeaderSection, opt, QSize(), self).width()
        opt.sortIndicator = QStyleOptionHeader.SortIndicator.None_
        without = style.sizeFromContents(QStyle.ContentsType.CT_HeaderSection, opt, QSize(), self).width()
        return max(0, with_arrow - without)
