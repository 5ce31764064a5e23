"""The window's menus over a desk of connections (pytest-qt, offscreen, through the
menus): Reset Paper Account names the paper connection it resets, the Replay menu
controls one paper connection and says which, and both follow connections coming and
going."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox

from desktop.brokers.paper import PaperBroker
from desktop.desk import Desk
from desktop.ui.menus import Menus
from desktop.ui.settings_dialog import Preferences
from qt_helpers import run, top_level


class Host:
    """A bare main window with one dock, and what the menus' callables received."""

    def __init__(self, qtbot, desk: Desk, preferences: Preferences | None = None) -> None:
        self.window = QMainWindow()
        self.window.resize(900, 600)
        qtbot.addWidget(self.window)
        dock = QDockWidget("Orders", self.window)
        dock.setObjectName("dock_orders")
        dock.setWidget(QLabel("orders"))
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.docks = {"orders": dock}
        self.calls: list[tuple] = []
        self.preferences = preferences or Preferences()
        self.menus = Menus(
            self.window, desk, docks=self.docks,
            open_connections=lambda: self.calls.append(("connections",)),
            open_settings=lambda: self.calls.append(("settings",)),
            reset_layout=lambda: self.calls.append(("layout",)),
            reset_paper=lambda cid: self.calls.append(("reset", cid)),
            preferences=lambda: self.preferences,
            remember_speed=lambda speed: self.calls.append(("speed", speed)))
        self.window.show()
        qtbot.waitExposed(self.window)


@pytest.fixture
def desk(qtbot, qloop):
    desk = Desk(poll_s=30, start_budget_s=2)
    yield desk
    run(qtbot, qloop, desk.shutdown())


def attach(qtbot, qloop, desk, tmp_path, cid, name):
    broker = PaperBroker(tmp_path / f"{cid}.sqlite3", autostart=False).bind(cid)
    return run(qtbot, qloop, desk.attach(broker, name))


def open_menu(qtbot, menu: QMenu) -> QMenu:
    menu.popup(QPoint(20, 20))
    qtbot.waitUntil(menu.isVisible)
    return menu


def click_item(qtbot, menu: QMenu, text: str) -> QAction:
    """Click the visible, enabled entry called ``text`` in the open ``menu``."""
    action = next((a for a in menu.actions() if a.text().replace("&", "") == text and a.isVisible()), None)
    assert action is not None, [a.text() for a in menu.actions() if a.isVisible()]
    assert action.isEnabled(), text
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    return action


def choose(qtbot, menu: QMenu, *path: str) -> None:
    """Walk ``path`` from ``menu`` through submenus, clicking each entry."""
    open_menu(qtbot, menu)
    for text in path:
        action = next((a for a in menu.actions() if a.text().replace("&", "") == text), None)
        submenu = action.menu() if action is not None else None
        click_item(qtbot, menu, text)
        if submenu is not None:
            menu = submenu
            qtbot.waitUntil(menu.isVisible)


def visible_texts(menu: QMenu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if a.isVisible() and not a.isSeparator()]


def answer_reset(qtbot, button) -> str:
    qtbot.waitUntil(lambda: top_level("resetPaperDialog") is not None)
    box = top_level("resetPaperDialog")
    text = box.text()
    qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: top_level("resetPaperDialog") is None)
    return text


def test_with_one_paper_connection_reset_and_replay_act_on_it(qtbot, qloop, desk, tmp_path):
    host = Host(qtbot, desk)
    menus = host.menus
    assert not menus.reset_action.isEnabled() and not menus.replay_menu.isEnabled()  # nothing live yet

    paper = attach(qtbot, qloop, desk, tmp_path, "paper-1", "Paper")
    menus.sync_connections()
    assert menus.replay_menu.isEnabled() and "Reset Paper Account…" in visible_texts(menus.file_menu)
    assert not any(t.startswith("Replay of") for t in visible_texts(menus.replay_menu))  # one: nothing to choose

    choose(qtbot, menus.replay_menu, "x60  —  60 replayed minutes per second")
    assert paper.broker.replay_speed == 60 and ("speed", 60) in host.calls
    choose(qtbot, menus.replay_menu, "Pause")
    assert paper.broker.replay_speed == 0 and menus.pause_action.isChecked()
    assert ("speed", 0) not in host.calls  # a pause is not a preference
    choose(qtbot, menus.replay_menu, "Pause")
    assert paper.broker.replay_speed == 60 and not menus.pause_action.isChecked()  # resumes where it was

    choose(qtbot, menus.file_menu, "Reset Paper Account…")
    assert "“Paper”" in answer_reset(qtbot, QMessageBox.StandardButton.Cancel)
    assert not any(c[0] == "reset" for c in host.calls)
    choose(qtbot, menus.file_menu, "Reset Paper Account…")
    answer_reset(qtbot, QMessageBox.StandardButton.Reset)
    assert ("reset", "paper-1") in host.calls

    run(qtbot, qloop, desk.disconnect("paper-1"))
    menus.sync_connections()
    assert not menus.replay_menu.isEnabled() and not menus.reset_action.isEnabled()


