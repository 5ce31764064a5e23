"""The welcome banner follows the broker (pytest-qt, offscreen): the paper advisor demo
describes its master, four clients and allocation groups whose orders are split over
the clients; the plain paper broker keeps its $100,000 paper account text."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from desktop.brokers.paper import PaperBroker
from desktop.brokers.paper.advisor_accounts import CLIENT_IDS, MASTER_ID
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import app_settings
from desktop.ui.welcome import WelcomePanel


def texts(panel: WelcomePanel) -> tuple[str, str]:
    return panel.findChild(QLabel, "welcomeTitle").text(), panel.findChild(QLabel, "welcomeText").text()


@pytest.fixture
def advisor_window(qtbot, tmp_path):
    window = MainWindow(PaperBroker(tmp_path / "advisor.sqlite3", advisor=True, autostart=False))
    qtbot.addWidget(window)
    return window


def test_the_advisor_demo_banner_describes_master_clients_and_groups(qtbot, advisor_window):
    panel = advisor_window.welcome
    assert panel is not None
    title, text = texts(panel)
    assert "advisor" in title
    for words in (MASTER_ID, f"{'four' if len(CLIENT_IDS) == 4 else len(CLIENT_IDS)} client accounts",
                  "$100,000 to $1,000,000", "allocation group", "split across the clients",
                  "real daily prices", "synthetic", "nothing is traded for real", "File → Connections…"):
        assert words.lower() in text.lower(), words
    assert "Your paper account starts with" not in text  # the plain paper broker's single account


def test_the_plain_paper_banner_keeps_its_single_account_text(qtbot, tmp_path):
    for broker in (PaperBroker(tmp_path / "paper.sqlite3", autostart=False), None):
        panel = WelcomePanel(app_settings(), broker=broker)
        qtbot.addWidget(panel)
        title, text = texts(panel)
        assert title == "Welcome to Tradedesk — you are on the paper broker"
        assert "Your paper account starts with <b>$100,000</b> of paper cash" in text
        assert MASTER_ID not in text and "allocation group" not in text


def test_an_external_broker_gets_its_own_banner_and_it_follows_a_broker_switch(qtbot, tmp_path):
    from desktop.brokers.ibkr import IbkrBroker

    ibkr = IbkrBroker("https://127.0.0.1:9/v1/api")
    panel = WelcomePanel(app_settings(), None, broker=ibkr)
    qtbot.addWidget(panel)
    title, text = texts(panel)
    assert ibkr.display_name in title and "paper broker" not in title
    assert "are <b>real</b>" in text and "real daily prices" not in text
    panel.set_broker(PaperBroker(tmp_path / "p.sqlite3", autostart=False))
    title, text = texts(panel)
    assert "you are on the paper broker" in title and "$100,000" in text
