"""Errors the desk raises (BrokerError subclasses, so the UI shows them like any
broker's refusal)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.brokers.errors import UnavailableError
from desktop.brokers.transport.http_errors import MaybeSentError

if TYPE_CHECKING:
    from .order_checks import OrderCheck


class NotConnectedError(UnavailableError):
    """The request names a connection that is not connected: it was not sent anywhere.
    ``connection_id`` names it."""

    def __init__(self, message: str, *, connection_id: str) -> None:
        super().__init__(message, code="NOT_CONNECTED")
        self.connection_id = connection_id


class OrderUnconfirmedError(MaybeSentError):
    """The order (or the change) was sent but the broker did not confirm it: NOT a
    refusal. ``check`` (:class:`~desktop.desk.order_checks.OrderCheck`) follows it in
    the background: ``await exc.check.wait()`` or ``exc.check.add_done_callback(fn)``
    for the real outcome (placed, or not placed as far as the broker shows)."""

    def __init__(self, check: "OrderCheck") -> None:
        super().__init__(check.message, code="UNCONFIRMED", raw=getattr(check.cause, "raw", None))
        self.check = check
