"""The welcome banner over several connections: it describes the ticket's connection,
says that several are live, and tells what to do when none is; "Got it" dismisses it
for good (pytest-qt, offscreen, through the buttons)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.brokers.paper import PaperBroker
from desktop.connections import ConnectionStore
from desktop.ui.settings import app_settings
from desktop.ui.welcome import WelcomePanel, welcome_dismissed
from test_welcome_advisor import RemoteBroker, live


def shown(panel: WelcomePanel) -> tuple[str, str]:
    return panel.findChild(QLabel, "welcomeTitle").text(), panel.findChild(QLabel, "welcomeText").text()


def test_several_connections_the_banner_describes_the_tickets_and_names_them_all(qtbot, tmp_path):
    store = ConnectionStore(tmp_path / "connections.json")
    opened = []
    panel = WelcomePanel(app_settings(), lambda: opened.append(True), store=store)
    qtbot.addWidget(panel)
    title, text = shown(panel)
    assert title == "Welcome to Tradedesk" and "No broker is connected yet" in text

    paper = live(store.default().id, "Paper", PaperBroker(tmp_path / "paper.sqlite3"))
    ibkr = live("ib-1", "IBKR", RemoteBroker("ibkr"))
    panel.set_connections([paper, ibkr])
    title, text = shown(panel)
    assert "paper broker" in title  # the first live one until the ticket says otherwise
    assert "2 connections are live (<b>Paper</b>, <b>IBKR</b>)" in text
    assert "this describes <b>Paper</b>, the first one connected" in text

    panel.set_focus("ib-1")  # the ticket's account is at IBKR
    title, text = shown(panel)
    assert title == "Welcome to Tradedesk — connected to IBKR"
    assert "this describes <b>IBKR</b>, the connection of the ticket's account" in text
    assert "are <b>real</b>" in text

    panel.set_connections([paper])  # IBKR disconnected: back to the one left, no "several" sentence
    title, text = shown(panel)
    assert "paper broker" in title and "connections are live" not in text

    qtbot.mouseClick(panel.connections_button, Qt.MouseButton.LeftButton)
    assert opened == [True]


def test_got_it_dismisses_the_banner_for_good(qtbot):
    settings = app_settings()
    panel = WelcomePanel(settings)
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.connections_button.isVisible()  # nothing to open without the callable
    assert not welcome_dismissed(settings)
    with qtbot.waitSignal(panel.dismissed, timeout=1000):
        qtbot.mouseClick(panel.dismiss_button, Qt.MouseButton.LeftButton)
    assert not panel.isVisible() and welcome_dismissed(app_settings())
