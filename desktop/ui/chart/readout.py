"""The chart's readout row: the symbol and interval, then the hovered (else the
last) bar's time, open, high, low, close, change and volume, coloured by tone."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from .fmt import readout_html, readout_parts, readout_text
from .theme import DARK, ChartTheme

if TYPE_CHECKING:
    from .series import BarRow  # numpy: not imported for the first frame


class Readout(QLabel):
    """One rich-text row that clips (never widens the chart); :attr:`plain` is its
    text without markup."""

    def __init__(self, parent: QWidget, theme: ChartTheme = DARK) -> None:
        super().__init__(parent)
        self.setObjectName("chartReadout")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # clip, never widen
        self.plain = ""
        self._theme = theme
        self._last: tuple = ("", None, None, True, None)
        self.decimals: int | None = None
        """Price decimals of the instrument shown (None: by the price's size)."""
        self.apply_theme(theme)

    def apply_theme(self, theme: ChartTheme) -> None:
        """Colours from ``theme``; the row is written again."""
        self._theme = theme
        self.setStyleSheet(
            f"QLabel {{ background: {theme.background}; color: {theme.text};"
            f" padding: 3px 8px; font-size: {theme.font_px + 1}px; }}"
        )
        self.show_bar(*self._last)

    def show_bar(self, title: str, row: BarRow | None, prev_close: float | None, intraday: bool,
                 tz: tzinfo | None) -> None:
        """Write ``title`` and ``row`` (None: the title alone); ``prev_close`` for the
        change; times in ``tz`` for intraday bars, daily bars by their trading date."""
        self._last = (title, row, prev_close, intraday, tz)
        if row is None:
            self.plain = title
            self.setText(readout_html(title, [], self._theme) or "&nbsp;")
            return
        parts = readout_parts(row, prev_close, intraday, tz, self.decimals)
        self.plain = f"{title}  {readout_text(parts)}".strip()
        self.setText(readout_html(title, parts, self._theme))
