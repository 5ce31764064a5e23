"""The order ticket's scroll area: the ticket keeps a usable width and scrolls vertically."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QStyle, QWidget

MIN_VISIBLE_HEIGHT = 120
"""Height (px) the ticket's dock may shrink to: the rest scrolls."""


class TicketScrollArea(QScrollArea):
    """A scroll area whose minimum width is the ticket's own minimum width plus the
    vertical scroll bar, so the dock never squeezes the ticket into a sliver (the
    window gives the space to the chart or refuses to shrink further), while its height
    may go down to :data:`MIN_VISIBLE_HEIGHT` px and the ticket scrolls. It follows the
    ticket's minimum as the ticket changes (advisor mode, option mode)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("orderTicketScroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        super().setWidget(widget)
        widget.installEventFilter(self)
        self.updateGeometry()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the ticket's minimum may have changed
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        widget = self.widget()
        if widget is None:
            return super().minimumSizeHint()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        margins = self.contentsMargins()
        width = widget.minimumSizeHint().width() + bar + margins.left() + margins.right()
        return QSize(width, MIN_VISIBLE_HEIGHT)


def ticket_scroll_area(ticket: QWidget, parent: QWidget | None = None) -> QScrollArea:
    """``ticket`` inside a :class:`TicketScrollArea` ("orderTicketScroll").

    The allocation table, what-if result and placed status of an advisor's ticket, or a
    short window (1024×700), can need more height than the dock has: the ticket scrolls
    vertically; its width never goes below its own minimum. The ticket keeps its own
    identity (callers still hold the OrderTicket itself).
    """
    scroll = TicketScrollArea(parent)
    scroll.setWidget(ticket)
    return scroll
