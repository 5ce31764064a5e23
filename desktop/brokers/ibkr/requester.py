"""The one method the IBKR mapping modules need from the HTTP client.

:class:`desktop.brokers.ibkr.client.IbkrClient` satisfies it; unit tests pass a small
scripted fake. Keeping the mapping modules on this protocol keeps them testable
without a gateway and free of transport details.
"""

from __future__ import annotations

from typing import Any, Protocol


class Requester(Protocol):
    """``await request(method, path, params=..., json=..., idempotent=...)`` -> decoded JSON.

    ``path`` is relative to the gateway's ``/v1/api`` base (e.g. ``"/iserver/accounts"``).
    Raises :class:`desktop.brokers.errors.BrokerError` subclasses; a non-idempotent
    request whose outcome is unknown (timeout after sending, dropped connection, any
    5xx) raises ``RequestTimeout`` / ``MaybeSentError`` (UnavailableErrors with
    ``maybe_sent=True``) and is never re-sent by the client.
    """

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      json: Any = None, idempotent: bool | None = None) -> Any: ...
