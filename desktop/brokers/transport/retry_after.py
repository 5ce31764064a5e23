"""How long a throttled client should wait, read from an HTTP response's headers.

Broker-neutral. Two families of headers:

- ``Retry-After`` (RFC 9110 section 10.2.3): delta-seconds ("12") or an HTTP date;
- rate-limit windows: ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset``, prefixed
  variants of them such as SnapTrade's ``X-RateLimit-Account-Remaining`` /
  ``-Reset`` (specs/snaptrade/NOTES.md section 6), and the IETF draft's
  ``RateLimit-Remaining`` / ``RateLimit-Reset``. A ``*-Reset`` value is seconds from
  now (SnapTrade), or a Unix time in seconds (above 10**9, GitHub style) or in
  milliseconds (above 10**12).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

_EPOCH_SECONDS = 1e9
_EPOCH_MILLISECONDS = 1e12


MAX_WAIT_SECONDS = 24 * 3600.0
"""Longest wait a header may ask for (a day); longer answers are capped to it."""


def _lower(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """The Retry-After header in seconds (delta-seconds form or an HTTP date; never
    negative, at most MAX_WAIT_SECONDS), or None when absent or unreadable (also a
    non-finite number such as "1e999999999" or "nan")."""
    value = _lower(headers).get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return min(max(0.0, seconds), MAX_WAIT_SECONDS) if math.isfinite(seconds) else None
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return min(max(0.0, (when - datetime.now(timezone.utc)).total_seconds()), MAX_WAIT_SECONDS)


def rate_limit_reset_seconds(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds until the longest EXHAUSTED rate-limit window resets, or None.

    A window is a ``<prefix>-Reset`` header (prefix ``x-ratelimit...`` or
    ``ratelimit...``) whose ``<prefix>-Remaining`` is 0 or absent (a 429 without
    it means that window ran out); a window with requests remaining did not cause
    the refusal and is ignored. ``now``: Unix seconds for epoch resets (default
    time.time()). Unreadable and non-finite values are ignored; waits are capped to
    MAX_WAIT_SECONDS.
    """
    lowered = _lower(headers)
    waits: list[float] = []
    for key, value in lowered.items():
        if not key.endswith("-reset") or not key.startswith(("x-ratelimit", "ratelimit")):
            continue
        remaining = lowered.get(key[: -len("-reset")] + "-remaining")
        try:
            if remaining is not None and float(remaining) > 0:
                continue
            reset = float(value)
        except ValueError:
            continue
        if not math.isfinite(reset):
            continue
        if reset > _EPOCH_MILLISECONDS:
            reset = reset / 1000.0 - (time.time() if now is None else now)
        elif reset > _EPOCH_SECONDS:
            reset -= time.time() if now is None else now
        waits.append(min(max(0.0, reset), MAX_WAIT_SECONDS))
    return max(waits) if waits else None


def throttle_wait_seconds(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """How long to wait after a 429: the longer of Retry-After and the exhausted
    rate-limit windows' resets (:func:`rate_limit_reset_seconds`), or None when the
    response says neither (the caller then backs off on its own)."""
    found = [s for s in (retry_after_seconds(headers), rate_limit_reset_seconds(headers, now=now)) if s is not None]
    return max(found) if found else None
