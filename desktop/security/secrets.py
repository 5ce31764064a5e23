"""Secrets (passwords, API keys, tokens) in the OS keyring, through the keyring library.

Entries: service ``"Tradedesk"``, user name ``"<connection id>:<field>"``. Settings keep
only a reference (:meth:`SecretStore.reference`). Without a usable keyring backend
(``keyring.backends.fail.Keyring``, the null backend, a plain-text file backend, or
errors from the backend) secrets are kept in this process's memory for the session
only and :attr:`SecretStore.available` is False with a :attr:`SecretStore.reason`
to show the user. Nothing secret is ever written to disk by Tradedesk itself, and
every secret value passing through here is registered with the log redaction filter.
Qt-free.
"""

from __future__ import annotations

import logging
from typing import Any

from .redaction import register_secret

log = logging.getLogger(__name__)

SERVICE = "Tradedesk"
KEYRING = "keyring"
SESSION = "session"


def backend_problem(backend: Any) -> str | None:
    """Why ``backend`` cannot hold secrets safely, or None when it can."""
    from keyring.backends import chainer, fail

    if backend is None or isinstance(backend, fail.Keyring):
        return "no system keyring service was found"
    cls = type(backend)
    qualname = f"{cls.__module__}.{cls.__name__}".lower()
    if cls.__module__ == "keyring.backends.null":
        return "the keyring is switched off (null backend)"
    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        if not chained:
            return "no system keyring service was found"
        return backend_problem(chained[0])
    if "plaintext" in qualname or "uncrypted" in qualname:
        return "the only keyring backend stores passwords as plain text"
    return None


def backend_name(backend: Any) -> str:
    """A readable name of a keyring backend ("SecretService Keyring", "macOS Keyring")."""
    name = getattr(backend, "name", None)
    return str(name) if name else type(backend).__name__


class SecretStore:
    """Where connection secrets live.

    ``backend``: a keyring backend to use (tests); None uses ``keyring.get_keyring()``
    at first use, so start-up never waits for the keyring.
    """

    def __init__(self, service: str = SERVICE, *, backend: Any = None) -> None:
        self.service = service
        self._backend = backend
        self._checked = False
        self._problem: str | None = None  # why new secrets are not stored in the keyring
        self._backend_usable = False  # the backend itself is usable (reads and deletes go to it)
        self._memory: dict[str, str] = {}

    # -- backend --------------------------------------------------------------------
    def _resolve(self) -> Any:
        if not self._checked:
            self._checked = True
            try:
                if self._backend is None:
                    import keyring

                    self._backend = keyring.get_keyring()
                self._problem = backend_problem(self._backend)
                self._backend_usable = self._problem is None
            except Exception as exc:  # a broken keyring configuration must not stop the app
                self._problem = f"the keyring could not be opened ({type(exc).__name__})"
            if self._problem:
                log.warning("no usable keyring: %s; secrets are kept in memory for this session only", self._problem)
        return self._backend

    @property
    def available(self) -> bool:
        """True when secrets go to the OS keyring."""
        self._resolve()
        return self._problem is None

    @property
    def reason(self) -> str:
        """Why the keyring is not used ("" when it is)."""
        self._resolve()
        return self._problem or ""

    def description(self) -> str:
        """One sentence for the user: where secrets are kept."""
        backend = self._resolve()
        if self._problem is None:
            return f"Passwords and keys are stored in your system keyring ({backend_name(backend)})."
        return (f"No secure keyring is available: {self._problem}. Passwords and keys you enter are kept in memory "
                "until Tradedesk quits and are never written to disk; you will be asked for them again next time.")

    def _unusable(self, exc: Exception) -> None:
        self._problem = f"the keyring refused to store a secret ({type(exc).__name__}: {exc})"
        log.warning("keyring error, keeping secrets in memory for this session: %s", exc)

    # -- secrets --------------------------------------------------------------------
    @staticmethod
    def username(connection_id: str, field: str) -> str:
        """The keyring user name of a connection's field."""
        return f"{connection_id}:{field}"

    def reference(self, connection_id: str, field: str, where: str = KEYRING) -> str:
        """What settings keep instead of the secret."""
        user = self.username(connection_id, field)
        return f"{KEYRING}:{self.service}/{user}" if where == KEYRING else f"{SESSION}:{user}"

    def store(self, connection_id: str, field: str, value: str) -> str:
        """Keep ``value``; returns the reference to save (keyring, else session memory)."""
        register_secret(value)
        user = self.username(connection_id, field)
        backend = self._resolve()
        if self._problem is None:
            try:
                backend.set_password(self.service, user, value)
                self._memory.pop(user, None)
                return self.reference(connection_id, field, KEYRING)
            except Exception as exc:  # KeyringError, locked keyring, D-Bus errors ...
                self._unusable(exc)
        self._memory[user] = value
        return self.reference(connection_id, field, SESSION)

    def get(self, connection_id: str, field: str) -> str | None:
        """The secret, or None when it is not stored (or the keyring fails)."""
        user = self.username(connection_id, field)
        value = self._memory.get(user)
        if value is None:
            backend = self._resolve()
            if self._backend_usable:  # even after a refused store: secrets saved earlier are still there
                try:
                    value = backend.get_password(self.service, user)
                except Exception as exc:
                    log.warning("could not read %s from the keyring: %s", user, type(exc).__name__)
                    value = None
        register_secret(value)
        return value

    def has(self, connection_id: str, field: str) -> bool:
        """True when the secret can be read now."""
        return self.get(connection_id, field) is not None

    def delete(self, connection_id: str, field: str) -> None:
        """Forget the secret (keyring and memory). No error when absent."""
        user = self.username(connection_id, field)
        self._memory.pop(user, None)
        backend = self._resolve()
        if self._backend_usable:  # even after a refused store: do not leave secrets behind
            try:
                backend.delete_password(self.service, user)
            except Exception:  # PasswordDeleteError when absent; nothing else to do
                pass

    def secrets_for(self, connection_id: str, fields: list[str] | tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
        """``(found, missing)``: the secrets of ``fields`` that can be read, and the rest."""
        found: dict[str, str] = {}
        missing: list[str] = []
        for field in fields:
            value = self.get(connection_id, field)
            if value is None:
                missing.append(field)
            else:
                found[field] = value
        return found, missing
