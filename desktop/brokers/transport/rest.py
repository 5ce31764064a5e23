"""The REST request pipeline every HTTP broker adapter uses. Broker-neutral, no Qt.

One request: build (:class:`RestRequest`) -> the adapter's ``sign`` hook -> pace
(:class:`Pacer`: global and per-endpoint windows, cool-downs) -> send (httpx) -> map
the answer (the adapter's ``map_error`` hook first, then :func:`map_response`) ->
idempotency rules -> maybe recover once (:mod:`~desktop.brokers.transport.recovery`).

Idempotency (the rule that keeps orders from being placed twice):

- GET/HEAD/OPTIONS, and requests the caller marks ``idempotent=True``, are retried
  per :class:`RetryPolicy` after a connect error, a dropped connection or a
  retry status (503); a 429 is handled by :class:`Throttle`.
- Any other request (an order POST) is NEVER re-sent. A timeout after it may have
  left raises :class:`RequestTimeout` (``maybe_sent=True``); a dropped connection or
  ANY 5xx answer raises :class:`MaybeSentError`. The adapter then reconciles by
  client order id (:func:`~desktop.brokers.transport.reconcile.submit_once`). Only
  when nothing left (no connection could be made) is it RequestTimeout/UnavailableError
  with ``maybe_sent`` False.
- The one exception: a recovery's error (401 with a refreshable token, IBKR's
  session not primed) means the server refused without acting; the request is then
  resent once after the recovery.

Answers are read up to ``max_body_bytes`` and ``max_depth`` levels of nesting
(:mod:`~desktop.brokers.transport.payloads`): beyond, PayloadError (MaybeSentError for
a non-idempotent request), never a RecursionError or an unbounded read. Every cookie
the server sets is registered for log redaction.

TLS: :class:`~desktop.brokers.transport.tls.TlsPolicy` (system CAs by default,
pinning as an option). Logs name method and path only: never the query (it may carry
a user secret), headers, cookies or bodies.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from desktop.brokers.errors import BrokerError, CertificateError, RateLimitedError, UnavailableError
from desktop.security.redaction import register_secret

from .http_errors import MaybeSentError, RequestTimeout, RetryPolicy, map_response
from .pacing import Pacer
from .payloads import MAX_BODY_BYTES, MAX_DEPTH, PayloadError
from .recovery import Recovery, RecoveryGate
from .rest_request import RestRequest, RestResponse, decode_body
from .retry_after import throttle_wait_seconds
from .signing import Signer, SignerChain, apply_signer
from .throttle import Throttle
from .tls import TlsPolicy, certificate_failure, client_context
from .tls_pinning import is_certificate_failure

log = logging.getLogger(__name__)

#: Methods retried by default (RFC 9110 safe methods).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

ErrorHook = Callable[[RestResponse], "BrokerError | None"]
"""``map_error(response)``: the adapter's own error for any answer (also a 2xx whose
body says it failed), or None to let the generic mapping decide."""


class _Retryable(Exception):
    """A failure the RetryPolicy may retry: ``status`` None for a connect error."""

    def __init__(self, error: BrokerError, status: int | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


class _NeedsRecovery(Exception):
    def __init__(self, error: BrokerError, index: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.index = index


def _recoveries_of(sign: Signer | None) -> list[Recovery]:
    parts = sign.parts if isinstance(sign, SignerChain) else (sign,)
    return [part for part in parts if isinstance(part, Recovery)]


class RestClient:
    """HTTP(S) client of one broker API (see the module docstring).

    ``base_url``: "https://host[:port][/base/path]" (plain http only for loopback
    hosts: tests, local emulators; ValueError otherwise). ``name``: who the server is
    in messages ("the IBKR gateway"). ``tls``: a TlsPolicy (default: system CAs).
    Hooks: ``sign`` (:mod:`~desktop.brokers.transport.signing`; a BearerAuth in it is
    also a recovery), ``map_error`` (:data:`ErrorHook`), ``recover`` (more
    :class:`Recovery` s). ``pacer`` (default: no limits), ``throttle`` (429 handling,
    default :class:`Throttle` over the pacer's rules), ``retry_policy``; ``timeout``:
    seconds per request; ``headers``: sent with every request;
    ``idempotent_methods``: retried unless the caller says otherwise;
    ``unreachable_hint``: appended to "Cannot reach ..." (e.g. "Is the gateway
    running?"); ``max_body_bytes`` / ``max_depth``: the largest and deepest answer read
    (:mod:`~desktop.brokers.transport.payloads`; beyond them PayloadError, or
    MaybeSentError for a non-idempotent request); ``sleep``: awaited between retries
    (injectable for tests). Every cookie the server sets is registered for log
    redaction (:func:`desktop.security.redaction.register_secret`).
    """

    def __init__(self, base_url: str, *, name: str = "the server", tls: TlsPolicy | None = None,
                 sign: Signer | None = None, map_error: ErrorHook | None = None, recover: Sequence[Recovery] = (),
                 pacer: Pacer | None = None, throttle: Throttle | None = None, retry_policy: RetryPolicy | None = None,
                 timeout: float = 10.0, headers: Mapping[str, str] | None = None,
                 idempotent_methods: frozenset[str] = IDEMPOTENT_METHODS, unreachable_hint: str = "",
                 max_body_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        parts = urlsplit(base_url)
        secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)
        if not secure or not parts.hostname:
            raise ValueError(f"the URL must be https://host[:port]/... (http only on loopback): {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.secure = parts.scheme == "https"
        self.name = name
        self.tls = tls or TlsPolicy()
        self.sign = sign
        self.map_error = map_error
        self.pacer = pacer or Pacer(None)
        self.throttle = throttle or Throttle()
        self.retry_policy = retry_policy or RetryPolicy()
        self.timeout = timeout
        self.headers = {"User-Agent": "Tradedesk", "Accept": "application/json", **(headers or {})}
        self.idempotent_methods = frozenset(m.upper() for m in idempotent_methods)
        self.unreachable_hint = unreachable_hint
        self.max_body_bytes = max_body_bytes
        self.max_depth = max_depth
        self._sleep = sleep
        self._gates = [(r, RecoveryGate(r.recover)) for r in [*_recoveries_of(sign), *recover]]
        self._http: httpx.AsyncClient | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._fingerprint: str | None = None

    # -- life cycle -------------------------------------------------------------
    @property
    def fingerprint(self) -> str | None:
        """SHA-256 fingerprint of the certificate probed at open() (pinning; also when
        open() refused it), or None."""
        return self._fingerprint

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The verifying SSLContext in use (for a websocket to the same server too).
        Raises RuntimeError before open()."""
        if self._ssl_context is None:
            raise RuntimeError("open() first")
        return self._ssl_context

    @property
    def cookies(self) -> httpx.Cookies:
        """The server's cookies (a session; never log them)."""
        return self._http.cookies if self._http is not None else httpx.Cookies()

    @property
    def is_open(self) -> bool:
        return self._http is not None

    async def open(self) -> None:
        """Prepare TLS (probe and check the pin when pinning) and open the HTTP client.
        Raises CertificateUntrustedError / CertificateChangedError (pinning),
        UnavailableError (unreachable while probing)."""
        if self.secure:
            try:
                self._ssl_context, presented = await client_context(
                    self.tls, self.host, self.port, name=self.name, timeout=self.timeout, hint=self.unreachable_hint)
            except CertificateError as exc:
                self._fingerprint = exc.fingerprint  # what the server presented, to show the user
                raise
            if presented is not None:
                self._fingerprint = presented
        if self._http is not None:
            await self._http.aclose()
        self._http = httpx.AsyncClient(verify=self._ssl_context or True, timeout=self.timeout, headers=self.headers)

    async def close(self) -> None:
        """Close the HTTP client (idempotent)."""
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    # -- requests ---------------------------------------------------------------
    async def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
                      headers: Mapping[str, str] | None = None, idempotent: bool | None = None) -> Any:
        """Send one request to ``path`` (relative to the base URL) and return the
        decoded body (JSON value; None when empty; text when not JSON).

        ``params``: query parameters; ``json``: the body (None: no body);
        ``idempotent``: default True for ``idempotent_methods``. Raises the
        BrokerError family: RateLimitedError (429 or cooling down; ``retry_after``
        seconds), AuthError, NotFoundError, InvalidRequestError, UnavailableError /
        BrokerError (5xx; ``raw`` = body), RequestTimeout (no answer; ``maybe_sent``),
        MaybeSentError (non-idempotent request, outcome unknown; also for an answer
        to it that cannot be read), PayloadError (an answer larger than
        ``max_body_bytes`` or nested deeper than ``max_depth``), CertificateError
        subclasses (TLS refused; nothing sent), or the adapter's own errors.
        """
        if self._http is None:
            raise UnavailableError(f"Not connected to {self.name}")
        method = method.upper()
        base = RestRequest.build(method, path, base_path=self.base_path, params=params, json=json, headers=headers,
                                 idempotent=method in self.idempotent_methods if idempotent is None else idempotent)
        seen = [gate.generation for _recovery, gate in self._gates]
        try:
            return await self._with_retries(base)
        except _NeedsRecovery as needs:
            gate = self._gates[needs.index][1]
            if gate.active:
                raise needs.error from None
            log.info("%s %s refused (%s); recovering once, then sending it once more", method, base.path,
                     needs.error.__class__.__name__)
            await gate.run(seen[needs.index])
        try:
            return await self._with_retries(base)
        except _NeedsRecovery as needs:
            raise needs.error from None

    async def _with_retries(self, base: RestRequest) -> Any:
        attempt = 0
        while True:
            try:
                return await self.throttle.send(lambda: self._attempt(base), self.pacer, base.method, base.path,
                                                base.idempotent)
            except _Retryable as retry:
                if not self.retry_policy.should_retry(attempt, idempotent=base.idempotent, status=retry.status,
                                                      connect_error=retry.status is None):
                    raise retry.error from None
                delay = self.retry_policy.delay(attempt)
                attempt += 1
                log.debug("retrying %s %s in %.2f s (%s)", base.method, base.path, delay, retry.error.message)
                await self._sleep(delay)

    async def _attempt(self, base: RestRequest) -> Any:
        assert self._http is not None
        request = base.copy()
        await apply_signer(self.sign, request)
        what = f"{request.method} {request.path}"
        started = time.monotonic()
        async with self.pacer.slot(request.path, request.method):
            try:
                response, content = await self._send(request)
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise _Retryable(RequestTimeout(f"{self._who} did not accept the connection ({what})",
                                                maybe_sent=False), None) from exc
            except httpx.TimeoutException as exc:
                raise RequestTimeout(f"{self._who} did not answer {what} within {self.timeout:g} s",
                                     maybe_sent=True) from exc
            except httpx.ConnectError as exc:
                if is_certificate_failure(exc):
                    raise await certificate_failure(self.tls, self.host, self.port, name=self.name,
                                                    timeout=self.timeout, hint=self.unreachable_hint) from exc
                raise _Retryable(UnavailableError(f"Cannot reach {self.name} ({exc.__class__.__name__})"),
                                 None) from exc
            except httpx.TransportError as exc:
                if request.idempotent:
                    raise _Retryable(UnavailableError(
                        f"The connection to {self.name} broke ({exc.__class__.__name__})"), None) from exc
                raise MaybeSentError(f"The connection to {self.name} broke during {what}; the outcome is "
                                     "unknown") from exc
        log.debug("%s -> %s (%.0f ms)", what, response.status_code, 1000 * (time.monotonic() - started))
        _register_cookies(response)
        return self._outcome(request, response, content)

    async def _send(self, request: RestRequest) -> tuple[httpx.Response, bytes]:
        """Send ``request`` and read its body, at most ``max_body_bytes`` of it (a
        longer answer is refused with PayloadError before it is read whole)."""
        assert self._http is not None
        outgoing = self._http.build_request(request.method, self.origin + request.target, headers=request.headers,
                                            content=request.body)
        response = await self._http.send(outgoing, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise self._too_large(request, response.status_code, int(declared))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise self._too_large(request, response.status_code, size)
                chunks.append(chunk)
        finally:
            await response.aclose()
        return response, b"".join(chunks)

    def _too_large(self, request: RestRequest, status: int, size: int) -> BrokerError:
        message = (f"{self._who} answered {request.method} {request.path} with more than "
                   f"{self.max_body_bytes:,} bytes ({size:,} read); the answer was not read")
        log.warning("%s", message)
        if not request.idempotent:
            return MaybeSentError(message + "; the outcome is unknown", code=str(status))
        return PayloadError(message, code=str(status))

    @property
    def _who(self) -> str:
        return self.name[:1].upper() + self.name[1:]

    def _outcome(self, request: RestRequest, response: httpx.Response, content: bytes) -> Any:
        """The body of a success, else raise what the answer means (module docstring)."""
        status = response.status_code
        try:
            body = decode_body(content, content.decode(response.encoding or "utf-8", "replace") if content else "",
                               max_bytes=self.max_body_bytes, max_depth=self.max_depth)
        except PayloadError as exc:
            log.warning("%s %s: %s; skipped: %s", request.method, request.path, exc.message, exc.raw)
            if not request.idempotent:
                raise MaybeSentError(f"{self._who} answered {request.method} {request.path} with HTTP {status} "
                                     f"that cannot be read ({exc.message}); the outcome is unknown",
                                     code=str(status)) from exc
            raise
        answer = RestResponse(request, status, response.headers, body)
        error = self.map_error(answer) if self.map_error is not None else None
        if status == 429 or isinstance(error, RateLimitedError):
            wait = throttle_wait_seconds(response.headers)
            if wait is None and isinstance(error, RateLimitedError):
                wait = error.retry_after
            raise self.throttle.throttled(self.pacer, request.method, request.path, wait, body, name=self.name)
        if status < 400:
            self.throttle.succeeded(request.path, self.pacer.rules)
        if error is None:
            error = map_response(status, body, response.headers)
        if error is None:
            return body
        log.debug("%s %s failed: %s", request.method, request.path, error.message)
        for index, (recovery, _gate) in enumerate(self._gates):
            if recovery.needs(error, answer):
                raise _NeedsRecovery(error, index)
        if not request.idempotent and status >= 500:
            raise MaybeSentError(f"{self._who} answered {request.method} {request.path} with HTTP {status} "
                                 f"({error.message}); the outcome is unknown", code=str(status), raw=body)
        if status in self.retry_policy.retry_statuses:
            raise _Retryable(error, status)
        raise error


def _register_cookies(response: httpx.Response) -> None:
    """Register every cookie value ``response`` sets for log redaction (session
    cookies are credentials)."""
    for cookie in response.cookies.jar:
        register_secret(cookie.value)
