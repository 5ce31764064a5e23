"""The official Python client (PyPI ``tradelocker``, T2 in NOTES.md) works against the
fake unmodified but for its environment URL. Skipped where it is not installed (it is
not a dependency of Tradedesk). Runs in a process of its own (see
official_client_probe.py)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _client_installed() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import tradelocker.tradelocker_api"], cwd=ROOT,
                           capture_output=True, timeout=60)
    return probe.returncode == 0


def test_official_client_logs_in_lists_and_places_an_order():
    if importlib.util.find_spec("pandas") is None or not _client_installed():
        pytest.skip("the official tradelocker client is not installed (pip install tradelocker to run this)")
    code = "import runpy; runpy.run_path('tests/tradelocker/official_client_probe.py', run_name='__main__')"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["accNums"] == [1, 2]
    assert seen["iid"] == seen["fake_iid"] and seen["ask"] == seen["fake_ask"]
    assert int(seen["order_id"]) > 2**53
    assert seen["positions"] == 1 and seen["qty"] == 0.5
