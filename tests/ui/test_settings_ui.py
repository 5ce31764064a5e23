"""Edit → Settings…: preferences persist in QSettings and apply at once; the window
layout (geometry, docks, table columns) survives a restart."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QPushButton, QSpinBox

from desktop.brokers.paper import PaperBroker
from desktop.domain import OrderType
from desktop.paths import config_dir
from desktop.ui.main_window import MainWindow
from desktop.ui.settings_dialog import Preferences, load_preferences
from desktop.ui.theme import apply_theme


def run(qtbot, qloop, coro, timeout=15_000):
    task = qloop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture
def open_window(qtbot, qloop, tmp_path):
    windows = []

    def _open() -> MainWindow:
        window = MainWindow(PaperBroker(tmp_path / "paper.sqlite3", autostart=False))
        window.show()
        qtbot.waitExposed(window)
        run(qtbot, qloop, window.start())
        windows.append(window)
        return window

    def _close(window):
        run(qtbot, qloop, window.shutdown())
        window.close()  # saves the layout, as quitting does
        window.deleteLater()
        windows.remove(window)

    _open.close = _close
    yield _open
    for window in list(windows):
        _close(window)
    apply_theme(QApplication.instance(), "system")  # leave the shared QApplication as tests expect it


def top(name):
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)


def child(widget, cls, name):
    found = widget.findChild(cls, name)
    assert found is not None, name
    return found


def open_settings(qtbot, window):
    window.menus.settings_action.trigger()  # Edit → Settings…
    qtbot.waitUntil(lambda: top("settingsDialog") is not None)
    return top("settingsDialog")


def choose(qtbot, combo: QComboBox, data) -> None:
    """Pick the item with ``data`` the way a keyboard user does (arrows on the focused combo)."""
    combo.setFocus()
    target = combo.findData(data)
    assert target >= 0, data
    key = Qt.Key.Key_Down if target > combo.currentIndex() else Qt.Key.Key_Up
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, key)


def click(qtbot, widget):
    assert widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def fill_ticket(qtbot, window, symbol, quantity):
    for name, text in (("symbolEdit", symbol), ("quantityEdit", quantity)):
        edit = child(window.ticket, QLineEdit, name)
        edit.selectAll()
        qtbot.keyClicks(edit, text)


def cell(panel, column_key):
    model = panel.model
    col = next(i for i, c in enumerate(model.columns) if c.id == column_key)
    return model.data(model.index(0, col, QModelIndex()), Qt.ItemDataRole.DisplayRole)


def test_market_confirmation_off_sends_at_once_and_persists(qtbot, open_window):
    window = open_window()
    dialog = open_settings(qtbot, window)
    market = child(dialog, QCheckBox, "confirmMarketCheck")
    assert market.isChecked() and child(dialog, QCheckBox, "confirmLimitCheck").isChecked()
    click(qtbot, market)
    click(qtbot, child(dialog, QPushButton, "okButton"))
    assert top("settingsDialog") is None
    assert not window.ticket.confirms(OrderType.MARKET) and window.ticket.confirms(OrderType.LIMIT)

    fill_ticket(qtbot, window, "MSFT", "5")
    with qtbot.waitSignal(window.ticket.orderSubmitted, timeout=5000) as sent:
        click(qtbot, child(window.ticket, QPushButton, "submitButton"))
    assert sent.args[0].type is OrderType.MARKET and sent.args[0].symbol == "MSFT"
    assert top("orderConfirmDialog") is None  # no confirmation asked

    window.broker.advance_minutes(1)
    qtbot.waitUntil(lambda: not window.ticket.is_busy())
    open_window.close(window)
    again = open_window()  # a restart reads the same settings
    assert not again.ticket.confirms(OrderType.MARKET) and again.ticket.confirms(OrderType.STOP_LIMIT)
    assert load_preferences(again.settings).confirm == frozenset(OrderType) - {OrderType.MARKET}


def test_number_format_default_quantity_and_replay_speed_apply_live(qtbot, open_window):
    window = open_window()
    window.broker.advance_minutes(2)
    qtbot.waitUntil(lambda: len(window.accounts.model.rows()) == 1 and window.accounts.model.rows()[0].balance is not None)
    qtbot.waitUntil(lambda: cell(window.watchlist, "last") != "")
    assert cell(window.accounts, "cash") == "100,000.00"
    assert child(window.ticket, QLineEdit, "quantityEdit").text() == "100"

    dialog = open_settings(qtbot, window)
    click(qtbot, child(dialog, QCheckBox, "thousandsCheck"))
    choose(qtbot, child(dialog, QComboBox, "priceDecimalsCombo"), 3)
    assert "1234567.80" in dialog.preview.text() and "187.250" in dialog.preview.text()
    shares = child(dialog, QSpinBox, "defaultSharesSpin")
    shares.setFocus()
    shares.selectAll()
    qtbot.keyClicks(shares, "25")
    choose(qtbot, child(dialog, QComboBox, "replaySpeedCombo"), 10)
    click(qtbot, child(dialog, QPushButton, "applyButton"))  # applied with the dialog still open

    assert cell(window.accounts, "cash") == "100000.00"
    last = cell(window.watchlist, "last")
    assert last.count(".") == 1 and len(last.split(".")[1]) == 3
    assert child(window.ticket, QLineEdit, "quantityEdit").text() == "25"
    assert window.broker.replay_speed == 10 and window.menus.speed_actions[10].isChecked()
    click(qtbot, child(dialog, QPushButton, "cancelButton"))

    ini = (config_dir() / "tradedesk.ini").read_text()
    assert "thousands=false" in ini and "price_decimals=3" in ini and "default_shares=25" in ini and "replay_speed=10" in ini
    window.menus.speed_actions[60].trigger()  # the Replay menu changes the same preference
    assert load_preferences(window.settings).replay_speed == 60
    open_window.close(window)

    again = open_window()
    assert again.broker.replay_speed == 60  # applied on connect
    assert child(again.ticket, QLineEdit, "quantityEdit").text() == "25"
    qtbot.waitUntil(lambda: len(again.accounts.model.rows()) == 1 and again.accounts.model.rows()[0].balance is not None)
    assert cell(again.accounts, "cash") == "100000.00"
    dialog = open_settings(qtbot, again)
    click(qtbot, child(dialog, QPushButton, "defaultsButton"))
    click(qtbot, child(dialog, QPushButton, "okButton"))
    assert cell(again.accounts, "cash") == "100,000.00"
    assert again.preferences == Preferences(replay_speed=1)


def test_theme_switches_live_and_persists(qtbot, open_window):
    window = open_window()
    app = QApplication.instance()
    dialog = open_settings(qtbot, window)
    assert child(dialog, QComboBox, "themeCombo").currentData() == "dark"
    choose(qtbot, child(dialog, QComboBox, "themeCombo"), "light")
    click(qtbot, child(dialog, QPushButton, "okButton"))
    assert app.palette().window().color().lightness() > 200
    assert load_preferences(window.settings).theme == "light"

    dialog = open_settings(qtbot, window)
    choose(qtbot, child(dialog, QComboBox, "themeCombo"), "dark")
    click(qtbot, child(dialog, QPushButton, "okButton"))
    assert app.palette().window().color().lightness() < 60

    dialog = open_settings(qtbot, window)
    choose(qtbot, child(dialog, QComboBox, "themeCombo"), "system")
    click(qtbot, child(dialog, QPushButton, "okButton"))
    assert app.styleSheet() == ""
    assert app.palette().window().color() == app.style().standardPalette().window().color()


def test_window_geometry_docks_and_columns_survive_a_restart(qtbot, open_window):
    window = open_window()
    size = QSize(1450, 700)  # the offscreen screen is 800x800: restoreGeometry fits the width to it
    window.resize(size)
    qtbot.waitUntil(lambda: window.size() == size)
    window.docks["fills"].toggleViewAction().trigger()  # View → Fills: hide it
    assert not window.docks["fills"].isVisible()
    window.docks["watchlist"].setFloating(True)
    header = window.orders.view.horizontalHeader()
    header.resizeSection(2, 211)
    header.moveSection(header.visualIndex(3), 0)
    moved = header.logicalIndex(0)
    open_window.close(window)

    again = open_window()
    qtbot.waitUntil(lambda: again.height() == 700)  # the default is 1000
    assert again.settings.value("window/geometry") is not None
    assert not again.docks["fills"].isVisible() and again.docks["watchlist"].isFloating()
    header = again.orders.view.horizontalHeader()
    assert header.sectionSize(2) == 211 and header.logicalIndex(0) == moved


def test_switching_themes_repeatedly_with_several_windows_does_not_crash(qtbot, tmp_path):
    """Regression: tables re-styling themselves inside the app's style-sheet re-polish crashed."""
    app = QApplication.instance()
    windows = []
    try:
        for i in range(8):
            window = MainWindow(PaperBroker(tmp_path / f"p{i}.sqlite3", autostart=False))
            window.show()
            windows.append(window)
            if len(windows) > 2:
                old = windows.pop(0)
                old.close()
                old.deleteLater()
            for theme in ("light", "dark", "system", "dark"):
                apply_theme(app, theme)
                qtbot.wait(1)  # let deferred re-styling and deletions run, as the event loop would
        assert app.palette().window().color().lightness() < 60
        assert not windows[-1].grab().isNull()  # still paints with the re-styled tables
    finally:
        for window in windows:
            window.close()
            window.deleteLater()
        apply_theme(app, "system")
