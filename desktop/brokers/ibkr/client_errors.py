"""How :class:`desktop.brokers.ibkr.client.IbkrClient` classifies gateway answers:
session errors that need a re-prime, statuses after which an order POST may have
been acted on, retryable failures, and body decoding. Source: NOTES.md sections 2, 7, 9.
"""

from __future__ import annotations

from typing import Any

import httpx

from desktop.brokers.errors import BrokerError

#: Error texts meaning "the brokerage session must be primed again" (NOTES.md section 9 #2, #8).
REPRIME_ERRORS: tuple[str, ...] = ("please query /accounts first", "no bridge", "init session first")

#: Statuses after which a non-idempotent request (an order POST) may still have been
#: acted on: the gateway answers 503 when IBKR takes more than 10 s (NOTES.md section 7,
#: "Service errors"), 504 when its upstream timed out. Raised as RequestTimeout(maybe_sent=True).
MAYBE_SENT_STATUSES = frozenset({503, 504})


def reprime_error(body: Any) -> str | None:
    """The gateway's session error text in ``body`` ({"error": "..."}), or None."""
    if isinstance(body, dict):
        text = body.get("error")
        if isinstance(text, str) and any(marker in text.lower() for marker in REPRIME_ERRORS):
            return text
    return None


class NeedsReprime(Exception):
    """The gateway refused a request with a session error (nothing was done)."""

    def __init__(self, error: BrokerError) -> None:
        super().__init__(error.message)
        self.error = error


class Retryable(Exception):
    """A failure the RetryPolicy may retry: ``status`` None for a connect error."""

    def __init__(self, error: BrokerError, status: int | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


def decode_body(response: httpx.Response) -> Any:
    """The decoded JSON body; None when empty, the text when it is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text
