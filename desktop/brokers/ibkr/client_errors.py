"""IBKR's own answers for the REST pipeline's hooks: the gateway's session errors,
which need a re-prime and one resend (specs/ibkr-cpapi/NOTES.md section 9 #2, #8;
section 2 "Daily reset"), used by :class:`desktop.brokers.ibkr.client.IbkrClient`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from desktop.brokers.errors import BrokerError, UnavailableError
from desktop.brokers.transport import RestResponse

#: Error texts meaning "the brokerage session must be primed again" (NOTES.md section 9 #2, #8).
REPRIME_ERRORS: tuple[str, ...] = ("please query /accounts first", "no bridge", "init session first")


def reprime_error(body: Any) -> str | None:
    """The gateway's session error text in ``body`` ({"error": "..."}), or None."""
    if isinstance(body, dict):
        text = body.get("error")
        if isinstance(text, str) and any(marker in text.lower() for marker in REPRIME_ERRORS):
            return text
    return None


class SessionNotReady(UnavailableError):
    """The gateway refused a request with a session error (nothing was done): after
    the daily reset or an idle period ("Please query /accounts first", "no bridge",
    "Init session first"), whatever the HTTP status (also 200)."""


def session_error(response: RestResponse) -> BrokerError | None:
    """The pipeline's ``map_error`` hook: :class:`SessionNotReady` for a session
    error in any answer, else None (the generic mapping decides)."""
    text = reprime_error(response.body)
    if text is None:
        return None
    return SessionNotReady(f"The IBKR gateway session is not ready: {text}", code=str(response.status),
                           raw=response.body)


class Reprime:
    """The pipeline's recovery for :class:`SessionNotReady`: awaits ``reprime()``
    (IbkrSession.reprime: auth/status, ssodh/init, GET /iserver/accounts), after
    which the refused request is sent once more. ``reprime`` returns the callable or
    None (no session attached yet: the error is raised as is)."""

    def __init__(self, reprime: Callable[[], Callable[[], Awaitable[None]] | None]) -> None:
        self._reprime = reprime

    def needs(self, error: BrokerError, response: RestResponse | None) -> bool:
        return isinstance(error, SessionNotReady) and self._reprime() is not None

    async def recover(self) -> None:
        reprime = self._reprime()
        if reprime is not None:
            await reprime()
