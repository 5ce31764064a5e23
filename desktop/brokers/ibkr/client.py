"""HTTPS client for the IBKR Client Portal Gateway (CPAPI v1, ``/v1/api``): the IBKR
layer over the adapter kit's REST pipeline (:class:`desktop.brokers.transport.RestClient`).

What is IBKR's here: the gateway's certificate is self-signed, so a pin is required
(NOTES.md section 2); no request signing (the gateway holds the brokerage session
the user opened in the browser; its cookies stay in the client); IBKR's pace rules
(:mod:`.client_pacing`, NOTES.md section 7) with per-endpoint 429 cool-downs and a
global cool-down published as COOL_DOWN; one re-prime and one resend on the session
errors "Please query /accounts first", "no bridge", "Init session first"
(:mod:`.client_errors`, NOTES.md section 9). Everything else (idempotency: an order
POST is never re-sent; error mapping; TLS) is the kit's. No Qt; never logs cookies
or session tokens.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop.brokers.transport import Pacer, RequestTimeout, RestClient, RetryPolicy, Throttle, TlsPolicy
from desktop.domain import ConnectionState, ConnectionStatus

from .client_errors import REPRIME_ERRORS, Reprime, reprime_error, session_error
from .client_pacing import COOL_DOWN_FIRST, COOL_DOWN_MAX, GLOBAL_RATE, IBKR_PACE_RULES, PACE_MARGIN

log = logging.getLogger(__name__)

__all__ = ["IBKR_PACE_RULES", "IbkrClient", "REPRIME_ERRORS", "RequestTimeout", "reprime_error"]

#: IBKR's PUTs are idempotent too (the pipeline's default is GET/HEAD/OPTIONS).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT"})


class IbkrClient:
    """Pinned, paced HTTPS client of one Client Portal Gateway.

    ``base_url``: the REST base, e.g. "https://localhost:5000/v1/api" (ValueError
    unless https). ``pinned_sha256``: the certificate fingerprint the user accepted
    ("AB:CD:..."; colons optional), None before first contact. ``timeout``: seconds
    per request. ``pacer``: defaults to 10 req/s global + :data:`IBKR_PACE_RULES`.
    ``on_state``: receives COOL_DOWN (and CONNECTED when it ends); settable later as
    the ``on_state`` attribute. ``reprime``: an async callable (set by IbkrSession)
    awaited once when the gateway answers with a session error, after which the
    request is sent once more.
    """

    def __init__(self, base_url: str, *, pinned_sha256: str | None = None, timeout: float = 10.0,
                 pacer: Pacer | None = None, on_state: Callable[[ConnectionState], None] | None = None,
                 retry_policy: RetryPolicy | None = None) -> None:
        if urlsplit(base_url).scheme != "https":
            raise ValueError(f"the gateway URL must be https://host:port/...: {base_url!r}")
        self.on_state = on_state
        self.reprime: Callable[[], Awaitable[None]] | None = None
        self._cool_down_timer: asyncio.TimerHandle | None = None
        self.rest = RestClient(
            base_url, name="the IBKR gateway", tls=TlsPolicy(pinned_sha256=pinned_sha256, require_pin=True),
            map_error=session_error, recover=[Reprime(lambda: self.reprime)],
            pacer=pacer or Pacer(GLOBAL_RATE, IBKR_PACE_RULES, margin=PACE_MARGIN),
            throttle=Throttle(IBKR_PACE_RULES, global_first=COOL_DOWN_FIRST, global_max=COOL_DOWN_MAX,
                              on_global=self._cooling_down),
            retry_policy=retry_policy, timeout=timeout, idempotent_methods=IDEMPOTENT_METHODS,
            unreachable_hint="Is the Client Portal Gateway running?")

    # -- what the rest of the adapter reads -------------------------------------------
    base_url = property(lambda self: self.rest.base_url)
    host = property(lambda self: self.rest.host)
    port = property(lambda self: self.rest.port)
    timeout = property(lambda self: self.rest.timeout)
    pacer = property(lambda self: self.rest.pacer, doc="The Pacer every request goes through.")
    retry_policy = property(lambda self: self.rest.retry_policy)
    pinned_sha256 = property(lambda self: self.rest.tls.pinned_sha256,
                             doc='The accepted fingerprint ("AB:CD:..."), or None.')

    @property
    def fingerprint(self) -> str | None:
        """SHA-256 fingerprint of the certificate the gateway presented at open()."""
        return self.rest.fingerprint

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The pinned SSLContext (for the websocket too). Raises RuntimeError before open()."""
        return self.rest.ssl_context

    @property
    def cookies(self) -> httpx.Cookies:
        """The gateway's session cookies (never log them)."""
        return self.rest.cookies

    @property
    def is_open(self) -> bool:
        return self.rest.is_open

    # -- life cycle -------------------------------------------------------------------
    async def open(self) -> None:
        """Read the gateway's certificate and open the pinned HTTP client.

        Raises CertificateUntrustedError (nothing pinned; ``fingerprint`` to show the
        user), CertificateChangedError (the certificate is not the pinned one),
        UnavailableError when the gateway cannot be reached.
        """
        await self.rest.open()

    async def close(self) -> None:
        """Close the HTTP client (idempotent)."""
        if self._cool_down_timer is not None:
            self._cool_down_timer.cancel()
            self._cool_down_timer = None
        await self.rest.close()

    # -- requests ---------------------------------------------------------------------
    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None, *, params: dict[str, Any] | None = None,
                   idempotent: bool | None = None) -> Any:
        return await self.request("POST", path, params=params, json=json, idempotent=idempotent)

    async def put(self, path: str, json: Any = None, *, params: dict[str, Any] | None = None) -> Any:
        return await self.request("PUT", path, params=params, json=json)

    async def delete(self, path: str, *, params: dict[str, Any] | None = None, idempotent: bool | None = None) -> Any:
        return await self.request("DELETE", path, params=params, idempotent=idempotent)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                      idempotent: bool | None = None) -> Any:
        """Send one request to ``path`` (relative to the base, "/iserver/accounts") and
        return the decoded JSON (None for an empty body, text when not JSON).

        ``idempotent`` defaults to True for GET/HEAD/OPTIONS/PUT; those are retried
        after connect errors and 503 (RetryPolicy). A 429 on an endpoint with its own
        limit pauses only that endpoint and a GET is retried once after it; any other
        429 pauses everything and publishes COOL_DOWN. A non-idempotent request (an
        order POST) is never re-sent: a timeout after sending, a dropped connection or
        any 5xx raises RequestTimeout / MaybeSentError (``maybe_sent``; reconcile).
        Raises RateLimitedError, AuthError (401/403), NotFoundError (404),
        InvalidRequestError (other 4xx), UnavailableError / BrokerError (5xx to an
        idempotent request; ``raw`` = body), CertificateChangedError. A 200 body
        {"error": ...} is returned as is unless it is a session error (then re-prime
        once, resend once; if it persists UnavailableError).
        """
        return await self.rest.request(method, path, params=params, json=json, idempotent=idempotent)

    # -- global cool-down as a connection state ----------------------------------------
    def _cooling_down(self, seconds: float) -> None:
        """The throttle's hook after a global 429: COOL_DOWN now, CONNECTED at its end."""
        until = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        self._publish(ConnectionState(status=ConnectionStatus.COOL_DOWN,
                                      message=f"IBKR is throttling requests; paused for {seconds:.0f} s", until=until))
        if self._cool_down_timer is not None:
            self._cool_down_timer.cancel()
        self._cool_down_timer = asyncio.get_running_loop().call_later(
            seconds, lambda: self._publish(ConnectionState(status=ConnectionStatus.CONNECTED, message="Cool-down over")))

    def _publish(self, state: ConnectionState) -> None:
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception:  # noqa: BLE001
                log.exception("on_state callback failed")
