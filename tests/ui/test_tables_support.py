"""Helpers of the multi-connection blotter tests (test_tables_connections.py,
test_tables_consolidated.py); no tests of its own."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

DISPLAY = Qt.ItemDataRole.DisplayRole


def column(panel, column_id: str, role=DISPLAY) -> list:
    """One column's data in view (proxy) order, of the model the panel shows now."""
    c = panel.shown_model.column_index(column_id)
    return [panel.proxy.index(r, c).data(role) for r in range(panel.proxy.rowCount())]


def pick(qtbot, combo: QComboBox, text: str) -> None:
    """Choose ``text`` in a (non-editable) combo with the keyboard, as a user does."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == text:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    raise AssertionError(f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}")
