"""A full session at DEBUG level leaves no secret anywhere the app writes.

``tradedesk --broker ibkr --smoke-test`` runs as a separate process with
``TRADEDESK_LOG_LEVEL=DEBUG`` against the IBKR gateway emulator (started here, in a
thread of its own, logged in): the saved IBKR connection is pinned to the emulator's
certificate, a keyring (a file-backed backend outside TRADEDESK_HOME, as an OS
keyring is) holds a distinctive secret for it, and the emulator hands out its
session cookie (``x-sess-uuid``, Set-Cookie on every session answer) and tickle
session token (sent back in the websocket's ``Cookie: api={"session": ...}``). At
DEBUG, httpcore logs every response's header tuples and websockets the handshake
headers. Afterwards EVERY file under the test's TRADEDESK_HOME (logs, settings,
connections.json, the paper SQLite files) and the process output are grepped, raw
bytes, for each secret (also URL-encoded): none may appear.

A second test does the same in-process for a sign hook's header: a REST client with
``static_headers({"X-Api-Secret": ...})`` against a loopback server that sets a
cookie, logging at DEBUG into the app's log file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from desktop.brokers.transport import RestClient, static_headers
from desktop.connections import ConnectionStore
from desktop.connections.adapters.ibkr import normalize_sha256
from desktop.desk.startup import connection_for_key
from desktop.paths import log_dir
from tests.unit.test_redaction import app_log
from tests.unit.test_transport_loopback import Reply, ScriptedServer

fakes = pytest.importorskip("tests.fakes.ibkr")

KEYRING_SECRET = "kr-SECRET-5b0e1d7a9c3f42e8"

FILE_KEYRING = '''
"""A keyring backend keeping passwords in a JSON file (the test's stand-in for an OS
keyring, outside TRADEDESK_HOME)."""
import json, os
from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1

    def _load(self):
        path = os.environ["TEST_KEYRING_FILE"]
        return json.load(open(path)) if os.path.exists(path) else {}

    def get_password(self, service, username):
        return self._load().get(f"{service}|{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}|{username}"] = password
        json.dump(data, open(os.environ["TEST_KEYRING_FILE"], "w"))

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}|{username}", None)
        json.dump(data, open(os.environ["TEST_KEYRING_FILE"], "w"))
'''


class GatewayThread:
    """The emulator on its own event loop in a thread, for a test whose app runs in
    another process."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.gw = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def serve() -> None:
            self._stop = asyncio.Event()
            async with fakes.running_gateway(self.data, authenticated=True) as gw:
                self.gw = gw
                self._ready.set()
                await self._stop.wait()
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(serve())
        self._loop.close()

    def __enter__(self):
        self._thread.start()
        assert self._ready.wait(30), "the emulator did not start"
        return self.gw

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


def _scan(root: Path, secrets: dict[str, str], extra: dict[str, bytes]) -> tuple[int, int, list[str]]:
    """(files, bytes, hits) of every file under ``root`` and the ``extra`` texts."""
    needles = {name: {value.encode(), quote(value, safe="").encode()} for name, value in secrets.items()}
    files = scanned = 0
    hits = []
    blobs = [(str(p.relative_to(root)), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]
    for label, data in [*blobs, *extra.items()]:
        files += 1
        scanned += len(data)
        hits += [f"{name} in {label}" for name, forms in needles.items() if any(f in data for f in forms)]
    return files, scanned, hits


def test_a_full_debug_session_writes_no_secret(tmp_path, monkeypatch):
    home = Path(os.environ["TRADEDESK_HOME"])
    keyring_dir = tmp_path / "keyring"  # outside TRADEDESK_HOME, like the OS keyring
    keyring_dir.mkdir()
    (keyring_dir / "test_file_keyring.py").write_text(FILE_KEYRING)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADEDESK_LOG_LEVEL": "DEBUG",
           "PYTHON_KEYRING_BACKEND": "test_file_keyring.FileKeyring",
           "TEST_KEYRING_FILE": str(keyring_dir / "keyring.json"),
           "PYTHONPATH": os.pathsep.join([str(keyring_dir), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with GatewayThread(tmp_path / "gateway") as gw:
        store = ConnectionStore.open_default()
        conn = connection_for_key(store, "ibkr")
        store.update(conn.id, values={"base_url": gw.base_url, "certificate_sha256": normalize_sha256(gw.fingerprint)})
        (keyring_dir / "keyring.json").write_text(json.dumps({f"Tradedesk|{conn.id}:api_secret": KEYRING_SECRET}))
        proc = subprocess.run([sys.executable, "-m", "desktop", "--broker", "ibkr", "--smoke-test",
                               "--smoke-timeout", "60"], capture_output=True, env=env, timeout=180)
        secrets = {"keyring secret": KEYRING_SECRET, "session cookie": gw.state.cookie,
                   "session token": gw.state.session}
        sessions = [r for r in gw.requests if r.path == "/tickle"]
    assert proc.returncode == 0, proc.stderr[-3000:].decode(errors="replace")
    report = json.loads(next(line for line in proc.stdout.decode().splitlines() if line.startswith("{")))
    assert report["ok"] is True and conn.id in report["connections"]
    log = b"".join(p.read_bytes() for p in log_dir().rglob("*.log*"))
    # the session really ran, at DEBUG, with its headers logged (redacted)
    assert sessions and b"receive_response_headers.complete" in log and b"(b'Set-Cookie', b'[REDACTED]')" in log
    assert b"websocket connected" in log and b"> Cookie: [REDACTED]" in log
    files, scanned, hits = _scan(home, secrets, {"stdout": proc.stdout, "stderr": proc.stderr})
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    print(f"secrets grep: {files} files ({', '.join(written)}, stdout, stderr), {scanned:,} bytes, {len(hits)} hits")
    assert any(name.endswith(".log") for name in written) and any("connections" in n for n in written)
    assert hits == []
    control = tmp_path / "control"  # the grep finds a leak when there is one
    control.mkdir()
    (control / "leak.log").write_text("Cookie: x-sess-uuid=" + quote(secrets["session cookie"], safe=""))
    assert _scan(control, secrets, {})[2] == ["session cookie in leak.log"]


def test_a_sign_hook_header_and_a_cookie_stay_out_of_a_debug_log(arun):
    secret, cookie = "sign-hook-SECRET-91c2d4", "cookie-VALUE-4e5f6a7b8c"

    async def main():
        async with ScriptedServer() as server:
            server.on("GET", "/api/data", Reply(200, {"ok": True}, {"Set-Cookie": f"sid={cookie}; Path=/"}))
            client = RestClient(server.base_url + "/api", sign=static_headers({"X-Api-Secret": secret}))
            await client.open()
            await client.request("GET", "/data")
            await client.request("GET", "/data")  # sends the cookie back
            await client.close()
            return server.requests

    with app_log(logging.DEBUG) as path:
        seen = arun(main())
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = path.read_bytes()
    assert seen[0].headers["x-api-secret"] == secret and cookie in seen[1].headers.get("cookie", "")  # really sent
    assert b"send_request_headers" in text and b"receive_response_headers" in text  # DEBUG was on
    assert secret.encode() not in text and cookie.encode() not in text
