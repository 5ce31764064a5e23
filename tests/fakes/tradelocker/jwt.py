"""JWTs as the fake TradeLocker server issues them (specs/tradelocker/NOTES.md
section 3): HS256-signed ``header.payload.signature`` with ``sub`` (the email),
``typ`` ("access" / "refresh"), ``iat``, ``exp`` (epoch seconds) and a unique ``jti``.

The server checks the signature, the type and ``exp`` against its own clock (which
tests move with :meth:`TokenIssuer.advance`), and keeps a revocation list so a test
can expire tokens at once (:meth:`TokenIssuer.expire`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenError(Exception):
    """A token refused: ``reason`` in words ("expired", "bad signature", ...)."""


class TokenIssuer:
    """Issues and checks access and refresh tokens.

    ``access_ttl`` / ``refresh_ttl``: lifetimes in seconds; ``clock``: epoch seconds
    (default ``time.time``), shifted by :meth:`advance`.
    """

    def __init__(self, access_ttl: float = 3600.0, refresh_ttl: float = 7 * 86400.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._clock = clock
        self._offset = 0.0
        self._key = secrets.token_bytes(32)
        self._serial = itertools.count(1)
        self._revoked: set[str] = set()
        self.issued: list[dict[str, Any]] = []  # payloads of every token issued (tests)

    def now(self) -> float:
        """The issuer's clock: epoch seconds."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the issuer's clock forward (tokens expire without waiting)."""
        self._offset += seconds

    def issue(self, subject: str, kind: str) -> tuple[str, float]:
        """A new token of ``kind`` ("access"/"refresh") for ``subject``, and its exp."""
        now = self.now()
        exp = now + (self.access_ttl if kind == "access" else self.refresh_ttl)
        payload = {"sub": subject, "typ": kind, "iat": int(now), "exp": int(exp), "jti": f"{next(self._serial)}"}
        self.issued.append(payload)
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig}", exp

    def pair(self, subject: str) -> dict[str, str]:
        """The body of a token answer: accessToken, refreshToken, expireDate (ISO UTC)."""
        access, exp = self.issue(subject, "access")
        refresh, _ = self.issue(subject, "refresh")
        expire = datetime.fromtimestamp(exp, timezone.utc).isoformat().replace("+00:00", "Z")
        return {"accessToken": access, "refreshToken": refresh, "expireDate": expire}

    def check(self, token: str, kind: str) -> dict[str, Any]:
        """The payload of a valid ``token`` of ``kind``. Raises TokenError."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("not a JWT")
        head, body, sig = parts
        want = _b64(hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(want, sig):
            raise TokenError("bad signature")
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            raise TokenError("unreadable payload") from None
        if payload.get("typ") != kind:
            raise TokenError(f"not an {kind} token")
        if payload.get("jti") in self._revoked or payload.get("exp", 0) <= self.now():
            raise TokenError(f"{kind} token expired")
        return payload

    def expire(self, kind: str | None = None) -> int:
        """Expire every token issued so far (of ``kind`` only, when given); returns
        how many."""
        ids = {p["jti"] for p in self.issued if kind is None or p["typ"] == kind}
        fresh = ids - self._revoked
        self._revoked |= ids
        return len(fresh)
