"""How the fake checks a request's signature: the recipe of specs/snaptrade/NOTES.md
section 3 written again here (not imported from the adapter), so a signer that
deviates from it is refused with 401, code 1076, as SnapTrade refuses it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def expected_signature(consumer_key: str, body: Any, path: str, query: str) -> str:
    """Base64 HMAC-SHA256 (key ``consumer_key``) of ``json.dumps({"content", "path",
    "query"}, separators=(",", ":"), sort_keys=True)``; content null for no body or {}."""
    content = None if body is None or body == {} else body
    text = json.dumps({"content": content, "path": path, "query": query}, separators=(",", ":"), sort_keys=True)
    digest = hmac.new(consumer_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_ok(consumer_key: str, presented: str | None, body: Any, path: str, query: str) -> bool:
    """Whether ``presented`` is the signature of this request (constant-time compare)."""
    if not presented:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "replace"),
                               expected_signature(consumer_key, body, path, query).encode("ascii"))
