"""What the main window does about a broker's session: browser login, a competing
session, and the gateway's certificate.

- ``BrokerService.connectionChanged`` states go to the status bar. LOGIN_REQUIRED
  opens the login page in the browser once by itself (and again whenever the user
  clicks the status bar's "Log in…"); COMPETING asks whether to take the session over
  and, if so, calls ``session_control(broker).take_over_session()``.
- :meth:`SessionUi.resolve_certificate` handles CertificateUntrustedError (ask, pin the
  fingerprint in the saved connection's ``certificate_sha256``, build a new broker)
  and CertificateChangedError (refuse, naming both fingerprints).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from desktop.brokers import Broker, BrokerError
from desktop.brokers.errors import CertificateChangedError, CertificateError, CertificateUntrustedError
from desktop.brokers.session_control import session_control
from desktop.domain import ConnectionState, ConnectionStatus

from .certificate_dialog import ask_trust, show_certificate_changed
from .gateway_tools import PIN_FIELD
from desktop.desk.tasks import spawn

if TYPE_CHECKING:
    from .main_window import MainWindow

log = logging.getLogger(__name__)

class SessionUi(QObject):
    """Session handling for one main window (see the module docstring).

    ``opened_urls`` lists every login URL opened in the browser (for tests and logs);
    ``competing_box`` is the open "take over?" question, if any.
    """

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window_ = window
        self.opened_urls: list[str] = []
        self._auto_opened: set[tuple[int, str]] = set()
        self.competing_box: QMessageBox | None = None
        self.certificate_box: QMessageBox | None = None
        window.service.connectionChanged.connect(self.on_state)
        window.status.loginRequested.connect(self.open_login)

    # -- session states ------------------------------------------------------------
    def on_state(self, state: ConnectionState) -> None:
        """Show ``state``; open the browser / ask about a competing session when needed."""
        window = self.window_
        window.status.set_session(window.broker.display_name, state)
        if state.status is ConnectionStatus.LOGIN_REQUIRED:
            url = state.login_url or _login_url(window.broker)
            key = (id(window.broker), url or "")
            if url and key not in self._auto_opened:  # once per broker by itself; the button opens it again
                self._auto_opened.add(key)
                self.open_login(url)
        elif state.status is ConnectionStatus.COMPETING:
            self.ask_take_over(state)
        elif self.competing_box is not None and shiboken6.isValid(self.competing_box):
            self.competing_box.close()  # resolved elsewhere (e.g. the other session logged out)

    def open_login(self, url: str = "") -> None:
        """Open the broker's login page (``url``, else its SessionControl.login_url)."""
        url = url or _login_url(self.window_.broker) or ""
        if not url:
            return
        self.opened_urls.append(url)
        log.info("opening the broker login page %s", url)
        if not QDesktopServices.openUrl(QUrl(url)):
            self.window_.status.showMessage(f"Could not open a browser: open {url} yourself to log in", 15000)

    def ask_take_over(self, state: ConnectionState) -> QMessageBox | None:
        """Ask "Another session ... take over?" (``competingSessionDialog``); Yes calls
        ``take_over_session()``. One question at a time."""
        if self.competing_box is not None and shiboken6.isValid(self.competing_box) and self.competing_box.isVisible():
            return self.competing_box
        control = session_control(self.window_.broker)
        if control is None:
            return None
        name = self.window_.broker.display_name
        box = QMessageBox(
            QMessageBox.Icon.Question, "Session in use",
            f"Another session of your {name} user (TWS, the mobile app or another gateway) holds the brokerage "
            "session. Take over? The other session will be logged out."
            + (f"\n\n{state.message}" if state.message else ""),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window_,
        )
        box.setObjectName("competingSessionDialog")
        box.button(QMessageBox.StandardButton.Yes).setText("Take over")
        box.button(QMessageBox.StandardButton.Yes).setObjectName("takeOverButton")
        box.button(QMessageBox.StandardButton.No).setText("Not now")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes and self._take_over(control))
        self.competing_box = box
        box.open()
        return box

    def _take_over(self, control) -> None:
        def failed(exc: BaseException) -> None:
            text = exc.message if isinstance(exc, BrokerError) else str(exc)
            self.window_.status.showMessage(f"Could not take the session over: {text}", 15000)

        spawn(control.take_over_session(), name="take-over-session", on_error=failed)

    # -- certificates --------------------------------------------------------------
    async def resolve_certificate(self, exc: CertificateError) -> Broker | None:
        """Deal with a certificate error from ``connect()``.

        Untrusted (first contact): ask; on trust save ``exc.fingerprint`` as the window's
        saved connection's ``certificate_sha256`` and return a new broker built from it
        (the caller connects it). Changed: show the refusal naming both fingerprints and
        return None (nothing saved). None also when the user cancels or the window has no
        saved connection to keep the pin in.
        """
        window = self.window_
        store, conn_id = window.connection_store, window.connection_id
        conn = store.get(conn_id) if conn_id and conn_id in store else None
        url = _gateway_url(window.broker, conn)
        if isinstance(exc, CertificateChangedError):
            self.certificate_box = show_certificate_changed(url, exc.fingerprint, exc.pinned, window)
            return None
        if not isinstance(exc, CertificateUntrustedError):
            return None
        if not await ask_trust(url, exc.fingerprint, window, name=conn.name if conn else ""):
            return None
        if conn is None:
            window.status.showMessage("Add this gateway in File → Connections… to trust its certificate", 15000)
            return None
        values = {**conn.values, PIN_FIELD: exc.fingerprint}
        conn = store.update(conn.id, values=values)
        log.info("trusted the certificate %s of %s for connection %s", exc.fingerprint, url, conn.id)
        fields = [f.name for f in conn.spec.secret_fields]
        found, _missing = window.secrets.secrets_for(conn.id, fields) if fields else ({}, [])
        return conn.create_broker(found)


def _login_url(broker: Broker) -> str | None:
    control = session_control(broker)
    return control.login_url if control is not None else None


def _gateway_url(broker: Broker, conn) -> str:
    """Where the broker connects: the saved connection's base_url, else the broker's."""
    if conn is not None:
        try:
            url = conn.config().get("base_url")
        except (KeyError, ValueError):
            url = conn.values.get("base_url")
        if url:
            return str(url)
    return str(getattr(broker, "base_url", "") or "")
