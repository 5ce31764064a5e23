"""One Tradedesk per user: a second start focuses the running window and exits.

The first instance listens on a QLocalServer whose name is derived from the user data
directory (so ``TRADEDESK_HOME`` installs, e.g. tests and portable copies, are
separate instances) and the user name; only the same user can connect. A second
start connects, sends ``activate``, waits for ``ok`` and exits 0. A socket left
behind by a crashed instance (connection refused) is removed and taken over.
``--smoke-test`` runs skip all of this (see bootstrap): they neither activate a
running app nor become the instance others activate.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
OK = b"ok\n"


def server_name(data_dir: Path | None = None) -> str:
    """Per-user, per-data-directory name of the local server (no path characters)."""
    if data_dir is None:
        from desktop.paths import data_dir as _data_dir

        data_dir = _data_dir()
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment
        user = "user"
    digest = hashlib.sha256(f"{user}\0{Path(data_dir).resolve()}".encode()).hexdigest()[:20]
    return f"tradedesk-{digest}"


class SingleInstance(QObject):
    """The running instance's server, or the way to reach it.

    ``activate_running()`` (second start): True when another instance answered.
    ``listen()`` (first start): serve; ``activateRequested`` is emitted for each
    ``activate`` received.
    """

    activateRequested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.server: QLocalServer | None = None
        self.activations = 0

    def activate_running(self, timeout_ms: int = 3000) -> bool:
        """Ask a running instance to come to the front. True when one acknowledged."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False  # nobody listening (or a stale socket file)
        socket.write(ACTIVATE)
        socket.flush()
        socket.waitForBytesWritten(timeout_ms)
        reply = b""
        while OK not in reply and socket.waitForReadyRead(timeout_ms):
            reply += bytes(socket.readAll().data())
        socket.disconnectFromServer()
        if OK not in reply:
            log.warning("a running Tradedesk accepted the connection but did not answer")
        return True  # someone holds the name: never start a second copy on the same data

    def listen(self) -> bool:
        """Become the running instance. Removes a stale socket first when needed."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # a socket file left by a crash (nobody answered)
            if not server.listen(self.name):
                log.warning("single-instance server %s not available: %s", self.name, server.errorString())
                return False
        server.newConnection.connect(self._accept)
        self.server = server
        return True

    def _accept(self) -> None:
        server = self.server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if b"activate" in data:
            self.activations += 1
            log.info("another start asked this instance to come to the front")
            socket.write(OK)
            socket.flush()
            self.activateRequested.emit()

    def close(self) -> None:
        """Stop listening (and remove the socket)."""
        if self.server is not None:
            self.server.close()
            self.server = None
