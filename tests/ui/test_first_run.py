"""First run: the app opens on the built-in paper connection with a welcome panel that,
once dismissed, never comes back (a restart is a new MainWindow on the same home)."""

from __future__ import annotations

from functools import partial

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

import qt_helpers
from desktop.connections import ConnectionStore
from desktop.desk import Desk
from desktop.desk.startup import startup_connections
from desktop.paths import config_dir
from desktop.security.secrets import SecretStore
from desktop.ui.main_window import MainWindow

run = partial(qt_helpers.run, timeout=15_000)  # a start or shutdown of the window gets 15 s


@pytest.fixture
def launch(qtbot, qloop):
    """Start the app as bootstrap does (the start-up connections over a new desk),
    without the process."""
    windows = []

    def _launch() -> MainWindow:
        store, secrets = ConnectionStore.open_default(), SecretStore()
        window = MainWindow(Desk(store, secrets), connections=store, secrets=secrets)
        window.show()
        qtbot.waitExposed(window)
        assert run(qtbot, qloop, window.start(startup_connections(store))) == {"paper": None}
        windows.append(window)
        return window

    def _close(window: MainWindow) -> None:
        run(qtbot, qloop, window.shutdown())
        window.close()
        window.deleteLater()
        windows.remove(window)

    _launch.close = _close
    yield _launch
    for window in list(windows):
        _close(window)


def visible_dialog(name):
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)


def test_first_start_is_on_paper_with_a_welcome_panel_until_dismissed(qtbot, launch):
    window = launch()
    assert [(c.id, c.kind) for c in window.desk.live()] == [("paper", "paper")]
    assert window.connection_store.first_run
    assert window.status.item_texts() == ["Paper: connected"]
    panel = window.welcome
    assert panel is not None and panel.isVisible()
    text = panel.findChild(QLabel, "welcomeText").text()
    for words in ("real daily prices", "synthetic", "$100,000", "nothing is traded for real", "File → Connections…"):
        assert words in text
    assert panel.geometry().bottom() < window.chart.geometry().top() + 1  # a banner above the chart, not over it

    # the panel's button opens the connections manager (not modal: the window keeps running)
    qtbot.mouseClick(panel.findChild(QPushButton, "connectionsButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: visible_dialog("connectionsDialog") is not None)
    visible_dialog("connectionsDialog").close()

    qtbot.mouseClick(panel.findChild(QPushButton, "dismissButton"), Qt.MouseButton.LeftButton)
    assert not panel.isVisible()
    launch.close(window)

    again = launch()
    assert again.welcome is None
    assert not again.connection_store.first_run and [c.id for c in again.desk.live()] == ["paper"]
    assert "dismissed=true" in (config_dir() / "tradedesk.ini").read_text()


def test_welcome_panel_stays_until_dismissed(qtbot, launch):
    window = launch()
    assert window.welcome is not None
    launch.close(window)
    window = launch()  # not dismissed: shown again
    assert window.welcome is not None and window.welcome.isVisible()


def test_about_lists_the_licences_of_bundled_data_and_libraries(qtbot, launch):
    window = launch()
    about = next(a for a in window.menus.help_menu.actions() if a.objectName() == "aboutAction")
    about.trigger()
    qtbot.waitUntil(lambda: visible_dialog("aboutDialog") is not None)
    text = visible_dialog("aboutDialog").text()
    for words in ("Licence: MIT", "Quandl WIKI Prices, <i>public domain</i>", "synthetic", "PySide6 / Shiboken6 (LGPL v3)",
                  "pyqtgraph (MIT)", "NumPy (BSD-3-Clause", "pydantic and pydantic-core (MIT)", "qasync (BSD-2-Clause)",
                  "httpx and httpcore", "websockets (BSD-3-Clause)", "keyring (MIT", "platformdirs (MIT)"):
        assert words in text
    visible_dialog("aboutDialog").close()
