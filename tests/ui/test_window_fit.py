"""The window's fit (pytest-qt, offscreen): the first window fits the screen it opens
on, status bar included; the layout works down to 1024×700 with a usable ticket (it
scrolls, never a sliver); the Options tab does not clip the ticket; a layout squeezed
by a small window is not kept as the user's choice, while one the user arranged is."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QTabBar

from desktop.brokers.paper import PaperBroker
from desktop.ui.main_window import MainWindow
from desktop.ui.window_layout import TICKET_WIDTH, WATCHLIST_WIDTH
from qt_helpers import run, top_level


@pytest.fixture
def open_window(qtbot, qloop, tmp_path):
    windows = []

    def _open(screen: QRect | None = None, size=None) -> MainWindow:
        window = MainWindow(brokers=[PaperBroker(tmp_path / "paper.sqlite3", autostart=False)])
        if screen is not None:
            window.fit_to_screen(screen)
        if size is not None:
            window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        run(qtbot, qloop, window.start(), timeout=15_000)
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


def global_rect(widget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def test_the_first_window_fits_a_1024x700_screen_and_its_ticket_is_usable(qtbot, open_window):
    screen = QRect(0, 0, 1024, 700)
    window = open_window(screen)
    assert screen.contains(window.frameGeometry()), window.frameGeometry()
    assert window.minimumSizeHint().width() <= 1024 and window.minimumSizeHint().height() <= 700
    assert screen.contains(global_rect(window.statusBar())) and window.statusBar().isVisible()

    ticket, scroll = window.ticket, window.ticket_scroll
    qtbot.waitUntil(lambda: not window.window_layout.squeezed())
    assert ticket.width() >= ticket.minimumSizeHint().width()  # never a sliver
    assert window.docks["ticket"].width() > ticket.minimumSizeHint().width()
    assert not scroll.horizontalScrollBar().isVisible()
    assert window.docks["watchlist"].width() > window.docks["watchlist"].minimumSizeHint().width()
    area = window.docks["watchlist"].widget()  # the dock's scroll area: the panel fits, only its table scrolls
    assert area.widget().minimumSizeHint().width() <= area.viewport().width()
    assert not area.horizontalScrollBar().isVisible()
    assert window.chart.width() >= window.chart.minimumSizeHint().width()
    # whatever the height, the ticket scrolls to its Submit, and Submit works
    scroll.ensureWidgetVisible(ticket.submit_button)
    submit = ticket.submit_button
    qtbot.waitUntil(lambda: submit.visibleRegion().boundingRect().size() == submit.size())
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: top_level("orderConfirmDialog") is not None)
    top_level("orderConfirmDialog").reject()


def test_the_options_tab_does_not_clip_the_ticket(qtbot, open_window):
    window = open_window(QRect(0, 0, 1024, 700))
    bars = [b for b in window.findChildren(QTabBar) if any(b.tabText(i) == "Options" for i in range(b.count()))]
    assert len(bars) == 1
    bar = bars[0]
    tab = next(i for i in range(bar.count()) if bar.tabText(i) == "Options")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(tab).center())
    options = window.docks["options"]
    qtbot.waitUntil(lambda: options.geometry().intersects(window.rect()))
    qtbot.wait(50)  # the dock widens itself once shown (a queued call)
    ticket = window.ticket
    assert ticket.width() >= ticket.minimumSizeHint().width()
    assert not window.ticket_scroll.horizontalScrollBar().isVisible()
    assert global_rect(window.docks["ticket"]).right() <= global_rect(window).right()  # fully inside the window
    assert not options.geometry().intersects(window.docks["ticket"].geometry())


def test_a_layout_squeezed_by_a_small_window_is_not_kept_but_the_users_choices_are(qtbot, open_window):
    window = open_window(size=(1600, 1000))
    window.docks["fills"].toggleViewAction().trigger()  # the user's choice: Fills hidden
    window.resize(1024, 700)  # a small screen squeezes it
    qtbot.waitUntil(lambda: window.size().width() == 1024)
    qtbot.waitUntil(lambda: bool(window.window_layout.squeezed()))
    squeezed_ticket = window.docks["ticket"].width()
    open_window.close(window)
    assert window.settings.value("window/squeezed") == "true"

    again = open_window(size=(1600, 1000))
    qtbot.waitUntil(lambda: again.docks["ticket"].width() >= TICKET_WIDTH - 2, timeout=3000)
    assert again.docks["ticket"].width() > squeezed_ticket
    assert again.docks["watchlist"].width() >= WATCHLIST_WIDTH - 2
    assert not again.docks["fills"].isVisible()  # the arrangement is the user's, and stays
    # a layout the user arranged with room to spare is kept as it is
    again.resizeDocks([again.docks["watchlist"]], [420], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(again.docks["watchlist"].width() - 420) <= 2)
    open_window.close(again)
    assert again.settings.value("window/squeezed") == "false"
    third = open_window(size=(1600, 1000))
    qtbot.wait(50)
    assert abs(third.docks["watchlist"].width() - 420) <= 2


def test_reset_layout_fits_the_window_it_is_in(qtbot, open_window):
    window = open_window(QRect(0, 0, 1024, 700))
    window.docks["ticket"].setFloating(True)
    window.menus.view_menu.actions()[-1].trigger()  # View → Reset Layout
    qtbot.waitUntil(lambda: not window.docks["ticket"].isFloating())
    qtbot.waitUntil(lambda: not window.window_layout.squeezed())
    assert window.ticket.width() >= window.ticket.minimumSizeHint().width()
    assert window.docks["watchlist"].width() < WATCHLIST_WIDTH  # sized for 1024 px, not for 1600


def test_tradedesk_opens_its_first_window_inside_a_1600x1000_screen(tmp_path):
    """The default 1600×1000 window plus its frame overflowed a 1600×1000 screen (its
    status bar below the bottom edge): ``--smoke-test`` on such a screen reports the
    window inside it and the status bar visible."""
    width, height = 1600, 1000
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "TRADEDESK_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "desktop", "--smoke-test"], env=env, capture_output=True, text=True,
                          timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    x, y, w, h = figures["window"]
    assert figures["screen"] == [0, 0, width, height]
    assert 0 <= x and 0 <= y and x + w <= width and y + h <= height, figures["window"]
    assert figures["status_bar_visible"] is True


def test_no_bottom_dock_needs_more_height_than_the_blotters(qtbot, open_window):
    """A dock tabbed with the blotters (Portfolio, Transactions) must not raise the
    bottom row's minimum, which would take the ticket's Submit out of a 1024×700 view."""
    window = open_window(QRect(0, 0, 1024, 700))
    blotter = window.docks["orders"].minimumSizeHint().height()
    for name in ("positions", "fills", "accounts", "portfolio", "transactions"):
        dock = window.docks.get(name)
        if dock is not None:
            assert dock.minimumSizeHint().height() <= blotter, name
