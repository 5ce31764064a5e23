"""The app's look: a dark Fusion palette like a trading terminal's (the default), a
light one, or the system's own style and palette."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


THEMES = {"system": "Follow system", "light": "Light", "dark": "Dark"}
"""Theme keys (settings value) and their labels."""
DEFAULT_THEME = "dark"

_system_style: str | None = None
_style_key: str | None = None  # the style apply_theme last set (None: not set yet)


def _set_style(app: QApplication, key: str) -> None:
    """Set the application style only when it changes: replacing the style object
    re-polishes every widget and invalidates styles that wrap the old one."""
    global _style_key
    if _style_key is None or _style_key.lower() != key.lower():
        app.setStyle(key)
        _style_key = key


def apply_theme(app: QApplication, theme: str = DEFAULT_THEME) -> None:
    """Apply ``theme``: "dark" (default), "light" or "system" (Qt's default style and
    the platform palette / colour scheme). Unknown names mean dark. Live: call again."""
    global _system_style
    if _system_style is None:
        _system_style = app.style().name() or "Fusion"
    if theme == "system":
        app.setStyleSheet("")
        _set_style(app, _system_style)
        hints = app.styleHints()
        if hasattr(hints, "unsetColorScheme"):  # Qt 6.8+: follow the platform again
            hints.unsetColorScheme()
        app.setPalette(QPalette())  # an empty palette resets to the platform's
        return
    if theme == "light":
        _apply_light(app)
        return
    _apply_dark(app)


@dataclass(frozen=True)
class _Colours:
    """One theme's colours: palette roles and the stylesheet's dock/header/grid tones."""

    window: str
    base: str
    alternate_base: str
    text: str
    tooltip_base: str
    button: str
    bright_text: str
    highlight: str
    link: str
    placeholder: str
    disabled: str
    dock_title: str
    header: str
    header_text: str
    header_rule: str
    grid: str
    mid: str | None = None


_LIGHT = _Colours(window="#f3f4f6", base="#ffffff", alternate_base="#f6f8fa", text="#1f2328", tooltip_base="#ffffff",
                  button="#e9ebef", bright_text="#cf222e", highlight="#0969da", link="#0969da", placeholder="#8c959f",
                  disabled="#8c959f", dock_title="#e6e8ec", header="#eef0f3", header_text="#1f2328",
                  header_rule="#d0d7de", grid="#e1e4e8", mid="#d0d7de")
_DARK = _Colours(window="#161b22", base="#0d1117", alternate_base="#131a23", text="#e6edf3", tooltip_base="#161b22",
                 button="#21262d", bright_text="#ff7b72", highlight="#1f6feb", link="#58a6ff", placeholder="#6e7681",
                 disabled="#6e7681", dock_title="#1c2129", header="#1c2129", header_text="#c9d1d9",
                 header_rule="#30363d", grid="#21262d")


def _apply_light(app: QApplication) -> None:
    """Fusion with a neutral light palette and the same dock/table touches."""
    _apply_colours(app, _LIGHT)


def _apply_dark(app: QApplication) -> None:
    """Fusion style with a dark palette and a little stylesheet for docks and tables."""
    _apply_colours(app, _DARK)


def _apply_colours(app: QApplication, c: _Colours) -> None:
    _set_style(app, "Fusion")
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    p = QPalette()
    roles = {
        role.Window: c.window, role.WindowText: c.text, role.Base: c.base, role.AlternateBase: c.alternate_base,
        role.ToolTipBase: c.tooltip_base, role.ToolTipText: c.text, role.Text: c.text, role.Button: c.button,
        role.ButtonText: c.text, role.BrightText: c.bright_text, role.Highlight: c.highlight,
        role.HighlightedText: "#ffffff", role.Link: c.link, role.PlaceholderText: c.placeholder,
    }
    if c.mid is not None:
        roles[role.Mid] = c.mid
    for r, colour in roles.items():
        p.setColor(r, QColor(colour))
    for r in (role.Text, role.ButtonText, role.WindowText):
        p.setColor(group.Disabled, r, QColor(c.disabled))
    app.setPalette(p)
    app.setStyleSheet(
        f"QDockWidget::title {{ background: {c.dock_title}; padding: 4px 8px; }}"
        f"QHeaderView::section {{ background: {c.header}; color: {c.header_text}; border: none;"
        f" border-right: 1px solid {c.header_rule}; padding: 3px 6px; }}"
        f"QTableView {{ gridline-color: {c.grid}; }}"
        "QStatusBar QLabel { padding: 0 8px; }"
    )
