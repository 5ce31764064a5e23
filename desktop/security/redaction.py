"""Keep secrets out of the logs: a logging.Filter that redacts them.

Two layers: known secret values (every secret the app stores or reads is registered
with :func:`register_secret`) are replaced wherever they appear, and common patterns
are masked even when the value is unknown: Authorization / Cookie headers, Bearer and
Basic credentials, and ``password=``, ``token=``, ``api_key=`` ... in query strings,
dict reprs and JSON. ``setup_logging`` installs the shared filter on every handler.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote

REDACTED = "[REDACTED]"
MIN_SECRET_LENGTH = 4
"""Shorter values are not registered (they would redact ordinary words and digits)."""

_PARAMS = (
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|session[_-]?token|bearer[_-]?token|token"
    r"|api[_-]?key|apikey|api[_-]?secret|client[_-]?secret|app[_-]?secret|secret[_-]?key|secret"
    r"|password|passwd|pwd|passphrase|private[_-]?key|session[_-]?id|sessionid|otp"
)
_HEADERS = r"(?:proxy-)?authorization|set-cookie|cookie|x-api-key|x-auth-token|x-access-token"
_NOT_DONE = r"(?!\[REDACTED\])"
_BEFORE = r"(?<![A-Za-z0-9])"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # 'password': 'x y', "Authorization": "Bearer abc", token="abc" (quoted values, spaces allowed)
    (re.compile(_BEFORE + rf"((?:{_HEADERS}|{_PARAMS})[\"']?\s*[:=]\s*)([\"'])(?!\[REDACTED\]\2)(.*?)(?<!\\)\2", re.I), r"\1\2" + REDACTED + r"\2"),
    # Authorization: Bearer abc / Cookie: a=1; b=2 (header lines: the rest of the line)
    (re.compile(_BEFORE + rf"((?:{_HEADERS})\s*:\s*){_NOT_DONE}[^\r\n]+", re.I), r"\1" + REDACTED),
    # ?access_token=abc&x=1 / password=hunter2, / api_key: abc
    (re.compile(_BEFORE + rf"((?:{_PARAMS})\s*[:=]\s*){_NOT_DONE}[^\s&,;'\"}})\]]+", re.I), r"\1" + REDACTED),
    # Bearer abc.def / Basic dXNlcjpwYXNz anywhere in text
    (re.compile(r"\b(Bearer)\s+" + _NOT_DONE + r"[A-Za-z0-9\-._~+/]+=*", re.I), r"\1 " + REDACTED),
    (re.compile(r"\b(Basic)\s+" + _NOT_DONE + r"[A-Za-z0-9+/]{8,}={0,2}"), r"\1 " + REDACTED),
)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback text) with secrets redacted.

    Install it on handlers (a filter on a logger does not see records propagated from
    child loggers). It never drops a record.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._ordered: tuple[str, ...] = ()

    def add_secret(self, value: str | None) -> None:
        """Redact ``value`` (and its URL-encoded form) from now on."""
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            self._secrets.update({value, quote(value, safe="")})
            self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def discard_secret(self, value: str | None) -> None:
        """Stop redacting ``value`` specially (patterns still apply)."""
        if not value:
            return
        with self._lock:
            self._secrets.difference_update({value, quote(value, safe="")})
            self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def redact(self, text: str) -> str:
        """``text`` with known secrets and secret-looking values replaced by [REDACTED]."""
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, redacted
            message = f"{record.msg} {record.args!r}"
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def redacting_filter() -> RedactingFilter:
    """The app's shared filter (the one setup_logging installs)."""
    return _FILTER


def register_secret(value: str | None) -> None:
    """Redact ``value`` from every log line from now on."""
    _FILTER.add_secret(value)


def redact(text: str) -> str:
    """``text`` as it would be logged."""
    return _FILTER.redact(text)
