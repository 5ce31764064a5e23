"""Widgets laid over the chart's plot: the message ("Loading AAPL · 1D…", "No price
history …", an error) and the "Latest" button that scrolls back to the live bar.

Both are children of the chart's QGraphicsView, placed by :func:`place_message`
and :func:`place_latest` inside the price plot's rectangle (view pixels).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

from .theme import DARK, ChartTheme

MESSAGE_KINDS = ("info", "notice", "error")
"""``info``: loading; ``notice``: why the chart is empty; ``error``: a load failed."""

LATEST_TEXT = "Latest ⇥"


class ChartMessage(QLabel):
    """A short message over the plot (word-wrapped, centred). Its ``kind`` (one of
    :data:`MESSAGE_KINDS`) picks the colour; ``clicked`` fires on a click (the chart
    dismisses an error then)."""

    clicked = Signal()

    def __init__(self, parent: QWidget, theme: ChartTheme = DARK) -> None:
        super().__init__(parent)
        self.setObjectName("chartMessage")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.kind = "info"
        self._theme = theme
        self.hide()

    def apply_theme(self, theme: ChartTheme) -> None:
        """Colour for ``theme`` (and the current kind)."""
        self._theme = theme
        self._restyle()

    def show_message(self, text: str, kind: str = "info") -> None:
        """Show ``text`` as ``kind``; "" hides the message."""
        if not text:
            self.setText("")
            self.hide()
            return
        self.kind = kind if kind in MESSAGE_KINDS else "info"
        self.setText(text)
        self.setToolTip("Click to dismiss" if self.kind == "error" else "")
        self._restyle()
        self.show()
        self.raise_()

    def _restyle(self) -> None:
        t = self._theme
        fg = {"info": t.text, "notice": t.notice, "error": t.error}[self.kind]
        self.setStyleSheet(
            f"QLabel#chartMessage {{ color: {fg}; background: {t.message_background};"
            f" border: 1px solid {t.message_border}; border-radius: 4px; padding: 8px 14px;"
            f" font-size: {t.font_px + 2}px; }}"
        )

    def mousePressEvent(self, ev) -> None:  # noqa: N802
        self.clicked.emit()
        super().mousePressEvent(ev)


def place_message(message: ChartMessage, plot: QRect, centred: bool) -> None:
    """Lay ``message`` out inside ``plot`` (view pixels): centred when ``centred`` (an
    empty chart), else near the top so the candles stay visible."""
    if plot.width() <= 0 or plot.height() <= 0:
        return
    width = max(120, min(int(plot.width() * 0.8), 640))
    height = message.heightForWidth(width)
    height = max(height, message.sizeHint().height())
    x = plot.left() + (plot.width() - width) // 2
    y = plot.top() + (plot.height() - height) // 2 if centred else plot.top() + 10
    message.setGeometry(x, y, width, height)


class LatestButton(QToolButton):
    """"Latest ⇥": shown while the last bar is out of view; a click scrolls back to it
    (and so follows the live bar again)."""

    def __init__(self, parent: QWidget, theme: ChartTheme = DARK) -> None:
        super().__init__(parent)
        self.setObjectName("chartLatestButton")
        self.setText(LATEST_TEXT)
        self.setToolTip("Scroll to the latest bar and follow the live bar (End)")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.apply_theme(theme)
        self.hide()

    def apply_theme(self, theme: ChartTheme) -> None:
        """Colour for ``theme``."""
        t = theme
        self.setStyleSheet(
            f"QToolButton#chartLatestButton {{ color: {t.text}; background: {t.message_background};"
            f" border: 1px solid {t.message_border}; border-radius: 3px; padding: 3px 8px;"
            f" font-size: {t.font_px + 1}px; font-weight: bold; }}"
            f"QToolButton#chartLatestButton:hover {{ color: #ffffff; background: {t.accent};"
            f" border-color: {t.accent}; }}"
        )
        self.adjustSize()


def place_latest(button: LatestButton, plot: QRect) -> None:
    """Put ``button`` in the bottom-right corner of ``plot`` (view pixels)."""
    button.adjustSize()
    hint = button.sizeHint()
    button.setGeometry(plot.right() - hint.width() - 8, plot.bottom() - hint.height() - 8, hint.width(), hint.height())
