"""The app's look: a dark Fusion palette like a trading terminal's (the default), a
light one, or the system's own style and palette."""

from __future__ import annotations

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


def _apply_light(app: QApplication) -> None:
    """Fusion with a neutral light palette and the same dock/table touches."""
    _set_style(app, "Fusion")
    p = QPalette()
    base, window, text = QColor("#ffffff"), QColor("#f3f4f6"), QColor("#1f2328")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f8fa"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#e9ebef"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#cf222e"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#0969da"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#0969da"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8c959f"))
    p.setColor(QPalette.ColorRole.Mid, QColor("#d0d7de"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#8c959f"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#8c959f"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#8c959f"))
    app.setPalette(p)
    app.setStyleSheet(
        "QDockWidget::title { background: #e6e8ec; padding: 4px 8px; }"
        "QHeaderView::section { background: #eef0f3; color: #1f2328; border: none;"
        " border-right: 1px solid #d0d7de; padding: 3px 6px; }"
        "QTableView { gridline-color: #e1e4e8; }"
        "QStatusBar QLabel { padding: 0 8px; }"
    )


def _apply_dark(app: QApplication) -> None:
    """Fusion style with a dark palette and a little stylesheet for docks and tables."""
    _set_style(app, "Fusion")
    p = QPalette()
    base, window, text = QColor("#0d1117"), QColor("#161b22"), QColor("#e6edf3")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#131a23"))
    p.setColor(QPalette.ColorRole.ToolTipBase, window)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#21262d"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#ff7b72"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#1f6feb"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#6e7681"))
    p.setColor(QPalette.ColorRole.Link, QColor("#58a6ff"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#6e7681"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#6e7681"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#6e7681"))
    app.setPalette(p)
    app.setStyleSheet(
        "QDockWidget::title { background: #1c2129; padding: 4px 8px; }"
        "QHeaderView::section { background: #1c2129; color: #c9d1d9; border: none;"
        " border-right: 1px solid #30363d; padding: 3px 6px; }"
        "QTableView { gridline-color: #21262d; }"
        "QStatusBar QLabel { padding: 0 8px; }"
    )
