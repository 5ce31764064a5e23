"""Helpers of the blotter tests (test_tables_*.py, test_table_*.py); no tests of their own."""

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


def shown(qtbot, panel, width: int = 1200, height: int = 400):
    """``panel`` shown at ``width`` x ``height`` px, exposed (closed by qtbot after the test)."""
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    return panel
