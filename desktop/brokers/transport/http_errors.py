"""Mapping of HTTP error responses to the BrokerError family, the "maybe sent"
errors, and a retry policy.

Broker-neutral: :class:`~desktop.brokers.transport.rest.RestClient` calls
:func:`map_response` for every non-2xx response after the adapter's own
``map_error`` hook had its chance. Error bodies come in a few common shapes, all
read here: ``{"error": "..."}`` (IBKR), ``{"error": ..., "message": ...}``,
``{"message": ...}`` (Connect Trade), ``{"detail": ..., "code": ...}`` and
``{"default_detail": ..., "default_code": ...}`` (SnapTrade, NOTES.md section 5),
``{"errmsg": ...}`` (TradeLocker), ``{"error": {"message": ...}}``, and plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.brokers.errors import (
    AuthError,
    BrokerError,
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)

from .retry_after import retry_after_seconds, throttle_wait_seconds

__all__ = ["MaybeSentError", "RequestTimeout", "RetryPolicy", "error_code", "error_message", "is_maybe_sent",
           "map_response", "retry_after_seconds"]

#: Body keys holding the human message, most specific first.
MESSAGE_KEYS = ("message", "detail", "default_detail", "error_description", "errmsg", "error", "msg")
#: Body keys holding the broker's own error code.
CODE_KEYS = ("code", "default_code", "error_code", "errorCode")


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("message") or value.get("error") or value.get("msg")
    if isinstance(value, list):  # e.g. FastAPI's [{"loc": [...], "msg": "..."}]
        value = "; ".join(_text(item) for item in value if _text(item))
    return value.strip() if isinstance(value, str) else ""


def error_message(body: Any, default: str = "") -> str:
    """The human message of an error body (the first non-empty of
    :data:`MESSAGE_KEYS`; a nested ``{"message": ...}`` or a list of them is read
    too), or the body's text (shortened to 300 characters), else ``default``."""
    if isinstance(body, Mapping):
        for key in MESSAGE_KEYS:
            text = _text(body.get(key))
            if text:
                return text
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.strip():
        text = body.strip()
        return text if len(text) <= 300 else text[:297] + "..."
    return default


def error_code(body: Any) -> str | None:
    """The broker's own code in an error body (``code``, ``default_code``, ...; a
    number or a string such as "0000"), or None."""
    if isinstance(body, Mapping):
        for key in CODE_KEYS:
            value = body.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()
    return None


def map_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> BrokerError | None:
    """The BrokerError for an HTTP response, or None for a success (status < 400).

    401/403 -> AuthError; 404 -> NotFoundError; 429 -> RateLimitedError
    (``retry_after`` in seconds from Retry-After or an exhausted X-RateLimit-* window,
    see :func:`~desktop.brokers.transport.retry_after.throttle_wait_seconds`);
    other 4xx -> InvalidRequestError; 502/503/504 -> UnavailableError; other 5xx ->
    BrokerError. ``message`` comes from the body (:func:`error_message`), ``code`` is
    the broker's code in the body (:func:`error_code`) or else the HTTP status,
    ``raw`` is the body.
    """
    if status < 400:
        return None
    message = error_message(body, default=f"HTTP {status}")
    code = error_code(body) or str(status)
    if status in (401, 403):
        return AuthError(message, code=code, raw=body)
    if status == 404:
        return NotFoundError(message, code=code, raw=body)
    if status == 429:
        return RateLimitedError(message, retry_after=throttle_wait_seconds(headers), code=code, raw=body)
    if status < 500:
        return InvalidRequestError(message, code=code, raw=body)
    if status in (502, 503, 504):
        return UnavailableError(message, code=code, raw=body)
    return BrokerError(message, code=code, raw=body)


class RequestTimeout(UnavailableError):
    """A request got no (complete) answer. ``maybe_sent`` is True when the server may
    have received and acted on it (read timeout after sending): a non-idempotent
    request (an order POST) is then NEVER retried; reconcile instead (see
    :func:`desktop.brokers.transport.reconcile.submit_once`). False when it certainly
    never left (no connection could be made)."""

    def __init__(self, message: str, *, maybe_sent: bool, raw: Any = None) -> None:
        super().__init__(message, raw=raw)
        self.maybe_sent = maybe_sent


class MaybeSentError(UnavailableError):
    """A non-idempotent request (an order POST) whose outcome is unknown: the
    connection broke after it may have left, or the server answered with a 5xx (it
    may have acted before failing). Never re-send it; reconcile (look the order up by
    its client order id). ``maybe_sent`` is always True."""

    maybe_sent = True


def is_maybe_sent(exc: BaseException) -> bool:
    """Whether ``exc`` says a request may have been acted on (``maybe_sent`` True:
    :class:`MaybeSentError`, a RequestTimeout after sending, an adapter's own)."""
    return getattr(exc, "maybe_sent", False) is True


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry a request automatically: only IDEMPOTENT requests, only after a
    connect error or a dropped connection (``connect_error``) or one of
    ``retry_statuses``, at most ``max_retries`` times, waiting ``delays[attempt]``
    seconds (the last one repeated).

    Non-idempotent requests (order placement) are never retried: their outcome is
    unknown after a failure and must be reconciled instead.
    """

    max_retries: int = 2
    retry_statuses: frozenset[int] = frozenset({503})
    delays: tuple[float, ...] = (0.25, 1.0)

    def should_retry(self, attempt: int, *, idempotent: bool, status: int | None = None, connect_error: bool = False) -> bool:
        """``attempt`` counts retries already made (0 for the first failure)."""
        if not idempotent or attempt >= self.max_retries:
            return False
        return connect_error or (status is not None and status in self.retry_statuses)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if not self.delays:
            return 0.0
        return self.delays[min(attempt, len(self.delays) - 1)]
