"""Mapping of HTTP error responses to the BrokerError family, and a retry policy.

Broker-neutral: adapters call :func:`map_response` for any non-2xx response and add
their own broker-specific cases first.
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


def error_message(body: Any, default: str = "") -> str:
    """The human message of an error body: ``{"error": ...}``, ``{"message": ...}``,
    ``{"error": {"message": ...}}``, or the text itself (shortened to 300 characters)."""
    if isinstance(body, Mapping):
        for key in ("error", "message", "detail", "msg"):
            value = body.get(key)
            if isinstance(value, Mapping):
                value = value.get("message") or value.get("error")
            if isinstance(value, str) and value.strip():
                return value.strip()
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.strip():
        text = body.strip()
        return text if len(text) <= 300 else text[:297] + "..."
    return default


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The Retry-After header in seconds (delta-seconds form or an HTTP date), or None."""
    if not headers:
        return None
    value = None
    for key, item in headers.items():
        if key.lower() == "retry-after":
            value = item
            break
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def map_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> BrokerError | None:
    """The BrokerError for an HTTP response, or None for a success (status < 400).

    401/403 -> AuthError; 404 -> NotFoundError; 429 -> RateLimitedError (retry_after
    from Retry-After); 400/409/422 and other 4xx -> InvalidRequestError; 502/503/504 ->
    UnavailableError; other 5xx -> BrokerError. The message comes from the body
    (see :func:`error_message`); ``raw`` is the body; ``code`` is the HTTP status.
    """
    if status < 400:
        return None
    message = error_message(body, default=f"HTTP {status}")
    code = str(status)
    if status in (401, 403):
        return AuthError(message, code=code, raw=body)
    if status == 404:
        return NotFoundError(message, code=code, raw=body)
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after_seconds(headers), code=code, raw=body)
    if status < 500:
        return InvalidRequestError(message, code=code, raw=body)
    if status in (502, 503, 504):
        return UnavailableError(message, code=code, raw=body)
    return BrokerError(message, code=code, raw=body)


class RequestTimeout(UnavailableError):
    """A request got no (complete) answer. ``maybe_sent`` is True when the gateway may
    have received and acted on it (read timeout, or the connection broke after sending):
    a non-idempotent request (an order POST) is then NEVER retried; reconcile instead
    (e.g. find the order by its client order id)."""

    def __init__(self, message: str, *, maybe_sent: bool, raw: Any = None) -> None:
        super().__init__(message, raw=raw)
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry a request automatically: only IDEMPOTENT requests, only after a
    connect error (nothing was sent) or one of ``retry_statuses``, at most
    ``max_retries`` times, waiting ``delays[attempt]`` seconds (last one repeated).

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
