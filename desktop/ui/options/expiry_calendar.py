"""The builder's expiry field: a date edit whose calendar popup shows the listed expiries.

:class:`ExpiryCalendar` greys out every date that is not a listed expiry once a chain
is known; :func:`snap_to_listed` moves a picked date to the next listed expiry.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, QRect, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPen, QTextCharFormat
from PySide6.QtWidgets import QCalendarWidget, QDateEdit, QWidget

from .common import faint

FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2099, 12, 31)  # OCC writes two-digit years


def snap_to_listed(day: date, expiries: tuple[date, ...]) -> date:
    """The first listed expiry on or after ``day``, else the last one (``expiries`` sorted)."""
    return next((e for e in expiries if e >= day), expiries[-1])


class ExpiryCalendar(QCalendarWidget):
    """A calendar that greys out every date that is not a listed expiry (when known).

    ``closed`` is emitted when its popup closes (the pick is then final)."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expiryCalendar")
        self.setGridVisible(False)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setMinimumSize(300, 230)
        plain = QTextCharFormat()  # no colour of its own: the palette's text, whatever the theme
        for weekend in (Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday):  # expiries, not weekends, matter here
            self.setWeekdayTextFormat(weekend, plain)
        self._listed: frozenset[date] = frozenset()

    def set_listed(self, expiries) -> None:
        """Dates that may be picked; empty: any date."""
        listed = frozenset(expiries)
        if listed == self._listed:
            return
        self._listed = listed
        self.updateCells()

    def listed(self) -> frozenset[date]:
        """The listed expiries (empty: unknown, any date may be picked)."""
        return self._listed

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.closed.emit()

    def is_listed(self, day: date) -> bool:
        """Whether ``day`` may be picked."""
        return not self._listed or day in self._listed

    def paintCell(self, painter: QPainter, rect: QRect, qdate: QDate) -> None:  # noqa: N802 - Qt override
        day = qdate.toPython()
        if not self._listed:
            super().paintCell(painter, rect, qdate)
            return
        painter.save()
        if day in self._listed:  # a listed expiry: bold, boxed, with a dot; filled when selected
            selected = qdate == self.selectedDate()
            accent = self.palette().highlight().color()
            painter.setPen(QPen(accent, 1))
            painter.setBrush(accent if selected else Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 3, 3)
            font = QFont(painter.font())
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(self.palette().highlightedText().color() if selected else self.palette().text().color())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(qdate.day()))
        else:  # not an expiry: faint, and picking it snaps to the next listed one
            painter.setPen(faint())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(qdate.day()))
        painter.restore()


def expiry_edit(calendar: ExpiryCalendar, parent: QWidget | None = None) -> QDateEdit:
    """The expiry date edit ("expiryEdit"): ``calendar`` as its popup, today's date,
    a typed date applied (and snapped) only when finished."""
    edit = QDateEdit(parent, objectName="expiryEdit")
    edit.setCalendarPopup(True)
    edit.setCalendarWidget(calendar)
    edit.setDisplayFormat("ddd d MMM yyyy")
    edit.setKeyboardTracking(False)  # typed dates apply (and snap) when finished
    edit.setDateRange(QDate(FIRST_DATE), QDate(LAST_DATE))
    edit.setDate(QDate.currentDate())
    return edit
