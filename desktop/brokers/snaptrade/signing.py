"""SnapTrade request signing (specs/snaptrade/NOTES.md section 3).

Every request carries ``clientId`` and ``timestamp`` (Unix seconds, fresh per
attempt) in its query and a ``Signature`` header: base64 of HMAC-SHA256, keyed with
the consumer key, over the canonical JSON (keys sorted at every level, no whitespace)
of ``{"content": <body or null>, "path": <the path as requested>, "query": <the query
string exactly as sent, without "?">}``. ``content`` is null for a request without a
body and for an empty object body.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from desktop.brokers.transport import canonical_json, hmac_sha256_base64
from desktop.brokers.transport.rest_request import RestRequest
from desktop.brokers.transport.signing import secret_header
from desktop.security.redaction import register_secret

SIGNATURE_HEADER = "Signature"


def signed_content(body: Any) -> Any:
    """The ``content`` of the signed object: None for no body or ``{}``, else the body."""
    return None if body is None or body == {} else body


def signature_string(content: Any, path: str, query: str) -> str:
    """The canonical JSON that is signed: ``{"content":…,"path":…,"query":…}`` with
    keys sorted at every level and no whitespace (NOTES.md section 3, step 5)."""
    return canonical_json({"content": signed_content(content), "path": path, "query": query})


def compute_signature(consumer_key: str, content: Any, path: str, query: str) -> str:
    """Base64 HMAC-SHA256 of :func:`signature_string` keyed with ``consumer_key``
    (NOTES.md section 3, step 6)."""
    return hmac_sha256_base64(consumer_key, signature_string(content, path, query))


class SnapTradeSigner:
    """The RestClient ``sign`` hook of SnapTrade.

    Puts ``clientId`` and ``timestamp`` first in the query (before the user's and the
    operation's parameters, as the SDK does), then signs the path as requested
    (``request.url_path``: with ``/api/v1`` when the base URL has it), the query
    exactly as it will be sent and the JSON body. ``clock`` gives Unix seconds
    (injectable for tests). The consumer key and the signature are registered for
    log redaction.
    """

    def __init__(self, client_id: str, consumer_key: str, *, clock: Callable[[], float] = time.time) -> None:
        if not client_id or not consumer_key:
            raise ValueError("SnapTrade needs a client id and a consumer key")
        self.client_id = client_id
        self._key = consumer_key
        self._clock = clock
        register_secret(consumer_key)

    def __call__(self, request: RestRequest) -> None:
        request.params[:0] = [("clientId", self.client_id), ("timestamp", str(int(self._clock())))]
        signature = compute_signature(self._key, request.json, request.url_path, request.query)
        secret_header(request, SIGNATURE_HEADER, signature)
