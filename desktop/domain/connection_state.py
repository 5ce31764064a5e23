"""The state of a broker session, as the status bar shows it. Pure data."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import Field

from .base import DomainModel, utc_now


class ConnectionStatus(str, Enum):
    """Where a broker session stands.

    CONNECTING: opening the session; LOGIN_REQUIRED: the user must log in (e.g. in
    the IBKR gateway's browser page at ``ConnectionState.login_url``); COMPETING:
    another session of the same user holds the brokerage session and taking it over
    needs the user's consent; CONNECTED: ready; RECONNECTING: the session or a stream
    dropped and is being restored (e.g. IBKR's daily reset); COOL_DOWN: the broker
    throttled us (HTTP 429) and requests are paused until ``ConnectionState.until``;
    DISCONNECTED: closed or failed (``message`` says why).
    """

    CONNECTING = "CONNECTING"
    LOGIN_REQUIRED = "LOGIN_REQUIRED"
    COMPETING = "COMPETING"
    CONNECTED = "CONNECTED"
    RECONNECTING = "RECONNECTING"
    COOL_DOWN = "COOL_DOWN"
    DISCONNECTED = "DISCONNECTED"


class ConnectionState(DomainModel):
    """One change of a broker's session state.

    ``message`` a short user-facing explanation ("Log in to the IBKR gateway in your
    browser"); ``login_url`` where to log in (LOGIN_REQUIRED); ``until`` the end of a
    COOL_DOWN (aware UTC); ``timestamp`` when the state was entered (aware UTC).
    """

    status: ConnectionStatus
    message: str = ""
    login_url: str | None = None
    until: datetime | None = None
    timestamp: datetime = Field(default_factory=utc_now)
