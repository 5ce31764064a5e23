"""The order ticket's scroll area, so the advisor ticket fits a short dock."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


def ticket_scroll_area(ticket: QWidget, parent: QWidget | None = None) -> QScrollArea:
    """``ticket`` inside a scroll area ("orderTicketScroll").

    In advisor mode the allocation table, what-if result and placed status can need
    more height than the dock has: it scrolls vertically, with a horizontal bar only
    below the ticket's minimum width. The ticket keeps its own identity (callers still
    hold the OrderTicket itself).
    """
    scroll = QScrollArea(parent)
    scroll.setObjectName("orderTicketScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    scroll.setWidget(ticket)
    return scroll
