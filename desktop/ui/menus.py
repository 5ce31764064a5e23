"""Menus of the main window: File, View, Replay, Help."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox

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
        self.view_menu = bar.addMenu("&View")
        self.replay_menu = bar.addMenu("&Replay")
        self.help_menu = bar.addMenu("&Help")
        self.speed_actions: dict[int, QAction] = {}
        self._build_file()
        self._build_view()
        self._build_replay()
        self._build_help()

    def _build_file(self) -> None:
        w = self.window
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

    def about(self) -> None:
        QMessageBox.about(
            self.window,
            "About Tradedesk",
            f"<b>Tradedesk {__version__}</b><br>Open-source trading desktop.<br><br>"
            "Paper broker market data: Quandl WIKI Prices (public domain), archived copy supplied by "
            "marketneutral on Kaggle, via the bokeh-sampledata package. Intraday paths are synthetic.<br>"
            "Built with PySide6 (LGPL), pyqtgraph (MIT), pydantic (MIT), qasync (BSD), httpx (BSD), numpy (BSD).",
        )


def build_menus(window: "MainWindow") -> Menus:
    """Create the window's menus."""
    return Menus(window)
