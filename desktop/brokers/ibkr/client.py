"""HTTPS client for the IBKR Client Portal Gateway (CPAPI v1, ``/v1/api``).

Certificate pinning (the gateway's certificate is self-signed), request pacing
(NOTES.md section 7), error mapping, one re-prime + retry on the gateway's session
errors ("Please query /accounts first", "no bridge", "Init session first") and safe
handling of order POSTs that time out. No Qt; never logs cookies or session tokens.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop.brokers.errors import (
    BrokerError,
    CertificateChangedError,
    CertificateUntrustedError,
    RateLimitedError,
    UnavailableError,
)
from desktop.brokers.transport import (
    Pacer,
    RetryPolicy,
    Backoff,
    RequestTimeout,
    error_message,
    is_certificate_failure,
    map_response,
    normalize_fingerprint,
    pinned_ssl_context,
    probe_certificate,
    retry_after_seconds,
)
from desktop.domain import ConnectionState, ConnectionStatus

from .client_errors import MAYBE_SENT_STATUSES, REPRIME_ERRORS, NeedsReprime as _NeedsReprime, Retryable as _Retryable
from .client_errors import decode_body as _decode, reprime_error
from .client_pacing import IBKR_PACE_RULES, PACE_MARGIN
from .client_throttle import EndpointCoolDowns, send_with_endpoint_retry

log = logging.getLogger(__name__)


#: First GLOBAL cool-down after a 429 (on a path without its own limit) without
#: Retry-After; doubles on each further 429 up to COOL_DOWN_MAX (IBKR's "penalty box"
#: lasts 10 minutes). Per-endpoint 429s: client_throttle.EndpointCoolDowns.

COOL_DOWN_FIRST = 60.0
COOL_DOWN_MAX = 600.0

__all__ = ["IBKR_PACE_RULES", "IbkrClient", "REPRIME_ERRORS", "RequestTimeout", "reprime_error"]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT"})
_in_reprime: contextvars.ContextVar[bool] = contextvars.ContextVar("ibkr_in_reprime", default=False)


class IbkrClient:
    """Pinned, paced HTTPS client of one Client Portal Gateway.

    ``base_url``: the REST base, e.g. "https://localhost:5000/v1/api". ``pinned_sha256``:
    the certificate fingerprint the user accepted ("AB:CD:..."; colons optional), None
    before first contact. ``timeout``: seconds per request. ``pacer``: defaults to
    10 req/s global + :data:`IBKR_PACE_RULES`. ``on_state``: receives COOL_DOWN (and
    CONNECTED when it ends); settable later as the ``on_state`` attribute.
    ``reprime``: an async callable (set by IbkrSession) awaited once when the gateway
    answers with a session error, after which the request is retried once.
    """

    def __init__(
        self,
        base_url: str,
        *,
        pinned_sha256: str | None = None,
        timeout: float = 10.0,
        pacer: Pacer | None = None,
        on_state: Callable[[ConnectionState], None] | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"the gateway URL must be https://host:port/...: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or 443
        self.pinned_sha256 = normalize_fingerprint(pinned_sha256) if pinned_sha256 else None
        self.timeout = timeout
        self.pacer = pacer or Pacer(10, IBKR_PACE_RULES, margin=PACE_MARGIN)
        self.on_state = on_state
        self.retry_policy = retry_policy or RetryPolicy()
        self.reprime: Callable[[], Awaitable[None]] | None = None
        self._http: httpx.AsyncClient | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._fingerprint: str | None = None
        self._cool_downs = Backoff(COOL_DOWN_FIRST, 2, COOL_DOWN_MAX, jitter=0)
        self.endpoint_cool_downs = EndpointCoolDowns()
        self._cool_down_timer: asyncio.TimerHandle | None = None
        self._reprime_lock = asyncio.Lock()
        self._reprime_generation = 0

    # -- life cycle -------------------------------------------------------------
    @property
    def fingerprint(self) -> str | None:
        """SHA-256 fingerprint of the certificate the gateway presented at open()."""
        return self._fingerprint

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The pinned SSLContext (for the websocket too). Raises RuntimeError before open()."""
        if self._ssl_context is None:
            raise RuntimeError("IbkrClient.open() first")
        return self._ssl_context

    @property
    def cookies(self) -> httpx.Cookies:
        """The gateway's session cookies (never log them)."""
        return self._http.cookies if self._http is not None else httpx.Cookies()

    @property
    def is_open(self) -> bool:
        return self._http is not None

    async def open(self) -> None:
        """Read the gateway's certificate and open the pinned HTTP client.

        Raises CertificateUntrustedError (nothing pinned; ``fingerprint`` to show the
        user), CertificateChangedError (the certificate is not the pinned one),
        UnavailableError when the gateway cannot be reached.
        """
        der, presented = await self._probe()
        self._fingerprint = presented
        if self.pinned_sha256 is None:
            raise CertificateUntrustedError(
                f"The IBKR gateway at {self.host}:{self.port} uses a self-signed certificate "
                f"(SHA-256 {presented}). Check and accept it to connect.",
                fingerprint=presented,
            )
        if presented != self.pinned_sha256:
            raise CertificateChangedError(
                f"The gateway's certificate changed since you accepted it (now {presented}, "
                f"accepted {self.pinned_sha256}); connection refused. Accept the new "
                "certificate only if you changed the gateway yourself.",
                fingerprint=presented,
                pinned=self.pinned_sha256,
            )
        self._ssl_context = pinned_ssl_context(der)
        if self._http is not None:
            await self._http.aclose()
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            verify=self._ssl_context,
            timeout=self.timeout,
            headers={"User-Agent": "Tradedesk", "Accept": "application/json"},
        )

    async def close(self) -> None:
        """Close the HTTP client (idempotent)."""
        if self._cool_down_timer is not None:
            self._cool_down_timer.cancel()
            self._cool_down_timer = None
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    async def _probe(self) -> tuple[bytes, str]:
        try:
            return await probe_certificate(self.host, self.port, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            raise UnavailableError(
                f"Cannot reach the IBKR gateway at {self.host}:{self.port} ({exc.__class__.__name__}). "
                "Is the Client Portal Gateway running?"
            ) from exc

    # -- requests ---------------------------------------------------------------
    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None, *, params: dict[str, Any] | None = None, idempotent: bool | None = None) -> Any:
        return await self.request("POST", path, params=params, json=json, idempotent=idempotent)

    async def put(self, path: str, json: Any = None, *, params: dict[str, Any] | None = None) -> Any:
        return await self.request("PUT", path, params=params, json=json)

    async def delete(self, path: str, *, params: dict[str, Any] | None = None, idempotent: bool | None = None) -> Any:
        return await self.request("DELETE", path, params=params, idempotent=idempotent)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request to ``path`` (relative to the base, "/iserver/accounts") and
        return the decoded JSON (None for an empty body, text when not JSON).

        ``idempotent`` defaults to True for GET/HEAD/OPTIONS/PUT. Idempotent requests
        are retried after connect errors and 503 (RetryPolicy). A 429 on an endpoint with
        its own limit pauses only that endpoint and a GET is retried once after it
        (client_throttle). Raises:
        RateLimitedError (429 or cooling down; ``retry_after``), AuthError (401/403),
        NotFoundError (404), InvalidRequestError (other 4xx), UnavailableError /
        BrokerError (5xx, ``raw`` = body), RequestTimeout (no answer, or 503/504 to a
        non-idempotent request; ``maybe_sent``),
        CertificateChangedError (the gateway now presents another certificate).
        A 200 body {"error": ...} is returned as is unless it is a session error
        (then re-prime once, retry once; if it persists UnavailableError).
        """
        if self._http is None:
            raise UnavailableError("Not connected to the IBKR gateway")
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        generation = self._reprime_generation
        try:
            return await self._with_retries(method, path, params, json, idempotent)
        except _NeedsReprime as needs:
            if _in_reprime.get() or self.reprime is None:
                raise needs.error from None
        log.info("IBKR gateway session needs priming (%s %s); re-priming once", method, path)
        await self._reprime_once(generation)
        try:
            return await self._with_retries(method, path, params, json, idempotent)
        except _NeedsReprime as needs:
            raise needs.error from None

    async def _reprime_once(self, generation: int) -> None:
        async with self._reprime_lock:
            if generation != self._reprime_generation:
                return  # another request re-primed meanwhile
            token = _in_reprime.set(True)
            try:
                await self.reprime()  # type: ignore[misc]
            finally:
                _in_reprime.reset(token)
                self._reprime_generation += 1

    async def _with_retries(self, method: str, path: str, params: Any, body: Any, idempotent: bool) -> Any:
        attempt = 0
        while True:
            try:
                return await send_with_endpoint_retry(
                    lambda: self._send(method, path, params, body, idempotent), self.pacer, method, path, idempotent)
            except _Retryable as retry:
                if not self.retry_policy.should_retry(attempt, idempotent=idempotent, status=retry.status, connect_error=retry.status is None):
                    raise retry.error from None
                delay = self.retry_policy.delay(attempt)
                attempt += 1
                log.debug("retrying %s %s in %.2f s (%s)", method, path, delay, retry.error.message)
                await asyncio.sleep(delay)

    async def _send(self, method: str, path: str, params: Any, body: Any, idempotent: bool) -> Any:
        assert self._http is not None
        url = path.lstrip("/")
        started = time.monotonic()
        async with self.pacer.slot(path):
            try:
                response = await self._http.request(method, url, params=params, json=body)
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise _Retryable(RequestTimeout(f"The IBKR gateway did not accept the connection ({method} {path})", maybe_sent=False), None) from exc
            except httpx.TimeoutException as exc:
                raise RequestTimeout(
                    f"The IBKR gateway did not answer {method} {path} within {self.timeout:g} s",
                    maybe_sent=True,
                ) from exc
            except httpx.ConnectError as exc:
                if is_certificate_failure(exc):
                    raise await self._certificate_changed() from exc
                raise _Retryable(UnavailableError(f"Cannot reach the IBKR gateway ({exc.__class__.__name__})"), None) from exc
            except httpx.TransportError as exc:
                if idempotent:
                    raise _Retryable(UnavailableError(f"The connection to the IBKR gateway broke ({exc.__class__.__name__})"), None) from exc
                raise RequestTimeout(
                    f"The connection to the IBKR gateway broke during {method} {path}; the outcome is unknown",
                    maybe_sent=True,
                ) from exc
        log.debug("%s %s -> %s (%.0f ms)", method, path, response.status_code, 1000 * (time.monotonic() - started))
        data = _decode(response)
        status = response.status_code
        if status == 429:
            raise self._throttled(method, path, response.headers, data)
        if status < 400:
            self._cool_downs.reset()
            self.endpoint_cool_downs.succeeded(path)
        text = reprime_error(data)
        if text is not None:
            raise _NeedsReprime(UnavailableError(f"The IBKR gateway session is not ready: {text}", code=str(status), raw=data))
        if status >= 400:
            error = map_response(status, data, response.headers)
            assert error is not None
            log.debug("%s %s failed: %s", method, path, error.message)
            if not idempotent and status in MAYBE_SENT_STATUSES:
                # "request takes more than 10s": the gateway may have forwarded it
                raise RequestTimeout(
                    f"The IBKR gateway answered {method} {path} with HTTP {status} ({error.message}); "
                    "the outcome is unknown", maybe_sent=True, raw=data)
            if status in self.retry_policy.retry_statuses:
                raise _Retryable(error, status)
            raise error
        return data

    def _throttled(self, method: str, path: str, headers: httpx.Headers, body: Any) -> Exception:
        """A 429: on a path with its own limit only that endpoint cools down (no state
        published); otherwise the global cool-down + COOL_DOWN state (NOTES.md 7)."""
        seconds = retry_after_seconds(headers)
        endpoint = self.endpoint_cool_downs.throttled(self.pacer, method, path, seconds, body)
        if endpoint is not None:
            return endpoint
        if seconds is None:
            seconds = next(self._cool_downs)
        self.pacer.cool_down(seconds)
        until = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        log.warning("IBKR gateway throttled us (429, %s %s); pausing all requests for %.0f s", method, path, seconds)
        self._publish(ConnectionState(
            status=ConnectionStatus.COOL_DOWN,
            message=f"IBKR is throttling requests; paused for {seconds:.0f} s",
            until=until,
        ))
        self._schedule_cool_down_end(seconds)
        return RateLimitedError(
            f"IBKR throttled requests (HTTP 429): {error_message(body, 'too many requests')}; paused for {seconds:.0f} s",
            retry_after=seconds,
            code="429",
            raw=body,
        )

    def _schedule_cool_down_end(self, seconds: float) -> None:
        if self._cool_down_timer is not None:
            self._cool_down_timer.cancel()
        loop = asyncio.get_running_loop()
        self._cool_down_timer = loop.call_later(
            seconds,
            lambda: self._publish(ConnectionState(status=ConnectionStatus.CONNECTED, message="Cool-down over")),
        )

    def _publish(self, state: ConnectionState) -> None:
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception:  # noqa: BLE001
                log.exception("on_state callback failed")

    async def _certificate_changed(self) -> BrokerError:
        try:
            _, presented = await self._probe()
        except UnavailableError as exc:
            return exc
        return CertificateChangedError(
            f"The gateway's certificate changed (now {presented}, accepted {self.pinned_sha256}); "
            "connection refused.",
            fingerprint=presented,
            pinned=self.pinned_sha256,
        )
