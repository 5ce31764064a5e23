"""File → Connections…: the manager over a desk of many connections (each one's live
state; Connect / Disconnect / Remove act on the selected one only), the form generated
from a broker's declaration, secrets in the keyring (never on disk or in logs).

Driven through the widgets over the session host (tests/ui/session_host.py: desk,
bridge, status bar and SessionUi as the main window assembles them); the manager is
opened from a connection's status bar menu ("Connections…")."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QMessageBox, QPushButton

from desktop.app.logging_setup import setup_logging
from desktop.brokers.paper import PaperBroker
from desktop.connections import BrokerSpec, ConnectionStore, FieldKind, FieldSpec, register_broker, unregister_broker
from desktop.security.secrets import SecretStore
from qt_helpers import click, run, top_level, type_into
from qt_helpers import find as child
from session_host import HostFactory, rows, select_row

SECRET = "demo-SECRET-key-7c1d9e"


class DemoBroker(PaperBroker):
    """A broker needing a URL, a user and an API key (a paper market underneath)."""

    name = "demo"
    display_name = "Demo"
    created: list["DemoBroker"] = []

    def __init__(self, config, secrets):
        super().__init__(None, autostart=False)
        self.config, self.secrets = config, secrets
        DemoBroker.created.append(self)


DEMO = BrokerSpec(
    key="demo",
    display_name="Demo Broker",
    description="A broker that needs an API key.",
    fields=(
        FieldSpec(name="api_url", label="API URL", kind=FieldKind.URL, default="https://api.demo.test"),
        FieldSpec(name="username", label="User name"),
        FieldSpec(name="api_key", label="API key", kind=FieldKind.SECRET),
        FieldSpec(name="region", label="Region", kind=FieldKind.CHOICE, choices=(("us", "United States"), ("eu", "Europe")),
                  default="us"),
        FieldSpec(name="timeout", label="Timeout (s)", kind=FieldKind.INT, default="30", minimum=1, maximum=120),
    ),
    factory=DemoBroker,
)


@pytest.fixture
def demo():
    register_broker(DEMO)
    DemoBroker.created.clear()
    yield DEMO
    unregister_broker("demo")


@pytest.fixture
def no_keyring():
    keyring.set_keyring(fail.Keyring())
    yield


@pytest.fixture
def app_logs():
    """The app's rotating log file (in TRADEDESK_HOME/logs), as bootstrap sets it up."""
    root = logging.getLogger()
    level = root.level
    path = setup_logging()
    yield path
    for handler in [h for h in root.handlers if getattr(h, "_tradedesk", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.fixture
def open_host(qtbot, qloop):
    """``open_host()``: a new session (store from TRADEDESK_HOME, a new SecretStore)
    with the paper connection connected, as the app starts on first run."""
    factory = HostFactory(qtbot, qloop)

    def _open():
        h = factory.open(ConnectionStore.open_default(), SecretStore())
        assert run(qtbot, qloop, h.session_ui.restore(h.store.restore_ids()), timeout=15_000) == {"paper": None}
        return h

    yield _open
    factory.close_all()


@pytest.fixture
def host(open_host):
    return open_host()


def wait_dialog(qtbot, name):
    qtbot.waitUntil(lambda: top_level(name) is not None)
    return top_level(name)


def open_manager(qtbot, host):
    """Click the paper connection's status bar item → Connections…"""
    qtbot.mouseClick(host.status.item("paper"), Qt.MouseButton.LeftButton)
    menu = host.status.open_menu
    action = next(a for a in menu.actions() if a.objectName() == "connectionsAction")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    return wait_dialog(qtbot, "connectionsDialog")


def open_add(qtbot, manager, broker_text=None):
    click(qtbot, child(manager, QPushButton, "addButton"))
    form = wait_dialog(qtbot, "connectionEditDialog")
    if broker_text:
        combo = child(form, QComboBox, "brokerCombo")
        combo.setFocus()
        qtbot.keyClicks(combo, broker_text)
    return form


def button(manager, name):
    return child(manager, QPushButton, name)


def files_containing(home: Path, text: str) -> list[Path]:
    return [p for p in home.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def fill_demo(qtbot, form, name="My demo"):
    type_into(qtbot, child(form, QLineEdit, "field_name"), name)
    type_into(qtbot, child(form, QLineEdit, "field_username"), "bob")
    type_into(qtbot, child(form, QLineEdit, "field_api_key"), SECRET)


def add_paper(qtbot, manager, account_file="second.sqlite3"):
    form = open_add(qtbot, manager)
    assert child(form, QComboBox, "brokerCombo").currentData() == "paper"
    type_into(qtbot, child(form, QLineEdit, "field_account_file"), account_file)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)


def live_ids(host):
    return [c.id for c in host.desk.live()]


# ---------------------------------------------------------------------------------------
def test_the_manager_says_what_can_be_live_together(qtbot, host):
    manager = open_manager(qtbot, host)
    intro = child(manager, QLabel, "introLabel").text()
    assert "one connection at a time" not in intro and "Several connections can be live at once" in intro
    assert ("Paper (embedded), Interactive Brokers (Client Portal), Connect Trade, SnapTrade (linked brokerages) "
            "and TradeLocker connections can be live together") in intro  # every registered broker, named
    assert rows(manager) == [["Paper", "Paper (embedded)", "Connected"]]
    assert not button(manager, "connectButton").isEnabled() and button(manager, "disconnectButton").isEnabled()
    assert not button(manager, "removeButton").isEnabled()  # built in
    manager.close()


def test_generated_dialog_validates_inline_and_disables_save(qtbot, host, demo, no_keyring):
    manager = open_manager(qtbot, host)
    form = open_add(qtbot, manager, "Demo")
    assert child(form, QComboBox, "brokerCombo").currentData() == "demo"
    save = child(form, QPushButton, "saveButton")
    assert child(form, QLineEdit, "field_api_key").echoMode() == QLineEdit.EchoMode.Password
    assert child(form, QComboBox, "field_region").currentData() == "us"
    assert child(form, QLineEdit, "field_api_url").text() == "https://api.demo.test"
    assert child(form, QLineEdit, "field_timeout").text() == "30"
    assert not save.isEnabled()  # untouched blank required fields: Save is off but nobody is nagged yet
    assert not child(form, QLabel, "error_username").isVisible()

    url = child(form, QLineEdit, "field_api_url")
    type_into(qtbot, url, "ftp://demo.test")
    error = child(form, QLabel, "error_api_url")
    assert error.isVisible() and error.text() == "API URL must start with https:// (or http://)"
    assert url.property("invalid") is True
    type_into(qtbot, url, "https://eu.demo.test")
    assert not error.isVisible() and not url.property("invalid")

    timeout = child(form, QLineEdit, "field_timeout")
    type_into(qtbot, timeout, "soon")
    assert child(form, QLabel, "error_timeout").text() == "Timeout (s) must be a whole number, not “soon”"
    type_into(qtbot, timeout, "500")
    assert child(form, QLabel, "error_timeout").text() == "Timeout (s) must be at most 120"
    type_into(qtbot, timeout, "60")

    name = child(form, QLineEdit, "field_name")
    type_into(qtbot, name, "Paper")
    assert child(form, QLabel, "error_name").text() == "Name “Paper” is already used by another connection"
    type_into(qtbot, name, "")
    assert child(form, QLabel, "error_name").text() == "Name is required"

    user = child(form, QLineEdit, "field_username")
    type_into(qtbot, user, "x")
    type_into(qtbot, user, "")
    assert child(form, QLabel, "error_username").text() == "User name is required"
    assert not save.isEnabled() and "User name is required" in save.toolTip()

    fill_demo(qtbot, form)
    assert form.errors() == {} and save.isEnabled()
    form.reject()
    manager.close()


def test_saved_secret_is_in_the_keyring_and_the_connection_goes_live_beside_paper(qtbot, host, demo, memory_keyring,
                                                                                 app_logs, tmp_path):
    manager = open_manager(qtbot, host)
    form = open_add(qtbot, manager, "Demo")
    assert not child(form, QLabel, "keyringWarning").isVisible()  # a keyring is available: no warning
    fill_demo(qtbot, form)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)

    conn = next(c for c in host.store.all() if c.broker == "demo")
    assert memory_keyring.entries == {("Tradedesk", f"{conn.id}:api_key"): SECRET}
    assert conn.secrets == {"api_key": f"keyring:Tradedesk/{conn.id}:api_key"}
    assert conn.values["username"] == "bob" and "api_key" not in conn.values
    assert ["My demo", "Demo Broker", "Not connected"] in rows(manager)
    assert "system keyring" in child(manager, QLabel, "keyringStatus").text()

    select_row(qtbot, manager, "My demo")
    click(qtbot, button(manager, "connectButton"))
    qtbot.waitUntil(lambda: ["My demo", "Demo Broker", "Connected"] in rows(manager), timeout=15_000)
    assert live_ids(host) == ["paper", conn.id]  # beside the paper connection, not instead of it
    broker = host.desk.connections[conn.id].broker
    assert broker is DemoBroker.created[-1] and broker.secrets == {"api_key": SECRET} and broker.config["username"] == "bob"
    assert ["Paper", "Paper (embedded)", "Connected"] in rows(manager)
    assert host.texts() == ["Paper: connected", "My demo: connected"]
    assert child(manager, QLabel, "messageLabel").text() == "Connected My demo."
    logging.getLogger("desktop.brokers.demo").warning("login with api_key=%s failed: %s", SECRET, SECRET)
    for handler in logging.getLogger().handlers:
        handler.flush()

    home = tmp_path / "tradedesk-home"
    assert (home / "config" / "connections.json").exists() and app_logs.exists()
    assert "login with api_key=[REDACTED]" in app_logs.read_text()
    assert files_containing(home, SECRET) == []
    manager.close()


def test_without_keyring_the_user_is_told_and_asked_again_next_session(qtbot, qloop, open_host, demo, no_keyring,
                                                                       app_logs, tmp_path):
    host = open_host()
    manager = open_manager(qtbot, host)
    form = open_add(qtbot, manager, "Demo")
    warning = child(form, QLabel, "keyringWarning")
    assert warning.isVisible()
    assert "No secure keyring is available" in warning.text() and "never written to disk" in warning.text()
    fill_demo(qtbot, form)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)
    conn = next(c for c in host.store.all() if c.broker == "demo")
    assert conn.secrets == {"api_key": f"session:{conn.id}:api_key"}
    assert host.secrets.get(conn.id, "api_key") == SECRET  # usable for this session
    assert child(manager, QLabel, "keyringWarning").isVisible()
    assert "session only" in child(manager, QLabel, "messageLabel").text()
    assert files_containing(tmp_path / "tradedesk-home", SECRET) == []
    manager.close()

    again = open_host()  # the next session: its secrets store never saw the key
    manager = open_manager(qtbot, again)
    select_row(qtbot, manager, "My demo")
    click(qtbot, button(manager, "connectButton"))
    form = wait_dialog(qtbot, "connectionEditDialog")
    assert "Enter API key to connect My demo." == child(form, QLabel, "noteLabel").text()
    assert not child(form, QPushButton, "saveButton").isEnabled()
    type_into(qtbot, child(form, QLineEdit, "field_api_key"), SECRET)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: conn.id in live_ids(again), timeout=15_000)
    assert again.desk.connections[conn.id].broker.secrets == {"api_key": SECRET}
    assert files_containing(tmp_path / "tradedesk-home", SECRET) == []
    manager.close()


