"""``sign`` hooks for the REST pipeline, and the primitives for HMAC-signed APIs.

A signer is any callable ``sign(request)`` (plain or async) that edits a
:class:`~desktop.brokers.transport.rest_request.RestRequest` before it is paced and
sent: set headers, append query parameters, compute a signature over
``request.method``, ``request.url_path``, ``request.query`` and ``request.body`` /
``request.json``. It runs again for every attempt (retries get a fresh timestamp).

Every credential a signer puts on a request must stay out of the logs: set it with
:func:`secret_header` (or :func:`static_headers`, which registers its values), which
registers the value and the header's name with :mod:`desktop.security.redaction`.

- :func:`dynamic_headers`: headers read afresh for every request;
- :func:`static_headers`: fixed headers on every request (Connect Trade's
  ``client-id``, ``client-secret``, ``user-id``, ``user-secret``,
  specs/connecttrade/NOTES.md section 3.1);
- :class:`~desktop.brokers.transport.bearer.BearerAuth`: a bearer token that is
  refreshed once on 401 (TradeLocker JWT);
- :func:`chain`: several signers in order;
- :func:`canonical_json`, :func:`hmac_sha256_base64`: what an HMAC signer such as
  SnapTrade's (NOTES.md section 3: HMAC-SHA256 over the canonical JSON of
  content/path/query, base64, in a ``Signature`` header) is built from; which fields
  go into the signed object is the adapter's business.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Union

from desktop.security.redaction import register_secret, register_secret_header

from .rest_request import RestRequest

Signer = Callable[[RestRequest], Union[Awaitable[None], None]]
"""``sign(request)``: edits the request in place; may be async."""


async def apply_signer(sign: Signer | None, request: RestRequest) -> None:
    """Run ``sign`` on ``request`` (awaiting it when it is async); None does nothing."""
    if sign is None:
        return
    result = sign(request)
    if inspect.isawaitable(result):
        await result


def secret_header(request: RestRequest, name: str, value: str) -> None:
    """Set header ``name`` to ``value`` on ``request`` and keep both out of the logs
    (the value is registered as a secret, the name as a secret header, whose value is
    masked in httpcore's DEBUG header lines). Sign hooks set credentials through it."""
    register_secret(value)
    register_secret_header(name)
    request.headers[name] = value


def dynamic_headers(headers: Callable[[], Mapping[str, str]]) -> Signer:
    """A signer setting the headers ``headers()`` returns NOW on every request (for
    credentials that may change during the session, e.g. a user secret learned at
    provisioning); each value is set with :func:`secret_header` (kept out of the logs).
    Empty values are not sent."""

    def sign(request: RestRequest) -> None:
        for name, value in headers().items():
            if value:
                secret_header(request, name, value)

    return sign


def static_headers(headers: Mapping[str, str], *, secret: bool = True) -> Signer:
    """A signer setting ``headers`` (a copy taken now) on every request. ``secret``
    (default): every value is registered for log redaction and every name as a
    secret header now (client ids, keys and user secrets are credentials)."""
    fixed = dict(headers)
    if secret:
        for name, value in fixed.items():
            register_secret(value)
            register_secret_header(name)

    def sign(request: RestRequest) -> None:
        request.headers.update(fixed)

    return sign


class SignerChain:
    """Signers applied in order (``parts``); see :func:`chain`."""

    def __init__(self, *parts: Signer) -> None:
        self.parts = tuple(parts)

    async def __call__(self, request: RestRequest) -> None:
        for part in self.parts:
            await apply_signer(part, request)


def chain(*signers: Signer) -> SignerChain:
    """One signer running ``signers`` in order (e.g. static headers, then a bearer
    token). Parts that are also recoveries (BearerAuth) still get the pipeline's
    refresh on 401."""
    return SignerChain(*signers)


def canonical_json(value: Any) -> str:
    """``value`` serialised canonically: keys sorted at every level, no whitespace
    (``json.dumps(value, separators=(",", ":"), sort_keys=True)``, ASCII-escaped, as
    Python reference signers do)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def hmac_sha256_base64(key: str | bytes, message: str | bytes) -> str:
    """Base64 of HMAC-SHA256(``key``, ``message``); text is UTF-8 encoded."""
    raw_key = key.encode("utf-8") if isinstance(key, str) else key
    raw = message.encode("utf-8") if isinstance(message, str) else message
    return base64.b64encode(hmac.new(raw_key, raw, hashlib.sha256).digest()).decode("ascii")
