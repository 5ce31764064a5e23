"""``tradedesk --broker ibkr`` at start: it opens (and connects, beside the restored
connections) the saved IBKR connection, creating one with the defaults when there is
none, so a certificate trusted at the first start is pinned there and the next start
connects without asking. Driven through ``startup_connections`` /
``connection_for_key`` with a ConnectionStore in the test's TRADEDESK_HOME, the session
widgets over a desk (tests/ui/session_host.py) and the IBKR gateway emulator
(tests/fakes/ibkr); the command line in a separate process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop.connections import ConnectionStore
from desktop.connections.adapters.ibkr import DEFAULT_BASE_URL
from desktop.desk.startup import connection_for_key, startup_connections
from desktop.paths import log_dir
from desktop.security.secrets import SecretStore
from qt_helpers import run, top_level
from session_host import HostFactory

IBKR_NAME = "Interactive Brokers (Client Portal)"


def ibkr_connections(store):
    return [c for c in store.all() if c.broker == "ibkr"]


# -- which connection --broker ibkr opens -------------------------------------------------
def test_first_start_saves_a_connection_with_the_defaults():
    store = ConnectionStore.open_default()  # in the test's TRADEDESK_HOME
    ids = startup_connections(store, "ibkr")
    conn = store.get(ids[-1])
    assert ids == ["paper", conn.id]  # beside the restored (first run: the built-in paper) connection
    assert conn.broker == "ibkr" and conn.name == IBKR_NAME and not conn.builtin
    assert conn.values == {"base_url": DEFAULT_BASE_URL}  # nothing pinned yet
    broker = conn.create_broker({})
    assert broker.name == "ibkr" and broker.base_url == DEFAULT_BASE_URL and broker.connection_id == conn.id
    again = ConnectionStore.open_default()  # on disk
    assert [c.id for c in ibkr_connections(again)] == [conn.id]
    assert startup_connections(again, "ibkr")[-1] == conn.id and len(ibkr_connections(again)) == 1  # not a second one


def test_opens_the_last_used_connection_of_that_broker():
    store = ConnectionStore.open_default()
    first = store.add("ibkr", "Live", {"base_url": "https://127.0.0.1:5001/v1/api"})
    second = store.add("ibkr", "Paper login", {"base_url": "https://127.0.0.1:5002/v1/api"})
    assert connection_for_key(store, "ibkr").id == second.id  # none used yet: the newest
    store.set_last_connected(first.id)
    conn = connection_for_key(store, "ibkr")
    assert conn.id == first.id and conn.create_broker({}).base_url == "https://127.0.0.1:5001/v1/api"
    store.set_last_connected("paper")  # last used another broker: the newest of ibkr
    assert connection_for_key(store, "ibkr").id == second.id
    assert len(ibkr_connections(store)) == 2


def test_new_connection_name_does_not_clash():
    store = ConnectionStore.open_default()
    store.add("paper", IBKR_NAME, {"account_file": "other.sqlite3"})  # a user's odd name for a paper account
    conn = connection_for_key(store, "ibkr")
    assert conn.broker == "ibkr" and conn.name == f"{IBKR_NAME} 2"


def test_command_line_opens_the_saved_connection_beside_paper():
    """A separate ``tradedesk --broker ibkr --smoke-test`` process (same TRADEDESK_HOME)
    dials the saved connection's gateway address (here a closed loopback port: the
    failure is logged, naming it) and still runs on the paper connection beside it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = ConnectionStore.open_default()
    conn = store.add("ibkr", "My gateway", {"base_url": f"https://127.0.0.1:{port}/v1/api"})
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # TRADEDESK_HOME: the test's (conftest)
    proc = subprocess.run([sys.executable, "-m", "desktop", "--broker", "ibkr", "--smoke-test", "--smoke-timeout", "20"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("{")))
    assert report["ok"] is True and report["connections"] == ["paper"]
    log = "".join(p.read_text(errors="replace") for p in log_dir().rglob("*.log*"))
    assert f"could not connect {conn.id}" in log and f"127.0.0.1:{port}" in log
    assert [c.id for c in ibkr_connections(ConnectionStore(store.path))] == [conn.id]  # no second one


# -- trust at the first start, no question at the next ------------------------------------
@pytest.fixture
def gateway(qtbot, qloop, tmp_path):
    """The IBKR gateway emulator on the Qt loop, logged in; stopped at teardown."""
    from tests.fakes.ibkr import running_gateway

    cm = running_gateway(tmp_path / "gateway", authenticated=True)
    gw = run(qtbot, qloop, cm.__aenter__())
    yield gw
    run(qtbot, qloop, cm.__aexit__(None, None, None))


@pytest.fixture
def start(qtbot, qloop):
    """``start()``: what bootstrap does for ``--broker ibkr`` (a fresh store from
    TRADEDESK_HOME, startup_connections) with the session widgets; returns the host and
    the restore task. Hosts closed at teardown."""
    factory = HostFactory(qtbot, qloop)

    def _start():
        store = ConnectionStore.open_default()
        ids = startup_connections(store, "ibkr")
        h = factory.open(store, SecretStore(), start_budget_s=0.5)
        return h, ids, qloop.create_task(h.session_ui.restore(ids))

    yield _start
    factory.close_all()


def test_trusted_certificate_is_pinned_and_the_next_start_does_not_ask(qtbot, qloop, gateway, start):
    # The user pointed the saved IBKR connection at their gateway (here: the emulator).
    store = ConnectionStore.open_default()
    conn = connection_for_key(store, "ibkr")
    store.update(conn.id, values={**conn.values, "base_url": gateway.base_url})

    host, ids, task = start()
    assert ids == ["paper", conn.id]
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None, timeout=10_000)
    dialog = top_level("certificateTrustDialog")
    assert dialog.fingerprint == gateway.fingerprint and dialog.connection_name == IBKR_NAME
    qtbot.mouseClick(dialog.findChild(QPushButton, "trustCertificateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=20_000)
    assert task.result() == {"paper": None, conn.id: None}
    assert host.texts() == ["Paper: connected", f"{IBKR_NAME}: connected"]
    saved = ConnectionStore.open_default()  # what the next start reads
    assert saved.get(conn.id).values["certificate_sha256"] == gateway.fingerprint
    assert saved.restore_ids() == ["paper", conn.id]
    run(qtbot, qloop, host.close(), timeout=15_000)

    gateway.state.pacing = False  # a real restart comes well after /portfolio/accounts' 5 s pacing window
    again, ids2, task2 = start()  # the next `tradedesk --broker ibkr`
    assert ids2 == ["paper", conn.id]
    qtbot.waitUntil(task2.done, timeout=20_000)
    assert task2.result() == {"paper": None, conn.id: None}
    assert again.desk.connections[conn.id].broker.client.pinned_sha256 == gateway.fingerprint
    assert top_level("certificateTrustDialog") is None
    assert len(ibkr_connections(ConnectionStore.open_default())) == 1
