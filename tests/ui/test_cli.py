"""The command line as a user runs it: a separate process, offscreen."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import desktop


def _run(*args: str, home, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADEDESK_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_smoke_test_paints_loads_history_and_gets_a_live_bar(tmp_path):
    proc = _run("--smoke-test", home=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, proc.stdout
    report = json.loads(lines[0])
    assert report["ok"] is True and report["broker"] == "paper" and report["symbol"] == "AAPL"
    assert 0 < report["first_paint_s"] <= report["first_live_bar_s"]
    assert report["first_paint_s"] < report["history_s"]  # painted before the broker delivered history
    assert 0 < report["history_s"] <= report["first_live_bar_s"]
    assert report["bars"] > 100
    assert (tmp_path / "data" / "paper.sqlite3").exists()
    assert (tmp_path / "logs" / "tradedesk.log").read_text().count("Tradedesk starting") == 1


def test_smoke_test_reports_failure_with_a_reason(tmp_path):
    proc = _run("--smoke-test", "--smoke-timeout", "0.01", home=tmp_path)
    assert proc.returncode == 1
    report = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("{")))
    assert report["ok"] is False and "timed out" in report["reason"]


def test_paper_advisor_demo_starts_from_the_command_line(tmp_path):
    proc = _run("--broker", "paper-advisor", "--smoke-test", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("{")))
    assert report["ok"] is True and report["bars"] > 0
    assert any(tmp_path.rglob("paper-advisor.sqlite3"))  # its own account file


def test_unknown_broker_is_refused(tmp_path):
    proc = _run("--broker", "nosuch", home=tmp_path)
    assert proc.returncode == 2
    assert "unknown broker 'nosuch'" in proc.stderr and "paper" in proc.stderr


def test_version(tmp_path):
    proc = _run("--version", home=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"Tradedesk {desktop.__version__}"


def test_domain_brokers_desk_and_connections_import_no_qt():
    code = ("import desktop.domain, desktop.brokers, desktop.brokers.paper, desktop.brokers.ibkr, desktop.desk, "
            "desktop.desk.startup, desktop.connections, desktop.security.secrets, sys; "
            "import desktop.connections.registry as r; r.broker_specs(); "  # the adapters' spec modules too
            "assert not any(m.startswith(('PySide6', 'pyqtgraph', 'qasync')) for m in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
