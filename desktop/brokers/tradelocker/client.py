"""TradeLocker over the adapter kit's REST pipeline (specs/tradelocker/NOTES.md
section 2): the bearer token on every call (:mod:`.auth`), ``accNum`` on every
``/trade/*`` call, the envelope unwrapped, errors mapped.

Envelope: ``{"s":"ok","d":…}`` -> ``d``; ``{"s":"no_data",…}`` -> the body (history
says so); ``{"s":"error","errmsg":…}`` -> a BrokerError carrying ``errmsg`` in plain
words: OrderRejectedError for a refused order action (POST/PATCH/DELETE),
AuthError for 401/403, NotFoundError for 404, RateLimitedError for 429,
InvalidRequestError for another 4xx; a 5xx stays the pipeline's (an order POST's
5xx is "maybe sent" and reconciled, never re-sent). The auth answers are not
enveloped. Logs name method and path only (the kit's rule); tokens never.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from desktop.brokers.errors import (AuthError, BrokerError, InvalidRequestError, NotFoundError, OrderRejectedError,
                                    RateLimitedError)
from desktop.brokers.transport import RestClient, RestResponse, error_message

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PATCH", "DELETE"})


def envelope_error(response: RestResponse) -> BrokerError | None:
    """The adapter's error for an answer (the RestClient ``map_error`` hook), or None."""
    body, status = response.body, response.status
    refused = isinstance(body, Mapping) and body.get("s") == "error"
    if not refused and status < 400:
        return None
    message = ""
    if isinstance(body, Mapping):
        message = str(body.get("errmsg") or body.get("message") or "").strip()
    message = message or error_message(body, default=f"HTTP {status}")
    path = response.request.path
    if status in (401, 403):
        return AuthError(f"TradeLocker refused the request ({message})", code=str(status), raw=body)
    if status == 429:
        return RateLimitedError(f"TradeLocker's rate limit: {message}", code="429", raw=body)
    if status >= 500:
        return BrokerError(f"TradeLocker failed: {message}", code=str(status), raw=body)
    if status == 404:
        return NotFoundError(message, code="404", raw=body)
    if response.request.method in WRITE_METHODS and path.startswith("/trade/"):
        return OrderRejectedError(message, code=str(status), raw=body)
    return InvalidRequestError(message, code=str(status), raw=body)


class ErrorMapper:
    """The ``map_error`` hook: :func:`envelope_error`, and every answer's ``Date``
    header to ``clock`` (:class:`~.server_clock.ServerClock`)."""

    def __init__(self, clock) -> None:
        self.clock = clock

    def __call__(self, response: RestResponse) -> BrokerError | None:
        self.clock.observe(response.headers)
        return envelope_error(response)


class TradeLockerClient:
    """Calls to one TradeLocker environment through ``rest`` (its ``sign`` is the
    session's bearer; ``map_error`` :func:`envelope_error`). ``before`` is awaited
    before every call but the auth ones (the session refreshing ahead of expiry)."""

    def __init__(self, rest: RestClient, before=None) -> None:
        self.rest = rest
        self._before = before

    async def call(self, method: str, path: str, *, acc_num: str | None = None, params: Mapping[str, Any] | None = None,
                   json: Any = None, idempotent: bool | None = None) -> Any:
        """``d`` of the answer (or the whole body when it has no envelope). /trade/*
        paths need ``acc_num`` (ValueError without: a programming error)."""
        headers = {}
        if path.startswith("/trade/"):
            if not acc_num:
                raise ValueError(f"{path} needs the accNum header")
            headers["accNum"] = str(acc_num)
        if self._before is not None and not path.startswith("/auth/jwt/t") and not path.startswith("/auth/jwt/r"):
            await self._before()
        body = await self.rest.request(method, path, params=params, json=json, headers=headers, idempotent=idempotent)
        if isinstance(body, Mapping) and body.get("s") == "ok" and "d" in body:
            return body["d"]
        return body

    async def post_auth(self, path: str, body: dict[str, Any]) -> Any:
        """A POST to an ``/auth/jwt/*`` endpoint (no accNum, no pre-refresh)."""
        return await self.rest.request("POST", path, json=body, idempotent=False)
