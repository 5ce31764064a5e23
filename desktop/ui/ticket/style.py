"""Colours and style sheets of the order ticket and its dialogs.

Buy is green and sell is red everywhere (side buttons, submit button, confirmation
text). Invalid inputs carry the dynamic property ``invalid=true`` and get a red border.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from desktop.domain import OrderSide

BUY = "#1e8e3e"
BUY_DARK = "#176f30"
BUY_MUTED = "#8fc59f"
SELL = "#d93025"
SELL_DARK = "#a52714"
SELL_MUTED = "#eba19b"
ERROR = "#e5534b"  # readable on light and dark palettes
OK = "#1e8e3e"
LINK = "#3b8eea"  # readable on light and dark palettes
LIVE = "#e8710a"

SIDE_COLOURS = {OrderSide.BUY: (BUY, BUY_DARK, BUY_MUTED), OrderSide.SELL: (SELL, SELL_DARK, SELL_MUTED)}

FORM_SHEET = f"""
QLineEdit {{ padding: 2px 4px; border: 1px solid rgba(128, 128, 128, 0.6); border-radius: 2px; }}
QLineEdit:focus {{ border-color: palette(highlight); }}
QLineEdit:disabled {{ border-color: rgba(128, 128, 128, 0.25); }}
QLineEdit[invalid="true"], QComboBox[invalid="true"] {{
    border: 1px solid {ERROR}; border-radius: 2px; padding: 2px 4px;
}}
QLabel[role="error"] {{ color: {ERROR}; font-size: 11px; }}
QLabel[role="reject"] {{
    color: {ERROR}; font-weight: bold; border: 1px solid {ERROR};
    border-radius: 3px; padding: 4px; background: rgba(217, 48, 37, 0.08);
}}
QLabel[role="ok"] {{ color: {OK}; }}
QLabel[role="pending"] {{ color: {LIVE}; font-weight: bold; }}
QLabel[role="note"] {{ color: {LIVE}; font-size: 11px; }}
"""


def side_button_sheet(side: OrderSide) -> str:
    """Style of a BUY/SELL toggle: outlined when off, solid and bold when checked."""
    colour, dark, _ = SIDE_COLOURS[side]
    return f"""
QPushButton {{
    color: {colour}; background: transparent; border: 1px solid {colour};
    border-radius: 3px; padding: 4px 0; font-weight: bold;
}}
QPushButton:hover {{ background: rgba(128, 128, 128, 0.12); }}
QPushButton:checked {{ color: white; background: {colour}; border: 2px solid {dark}; }}
QPushButton:focus {{ border: 2px solid {dark}; }}
"""


def submit_button_sheet(side: OrderSide) -> str:
    """Style of the submit / confirm button: solid side colour, muted when disabled."""
    colour, dark, muted = SIDE_COLOURS[side]
    return f"""
QPushButton {{
    color: white; background: {colour}; border: 1px solid {dark};
    border-radius: 3px; padding: 6px 8px; font-weight: bold;
}}
QPushButton:hover {{ background: {dark}; }}
QPushButton:focus {{ border: 2px solid palette(highlight); }}
QPushButton:disabled {{ background: {muted}; border-color: {muted}; color: #f4f4f4; }}
"""


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark ``widget`` (in)valid and repolish it so the red border follows at once."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def error_label(name: str, parent: QWidget | None = None) -> QLabel:
    """A small red, word-wrapped, initially hidden label named ``name``."""
    label = QLabel(parent)
    label.setObjectName(name)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def show_error(label: QLabel, message: str | None) -> None:
    """Show ``message`` in an error label, or hide the label when there is none."""
    label.setText(message or "")
    label.setVisible(bool(message))
