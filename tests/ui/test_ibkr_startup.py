"""``tradedesk --broker ibkr`` (and any registered, non-paper broker) at start: it opens
the broker's saved connection, creating one with the defaults when there is none, so a
certificate trusted at the first start is pinned there and the next start connects
without asking. Driven through ``startup_broker`` / ``start_window`` with a
ConnectionStore in the test's TRADEDESK_HOME, the main window (pytest-qt, offscreen)
and the fake IBKR gateway (tests/fakes/ibkr)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop.app.bootstrap import start_window
from desktop.app.brokers import connection_for_broker, startup_broker
from desktop.security.secrets import SecretStore
from desktop.connections import ConnectionStore
from desktop.connections.ibkr import DEFAULT_BASE_URL
from desktop.ui.main_window import MainWindow
from qt_helpers import run, top_level

IBKR_NAME = "Interactive Brokers (Client Portal)"


def ibkr_connections(store):
    return [c for c in store.all() if c.broker == "ibkr"]


# -- which connection --broker NAME opens -------------------------------------------------
def test_first_start_saves_a_connection_with_the_defaults():
    store = ConnectionStore.open_default()  # in the test's TRADEDESK_HOME
    broker, conn = startup_broker("ibkr", store, SecretStore())
    assert broker.name == "ibkr" and broker.base_url == DEFAULT_BASE_URL
    assert conn.broker == "ibkr" and conn.name == IBKR_NAME and not conn.builtin
    assert conn.values == {"base_url": DEFAULT_BASE_URL}  # nothing pinned yet
    again = ConnectionStore.open_default()  # on disk
    assert [c.id for c in ibkr_connections(again)] == [conn.id]
    _broker, second = startup_broker("ibkr", again, SecretStore())
    assert second.id == conn.id and len(ibkr_connections(again)) == 1  # not a second one


def test_opens_the_last_used_connection_of_that_broker():
    store = ConnectionStore.open_default()
    first = store.add("ibkr", "Live", {"base_url": "https://127.0.0.1:5001/v1/api"})
    second = store.add("ibkr", "Paper login", {"base_url": "https://127.0.0.1:5002/v1/api"})
    assert connection_for_broker(store, "ibkr").id == second.id  # none used yet: the newest
    store.set_last_connected(first.id)
    broker, conn = startup_broker("ibkr", store, SecretStore())
    assert conn.id == first.id and broker.base_url == "https://127.0.0.1:5001/v1/api"
    store.set_last_connected("paper")  # last used another broker: the newest of ibkr
    assert startup_broker("ibkr", store, SecretStore())[1].id == second.id
    assert len(ibkr_connections(store)) == 2


def test_new_connection_name_does_not_clash():
    store = ConnectionStore.open_default()
    store.add("paper", IBKR_NAME, {"account_file": "other.sqlite3"})  # a user's odd name for a paper account
    conn = connection_for_broker(store, "ibkr")
    assert conn.broker == "ibkr" and conn.name == f"{IBKR_NAME} 2"


def test_paper_brokers_start_as_before():
    store = ConnectionStore.open_default()
    broker, conn = startup_broker("paper", store, SecretStore())
    assert broker.name == "paper" and conn is not None and conn.id == store.default().id
    broker, conn = startup_broker("paper-advisor", store, SecretStore())
    assert broker.name == "paper" and conn is None
    assert not ibkr_connections(store) and len(store) == 1
    with pytest.raises(KeyError, match="unknown broker 'nosuch'.*ibkr"):
        startup_broker("nosuch", store, SecretStore())


def test_command_line_opens_the_saved_connection():
    """A separate ``tradedesk --broker ibkr`` process (same TRADEDESK_HOME) dials the
    saved connection's gateway address (here a closed loopback port: it reports that,
    exit code 1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = ConnectionStore.open_default()
    conn = store.add("ibkr", "My gateway", {"base_url": f"https://127.0.0.1:{port}/v1/api"})
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # TRADEDESK_HOME: the test's (conftest)
    proc = subprocess.run([sys.executable, "-m", "desktop", "--broker", "ibkr", "--smoke-test", "--smoke-timeout", "5"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]
    report = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("{")))
    assert report["ok"] is False and f"127.0.0.1:{port}" in report["reason"]
    assert [c.id for c in ibkr_connections(ConnectionStore(store.path))] == [conn.id]  # no second one


# -- trust at the first start, no question at the next ------------------------------------
@pytest.fixture
def gateway(qtbot, qloop, tmp_path):
    """The fake IBKR gateway on the Qt loop, logged in; stopped at teardown."""
    from tests.fakes.ibkr import running_gateway

    cm = running_gateway(tmp_path / "gateway", authenticated=True)
    gw = run(qtbot, qloop, cm.__aenter__())
    yield gw
    run(qtbot, qloop, cm.__aexit__(None, None, None))


@pytest.fixture
def open_window(qtbot, qloop):
    """``open_window()``: what bootstrap.run does for ``--broker ibkr`` (a fresh store
    from TRADEDESK_HOME, startup_broker, MainWindow); windows closed at teardown."""
    windows = []

    def _open():
        store, secrets = ConnectionStore.open_default(), SecretStore()
        broker, conn = startup_broker("ibkr", store, secrets)
        window = MainWindow(broker, connection_id=conn.id, connections=store, secrets=secrets)
        window.service.start_budget_s = 0.5  # paced live-order snapshots finish in the background
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window, store, conn

    yield _open
    for window in windows:
        run(qtbot, qloop, window.shutdown(), timeout=15_000)
        window.close()
        window.deleteLater()


def test_trusted_certificate_is_pinned_and_the_next_start_does_not_ask(qtbot, qloop, gateway, open_window):
    # The user pointed the saved IBKR connection at their gateway (here: the fake one).
    store = ConnectionStore.open_default()
    conn = connection_for_broker(store, "ibkr")
    store.update(conn.id, values={**conn.values, "base_url": gateway.base_url})

    window, store, conn = open_window()
    assert window.broker.base_url == gateway.base_url
    task = qloop.create_task(start_window(window))
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=10_000)
    dialog = top_level("certificateTrustDialog")
    assert dialog.fingerprint == gateway.fingerprint
    qtbot.mouseClick(dialog.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=20_000)
    task.result()
    assert window.service.state == "connected" and window.connection_id == conn.id
    saved = ConnectionStore.open_default()  # what the next start reads
    assert saved.get(conn.id).values["certificate_sha256"] == gateway.fingerprint
    assert saved.last_connected == conn.id
    run(qtbot, qloop, window.shutdown(), timeout=15_000)

    gateway.state.pacing = False  # a real restart comes well after /portfolio/accounts' 5 s pacing window
    again, _store, conn2 = open_window()  # the next `tradedesk --broker ibkr`
    assert conn2.id == conn.id and again.broker.client.pinned_sha256 == gateway.fingerprint
    run(qtbot, qloop, start_window(again), timeout=20_000)
    assert again.service.state == "connected"
    assert top_level("certificateTrustDialog") is None
    assert len(ibkr_connections(ConnectionStore.open_default())) == 1
