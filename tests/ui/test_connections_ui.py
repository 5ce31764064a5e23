"""File → Connections…: the manager and the dialog generated from a broker's declaration,
secrets in the keyring (never on disk or in logs), connect / disconnect in the window."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QMessageBox, QPushButton

from desktop.app.brokers import startup_broker
from desktop.app.logging_setup import setup_logging
from desktop.security.secrets import SecretStore
from desktop.brokers.paper import PaperBroker
from desktop.connections import BrokerSpec, ConnectionStore, FieldKind, FieldSpec, register_broker, unregister_broker
from desktop.ui.main_window import MainWindow
from memory_keyring import MemoryKeyring

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
def memory_keyring():
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(fail.Keyring())


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


def run(qtbot, qloop, coro, timeout=15_000):
    task = qloop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture
def window(qtbot, qloop):
    store, secrets = ConnectionStore.open_default(), SecretStore()
    broker, conn = startup_broker("paper", store, secrets)
    broker.autostart = False
    win = MainWindow(broker, connection_id=conn.id, connections=store, secrets=secrets)
    win.show()
    qtbot.waitExposed(win)
    run(qtbot, qloop, win.start())
    yield win
    run(qtbot, qloop, win.shutdown())
    win.close()
    win.deleteLater()


def top(name):
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)


def wait_dialog(qtbot, name):
    qtbot.waitUntil(lambda: top(name) is not None)
    return top(name)


def child(widget, cls, name):
    found = widget.findChild(cls, name)
    assert found is not None, name
    return found


def click(qtbot, widget):
    assert widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot, edit, text):
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def open_manager(qtbot, window):
    window.menus.connections_action.trigger()  # File → Connections…
    return wait_dialog(qtbot, "connectionsDialog")


def open_add_demo(qtbot, manager):
    click(qtbot, child(manager, QPushButton, "addButton"))
    form = wait_dialog(qtbot, "connectionEditDialog")
    combo = child(form, QComboBox, "brokerCombo")
    combo.setFocus()
    qtbot.keyClicks(combo, "Demo")
    assert combo.currentData() == "demo"
    return form


def rows(manager):
    lst = manager.list
    return [[lst.topLevelItem(i).text(c) for c in range(3)] for i in range(lst.topLevelItemCount())]


def select_row(qtbot, manager, name):
    lst = manager.list
    item = next(lst.topLevelItem(i) for i in range(lst.topLevelItemCount()) if lst.topLevelItem(i).text(0) == name)
    rect = lst.visualItemRect(item)
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert manager.selected().name == name


def files_containing(home: Path, text: str) -> list[Path]:
    return [p for p in home.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def fill_demo(qtbot, form, name="My demo"):
    type_into(qtbot, child(form, QLineEdit, "field_name"), name)
    type_into(qtbot, child(form, QLineEdit, "field_username"), "bob")
    type_into(qtbot, child(form, QLineEdit, "field_api_key"), SECRET)


# ---------------------------------------------------------------------------------------
def test_generated_dialog_validates_inline_and_disables_save(qtbot, window, demo, no_keyring):
    manager = open_manager(qtbot, window)
    form = open_add_demo(qtbot, manager)
    save = child(form, QPushButton, "saveButton")
    # fields generated from the declaration, each with its kind of input
    assert child(form, QLineEdit, "field_api_key").echoMode() == QLineEdit.EchoMode.Password
    assert child(form, QComboBox, "field_region").currentData() == "us"
    assert child(form, QLineEdit, "field_api_url").text() == "https://api.demo.test"
    assert child(form, QLineEdit, "field_timeout").text() == "30"
    # untouched blank required fields: Save is off but nobody is nagged yet
    assert not save.isEnabled()
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


def test_saved_secret_is_in_the_keyring_and_nowhere_on_disk(qtbot, qloop, window, demo, memory_keyring, app_logs, tmp_path):
    manager = open_manager(qtbot, window)
    form = open_add_demo(qtbot, manager)
    assert not child(form, QLabel, "keyringWarning").isVisible()  # a keyring is available: no warning
    fill_demo(qtbot, form)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top("connectionEditDialog") is None)

    conn = next(c for c in window.connection_store.all() if c.broker == "demo")
    assert memory_keyring.entries == {("Tradedesk", f"{conn.id}:api_key"): SECRET}
    assert conn.secrets == {"api_key": f"keyring:Tradedesk/{conn.id}:api_key"}
    assert conn.values["username"] == "bob" and "api_key" not in conn.values
    assert ["My demo", "Demo Broker", "Not connected"] in rows(manager)
    assert "system keyring" in child(manager, QLabel, "keyringStatus").text()

    # connect it: the adapter gets the secret from the keyring; the window switches to it
    select_row(qtbot, manager, "My demo")
    click(qtbot, child(manager, QPushButton, "connectButton"))
    qtbot.waitUntil(lambda: window.connection_id == conn.id and window.service.state == "connected", timeout=15_000)
    broker = DemoBroker.created[-1]
    assert window.broker is broker and broker.secrets == {"api_key": SECRET} and broker.config["username"] == "bob"
    qtbot.waitUntil(lambda: ["My demo", "Demo Broker", "Connected"] in rows(manager))
    assert ["Paper", "Paper (embedded)", "Not connected"] in rows(manager)
    logging.getLogger("desktop.brokers.demo").warning("login with api_key=%s failed: %s", SECRET, SECRET)
    for handler in logging.getLogger().handlers:
        handler.flush()

    home = tmp_path / "tradedesk-home"
    assert (home / "config" / "connections.json").exists() and app_logs.exists()
    assert "login with api_key=[REDACTED]" in app_logs.read_text()
    assert files_containing(home, SECRET) == []
    manager.close()


def test_without_keyring_the_user_is_told_and_nothing_secret_reaches_disk(qtbot, window, demo, no_keyring, app_logs, tmp_path):
    manager = open_manager(qtbot, window)
    form = open_add_demo(qtbot, manager)
    warning = child(form, QLabel, "keyringWarning")
    assert warning.isVisible()
    assert "No secure keyring is available" in warning.text() and "never written to disk" in warning.text()
    fill_demo(qtbot, form)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top("connectionEditDialog") is None)
    conn = next(c for c in window.connection_store.all() if c.broker == "demo")
    assert conn.secrets == {"api_key": f"session:{conn.id}:api_key"}
    assert window.secrets.get(conn.id, "api_key") == SECRET  # usable for this session
    assert child(manager, QLabel, "keyringWarning").isVisible()
    assert "session only" in child(manager, QLabel, "messageLabel").text()
    window.settings.sync()
    assert files_containing(tmp_path / "tradedesk-home", SECRET) == []

    # next session (a new SecretStore): connecting asks for the key again
    window.secrets = manager.secrets = SecretStore()
    select_row(qtbot, manager, "My demo")
    click(qtbot, child(manager, QPushButton, "connectButton"))
    form = wait_dialog(qtbot, "connectionEditDialog")
    assert "Enter API key to connect My demo." == child(form, QLabel, "noteLabel").text()
    assert not child(form, QPushButton, "saveButton").isEnabled()
    type_into(qtbot, child(form, QLineEdit, "field_api_key"), SECRET)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: window.connection_id == conn.id and window.service.state == "connected", timeout=15_000)
    assert DemoBroker.created[-1].secrets == {"api_key": SECRET}
    assert files_containing(tmp_path / "tradedesk-home", SECRET) == []
    manager.close()


def test_disconnect_and_connect_the_paper_connection(qtbot, window):
    manager = open_manager(qtbot, window)
    first = window.broker
    qtbot.waitUntil(lambda: len(window.watchlist.model.rows()) == 4)
    assert rows(manager) == [["Paper", "Paper (embedded)", "Connected"]]
    connect, disconnect = child(manager, QPushButton, "connectButton"), child(manager, QPushButton, "disconnectButton")
    assert not connect.isEnabled() and disconnect.isEnabled()
    assert not child(manager, QPushButton, "removeButton").isEnabled()  # built in

    click(qtbot, disconnect)
    qtbot.waitUntil(lambda: window.service.state == "disconnected")
    qtbot.waitUntil(lambda: child(manager, QLabel, "messageLabel").text() == "Disconnected Paper.")
    assert rows(manager) == [["Paper", "Paper (embedded)", "Disconnected"]]
    assert not first._connected  # the broker really closed
    qtbot.waitUntil(lambda: window.accounts.model.rows() == [] and window.positions.model.rows() == [])
    assert [(q.symbol, q.last) for q in window.watchlist.model.rows()] == [(s, None) for s in ("AAPL", "MSFT", "IBM", "GOOG")]
    assert window.status.connection_label.text().endswith("Paper: disconnected")
    assert not window.menus.reset_action.isEnabled() and not window.menus.replay_menu.isEnabled()
    qtbot.waitUntil(lambda: connect.isEnabled() and not disconnect.isEnabled())

    click(qtbot, connect)
    qtbot.waitUntil(lambda: window.service.state == "connected", timeout=15_000)
    assert window.broker is not first and window.broker._connected
    qtbot.waitUntil(lambda: len(window.accounts.model.rows()) == 1)
    qtbot.waitUntil(lambda: all(q.last is not None for q in window.watchlist.model.rows()))
    qtbot.waitUntil(lambda: window.chart.bar_count > 0)
    assert window.status.connection_label.text().endswith("Paper: connected")
    assert child(manager, QLabel, "messageLabel").text() == "Connected Paper."
    assert window.menus.reset_action.isEnabled() and window.menus.replay_menu.isEnabled()
    manager.close()


def test_connecting_a_second_paper_account_switches_the_window(qtbot, window):
    manager = open_manager(qtbot, window)
    click(qtbot, child(manager, QPushButton, "addButton"))
    form = wait_dialog(qtbot, "connectionEditDialog")
    assert child(form, QComboBox, "brokerCombo").currentData() == "paper"
    assert child(form, QLineEdit, "field_name").text() == "Paper 2"  # a free name is suggested
    file_edit = child(form, QLineEdit, "field_account_file")
    assert file_edit.text() == "paper-2.sqlite3"  # a file of its own is suggested
    type_into(qtbot, file_edit, "paper.sqlite3")
    assert child(form, QLabel, "error_account_file").text() == "Account file “paper.sqlite3” is already used by Paper"
    assert not child(form, QPushButton, "saveButton").isEnabled()
    type_into(qtbot, file_edit, "second")
    assert child(form, QLabel, "error_account_file").text() == "Account file must end in .sqlite3"
    type_into(qtbot, file_edit, "second.sqlite3")
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top("connectionEditDialog") is None)

    first = window.broker
    select_row(qtbot, manager, "Paper 2")
    click(qtbot, child(manager, QPushButton, "connectButton"))
    qtbot.waitUntil(lambda: window.broker is not first and window.service.state == "connected", timeout=15_000)
    assert window.broker.store_path.name == "second.sqlite3" and not first._connected
    assert window.connection_store.last_connected == window.connection_id
    assert window.connection_store.startup().name == "Paper 2"  # the next start opens it
    qtbot.waitUntil(lambda: [r[2] for r in rows(manager)] == ["Not connected", "Connected"])
    manager.close()


def test_edit_keeps_the_secret_and_remove_deletes_it(qtbot, window, demo, memory_keyring):
    manager = open_manager(qtbot, window)
    form = open_add_demo(qtbot, manager)
    fill_demo(qtbot, form)
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top("connectionEditDialog") is None)
    conn = next(c for c in window.connection_store.all() if c.broker == "demo")

    select_row(qtbot, manager, "My demo")
    click(qtbot, child(manager, QPushButton, "editButton"))
    form = wait_dialog(qtbot, "connectionEditDialog")
    key = child(form, QLineEdit, "field_api_key")
    assert key.text() == "" and "leave blank to keep" in key.placeholderText()
    assert not child(form, QComboBox, "brokerCombo").isEnabled()
    type_into(qtbot, child(form, QLineEdit, "field_username"), "alice")
    click(qtbot, child(form, QPushButton, "saveButton"))
    qtbot.waitUntil(lambda: top("connectionEditDialog") is None)
    assert window.connection_store.get(conn.id).values["username"] == "alice"
    assert memory_keyring.entries[("Tradedesk", f"{conn.id}:api_key")] == SECRET

    select_row(qtbot, manager, "My demo")
    click(qtbot, child(manager, QPushButton, "removeButton"))
    box = wait_dialog(qtbot, "removeConnectionDialog")
    click(qtbot, box.button(QMessageBox.StandardButton.Yes))
    qtbot.waitUntil(lambda: conn.id not in window.connection_store)
    assert memory_keyring.entries == {}
    assert rows(manager) == [["Paper", "Paper (embedded)", "Connected"]]
    manager.close()
