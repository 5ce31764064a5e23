"""Connect Trade users and linked brokerages (specs/connecttrade/NOTES.md section 2:
third-party code, not the cookbook): provisioning a user (``POST /users``), linking a
brokerage (``POST /connections`` → a page to open in the browser), listing the links
(``GET /connections``) and unlinking one (``DELETE /connections/{id}``)."""

from __future__ import annotations

import uuid

from desktop.brokers.errors import UnavailableError

from . import wire
from .client import make_client


class Linking:
    """The linking half of :class:`~.broker.ConnectTradeBroker` (a mixin: ``rest`` and
    ``_load_accounts`` come from the broker)."""

    async def link_brokerage(self, broker_code: str, *, read_only: bool = False, redirect_url: str = "") -> str:
        """POST /connections: the ``connection_request_url`` to open in the browser."""
        body = await self.rest.request("POST", wire.CONNECTIONS, json={
            "connection_type": "readonly" if read_only else "trade", "broker": broker_code.upper(),
            "redirect_url": redirect_url}, idempotent=False)
        url = wire.text(body if isinstance(body, dict) else {}, "connection_request_url")
        if not url:
            raise UnavailableError("Connect Trade answered without a connection_request_url")
        return url

    async def linked_brokerages(self) -> list[tuple[str, str]]:
        """GET /connections: ``[(connection_id, label)]`` of the user's linked brokerages."""
        return wire.read_linked(await self.rest.request("GET", wire.CONNECTIONS))

    async def unlink(self, connection_id: str) -> str:
        """DELETE /connections/{connection_id}; the answer's message."""
        body = await self.rest.request("DELETE", wire.connection_path(connection_id))
        await self._load_accounts()
        return wire.text(body if isinstance(body, dict) else {}, "message")


async def provision_user(base_url: str, client_id: str, client_secret: str) -> tuple[str, str]:
    """POST /users with the platform headers and a new UUID: ``(user_id, user_secret)``.
    Keep the secret at once: Connect Trade shows it only here (losing it orphans the
    user). Raises the BrokerError family."""
    client = make_client(base_url, lambda: {"client-id": client_id, "client-secret": client_secret})
    await client.open()
    try:
        user_id = str(uuid.uuid4())
        body = await client.request("POST", wire.USERS, json={"user_id": user_id})
    finally:
        await client.close()
    body = body if isinstance(body, dict) else {}
    secret = wire.text(body, "user_secret")
    if not secret:
        raise UnavailableError("Connect Trade created the user but returned no user_secret")
    return wire.text(body, "user_id") or user_id, secret
