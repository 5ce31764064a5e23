"""Dialogs about a broker gateway's TLS certificate: trust it once, or refuse a change.

The IBKR Client Portal Gateway runs on the user's machine with a self-signed
certificate. Tradedesk never turns verification off: on first contact the user is
shown the certificate's SHA-256 fingerprint and may trust exactly that certificate
(the fingerprint is saved with the connection and pinned from then on). A different
certificate later is refused outright, naming both fingerprints.

Both dialogs are window-modal but never block the event loop (no ``exec()``): use
:func:`ask_trust` (awaitable) or :func:`show_certificate_changed`.
"""

from __future__ import annotations

import asyncio
from html import escape

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget


class CertificateTrustDialog(QDialog):
    """First contact with a self-signed gateway: shows ``url`` and ``fingerprint``
    ("AB:CD:..." SHA-256) with "Trust this certificate" (``trustCertificateButton``,
    accepts) and Cancel (``cancelButton``, rejects). ``objectName``
    "certificateTrustDialog"; ``name``: the connection it is about (in the title and
    the text, so several connections' prompts are told apart)."""

    def __init__(self, url: str, fingerprint: str, parent: QWidget | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("certificateTrustDialog")
        self.setWindowTitle(f"{name}: trust the gateway's certificate?" if name else "Trust the gateway's certificate?")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.url, self.fingerprint, self.connection_name = url, fingerprint, name
        layout = QVBoxLayout(self)
        who = f"“{escape(name)}” at " if name else ""
        intro = QLabel(
            f"<p>{who}<b>{escape(url) or 'the gateway'}</b> presented a self-signed certificate that "
            "Tradedesk has not seen before.</p>"
            "<p>Check that this is your own gateway (for the IBKR Client Portal Gateway: the one you "
            "started on this computer). Compare the fingerprint below with the one your gateway shows, "
            f"then trust it. Tradedesk will accept exactly this certificate for {escape(name) or 'this connection'} "
            "from now on and refuse any other.</p>",
            self,
        )
        intro.setObjectName("certificateIntro")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(QLabel("SHA-256 fingerprint:", self))
        self.fingerprint_label = _fingerprint_label(fingerprint, self)
        self.fingerprint_label.setObjectName("fingerprintLabel")
        layout.addWidget(self.fingerprint_label)
        buttons = QDialogButtonBox(self)
        self.trust_button = QPushButton("Trust this certificate", self)
        self.trust_button.setObjectName("trustCertificateButton")
        self.trust_button.setAutoDefault(False)
        buttons.addButton(self.trust_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("cancelButton")
        cancel.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)


def _fingerprint_label(fingerprint: str, parent: QWidget) -> QLabel:
    """The fingerprint in a fixed-width font, split in two lines, selectable."""
    pairs = fingerprint.split(":")
    half = (len(pairs) + 1) // 2
    text = ":".join(pairs[:half]) + (":\n" + ":".join(pairs[half:]) if len(pairs) > half else "")
    label = QLabel(text, parent)
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


async def ask_trust(url: str, fingerprint: str, parent: QWidget | None = None, *, name: str = "") -> bool:
    """Show :class:`CertificateTrustDialog` and wait (without blocking Qt) for the
    answer: True when the user trusts the certificate. False as well when the dialog is
    destroyed unanswered (its parent window was deleted), so the caller never hangs."""
    dialog = CertificateTrustDialog(url, fingerprint, parent, name=name)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    accepted = QDialog.DialogCode.Accepted.value
    dialog.finished.connect(lambda result: answer.done() or answer.set_result(int(result) == accepted))
    dialog.destroyed.connect(lambda *_: answer.done() or answer.set_result(False))
    dialog.open()
    try:
        return await answer
    finally:
        if shiboken6.isValid(dialog) and dialog.isVisible():  # cancelled while open
            dialog.close()


def certificate_changed_text(url: str, presented: str, pinned: str | None, *, name: str = "") -> str:
    """The refusal's text (HTML): which connection and gateway, the trusted and the
    presented fingerprint."""
    who = f"{escape(name)} is not connected." if name else "Not connected."
    return (
        f"<p><b>{who}</b> The gateway at <b>{escape(url) or 'the saved address'}</b> presented a "
        "different certificate from the one you trusted, so Tradedesk refused to connect. Nothing was sent "
        "and nothing was saved.</p>"
        f"<p>Trusted:<br><tt>{escape(pinned or '(none)')}</tt></p>"
        f"<p>Presented:<br><tt>{escape(presented)}</tt></p>"
        "<p>If you replaced or reinstalled the gateway, clear the certificate in File → Connections… → Edit "
        "(or fetch it there again) and connect again. Otherwise someone may be intercepting the connection.</p>"
    )


def show_certificate_changed(url: str, presented: str, pinned: str | None, parent: QWidget | None = None, *,
                             name: str = "") -> QMessageBox:
    """Show the refusal (``certificateChangedDialog``) about connection ``name``,
    non-blocking; returns the box."""
    title = f"{name}: gateway certificate changed" if name else "Gateway certificate changed"
    box = QMessageBox(QMessageBox.Icon.Critical, title, certificate_changed_text(url, presented, pinned, name=name),
                      QMessageBox.StandardButton.Close, parent)
    box.setObjectName("certificateChangedDialog")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