def test_disconnect_keeps_the_rows_stale_and_connect_brings_it_back(qtbot, host):
    manager = open_manager(qtbot, host)
    first = host.desk.connections["paper"].broker
    qtbot.waitUntil(lambda: host.desk.state.accounts_of("paper") != [])
    click(qtbot, button(manager, "disconnectButton"))
    qtbot.waitUntil(lambda: child(manager, QLabel, "messageLabel").text() == "Disconnected Paper.")
    assert rows(manager) == [["Paper", "Paper (embedded)", "Disconnected"]]
    assert not first._connected and live_ids(host) == []  # the broker really closed
    assert host.desk.state.accounts_of("paper") != [] and "paper" in host.desk.state.stale  # rows kept, stale
    assert host.texts() == ["Paper: disconnected"]
    qtbot.waitUntil(lambda: button(manager, "connectButton").isEnabled())
    assert not button(manager, "disconnectButton").isEnabled()
    assert not button(manager, "removeButton").isEnabled()  # built in, even when disconnected

    click(qtbot, button(manager, "connectButton"))
    qtbot.waitUntil(lambda: rows(manager) == [["Paper", "Paper (embedded)", "Connected"]], timeout=15_000)
    assert live_ids(host) == ["paper"] and host.desk.connections["paper"].broker is not first
    assert "paper" not in host.desk.state.stale and host.texts() == ["Paper: connected"]
    qtbot.waitUntil(lambda: child(manager, QLabel, "messageLabel").text() == "Connected Paper.")  # once connect returns
    manager.close()


