"""A dark Fusion palette like a trading terminal's."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def apply_theme(app: QApplication) -> None:
    """Fusion style with a dark palette and a little stylesheet for docks and tables."""
    app.setStyle("Fusion")
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
