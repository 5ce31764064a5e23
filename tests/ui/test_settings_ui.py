"""Edit → Settings…: preferences persist in QSettings and apply at once (the replay
speed to every live paper connection); the window layout (geometry, docks, table
columns) survives a restart.

The first tests drive the whole window (``MainWindow(brokers=[PaperBroker(...)])``);
the last ones the dialog over a bare host window with a desk of two paper connections,
the menus and the ticket (what :func:`apply_preferences` is given)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QMainWindow, QPushButton, QSpinBox, QTableView

from desktop.brokers.paper import PaperBroker
from desktop.desk import Desk
from desktop.domain import OrderType
from desktop.paths import config_dir
from desktop.ui.main_window import MainWindow
from desktop.ui.menus import Menus
from desktop.ui.settings import app_settings
from desktop.ui.settings_dialog import (
    Preferences,
    apply_preferences,
    load_preferences,
    open_settings_dialog,
    paper_replays,
    save_preferences,
)
from desktop.ui.theme import apply_theme
from desktop.ui.ticket import OrderTicket
from qt_helpers import click, run
from qt_helpers import find as child
from qt_helpers import top_level as top


def paper_broker(window: MainWindow) -> PaperBroker:
    """The window's one paper connection's adapter."""
    return next(c.broker for c in window.desk.live() if c.kind == "paper")


@pytest.fixture
def open_window(qtbot, qloop, tmp_path):
    windows = []

    def _open() -> MainWindow:
        window = MainWindow(brokers=[PaperBroker(tmp_path / "paper.sqlite3", autostart=False)])
        window.show()
        qtbot.waitExposed(window)
        run(qtbot, qloop, window.start(), timeout=15_000)
        windows.append(window)
        return window

    def _close(window):
        run(qtbot, qloop, window.shutdown(), timeout=15_000)
        window.close()  # saves the layout, as quitting does
        window.deleteLater()
        windows.remove(window)

    _open.close = _close
    yield _open
    for window in list(windows):
        _close(window)
    apply_theme(QApplication.instance(), "system")  # leave the shared QApplication as tests expect it


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

    paper_broker(window).advance_minutes(1)
    qtbot.waitUntil(lambda: not window.ticket.is_busy())
    open_window.close(window)
    again = open_window()  # a restart reads the same settings
    assert not again.ticket.confirms(OrderType.MARKET) and again.ticket.confirms(OrderType.STOP_LIMIT)
    assert load_preferences(again.settings).confirm == frozenset(OrderType) - {OrderType.MARKET}


def test_concentration_warning_is_a_setting_applied_live_and_kept(qtbot, open_window):
    window = open_window()
    panel = window.portfolio
    assert panel.threshold == 25 and "25 %" in panel.threshold_label.text()
    dialog = open_settings(qtbot, window)
    spin = child(dialog, QSpinBox, "concentrationWarningSpin")
    assert spin.value() == 25
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "12")
    click(qtbot, child(dialog, QPushButton, "applyButton"))
    assert panel.threshold == 12 and "12 %" in panel.threshold_label.text()
    click(qtbot, child(dialog, QPushButton, "okButton"))
    open_window.close(window)
    again = open_window()  # a restart reads the same settings
    assert again.portfolio.threshold == 12
    assert load_preferences(again.settings).concentration_warning_pct == 12


def test_a_threshold_an_earlier_version_stored_as_a_float_is_read(tmp_path):
    from PySide6.QtCore import QSettings
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("portfolio/concentration_warning_pct", 30.0)  # the old panel spin box kept a float
    assert load_preferences(settings).concentration_warning_pct == 30
    for junk in ("", "abc", "0", "250", "nan"):
        settings.setValue("portfolio/concentration_warning_pct", junk)
        assert load_preferences(settings).concentration_warning_pct == 25, junk


def test_number_format_default_quantity_and_replay_speed_apply_live(qtbot, open_window):
    window = open_window()
    paper_broker(window).advance_minutes(2)
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
    assert paper_broker(window).replay_speed == 10 and window.menus.speed_actions[10].isChecked()
    click(qtbot, child(dialog, QPushButton, "cancelButton"))

    ini = (config_dir() / "tradedesk.ini").read_text()
    assert "thousands=false" in ini and "price_decimals=3" in ini and "default_shares=25" in ini and "replay_speed=10" in ini
    window.menus.speed_actions[60].trigger()  # the Replay menu changes the same preference
    assert load_preferences(window.settings).replay_speed == 60
    open_window.close(window)

    again = open_window()
    assert paper_broker(again).replay_speed == 60  # applied on connect
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
            window = MainWindow(brokers=[PaperBroker(tmp_path / f"p{i}.sqlite3", autostart=False)])
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


# -- the dialog over a desk of two paper connections (no MainWindow) ---------------------
class Host(QMainWindow):
    """A bare window over a desk with a ticket, a table and the menus, applying the
    settings as the main window does (``apply(prefs)``: save and apply)."""

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.settings = app_settings()
        self.preferences = load_preferences(self.settings)
        self.desk = desk
        self.ticket = OrderTicket(self)
        self.setCentralWidget(self.ticket)
        self.table = QTableView(self)
        self.menus = Menus(self, desk, docks={}, open_connections=lambda: None,
                           open_settings=self.open_settings, reset_layout=lambda: None,
                           reset_paper=lambda _cid: None, preferences=lambda: self.preferences,
                           remember_speed=self.remember_speed)

    def panels(self) -> dict:
        return {"orders": type("Panel", (), {"view": self.table})()}

    def remember_speed(self, speed: int) -> None:
        if speed:
            self.preferences = self.preferences.model_copy(update={"replay_speed": speed})
            self.settings.setValue("paper/replay_speed", speed)

    def apply(self, prefs, previous=None, theme=True) -> None:
        previous = self.preferences if previous is None else previous
        save_preferences(self.settings, prefs)
        apply_preferences(prefs, previous, panels=self.panels().values(), ticket=self.ticket,
                          replays=paper_replays(self.desk), sync_replay=self.menus.sync_replay_speed, theme=theme)
        self.preferences = prefs

    def open_settings(self):
        control = self.menus.replay_control
        return open_settings_dialog(self, current=lambda: self.preferences, apply=self.apply,
                                    replay_speed=lambda: c.replay_speed if (c := control()) is not None else None)


@pytest.fixture
def host(qtbot, qloop, tmp_path):
    desk = Desk(poll_s=30, start_budget_s=2)
    for cid in ("paper-a", "paper-b"):
        broker = PaperBroker(tmp_path / f"{cid}.sqlite3", autostart=False).bind(cid)
        run(qtbot, qloop, desk.attach(broker, cid.replace("paper-", "Paper ").title()))
    window = Host(desk)
    qtbot.addWidget(window)
    window.menus.sync_connections()
    window.show()
    qtbot.waitExposed(window)
    yield window
    run(qtbot, qloop, desk.shutdown())


def speeds(window) -> list[int]:
    return [c.broker.replay_speed for c in window.desk.live()]


def test_the_replay_speed_setting_applies_to_every_paper_connection(qtbot, host):
    assert speeds(host) == [1, 1]
    dialog = open_settings(qtbot, host)
    choose(qtbot, child(dialog, QComboBox, "replaySpeedCombo"), 30)
    click(qtbot, child(dialog, QPushButton, "okButton"))
    assert speeds(host) == [30, 30] and host.menus.speed_actions[30].isChecked()
    assert load_preferences(host.settings).replay_speed == 30

    host.menus.choose_replay("paper-b")
    host.menus.speed_actions[120].trigger()  # Replay → x120 acts on Paper B only, and becomes the preference
    assert speeds(host) == [30, 120] and host.preferences.replay_speed == 120
    dialog = open_settings(qtbot, host)
    assert child(dialog, QComboBox, "replaySpeedCombo").currentData() == 120  # what the Replay menu's replay runs at
    click(qtbot, child(dialog, QPushButton, "cancelButton"))
    assert speeds(host) == [30, 120]


def test_apply_preferences_sets_the_ticket_and_leaves_an_unchanged_speed_alone(qtbot, host):
    host.desk.live()[0].broker.set_replay_speed(5)  # Paper A runs at its own speed
    previous = host.preferences
    prefs = previous.model_copy(update={"confirm": frozenset({OrderType.LIMIT}), "default_shares": 7})
    host.apply(prefs, previous, theme=False)
    assert host.preferences is prefs and speeds(host) == [5, 1]  # no speed preference: each keeps its own
    assert not host.ticket.confirms(OrderType.MARKET) and host.ticket.confirms(OrderType.LIMIT)
    assert child(host.ticket, QLineEdit, "quantityEdit").text() == "7"
