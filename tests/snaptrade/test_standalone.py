"""The fake runs standalone (``python -m tests.fakes.snaptrade --port N``) on
127.0.0.1 and prints its base URL and test credentials one per line; a client signed
with those credentials is served."""

from __future__ import annotations

import socket
import subprocess
import sys

from desktop.brokers.snaptrade import SnapTradeBroker


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_standalone_prints_its_url_and_credentials_and_serves(tmp_path, arun):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.snaptrade", "--port", str(port), "--data",
                             str(tmp_path), "--populate", "0"], stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(5)]
        values = dict(line.split(": ", 1) for line in lines)
        assert lines[0] == f"base URL: http://127.0.0.1:{port}"
        assert list(values) == ["base URL", "client id", "consumer key", "user id", "user secret"]

        async def scenario():
            broker = SnapTradeBroker(values["base URL"], client_id=values["client id"],
                                     consumer_key=values["consumer key"], user_id=values["user id"],
                                     user_secret=values["user secret"])
            await broker.connect()
            link = await broker.linking.portal(connection_type="trade")
            accounts = await broker.fetch_accounts()
            await broker.close()
            return link, accounts

        link, accounts = arun(scenario(), timeout=30)
        assert link.url.startswith(f"http://127.0.0.1:{port}/portal/") and accounts == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_personal_standalone_has_no_user(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.snaptrade", "--port", str(port), "--personal",
                             "--data", str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline().rstrip("\n") for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert lines[0] == f"base URL: http://127.0.0.1:{port}"
    assert lines[3].startswith("user id: (none") and lines[4].startswith("user secret: (none")