def test_with_several_paper_connections_the_menus_name_the_one_they_act_on(qtbot, qloop, desk, tmp_path):
    host = Host(qtbot, desk)
    menus = host.menus
    a = attach(qtbot, qloop, desk, tmp_path, "paper-a", "Paper A")
    b = attach(qtbot, qloop, desk, tmp_path, "paper-b", "Paper B")
    menus.set_chart_source("paper-b")  # the chart draws Paper B: the Replay menu controls it by default
    assert "Replay of: Paper B" in visible_texts(menus.replay_menu)
    checked = [act.text() for act in menus.replay_of_menu.actions() if act.isChecked()]
    assert checked == ["Paper B"]

    choose(qtbot, menus.replay_menu, "x10  —  10 replayed minutes per second")
    assert b.broker.replay_speed == 10 and a.broker.replay_speed == 1
    choose(qtbot, menus.replay_menu, "Replay of: Paper B", "Paper A")
    assert "Replay of: Paper A" in visible_texts(menus.replay_menu)
    assert menus.speed_actions[1].isChecked()  # the menu shows Paper A's own speed
    choose(qtbot, menus.replay_menu, "Pause")
    assert a.broker.replay_speed == 0 and b.broker.replay_speed == 10

    assert "Reset Paper Account…" not in visible_texts(menus.file_menu)
    assert visible_texts(menus.reset_menu) == ["Paper A…", "Paper B…"]
    choose(qtbot, menus.file_menu, "Reset Paper Account", "Paper B…")
    text = answer_reset(qtbot, QMessageBox.StandardButton.Reset)
    assert "“Paper B”" in text and "Paper A" not in text
    assert [c for c in host.calls if c[0] == "reset"] == [("reset", "paper-b")]

    run(qtbot, qloop, desk.disconnect("paper-a"))  # the chosen replay goes away: back to the chart's
    menus.sync_connections()
    assert not menus.replay_of_menu.menuAction().isVisible() and "Reset Paper Account…" in visible_texts(menus.file_menu)
    choose(qtbot, menus.replay_menu, "x30  —  30 replayed minutes per second")
    assert b.broker.replay_speed == 30


def test_file_edit_view_and_help_call_what_they_were_given(qtbot, qloop, desk):
    host = Host(qtbot, desk)
    menus = host.menus
    choose(qtbot, menus.file_menu, "Connections…")
    choose(qtbot, menus.edit_menu, "Settings…")
    choose(qtbot, menus.view_menu, "Reset Layout")
    assert host.calls == [("connections",), ("settings",), ("layout",)]
    assert host.docks["orders"].isVisible()
    choose(qtbot, menus.view_menu, "Orders")  # the dock's own toggle
    qtbot.waitUntil(lambda: not host.docks["orders"].isVisible())
    choose(qtbot, menus.help_menu, "About Tradedesk")
    qtbot.waitUntil(lambda: top_level("aboutDialog") is not None)
    assert "MIT" in top_level("aboutDialog").text()
    top_level("aboutDialog").close()


def test_pause_resumes_at_the_preferred_speed_when_started_paused(qtbot, qloop, desk, tmp_path):
    paper = attach(qtbot, qloop, desk, tmp_path, "paper-1", "Paper")
    paper.broker.set_replay_speed(0)  # the account file was saved paused
    host = Host(qtbot, desk, Preferences(replay_speed=120))
    assert host.menus.pause_action.isChecked()
    choose(qtbot, host.menus.replay_menu, "Pause")
    assert paper.broker.replay_speed == 120 and host.menus.speed_actions[120].isChecked()
