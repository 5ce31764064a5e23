"""The chart's price-basis button: which daily prices are drawn ("Adjusted" for splits
and dividends, or "Unadjusted", as traded), in the plot's bottom-left corner.

It sits on the plot (like "Latest ⇥") rather than in the toolbar: the toolbar has no
width to spare at 1024 px. Shown only for sources that can adjust prices; a click
asks for the other basis.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QToolButton, QWidget

from .theme import DARK, ChartTheme

ADJUSTED_TIP = ("Daily prices adjusted for splits and dividends, in the prices of the replay's current day; "
                "volume is not adjusted. Click for prices as traded.")
UNADJUSTED_TIP = "Daily prices as traded: splits show as sudden drops. Click to adjust for splits and dividends."
INTRADAY_TIP = "Intraday bars are always at the prices as traded; only daily bars can be adjusted."


class PriceBasisButton(QToolButton):
    """Checkable "Adjusted" (checked) / "Unadjusted" button, "chartAdjustedButton";
    disabled (reading "Unadjusted") while an interval that is never adjusted is drawn."""

    def __init__(self, parent: QWidget, theme: ChartTheme = DARK) -> None:
        super().__init__(parent)
        self.setObjectName("chartAdjustedButton")
        self.setCheckable(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.toggled.connect(lambda _checked: self._label())
        self.apply_theme(theme)
        self._label()
        self.hide()

    def show_state(self, available: bool, checked: bool, enabled: bool = True) -> None:
        """Shown when ``available``; ``checked`` (silently); ``enabled`` False for intervals never adjusted."""
        self.blockSignals(True)
        self.setChecked(checked)
        self.blockSignals(False)
        self.setEnabled(enabled)
        self._label()
        self.setVisible(available)

    def _label(self) -> None:
        adjusted = self.isChecked() and self.isEnabled()
        self.setText("Adjusted" if adjusted else "Unadjusted")
        self.setToolTip(INTRADAY_TIP if not self.isEnabled() else ADJUSTED_TIP if adjusted else UNADJUSTED_TIP)
        self.adjustSize()

    def apply_theme(self, theme: ChartTheme) -> None:
        """Colours for ``theme``."""
        t = theme
        self.setStyleSheet(
            f"QToolButton#chartAdjustedButton {{ color: {t.text}; background: {t.message_background};"
            f" border: 1px solid {t.message_border}; border-radius: 3px; padding: 2px 7px;"
            f" font-size: {t.font_px}px; font-weight: bold; }}"
            f"QToolButton#chartAdjustedButton:checked {{ color: #ffffff; background: {t.accent}; border-color: {t.accent}; }}"
            f"QToolButton#chartAdjustedButton:hover {{ color: {t.text}; border-color: {t.accent}; }}"
            f"QToolButton#chartAdjustedButton:disabled {{ color: {t.text_dim}; }}"
        )
        self.adjustSize()


def place_basis(button: PriceBasisButton, plot: QRect) -> None:
    """Put ``button`` in the bottom-left corner of ``plot`` (view pixels), across from
    "Latest ⇥" in the bottom-right one."""
    button.adjustSize()
    button.move(plot.left() + 8, plot.bottom() - button.height() - 8)
    button.raise_()
