"""Starting Tradedesk twice focuses the running window; the second process exits 0."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import QDir

from desktop.app.single_instance import SingleInstance, server_name
from desktop.brokers.paper import PaperBroker
from desktop.paths import data_dir
from desktop.ui.main_window import MainWindow


def start_app(*args: str) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # same TRADEDESK_HOME as this test
    return subprocess.Popen([sys.executable, "-m", "desktop", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


@pytest.fixture
def running(qtbot):
    instance = SingleInstance()
    assert instance.listen()
    yield instance
    instance.close()


def test_server_name_is_per_user_and_data_dir(tmp_path):
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")
    assert server_name() == server_name(data_dir())
    assert "/" not in server_name() and "\\" not in server_name()


def test_second_start_activates_the_running_window_and_exits_0(qtbot, qloop, running, tmp_path):
    window = MainWindow(brokers=[PaperBroker(tmp_path / "paper.sqlite3", autostart=False)])
    running.activateRequested.connect(window.bring_to_front)
    window.showMinimized()
    with qtbot.waitSignal(running.activateRequested, timeout=60_000):
        proc = start_app()
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60_000)  # Qt keeps serving meanwhile
    out, err = proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert "already running" in out
    assert running.activations == 1
    assert window.isVisible() and not window.isMinimized()
    window.close()
    window.deleteLater()


def test_smoke_test_is_not_blocked_by_a_running_instance(qtbot, running):
    proc = start_app("--smoke-test")
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=120_000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert '"ok": true' in out and running.activations == 0


@pytest.mark.skipif(sys.platform == "win32", reason="a stale socket file is a Unix thing")
def test_stale_socket_left_by_a_crash_is_taken_over():
    name = server_name()
    path = os.path.join(QDir.tempPath(), name)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)  # bound, never listening, file left behind: what a crashed instance leaves
    stale.close()
    try:
        assert os.path.exists(path)
        started = time.monotonic()
        assert SingleInstance().activate_running(timeout_ms=2000) is False
        assert time.monotonic() - started < 2.0
        first = SingleInstance()
        assert first.listen()
        assert SingleInstance(name).activate_running(timeout_ms=200) is True  # now someone answers the name
        first.close()
    finally:
        if os.path.exists(path):
            os.unlink(path)
