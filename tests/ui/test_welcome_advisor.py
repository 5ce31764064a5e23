"""The welcome banner follows the connection (pytest-qt, offscreen): the paper advisor
demo describes its master, four clients and allocation groups whose orders are split
over the clients; the plain paper connection keeps its $100,000 paper account text; a
broker without its own text says its orders are real (or go to its paper account)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.brokers.paper import PaperBroker
from desktop.brokers.paper.advisor_accounts import CLIENT_IDS, MASTER_ID
from desktop.connections import ConnectionStore, find_preset
from desktop.desk import DeskState, LiveConnection
from desktop.ui.settings import app_settings
from desktop.ui.welcome import WelcomePanel


class RemoteBroker(PaperBroker):
    """Stands in for a remote broker's adapter (kind ``name``, real money): the banner
    reads only a connection's kind, name and capabilities."""

    display_name = "Remote broker"

    def __init__(self, kind: str = "ibkr") -> None:
        super().__init__(None)
        self.name = kind

    @property
    def capabilities(self):
        return super().capabilities.model_copy(update={"paper": False, "replay": False})


def texts(panel: WelcomePanel) -> tuple[str, str]:
    return panel.findChild(QLabel, "welcomeTitle").text(), panel.findChild(QLabel, "welcomeText").text()


def live(connection_id: str, name: str, broker) -> LiveConnection:
    """A connection as the desk holds it (not started: the banner reads what it is)."""
    return LiveConnection(connection_id, name, broker.bind(connection_id), DeskState(), lambda _event: None)


@pytest.fixture
def store(tmp_path):
    return ConnectionStore(tmp_path / "connections.json")


@pytest.fixture
def panel(qtbot, store):
    widget = WelcomePanel(app_settings(), None, store=store)
    qtbot.addWidget(widget)
    return widget


def test_the_advisor_demo_banner_describes_master_clients_and_groups(panel, store, tmp_path):
    spec, preset = find_preset("paper-advisor")
    saved = store.add(spec.key, preset.name, preset.values)  # what `tradedesk --broker paper-advisor` saves
    panel.set_connections([live(saved.id, saved.name, PaperBroker(tmp_path / "adv.sqlite3", advisor=True))])
    title, text = texts(panel)
    assert "advisor" in title
    for words in (MASTER_ID, f"{'four' if len(CLIENT_IDS) == 4 else len(CLIENT_IDS)} client accounts",
                  "$100,000 to $1,000,000", "allocation group", "split across the clients",
                  "real daily prices", "synthetic", "nothing is traded for real", "File → Connections…"):
        assert words.lower() in text.lower(), words
    assert "Your paper account starts with" not in text  # the plain paper broker's single account


def test_the_plain_paper_banner_keeps_its_single_account_text(panel, store, tmp_path):
    builtin = store.default()
    ad_hoc = live("scratch", "Scratch paper", PaperBroker(tmp_path / "p.sqlite3"))  # not saved: spec defaults
    for conn in (live(builtin.id, builtin.name, PaperBroker(tmp_path / "paper.sqlite3")), ad_hoc):
        panel.set_connections([conn])
        title, text = texts(panel)
        assert title == "Welcome to Tradedesk — you are on the paper broker"
        assert "Your paper account starts with <b>$100,000</b> of paper cash" in text
        assert MASTER_ID not in text and "allocation group" not in text


def test_an_external_broker_gets_its_own_banner_and_it_follows_the_connection(panel, store, tmp_path):
    ibkr = live("ib-1", "IBKR live", RemoteBroker("ibkr"))  # IBKR's spec has no banner of its own
    panel.set_connections([ibkr])
    title, text = texts(panel)
    assert title == "Welcome to Tradedesk — connected to IBKR live" and "paper broker" not in title
    assert "go to <b>IBKR live</b> and are <b>real</b>" in text and "real daily prices" not in text
    panel.set_connections([live("x-1", "Acme & Co", RemoteBroker("acme"))])  # a kind with no registered spec
    assert texts(panel)[0] == "Welcome to Tradedesk — connected to Acme &amp; Co"  # rich text: shows "Acme & Co"
    assert panel.findChild(QLabel, "welcomeTitle").textFormat() == Qt.TextFormat.RichText

    ibkr.capabilities = ibkr.broker.capabilities.model_copy(update={"paper": True})  # a paper login, read on connect
    panel.set_connections([ibkr])
    assert "your <b>paper trading account</b> there" in texts(panel)[1]

    builtin = store.default()
    panel.set_connections([live(builtin.id, builtin.name, PaperBroker(tmp_path / "paper.sqlite3"))])
    title, text = texts(panel)
    assert "you are on the paper broker" in title and "$100,000" in text
