"""Errors the desk raises (BrokerError subclasses, so the UI shows them like any
broker's refusal)."""

from __future__ import annotations

from desktop.brokers.errors import UnavailableError


class NotConnectedError(UnavailableError):
    """The request names a connection that is not connected: it was not sent anywhere.
    ``connection_id`` names it."""

    def __init__(self, message: str, *, connection_id: str) -> None:
        super().__init__(message, code="NOT_CONNECTED")
        self.connection_id = connection_id
