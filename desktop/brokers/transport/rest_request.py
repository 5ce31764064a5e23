"""One REST request as the adapter's ``sign`` hook sees it, and one response as its
``map_error`` hook sees it. Broker-neutral, no I/O.

The query string and the body bytes a signer reads are exactly those sent: the
pipeline builds the URL from :attr:`RestRequest.query` after signing and sends
:attr:`RestRequest.body` unchanged (SnapTrade signs both, specs/snaptrade/NOTES.md
section 3: "the string must be byte-identical to what goes on the wire").
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from .payloads import MAX_BODY_BYTES, MAX_DEPTH, decode_json


def query_value(value: Any) -> str:
    """A query parameter value as text: True/False -> "true"/"false", None -> "",
    anything else ``str(value)``."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (no spaces; NaN refused with ValueError)."""
    return jsonlib.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def decode_body(content: bytes, text: str = "", *, max_bytes: int = MAX_BODY_BYTES,
                max_depth: int = MAX_DEPTH) -> Any:
    """A response body decoded: None when empty, the JSON value, else the text.

    Raises :class:`~desktop.brokers.transport.payloads.PayloadError` for a body larger
    than ``max_bytes`` or nested deeper than ``max_depth`` (never RecursionError)."""
    if not content:
        return None
    try:
        return decode_json(content, max_bytes=max_bytes, max_depth=max_depth, what="answer")
    except ValueError:
        return text or content.decode("utf-8", "replace")


@dataclass
class RestRequest:
    """A request about to be sent (one per attempt: a retry is signed afresh).

    ``method`` (upper case); ``path``: relative to the base URL, as the caller gave
    it ("/accounts/1/orders"); ``base_path``: the base URL's own path ("/v1/api", or
    "" for a root base); ``params``: the query as ordered (name, value) text pairs, a
    signer may append to it (:meth:`add_param`); ``headers``: a signer may set any;
    ``json``: the value the body was encoded from (None without a body); ``body``:
    the exact bytes sent, or None; ``idempotent``: whether the pipeline may retry it.
    """

    method: str
    path: str
    base_path: str = ""
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    body: bytes | None = None
    idempotent: bool = False

    @classmethod
    def build(cls, method: str, path: str, *, base_path: str = "", params: Mapping[str, Any] | None = None,
              json: Any = None, headers: Mapping[str, str] | None = None, idempotent: bool = False) -> "RestRequest":
        """A request with ``params`` (list values become repeated parameters) and
        ``json`` encoded by :func:`encode_json` (Content-Type application/json)."""
        pairs: list[tuple[str, str]] = []
        for name, value in (params or {}).items():
            for item in value if isinstance(value, (list, tuple)) else [value]:
                pairs.append((str(name), query_value(item)))
        head = dict(headers or {})
        body = None
        if json is not None:
            body = encode_json(json)
            head.setdefault("Content-Type", "application/json")
        return cls(method.upper(), "/" + path.lstrip("/"), base_path.rstrip("/"), pairs, head, json, body, idempotent)

    def copy(self) -> "RestRequest":
        """An independent copy (own params list and headers dict)."""
        return replace(self, params=list(self.params), headers=dict(self.headers))

    def add_param(self, name: str, value: Any) -> None:
        """Append a query parameter (sent, and part of :attr:`query`, in this order)."""
        self.params.append((name, query_value(value)))

    @property
    def url_path(self) -> str:
        """The path as requested on the wire: base path + path ("/v1/api/tickle")."""
        return self.base_path + self.path

    @property
    def query(self) -> str:
        """The query string exactly as sent, without "?" ("" when none)."""
        return urlencode(self.params)

    @property
    def target(self) -> str:
        """Path and query as sent: "/v1/api/x?a=1"."""
        query = self.query
        return self.url_path + ("?" + query if query else "")


@dataclass(frozen=True)
class RestResponse:
    """An answer as the adapter's ``map_error`` hook sees it: the ``request`` it
    answers, ``status`` (HTTP), ``headers`` (case-insensitive mapping) and ``body``
    (decoded JSON, text, or None when empty)."""

    request: RestRequest
    status: int
    headers: Mapping[str, str]
    body: Any
