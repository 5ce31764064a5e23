"""The OCC symbol field: an upper-casing validator and a line edit that underlines a part.

:class:`OccLineEdit` underlines, in red, the characters of the part an
``OccSymbolError`` names (root, expiry, right, strike) so the user sees what is wrong.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QPainter, QPen, QValidator
from PySide6.QtWidgets import QLineEdit, QStyle, QStyleOptionFrame, QWidget

from ..ticket.style import ERROR
from .common import occ_spans


class OccValidator(QValidator):
    """Upper-cases an OCC symbol as it is typed or pasted; letters, digits and spaces only."""

    def validate(self, text: str, pos: int):  # noqa: D102 - Qt override
        upper = text.upper()
        if len(upper) > 40 or any(not (c.isalnum() or c == " ") for c in upper):
            return (QValidator.State.Invalid, text, pos)
        return (QValidator.State.Acceptable, upper, pos)


class OccLineEdit(QLineEdit):
    """A monospace line edit that can underline a range of characters in red."""

    def __init__(self, parent: QWidget | None = None, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self._mark: tuple[int, int] | None = None

    def set_mark(self, span: tuple[int, int] | None) -> None:
        """Underline characters [start, end) (None: nothing)."""
        if span is not None and span[0] >= span[1]:
            span = None
        if span != self._mark:
            self._mark = span
            self.update()

    def mark(self) -> tuple[int, int] | None:
        """The underlined range [start, end), None when nothing is."""
        return self._mark

    def mark_part(self, part: str) -> None:
        """Underline ``part`` ("root", "expiry", "right", "strike"; else all) of the typed symbol."""
        raw = self.text()
        text = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        start, end = occ_spans(text).get(part, (0, len(text)))
        self.set_mark((start + lead, end + lead))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._mark is None or not self.text():
            return
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        contents: QRect = self.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, self)
        margins = self.textMargins()
        metrics = self.fontMetrics()
        text = self.text()
        start, end = self._mark
        left = contents.left() + margins.left() + 2  # QLineEdit's own horizontal margin is 2 px
        x1 = left + metrics.horizontalAdvance(text[:start])
        x2 = left + metrics.horizontalAdvance(text[:end])
        y = contents.center().y() + metrics.height() // 2
        painter = QPainter(self)
        pen = QPen(QColor(ERROR))
        pen.setWidth(2)
        painter.setPen(pen)
        painter.drawLine(x1, y, max(x2, x1 + 4), y)
        painter.end()