def test_a_second_paper_account_connects_beside_the_first_and_each_disconnects_alone(qtbot, host):
    manager = open_manager(qtbot, host)
    form = open_add(qtbot, manager)
    assert child(form, QLineEdit, "field_name").text() == "Paper 2"  # a free name is suggested
    file_edit = child(form, QLineEdit, "field_account_file")
    assert file_edit.text() == "paper-2.sqlite3"  # a file of its own is suggested
    type_into(qtbot, file_edit, "paper.sqlite3")
    assert child(form, QLabel, "error_account_file").text() == "Account file “paper.sqlite3” is already used by Paper"
    form.reject()
    add_paper(qtbot, manager, "second.sqlite3")
    second = next(c for c in host.store.all() if c.name == "Paper 2")

    select_row(qtbot, manager, "Paper 2")
    click(qtbot, button(manager, "connectButton"))
    qtbot.waitUntil(lambda: [r[2] for r in rows(manager)] == ["Connected", "Connected"], timeout=15_000)
    assert live_ids(host) == ["paper", second.id]
    assert host.desk.connections[second.id].broker.store_path.name == "second.sqlite3"
    assert host.texts() == ["Paper: connected", "Paper 2: connected"]
    assert sorted(host.store.restore_ids()) == sorted(["paper", second.id])  # the next start restores both
    qtbot.waitUntil(lambda: host.desk.state.accounts_of(second.id) != [])

    select_row(qtbot, manager, "Paper")
    click(qtbot, button(manager, "disconnectButton"))
    qtbot.waitUntil(lambda: [r[2] for r in rows(manager)] == ["Disconnected", "Connected"])
    assert live_ids(host) == [second.id]  # the other one stays live
    assert host.desk.state.accounts_of(second.id) != [] and second.id not in host.desk.state.stale
    assert host.texts() == ["Paper: disconnected", "Paper 2: connected"]
    assert host.store.restore_ids() == [second.id]
    manager.close()


