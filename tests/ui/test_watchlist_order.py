"""The watchlist's order is the user's (pytest-qt, offscreen): rows dragged to another
place (drag and drop events on the view, carrying what the view's own drag carries),
moved with Ctrl+Up / Ctrl+Down or the row menu, never while a column sorts them, and
each named list keeps its own order."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desktop.ui.tables import WatchlistPanel
from desktop.ui.tables.watchlist_view import SYMBOLS_MIME

LEFT = Qt.MouseButton.LeftButton
MOVE = Qt.DropAction.MoveAction
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "tradedesk.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def panel(qtbot, settings):
    p = WatchlistPanel(settings=settings)
    qtbot.addWidget(p)
    p.resize(460, 400)
    p.show()
    qtbot.waitExposed(p)
    return p


def rect_of(panel, symbol: str):
    return panel.view.visualRect(panel.proxy.index(panel.symbols().index(symbol), 0))


def click_row(qtbot, panel, symbol: str, modifier=NONE) -> None:
    qtbot.mouseClick(panel.view.viewport(), LEFT, modifier, rect_of(panel, symbol).center())


def drag_selection_to(panel, target: QPoint) -> bool:
    """Drag the selected rows onto ``target`` (viewport coordinates) as a user's drag
    does: enter, move, drop, with the data the view's drag carries. Returns whether
    the drop was accepted."""
    view = panel.view
    data = panel.proxy.mimeData(view.selectionModel().selectedIndexes())
    assert data.hasFormat(SYMBOLS_MIME)
    viewport = view.viewport()
    enter = QDragEnterEvent(target, MOVE, data, LEFT, NONE)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(target, MOVE, data, LEFT, NONE)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(QPointF(target), MOVE, data, LEFT, NONE)
    QApplication.sendEvent(viewport, drop)
    return drop.isAccepted()


def test_dragging_rows_puts_them_where_they_are_dropped_and_keeps_it(qtbot, panel, settings):
    assert panel.symbols() == ["AAPL", "MSFT", "IBM", "GOOG"]
    click_row(qtbot, panel, "AAPL")
    goog = rect_of(panel, "GOOG")
    with qtbot.waitSignal(panel.symbolsChanged) as changed:
        assert drag_selection_to(panel, QPoint(goog.center().x(), goog.bottom() - 2))  # the lower half: after it
    assert changed.args == [["MSFT", "IBM", "GOOG", "AAPL"]]
    assert panel.model.keys() == ["MSFT", "IBM", "GOOG", "AAPL"]
    assert [q.symbol for q in panel.selected_rows()] == ["AAPL"]  # the moved row stays selected

    click_row(qtbot, panel, "IBM")
    click_row(qtbot, panel, "AAPL", Qt.KeyboardModifier.ControlModifier)
    msft = rect_of(panel, "MSFT")
    assert drag_selection_to(panel, QPoint(msft.center().x(), msft.top() + 2))  # the upper half: before it
    assert panel.symbols() == ["IBM", "AAPL", "MSFT", "GOOG"]
    assert WatchlistPanel(settings=settings).symbols() == ["IBM", "AAPL", "MSFT", "GOOG"]  # kept

    click_row(qtbot, panel, "MSFT")
    below = QPoint(10, rect_of(panel, "GOOG").bottom() + 40)  # under the last row: to the end
    assert drag_selection_to(panel, below)
    assert panel.symbols() == ["IBM", "AAPL", "GOOG", "MSFT"]


def test_rows_do_not_move_while_a_column_sorts_them(qtbot, panel):
    hh = panel.view.horizontalHeader()
    section = panel.model.column_index("symbol")
    x = hh.sectionViewportPosition(section) + hh.sectionSize(section) // 2
    qtbot.mouseClick(hh.viewport(), LEFT, pos=QPoint(x, hh.height() // 2))  # sort by symbol
    assert not panel.view.dragEnabled()
    click_row(qtbot, panel, "AAPL")
    with qtbot.assertNotEmitted(panel.symbolsChanged):
        assert not drag_selection_to(panel, rect_of(panel, "MSFT").center())
        qtbot.keyClick(panel.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    menu = panel.build_context_menu(panel.view.indexAt(rect_of(panel, "AAPL").center()))
    assert not next(a for a in menu.actions() if a.objectName() == "moveDownAction").isEnabled()
    qtbot.mouseClick(hh.viewport(), LEFT, pos=QPoint(x, hh.height() // 2))
    qtbot.mouseClick(hh.viewport(), LEFT, pos=QPoint(x, hh.height() // 2))  # the third click: the user's order
    assert panel.view.dragEnabled()
    assert [q.symbol for q in panel.proxy.visible_rows()] == ["AAPL", "MSFT", "IBM", "GOOG"]


def test_ctrl_up_and_down_and_the_menu_move_rows(qtbot, panel):
    click_row(qtbot, panel, "IBM")
    qtbot.keyClick(panel.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert panel.symbols() == ["AAPL", "IBM", "MSFT", "GOOG"]
    qtbot.keyClick(panel.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(panel.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)  # already first: stays
    assert panel.symbols() == ["IBM", "AAPL", "MSFT", "GOOG"]
    qtbot.keyClick(panel.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert panel.symbols() == ["AAPL", "IBM", "MSFT", "GOOG"]
    menu = panel.build_context_menu(panel.view.indexAt(rect_of(panel, "IBM").center()))
    down = next(a for a in menu.actions() if a.objectName() == "moveDownAction")
    assert down.text() == "Move down\tCtrl+Down"
    down.trigger()
    down.trigger()
    assert panel.symbols() == ["AAPL", "MSFT", "GOOG", "IBM"]


def test_each_list_keeps_its_own_order(qtbot, panel):
    panel.lists.create("Reversed", ["GOOG", "IBM", "MSFT", "AAPL"])
    panel.switcher.refresh()
    panel.switcher.changed.emit()
    assert panel.model.keys() == ["GOOG", "IBM", "MSFT", "AAPL"]
    combo = panel.switcher.combo
    combo.setFocus()
    with qtbot.waitSignal(panel.symbolsChanged) as changed:
        qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert changed.args == [["AAPL", "MSFT", "IBM", "GOOG"]]
    assert [q.symbol for q in panel.proxy.visible_rows()] == ["AAPL", "MSFT", "IBM", "GOOG"]
