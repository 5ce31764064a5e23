"""A connection's server certificate, as SessionUi asks about it: trust it on first
contact (pinning its fingerprint into the saved connection's
``spec.certificate_field``), or refuse a changed one showing both fingerprints. Each
prompt names its connection; one trust question at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.brokers.errors import CertificateChangedError, CertificateUntrustedError
from desktop.connections import ConnectionStore, FieldKind
from desktop.desk import Desk

from .certificate_dialog import ask_trust, show_certificate_changed

log = logging.getLogger(__name__)


class CertificatePrompts:
    """Certificate questions of the connections of ``desk`` saved in ``store``.

    ``name_of(id)``, ``parent()`` and ``say(text, ms)`` come from SessionUi.
    ``pending``: per connection id, the untrusted certificate it waits on;
    ``changed_box``: the last refusal shown.
    """

    def __init__(self, desk: Desk, store: ConnectionStore | None, *, name_of: Callable[[str], str],
                 parent: Callable[[], QWidget | None], say: Callable[[str, int], None]) -> None:
        self.desk, self.store = desk, store
        self._name_of, self._parent, self._say = name_of, parent, say
        self.pending: dict[str, CertificateUntrustedError] = {}
        self.changed_box: QMessageBox | None = None
        self._one_at_a_time: asyncio.Lock | None = None

    async def ask(self, connection_id: str, exc: CertificateUntrustedError) -> bool:
        """Show the certificate ``connection_id`` presented (``exc.fingerprint``); on
        trust write it into the saved connection's certificate field (on disk) and
        return True. False when refused, or when no saved connection can keep it."""
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        async with self._one_at_a_time:
            conn = self.store.get(connection_id) if self.store is not None and connection_id in self.store else None
            name = self._name_of(connection_id)
            field = _certificate_field(conn)
            if conn is None or not field:
                self._say(f"{name}: its certificate cannot be trusted here (no saved connection keeps it)", 20000)
                return False
            if not await ask_trust(self.server_url(connection_id), exc.fingerprint, self._parent(), name=name):
                self._say(f"{name}: certificate not trusted, not connected", 15000)
                return False
            self.store.update(conn.id, values={**self.store.get(conn.id).values, field: exc.fingerprint})
            log.info("trusted the certificate %s for connection %s", exc.fingerprint, conn.id)
            self.pending.pop(connection_id, None)
            return True

    def show_changed(self, connection_id: str, exc: CertificateChangedError) -> QMessageBox:
        """Refuse a changed certificate, showing both fingerprints (nothing is saved)."""
        self.changed_box = show_certificate_changed(self.server_url(connection_id), exc.fingerprint, exc.pinned,
                                                    self._parent(), name=self._name_of(connection_id))
        return self.changed_box

    def server_url(self, connection_id: str) -> str:
        """Where the connection connects: its saved URL field, else the adapter's ``base_url``."""
        if self.store is not None and connection_id in self.store:
            conn = self.store.get(connection_id)
            try:
                fields, config = conn.spec.fields, conn.config()
            except (KeyError, ValueError):
                fields, config = (), {}
            for field in fields:
                if field.kind is FieldKind.URL and config.get(field.name):
                    return str(config[field.name])
        live = self.desk.connections.get(connection_id)
        return str(getattr(live.broker, "base_url", "") or "") if live is not None else ""


def _certificate_field(conn) -> str:
    try:
        return conn.spec.certificate_field if conn is not None else ""
    except KeyError:  # its broker is not available in this version
        return ""