def test_remove_drops_the_connection_and_its_rows(qtbot, host):
    manager = open_manager(qtbot, host)
    add_paper(qtbot, manager, "third.sqlite3")
    cid = next(c.id for c in host.store.all() if c.name == "Paper 2")
    select_row(qtbot, manager, "Paper 2")
    click(qtbot, button(manager, "connectButton"))
    qtbot.waitUntil(lambda: host.desk.state.accounts_of(cid) != [], timeout=15_000)
    select_row(qtbot, manager, "Paper 2")
    assert not button(manager, "removeButton").isEnabled() and button(manager, "removeButton").toolTip() == "Disconnect it first"
    click(qtbot, button(manager, "disconnectButton"))
    qtbot.waitUntil(lambda: button(manager, "removeButton").isEnabled())

    click(qtbot, button(manager, "removeButton"))
    box = wait_dialog(qtbot, "removeConnectionDialog")
    assert "Paper 2" in box.text() and "rows leave the blotters" in box.text()
    click(qtbot, box.button(QMessageBox.StandardButton.Yes))
    qtbot.waitUntil(lambda: rows(manager) == [["Paper", "Paper (embedded)", "Connected"]])
    assert cid not in host.store and cid not in host.desk.connections
    assert not any(item.connection_id == cid for kind in ("accounts", "balances", "positions", "orders", "fills")
                   for item in getattr(host.desk.state, kind).values())
    assert host.texts() == ["Paper: connected"] and live_ids(host) == ["paper"]
    assert child(manager, QLabel, "messageLabel").text() == "Removed Paper 2."
    manager.close()


