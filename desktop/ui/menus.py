"""Menus of the main window (File, Edit, View, Replay, Help) and its toolbar (the
Order and Chart menus are :mod:`desktop.ui.shortcuts`').

The menus are given what they act on: the :class:`~desktop.desk.Desk` (which paper
connections are live, their replay controls) and the window's actions as callables.
Paper connections own the Replay menu and File → Reset Paper Account: with one live
paper connection they act on it; with several, Reset names each in a submenu and the
Replay menu says which one it controls ("Replay of", the chart's paper source by
default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox, QToolBar

from desktop import __version__
from desktop.brokers.replay_control import REPLAY_SPEEDS, ReplayControl, replay_control
from desktop.desk import Desk, LiveConnection
from desktop.paths import log_dir


def _amp(name: str) -> str:
    """``name`` as menu text: a literal "&" (not a mnemonic)."""
    return name.replace("&", "&&")


class Menus:
    """Builds and holds the window's menu actions (see the module docstring).

    ``window``: the QMainWindow hosting the menu bar and toolbar (and closed by
    Quit); ``desk``: the connections; ``docks``: the View menu's docks by key;
    ``open_connections`` / ``open_settings`` / ``reset_layout``: File → Connections…,
    Edit → Settings…, View → Reset Layout; ``reset_paper(connection_id)``: start that
    paper connection over (called after the user confirmed); ``preferences()``: the
    current :class:`~desktop.ui.settings_dialog.Preferences`; ``remember_speed(speed)``:
    the Replay menu set a speed, keep it as the preference; ``keyboard_help()`` (when
    given): Help → Keyboard Shortcuts (F1).

    Call :meth:`sync_connections` whenever a connection is added, removed or changes
    state, :meth:`sync_replay_speed` when a replay's speed changed elsewhere, and
    :meth:`set_chart_source` when the chart draws from another connection.
    """

    def __init__(self, window: QMainWindow, desk: Desk, *, docks: Mapping[str, QDockWidget],
                 open_connections: Callable[[], object], open_settings: Callable[[], object],
                 reset_layout: Callable[[], None], reset_paper: Callable[[str], None],
                 preferences: Callable[[], object], remember_speed: Callable[[int], None],
                 keyboard_help: Callable[[], object] | None = None) -> None:
        self.window = window
        self.desk = desk
        self._open_connections = open_connections
        self._open_settings = open_settings
        self._reset_layout = reset_layout
        self._reset_paper = reset_paper
        self._preferences = preferences
        self._remember_speed = remember_speed
        self._keyboard_help = keyboard_help
        self._replay_choice: str | None = None
        self._chart_source: str | None = None
        self._last_speeds: dict[str, int] = {}
        self._listed: tuple[tuple[str, str], ...] | None = None
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
        self._build_view(docks)
        self._build_replay()
        self._build_help()
        self.sync_connections()

    # -- building -----------------------------------------------------------------
    def _action(self, text: str, name: str = "", slot: Callable[[], object] | None = None, *,
                parent: QMenu | None = None) -> QAction:
        """A QAction (owned by ``parent``, else the window) calling ``slot()``."""
        action = QAction(text, parent if parent is not None else self.window)
        if name:
            action.setObjectName(name)
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_file(self) -> None:
        self.connections_action = self._action("&Connections…", "connectionsAction", self._open_connections)
        self.connections_action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.connections_action.setToolTip("Add, edit, connect and disconnect broker connections")
        self.file_menu.addAction(self.connections_action)
        self.file_menu.addSeparator()
        self.reset_action = self._action("&Reset Paper Account…", "resetPaperAction", self._reset_only_paper)
        self.file_menu.addAction(self.reset_action)
        self.reset_menu = QMenu("&Reset Paper Account", self.file_menu, objectName="resetPaperMenu")
        self.file_menu.addMenu(self.reset_menu)
        self.file_menu.addSeparator()
        quit_action = self._action("&Quit", "quitAction", self.window.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.file_menu.addAction(quit_action)

    def _build_edit(self) -> None:
        self.settings_action = self._action("&Settings…", "settingsAction", self._open_settings)
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Preferences), QKeySequence("Ctrl+,")])
        self.settings_action.setToolTip("Theme, number format, order confirmations, default quantities, replay speed")
        self.edit_menu.addAction(self.settings_action)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Toolbar", self.window)
        self.toolbar.setObjectName("mainToolBar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addAction(self.connections_action)
        self.toolbar.addAction(self.settings_action)
        self.toolbar.widgetForAction(self.connections_action).setObjectName("connectionsToolButton")
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def _build_view(self, docks: Mapping[str, QDockWidget]) -> None:
        for dock in docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(self._action("Reset &Layout", "resetLayoutAction", self._reset_layout))

    def _build_replay(self) -> None:
        self.replay_of_menu = QMenu("Replay &of", self.replay_menu, objectName="replayOfMenu")
        self.replay_menu.addMenu(self.replay_of_menu)
        self._replay_of_group = QActionGroup(self.replay_of_menu)
        self._replay_of_group.setExclusive(True)
        self._replay_of_separator = self.replay_menu.addSeparator()
        self.pause_action = self._action("&Pause", "pauseReplayAction")
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut(QKeySequence("Ctrl+P"))
        self.pause_action.toggled.connect(self._pause_toggled)
        self.replay_menu.addAction(self.pause_action)
        self.replay_menu.addSeparator()
        group = QActionGroup(self.window)
        group.setExclusive(True)
        for speed in REPLAY_SPEEDS:
            label = f"{speed} replayed minute{'s' if speed > 1 else ''} per second"
            action = self._action(f"x{speed}  —  {label}", f"speed{speed}Action", lambda s=speed: self.set_speed(s))
            action.setCheckable(True)
            group.addAction(action)
            self.replay_menu.addAction(action)
            self.speed_actions[speed] = action

    def _build_help(self) -> None:
        if self._keyboard_help is not None:
            self.keyboard_help_action = self._action("&Keyboard Shortcuts", "keyboardHelpAction", self._keyboard_help)
            self.keyboard_help_action.setShortcut(QKeySequence("F1"))
            self.help_menu.addAction(self.keyboard_help_action)
        self.help_menu.addAction(self._action("Open &Log Folder", "logFolderAction",
                                              lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir())))))
        self.help_menu.addAction(self._action("&About Tradedesk", "aboutAction", self.about))

    # -- paper connections ---------------------------------------------------------
    def paper_connections(self) -> list[LiveConnection]:
        """The live connections with a replay clock (paper), in the order opened."""
        return [c for c in self.desk.live() if replay_control(c.broker) is not None]

    def replay_connection(self) -> LiveConnection | None:
        """The paper connection the Replay menu controls: the one picked in "Replay of"
        while it is live, else the chart's source when it is paper, else the first."""
        papers = self.paper_connections()
        for wanted in (self._replay_choice, self._chart_source):
            found = next((c for c in papers if c.id == wanted), None)
            if found is not None:
                return found
        return papers[0] if papers else None

    def replay_control(self) -> ReplayControl | None:
        """The replay the Replay menu controls (see :meth:`replay_connection`), or None."""
        conn = self.replay_connection()
        return replay_control(conn.broker) if conn is not None else None

    def set_chart_source(self, connection_id: str | None) -> None:
        """The chart draws from ``connection_id``: when it is paper, the Replay menu
        controls it (unless the user picked another one in "Replay of")."""
        self._chart_source = connection_id
        self.sync_connections()

    def sync_connections(self) -> None:
        """Connections changed: rebuild Reset Paper Account and "Replay of" (when the
        paper connections changed), enable what they allow, show the controlled
        replay's speed."""
        papers = self.paper_connections()
        several = len(papers) > 1
        listed = tuple((c.id, c.name) for c in papers)
        if listed != self._listed:
            self._listed = listed
            self._rebuild(listed)
        self.reset_action.setVisible(not several)
        self.reset_action.setEnabled(len(papers) == 1)
        self.reset_menu.menuAction().setVisible(several)
        target = self.replay_connection()
        for action in self.replay_of_menu.actions():
            action.setChecked(target is not None and action.data() == target.id)
        self.replay_of_menu.setTitle(f"Replay &of: {_amp(target.name)}" if several and target else "Replay &of")
        self.replay_of_menu.menuAction().setVisible(several)
        self._replay_of_separator.setVisible(several)
        self.replay_menu.setEnabled(bool(papers))
        self.sync_replay_speed()

    def _rebuild(self, listed: tuple[tuple[str, str], ...]) -> None:
        """One Reset entry and one "Replay of" entry per paper connection."""
        self.reset_menu.clear()
        for action in self._replay_of_group.actions():
            self._replay_of_group.removeAction(action)
        self.replay_of_menu.clear()
        for cid, name in listed:
            self.reset_menu.addAction(self._action(f"{_amp(name)}…", f"reset:{cid}", lambda c=cid: self.confirm_reset(c),
                                                   parent=self.reset_menu))
            action = self._action(_amp(name), f"replayOf:{cid}", lambda c=cid: self.choose_replay(c), parent=self.replay_of_menu)
            action.setCheckable(True)
            action.setData(cid)
            self._replay_of_group.addAction(action)
            self.replay_of_menu.addAction(action)

    def choose_replay(self, connection_id: str) -> None:
        """Make the Replay menu control paper connection ``connection_id``."""
        self._replay_choice = connection_id
        self.sync_connections()

    # -- replay actions --------------------------------------------------------------
    def set_speed(self, speed: int) -> None:
        """Set the controlled replay's speed (0 pauses) and reflect it in the menu; a
        speed (not a pause) becomes the preference (``remember_speed``)."""
        conn = self.replay_connection()
        if conn is None:
            return
        replay_control(conn.broker).set_replay_speed(speed)
        if speed:
            self._last_speeds[conn.id] = speed
            self._remember_speed(speed)  # the next start / connect keeps this speed
        self.sync_replay_speed()

    def _pause_toggled(self, paused: bool) -> None:
        conn = self.replay_connection()
        if conn is None:
            return
        current = replay_control(conn.broker).replay_speed
        if paused and current:
            self.set_speed(0)
        elif not paused and not current:
            self.set_speed(self._resume_speed(conn.id))

    def _resume_speed(self, connection_id: str) -> int:
        """The speed Pause unticked resumes: the last one set, else the preference, else x1."""
        preferred = getattr(self._preferences(), "replay_speed", None)
        return self._last_speeds.get(connection_id) or preferred or 1

    def sync_replay_speed(self) -> None:
        """Show the controlled replay's speed (and whether it is paused) in the menu."""
        conn = self.replay_connection()
        if conn is None:
            return
        speed = replay_control(conn.broker).replay_speed
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(speed == 0)
        self.pause_action.blockSignals(False)
        if speed in self.speed_actions:
            self.speed_actions[speed].setChecked(True)
            self._last_speeds[conn.id] = speed

    # -- dialogs ------------------------------------------------------------------------
    def _reset_only_paper(self) -> None:
        papers = self.paper_connections()
        if len(papers) == 1:
            self.confirm_reset(papers[0].id)

    def confirm_reset(self, connection_id: str) -> QMessageBox | None:
        """Ask before starting paper connection ``connection_id`` over (the question
        names it); Reset calls ``reset_paper(connection_id)``. Returns the open box."""
        conn = self.desk.connections.get(connection_id)
        if conn is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Question, f"Reset {conn.name}",
                          f"Start the paper account “{conn.name}” over? Its orders, fills and positions are "
                          "deleted, the starting cash is restored and its replay goes back to the first day. "
                          "Other connections are not touched.",
                          QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel, self.window)
        box.setObjectName("resetPaperDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Reset and self._reset_paper(connection_id))
        box.open()
        return box

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
