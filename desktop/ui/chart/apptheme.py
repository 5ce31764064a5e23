"""Which chart theme to draw: a pinned one, or the one matching the application's
palette (the app's light, dark or system theme)."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from .theme import THEMES, ChartTheme, theme_for_window

FOLLOW_APP = (None, "system", "auto")
"""Theme choices that follow the application palette."""


def app_theme() -> ChartTheme:
    """The chart theme matching the application palette's window colour (LIGHT for a
    light window, else DARK)."""
    app = QApplication.instance()
    window = app.palette().color(QPalette.ColorRole.Window).name() if app is not None else "#000000"
    return theme_for_window(window)


def resolve_theme(choice: ChartTheme | str | None) -> tuple[ChartTheme, bool]:
    """``(theme to draw, whether it follows the app palette)`` for ``choice``: a
    :class:`ChartTheme`, "dark", "light", or one of :data:`FOLLOW_APP`. Raises
    ValueError for another name."""
    if isinstance(choice, ChartTheme):
        return choice, False
    if choice in FOLLOW_APP:
        return app_theme(), True
    if choice in THEMES:
        return THEMES[choice], False
    names = ", ".join([*THEMES, *(c for c in FOLLOW_APP if c)])
    raise ValueError(f"Unknown chart theme {choice!r}: use one of {names}")