def test_edit_of_a_connected_one_says_to_reconnect_and_remove_deletes_the_secret(qtbot, host, demo, memory_keyring):
    manager = open_manager(qtbot, host)
    form = open_add(qtbot, manager, "Demo")
    fill_demo(qtbot, form)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)
    conn = next(c for c in host.store.all() if c.broker == "demo")
    select_row(qtbot, manager, "My demo")
    click(qtbot, button(manager, "connectButton"))
    qtbot.waitUntil(lambda: child(manager, QLabel, "messageLabel").text() == "Connected My demo.", timeout=15_000)
    assert conn.id in live_ids(host)

    select_row(qtbot, manager, "My demo")
    qtbot.waitUntil(lambda: button(manager, "editButton").isEnabled())  # the connect has finished
    click(qtbot, button(manager, "editButton"))
    form = wait_dialog(qtbot, "connectionEditDialog")
    assert child(form, QLabel, "noteLabel").text() == "My demo is connected: reconnect it to use the changes."
    key = child(form, QLineEdit, "field_api_key")
    assert key.text() == "" and "leave blank to keep" in key.placeholderText()
    assert not child(form, QComboBox, "brokerCombo").isEnabled()
    type_into(qtbot, child(form, QLineEdit, "field_username"), "alice")
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)
    assert host.store.get(conn.id).values["username"] == "alice"
    assert memory_keyring.entries[("Tradedesk", f"{conn.id}:api_key")] == SECRET
    assert child(manager, QLabel, "messageLabel").text() == \
        "Saved My demo. Secrets are in the system keyring. Reconnect it to use the changes."

    select_row(qtbot, manager, "My demo")
    click(qtbot, button(manager, "disconnectButton"))
    qtbot.waitUntil(lambda: button(manager, "removeButton").isEnabled())
    click(qtbot, button(manager, "removeButton"))
    click(qtbot, wait_dialog(qtbot, "removeConnectionDialog").button(QMessageBox.StandardButton.Yes))
    qtbot.waitUntil(lambda: conn.id not in host.store)
    assert memory_keyring.entries == {}
    assert rows(manager) == [["Paper", "Paper (embedded)", "Connected"]]
    manager.close()


def test_a_broker_that_must_be_alone_is_not_connected_beside_others(qtbot, host):
    class SoloBroker(PaperBroker):
        name = "solo"
        display_name = "Solo"

        def __init__(self, config, secrets):
            super().__init__(None, autostart=False)

    register_broker(BrokerSpec(key="solo", display_name="Solo Broker", factory=SoloBroker, combinable=False))
    try:
        manager = open_manager(qtbot, host)
        assert "Solo Broker must be the only live connection" in child(manager, QLabel, "introLabel").text()
        form = open_add(qtbot, manager, "Solo")
        assert child(form, QComboBox, "brokerCombo").currentData() == "solo"
        click(qtbot, child(form, QPushButton, "saveButton"))
        qtbot.waitUntil(lambda: top_level("connectionEditDialog") is None)
        select_row(qtbot, manager, "Solo Broker")
        click(qtbot, button(manager, "connectButton"))
        qtbot.waitUntil(lambda: child(manager, QLabel, "messageLabel").text().startswith("Could not connect Solo Broker"))
        assert "cannot be connected beside other connections: disconnect Paper first" in \
            child(manager, QLabel, "messageLabel").text()
        assert live_ids(host) == ["paper"]
        manager.close()
    finally:
        unregister_broker("solo")
