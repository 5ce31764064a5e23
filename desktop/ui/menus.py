"""Menus of the main window (File, Edit, View, Replay, Help) and its toolbar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox, QToolBar

from desktop import __version__
from desktop.brokers.replay_control import REPLAY_SPEEDS, replay_control
from desktop.paths import log_dir

if TYPE_CHECKING:
    from .main_window import MainWindow


class Menus:
    """Builds and holds the menu actions; ``sync_replay_speed()`` reflects the broker."""

    def __init__(self, window: "MainWindow") -> None:
        self.window = window
        bar = window.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.edit_menu = bar.addMenu("&Edit")
        self.view_menu = bar.addMenu("&View")
        self.replay_menu = bar.addMenu("&Replay")
        self.help_menu = bar.addMenu("&Help")
        self.speed_actions: dict[int, QAction] = {}
        self._build_file()
        self._build_edit()
        self._build_toolbar()
        self._build_view()
        self._build_replay()
        self._build_help()

    def _build_file(self) -> None:
        w = self.window
        self.connections_action = QAction("&Connections…", w)
        self.connections_action.setObjectName("connectionsAction")
        self.connections_action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.connections_action.setToolTip("Add, edit, connect and disconnect broker connections")
        self.connections_action.triggered.connect(w.open_connections)
        self.file_menu.addAction(self.connections_action)
        self.file_menu.addSeparator()
        self.reset_action = QAction("&Reset Paper Account…", w)
        self.reset_action.setObjectName("resetPaperAction")
        self.reset_action.triggered.connect(self.confirm_reset)
        self.reset_action.setEnabled(replay_control(w.broker) is not None)
        self.file_menu.addAction(self.reset_action)
        self.file_menu.addSeparator()
        quit_action = QAction("&Quit", w)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(w.close)
        self.file_menu.addAction(quit_action)

    def _build_edit(self) -> None:
        w = self.window
        self.settings_action = QAction("&Settings…", w)
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Preferences), QKeySequence("Ctrl+,")])
        self.settings_action.setToolTip("Theme, number format, order confirmations, default quantities, replay speed")
        self.settings_action.triggered.connect(w.open_settings)
        self.edit_menu.addAction(self.settings_action)

    def _build_toolbar(self) -> None:
        w = self.window
        self.toolbar = QToolBar("Toolbar", w)
        self.toolbar.setObjectName("mainToolBar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addAction(self.connections_action)
        self.toolbar.addAction(self.settings_action)
        self.toolbar.widgetForAction(self.connections_action).setObjectName("connectionsToolButton")
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def sync_broker(self) -> None:
        """The window's broker changed: enable what it supports (reset, replay). The
        speed is shown once it has connected (``sync_replay_speed``)."""
        enabled = replay_control(self.window.broker) is not None
        self.reset_action.setEnabled(enabled)
        self.replay_menu.setEnabled(enabled)

    def _build_view(self) -> None:
        w = self.window
        for dock in w.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        reset = QAction("Reset &Layout", w)
        reset.triggered.connect(w.reset_layout)
        self.view_menu.addAction(reset)

    def _build_replay(self) -> None:
        w = self.window
        enabled = replay_control(w.broker) is not None
        self.replay_menu.setEnabled(enabled)
        self.pause_action = QAction("&Pause", w)
        self.pause_action.setObjectName("pauseReplayAction")
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut(QKeySequence("Ctrl+P"))
        self.pause_action.toggled.connect(self._pause_toggled)
        self.replay_menu.addAction(self.pause_action)
        self.replay_menu.addSeparator()
        group = QActionGroup(w)
        group.setExclusive(True)
        for speed in REPLAY_SPEEDS:
            label = f"{speed} replayed minute{'s' if speed > 1 else ''} per second"
            action = QAction(f"x{speed}  —  {label}", w, checkable=True)
            action.setObjectName(f"speed{speed}Action")
            action.triggered.connect(lambda _checked=False, s=speed: self.set_speed(s))
            group.addAction(action)
            self.replay_menu.addAction(action)
            self.speed_actions[speed] = action
        self._last_speed = 1

    def _build_help(self) -> None:
        w = self.window
        logs = QAction("Open &Log Folder", w)
        logs.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir()))))
        self.help_menu.addAction(logs)
        about = QAction("&About Tradedesk", w)
        about.setObjectName("aboutAction")
        about.triggered.connect(self.about)
        self.help_menu.addAction(about)

    # -- actions ------------------------------------------------------------
    def set_speed(self, speed: int) -> None:
        """Set the replay speed (0 pauses) and reflect it in the menu."""
        broker = replay_control(self.window.broker)
        if broker is None:
            return
        broker.set_replay_speed(speed)
        if speed:
            self._last_speed = speed
            from .settings_dialog import remember_replay_speed

            remember_replay_speed(self.window, speed)  # the next start / connect keeps this speed
        self.sync_replay_speed()
        self.window._update_replay_status()

    def _pause_toggled(self, paused: bool) -> None:
        broker = replay_control(self.window.broker)
        if broker is None:
            return
        current = broker.replay_speed
        if paused and current:
            self.set_speed(0)
        elif not paused and not current:
            self.set_speed(self._last_speed)

    def sync_replay_speed(self) -> None:
        broker = replay_control(self.window.broker)
        if broker is None:
            return
        speed = broker.replay_speed
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(speed == 0)
        self.pause_action.blockSignals(False)
        if speed in self.speed_actions:
            self.speed_actions[speed].setChecked(True)
            self._last_speed = speed

    def confirm_reset(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Reset paper account",
                          "Start the paper account over? Orders, fills and positions are deleted, "
                          "the starting cash is restored and the replay goes back to its first day.",
                          QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel, self.window)
        box.setObjectName("resetPaperDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Reset and self.window.reset_paper_account())
        box.open()

    def about(self) -> QMessageBox:
        """Help → About: version, licence, the bundled data and libraries with their licences."""
        box = QMessageBox(QMessageBox.Icon.Information, "About Tradedesk", ABOUT_HTML.format(version=__version__,
                          logs=log_dir()), QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("aboutDialog")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box


ABOUT_HTML = (
    "<b>Tradedesk {version}</b> — open-source trading desktop. Licence: MIT.<br><br>"
    "<b>Data.</b> Paper broker daily prices: Quandl WIKI Prices, <i>public domain</i> (archived copy supplied "
    "by marketneutral on Kaggle, copied from the bokeh-sampledata package; see resources/NOTICE). "
    "The paper broker's minute bars are synthetic, generated inside each real day.<br><br>"
    "<b>Libraries.</b> Qt 6 and PySide6 / Shiboken6 (LGPL v3), pyqtgraph (MIT), NumPy (BSD-3-Clause, with "
    "OpenBLAS, BSD-3-Clause), pydantic and pydantic-core (MIT), qasync (BSD-2-Clause), httpx and httpcore "
    "(BSD-3-Clause), websockets (BSD-3-Clause), platformdirs (MIT), keyring (MIT; on Linux with SecretStorage, "
    "BSD-3-Clause, jeepney, MIT, and cryptography, Apache-2.0 or BSD-3-Clause), Python (PSF License), tzdata (Apache-2.0, Windows only).<br><br>"
    "Log files: {logs}"
)


def build_menus(window: "MainWindow") -> Menus:
    """Create the window's menus."""
    return Menus(window)
