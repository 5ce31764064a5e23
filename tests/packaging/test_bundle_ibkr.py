"""The PyInstaller bundle talks to Interactive Brokers: with a saved, pinned IBKR
connection it connects to the gateway emulator (tests/fakes/ibkr, run standalone in its
own process), shows IBKR's history and a live bar, and passes its smoke test; nothing the
IBKR adapter imports (httpx, websockets, the adapter's modules) is missing from it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.connections import ConnectionStore
from packaging_support import ROOT, run_smoke, smoke_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the bundle is only built and run by the tests on Linux"),
]


@pytest.fixture
def emulator(tmp_path):
    """``python -m tests.fakes.ibkr --port N`` (logged in, replay running): (base URL, fingerprint)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.ibkr", "--port", str(port), "--data", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen: dict[str, str] = {}
        for line in proc.stdout:  # the emulator prints its addresses, then serves
            key, _, value = line.partition(":")
            seen[key.strip()] = value.strip()
            if key.strip() == "fingerprint":
                break
        assert "fingerprint" in seen, f"emulator did not start: {seen}"
        yield seen["base URL"], seen["fingerprint"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bundle_connects_to_ibkr_and_passes_the_smoke_test(bundle: Path, emulator):
    base_url, fingerprint = emulator
    home = Path(os.environ["TRADEDESK_HOME"])  # the test's own (tests/conftest.py); the bundle uses it too
    ConnectionStore.open_default().add("ibkr", "Emulator", {"base_url": base_url, "certificate_sha256": fingerprint})
    report = run_smoke([str(bundle / "tradedesk"), "--broker", "ibkr"], smoke_env(home), timeout=180)
    assert report["broker"] == "ibkr" and report["bars"] > 0
