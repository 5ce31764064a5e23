"""Keep secrets out of the logs: a logging.Filter that redacts them.

Two layers: known secret values (every secret the app stores or reads is registered
with :func:`register_secret`) are replaced wherever they appear, and common patterns
are masked even when the value is unknown: Authorization / Cookie / Set-Cookie headers
(and any header an adapter registers with :func:`register_secret_header`) as header
lines, dict reprs and the ``(b'Set-Cookie', b'...')`` tuples httpcore logs at DEBUG,
Bearer and Basic credentials, and ``password=``, ``token=``, ``api_key=`` ... in query
strings, dict reprs and JSON. ``setup_logging`` installs the shared filter on every
handler.
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
SECRET_HEADERS = ("proxy-authorization", "authorization", "set-cookie", "cookie", "x-api-key", "x-auth-token",
                  "x-access-token")
"""Header names whose values are always masked (adapters add their own with
:func:`register_secret_header`)."""
_NOT_DONE = r"(?!\[REDACTED\])"
_BEFORE = r"(?<![A-Za-z0-9])"


def _patterns(headers: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The masking patterns for the header-name alternation ``headers``."""
    return (
        # httpcore's DEBUG header tuples: [(b'Set-Cookie', b'x-sess-uuid=...'), ("Cookie", "a=1")]
        (re.compile(rf"(\(\s*b?([\"'])(?:{headers})\2\s*,\s*b?)([\"'])(?!\[REDACTED\]\3)(.*?)(?<!\\)\3", re.I),
         r"\1\3" + REDACTED + r"\3"),
        # 'password': 'x y', "Authorization": "Bearer abc", token="abc" (quoted values, spaces allowed)
        (re.compile(_BEFORE + rf"((?:{headers}|{_PARAMS})[\"']?\s*[:=]\s*)([\"'])(?!\[REDACTED\]\2)(.*?)(?<!\\)\2", re.I),
         r"\1\2" + REDACTED + r"\2"),
        # Authorization: Bearer abc / Cookie: a=1; b=2 (header lines: the rest of the line)
        (re.compile(_BEFORE + rf"((?:{headers})\s*:\s*){_NOT_DONE}[^\r\n]+", re.I), r"\1" + REDACTED),
        # ?access_token=abc&x=1 / password=hunter2, / api_key: abc
        (re.compile(_BEFORE + rf"((?:{_PARAMS})\s*[:=]\s*){_NOT_DONE}[^\s&,;'\"}})\]]+", re.I), r"\1" + REDACTED),
        # Bearer abc.def / Basic dXNlcjpwYXNz anywhere in text
        (re.compile(r"\b(Bearer)\s+" + _NOT_DONE + r"[A-Za-z0-9\-._~+/]+=*", re.I), r"\1 " + REDACTED),
        (re.compile(r"\b(Basic)\s+" + _NOT_DONE + r"[A-Za-z0-9+/]{8,}={0,2}"), r"\1 " + REDACTED),
    )


def _alternation(names: set[str] | tuple[str, ...]) -> str:
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_DEFAULT_PATTERNS = _patterns(_alternation(SECRET_HEADERS))


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
        self._headers: set[str] = set(SECRET_HEADERS)
        self._patterns = _DEFAULT_PATTERNS

    def add_secret_header(self, name: str) -> None:
        """Mask the value of header ``name`` (any case) from now on: in header lines
        ("Name: value"), dict reprs and httpcore's header tuples (a sign hook's
        ``client-secret``, ``Signature``, ...)."""
        name = name.strip().lower()
        if not name or name in self._headers:
            return
        with self._lock:
            self._headers.add(name)
            self._patterns = _patterns(_alternation(self._headers))

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

    def is_secret_header(self, name: str) -> bool:
        """Whether the value of header ``name`` is masked (see :meth:`add_secret_header`)."""
        return name.strip().lower() in self._headers

    def redact(self, text: str) -> str:
        """``text`` with known secrets and secret-looking values replaced by [REDACTED]."""
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in self._patterns:
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


def register_secret_header(name: str) -> None:
    """Mask the value of header ``name`` in every log line from now on."""
    _FILTER.add_secret_header(name)


def redact(text: str) -> str:
    """``text`` as it would be logged."""
    return _FILTER.redact(text)
