"""A one-off look at an IBKR gateway's session for the connection form's "Check session"
tool (``desktop/connections/adapters/ibkr.py``): ``POST /iserver/auth/status`` over the
pinned client, in words. Qt-free."""

from __future__ import annotations

from desktop.brokers.errors import AuthError

from .client import IbkrClient


async def session_status_text(base_url: str, pinned_sha256: str) -> str:
    """What the gateway at ``base_url`` says about its session ("Logged in · brokerage
    session ready", "Not logged in: ...", ...), asked over a client pinned to
    ``pinned_sha256``. Raises BrokerError (incl. certificate errors) or ValueError
    for a bad URL. Source: NOTES.md section 2 (``/iserver/auth/status``)."""
    client = IbkrClient(base_url, pinned_sha256=pinned_sha256, timeout=5.0)
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
