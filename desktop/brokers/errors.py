"""One error hierarchy for every broker adapter.

Each error carries a user-facing ``message`` (shown as is in the UI), the broker's
own ``code`` when it gave one, and the ``raw`` payload for the log.
"""

from __future__ import annotations

from typing import Any


class BrokerError(Exception):
    """Base of every error a broker adapter raises.

    Attributes: ``message`` (user-facing text), ``code`` (broker code or None),
    ``raw`` (the broker's payload, for debugging; never shown verbatim to users).
    """

    def __init__(self, message: str, *, code: str | None = None, raw: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.raw = raw

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]" if self.code else self.message


class AuthError(BrokerError):
    """Not logged in, the session expired, or credentials were refused."""


class RateLimitedError(BrokerError):
    """The broker throttled us. ``retry_after`` is in seconds when known."""

    def __init__(self, message: str, *, retry_after: float | None = None, code: str | None = None, raw: Any = None) -> None:
        super().__init__(message, code=code, raw=raw)
        self.retry_after = retry_after


class OrderRejectedError(BrokerError):
    """The broker (or the paper matching engine) refused an order; ``message`` says why."""


class NotFoundError(BrokerError):
    """The account, order, symbol or contract does not exist."""


class UnavailableError(BrokerError):
    """The broker cannot be reached or is down; try again later."""


class InvalidRequestError(BrokerError):
    """The request was malformed or broke a broker rule before reaching the market.

    ``field`` names the offending field when known.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, raw: Any = None) -> None:
        super().__init__(message, code=code, raw=raw)
        self.field = field


class CertificateError(UnavailableError):
    """The server's TLS certificate is not (or no longer) the trusted one.

    ``fingerprint`` is the SHA-256 fingerprint of the certificate the server
    presented ("AB:CD:..." upper-case hex pairs); ``pinned`` the fingerprint the user
    accepted earlier (None when nothing is pinned yet).
    """

    def __init__(self, message: str, *, fingerprint: str, pinned: str | None = None, raw: Any = None) -> None:
        super().__init__(message, raw=raw)
        self.fingerprint = fingerprint
        self.pinned = pinned


class CertificateUntrustedError(CertificateError):
    """First contact: the certificate is self-signed and nothing is pinned. Show
    ``fingerprint`` to the user; once accepted, pin it and connect again."""


class CertificateChangedError(CertificateError):
    """The server presented a certificate other than the pinned one: refused."""
