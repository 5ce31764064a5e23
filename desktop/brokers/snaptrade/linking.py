"""Linking brokerages through the Connection Portal, and managing the user's
connections (specs/snaptrade/NOTES.md section 4: login, authorizations,
DELETE /connection/{id}, refresh; section 7 pitfall 3: a read-only connection is
upgraded only by ``reconnect`` together with ``connectionType=trade``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from desktop.brokers.errors import BrokerError

from .client import SnapTradeClient
from .parse import Authorization, parse_authorization

PORTAL_LIFETIME = 300.0
"""Seconds a Connection Portal link works (it expires in 5 minutes)."""


@dataclass(frozen=True)
class PortalLink:
    """A Connection Portal link: ``url``, ``session_id``, ``expires`` (Unix seconds)."""

    url: str
    session_id: str
    expires: float

    def describe(self) -> str:
        return ("Opened the SnapTrade Connection Portal in your browser: log in to your brokerage there. "
                "The link expires in 5 minutes (then ask for a new one). The accounts you link appear in the desk "
                "within a minute.")


class Linking:
    """The portal and connection calls of one client."""

    def __init__(self, client: SnapTradeClient, *, clock=time.time) -> None:
        self.client = client
        self._clock = clock

    async def portal(self, *, connection_type: str = "trade", reconnect: str | None = None,
                     broker: str | None = None) -> PortalLink:
        """A Connection Portal link (``POST /snapTrade/login``): ``connection_type``
        "read" or "trade"; ``reconnect``: an authorization id to reconnect (with
        "trade": upgrade a read-only connection); ``broker``: preselect one."""
        if connection_type not in ("read", "trade", "trade-if-available"):
            raise ValueError(f"connection type must be read or trade, not {connection_type!r}")
        body: dict[str, object] = {"connectionType": connection_type}
        if reconnect:
            body["reconnect"] = reconnect
        if broker:
            body["broker"] = broker
        answer = await self.client.login(body)
        url = answer.get("redirectURI") if isinstance(answer, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise BrokerError("SnapTrade sent no Connection Portal link", raw=answer)
        return PortalLink(url, str(answer.get("sessionId") or ""), self._clock() + PORTAL_LIFETIME)

    async def authorizations(self) -> list[Authorization]:
        """The user's brokerage connections (``GET /authorizations``)."""
        rows = await self.client.authorizations()
        found = [parse_authorization(r) for r in rows or [] if isinstance(r, dict)]
        return [a for a in found if a is not None]

    async def upgrade(self, authorization_id: str) -> PortalLink:
        """A link that reconnects a read-only connection with trading access."""
        return await self.portal(connection_type="trade", reconnect=authorization_id)

    async def remove(self, authorization_id: str) -> str:
        """Remove a connection (``DELETE /connection/{id}``; SnapTrade deletes it
        asynchronously). Returns its answer text."""
        answer = await self.client.delete_connection(authorization_id)
        return str(answer.get("detail") if isinstance(answer, dict) else answer or "removed")

    async def refresh(self, authorization_id: str) -> str:
        """Queue a sync of the connection's accounts (charged by SnapTrade)."""
        answer = await self.client.refresh(authorization_id)
        return str(answer.get("detail") if isinstance(answer, dict) else answer or "refresh queued")


def describe(auth: Authorization) -> str:
    """"Alpaca (trade)", "Fidelity (read-only, disabled)"."""
    words = ["trade" if not auth.read_only else "read-only"]
    if auth.disabled:
        words.append("disabled")
    return f"{auth.brokerage or auth.slug} ({', '.join(words)})"
