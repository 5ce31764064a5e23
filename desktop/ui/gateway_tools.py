"""Extra row of the connection form for a local broker gateway (IBKR Client Portal):
fetch and trust its certificate, see its session state, open its login page.

Shown for broker specs that declare both a ``base_url`` and a ``certificate_sha256``
field (the IBKR spec, ``desktop/connections/ibkr.py``). Nothing here sends
application data before the certificate is pinned: "Fetch certificate" only reads the
certificate (``desktop.brokers.transport.tls_pinning.probe_certificate``), and the
session check runs over the pinned client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import shiboken6
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.brokers import BrokerError
from desktop.connections import BrokerSpec

from .certificate_dialog import ask_trust
from desktop.desk.tasks import spawn

URL_FIELD, PIN_FIELD = "base_url", "certificate_sha256"
"""The connection fields of the gateway's URL and of the trusted certificate's fingerprint."""

StatusCheck = Callable[[str, str], Awaitable[str]]
"""``check(base_url, pinned_sha256) -> text`` describing the gateway's session."""


def applies(spec: BrokerSpec) -> bool:
    """Whether ``spec`` gets the gateway row: it has base_url and certificate_sha256."""
    names = {f.name for f in spec.fields}
    return URL_FIELD in names and PIN_FIELD in names


def login_page(base_url: str) -> str:
    """The gateway's browser login page: its root, e.g. "https://localhost:5000/"."""
    parts = urlsplit(base_url.strip())
    return f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else ""


async def ibkr_session_status(base_url: str, pinned: str) -> str:
    """Ask an IBKR gateway ``POST /iserver/auth/status`` over the pinned client and say
    what it means ("Logged in · brokerage session ready", "Not logged in", ...).
    Raises BrokerError (incl. certificate errors) or ValueError for a bad URL."""
    from desktop.brokers.ibkr.client import IbkrClient

    from desktop.brokers.errors import AuthError

    client = IbkrClient(base_url, pinned_sha256=pinned, timeout=5.0)
    try:
        await client.open()
        status = await client.post("/iserver/auth/status", idempotent=True)
    except AuthError:  # the gateway answers 401 until the browser login is done
        status = {"authenticated": False}
    finally:
        await client.close()
    if not isinstance(status, dict):
        return "Unexpected answer from the gateway"
    if status.get("competing"):
        return "Logged in, but another session holds the brokerage session"
    if not status.get("authenticated"):
        return "Not logged in: use “Log in” and sign in in your browser"
    if status.get("connected") is False or status.get("established") is False:
        return "Logged in · brokerage session not started yet (Tradedesk starts it when connecting)"
    return "Logged in · brokerage session ready"


async def _probe(base_url: str) -> str:
    from desktop.brokers.transport.tls_pinning import probe_certificate

    parts = urlsplit(base_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("enter the gateway URL first (https://host:port/v1/api)")
    _der, fingerprint = await probe_certificate(parts.hostname, parts.port or 443, timeout=5.0)
    return fingerprint


class GatewayTools(QWidget):
    """Buttons ``fetchCertificateButton``, ``checkSessionButton``, ``gatewayLoginButton``
    and the line ``gatewayStateLabel``.

    ``get_text(field)`` / ``set_text(field, text)`` read and write the form's inputs.
    ``status_check`` defaults to :func:`ibkr_session_status`; ``opened_urls`` records
    the login pages opened.
    """

    def __init__(self, get_text: Callable[[str], str], set_text: Callable[[str, str], None],
                 parent: QWidget | None = None, *, status_check: StatusCheck | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gatewayTools")
        self._get, self._set = get_text, set_text
        self.status_check = status_check or ibkr_session_status
        self.opened_urls: list[str] = []
        self.task: asyncio.Task | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.fetch_button = self._button("Fetch certificate", "fetchCertificateButton", row,
                                         "Read the gateway's certificate and show its fingerprint to trust it")
        self.check_button = self._button("Check session", "checkSessionButton", row,
                                         "Ask the gateway whether you are logged in (needs a trusted certificate)")
        self.login_button = self._button("Log in", "gatewayLoginButton", row, "Open the gateway's login page in your browser")
        row.addStretch(1)
        layout.addLayout(row)
        self.state_label = QLabel("Session: not checked", self, objectName="gatewayStateLabel", wordWrap=True)
        self.state_label.setProperty("role", "help")
        layout.addWidget(self.state_label)
        self.fetch_button.clicked.connect(lambda: self._run(self.fetch_certificate(), "fetch-certificate"))
        self.check_button.clicked.connect(lambda: self._run(self.check_session(), "check-session"))
        self.login_button.clicked.connect(self.open_login)

    def _button(self, text: str, name: str, row: QHBoxLayout, tip: str) -> QPushButton:
        button = QPushButton(text, self, objectName=name)
        button.setAutoDefault(False)
        button.setToolTip(tip)
        row.addWidget(button)
        return button

    def _run(self, coro, name: str) -> None:
        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self._say(f"Failed: {exc}")

        self.task = spawn(coro, name=name, on_error=failed)

    def _say(self, text: str) -> None:
        self.state_label.setText(text)

    async def fetch_certificate(self) -> None:
        """Probe the gateway; ask the user to trust what it presents; on trust fill the
        certificate field (saved with the connection on Save)."""
        url = self._get(URL_FIELD)
        self._say("Reading the gateway's certificate…")
        try:
            fingerprint = await _probe(url)
        except (OSError, TimeoutError, ValueError) as exc:
            if shiboken6.isValid(self):
                self._say(f"Could not read the certificate: {exc or type(exc).__name__}")
            return
        if not shiboken6.isValid(self):  # the form was closed meanwhile
            return
        trusted = await ask_trust(url, fingerprint, self.window())
        if not shiboken6.isValid(self):
            return
        if not trusted:
            self._say("Certificate not trusted")
            return
        self._set(PIN_FIELD, fingerprint)
        self._say("Certificate trusted: save the connection to keep it")

    async def check_session(self) -> None:
        """Show the gateway's session state (needs the certificate field filled)."""
        url, pin = self._get(URL_FIELD), self._get(PIN_FIELD).strip()
        if not pin:
            self._say("Session: fetch and trust the certificate first")
            return
        self._say("Session: checking…")
        try:
            text = await self.status_check(url, pin)
        except BrokerError as exc:
            text = f"unavailable: {exc.message}"
        except ValueError as exc:
            text = f"unavailable: {exc}"
        if shiboken6.isValid(self):
            self._say(f"Session: {text}")

    def open_login(self) -> None:
        """Open the gateway's login page (its root URL) in the browser."""
        url = login_page(self._get(URL_FIELD))
        if not url:
            self._say("Enter the gateway URL first")
            return
        self.opened_urls.append(url)
        QDesktopServices.openUrl(QUrl(url))
