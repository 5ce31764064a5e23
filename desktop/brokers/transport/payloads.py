"""Reading broker payloads totally. Broker-neutral.

Two halves:

- **Limits on incoming JSON** (REST bodies and websocket frames): :func:`decode_json`
  refuses a document larger than ``max_bytes`` or nested deeper than ``max_depth``
  with :class:`PayloadError` (a BrokerError every caller already handles), never a
  RecursionError or a MemoryError.
- **Readers that never stop the caller**: :class:`PayloadLog` decorates the functions
  that map one payload (an order row, a quote frame, a trades list) to domain
  objects. A decorated function returns its value, or, when the payload cannot be
  read, its documented outcome: ``item`` readers return a default (None: "skip this
  row"), ``payload`` readers raise :class:`PayloadError`. Whatever went wrong is
  logged ONCE per item, with the item's raw text shortened and redacted, and the
  rest of the batch or frame still applies. An identical unreadable item seen again
  (the same bad row in every poll) is logged at DEBUG only.

Inside a reader, field parsers call :meth:`PayloadLog.problem` ("totalSize
'1e999999999' unreadable") and the reader itself :meth:`PayloadLog.skip` (why the
item is skipped); both are collected into that one log line. Outside any reader they
are logged at once. The undecorated function stays reachable as ``__wrapped__``
(the fuzz suites call it to find every unexpected exception, not only the ones the
net catches).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import logging
import reprlib
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from desktop.brokers.errors import BrokerError
from desktop.security.redaction import redact

F = TypeVar("F", bound=Callable[..., Any])

MAX_BODY_BYTES = 32 * 2**20
"""Largest REST body read (32 MiB: a year of minute bars is about 15 MiB)."""
MAX_FRAME_BYTES = 4 * 2**20
"""Largest websocket frame decoded (4 MiB); larger frames are skipped."""
MAX_DEPTH = 64
"""Deepest nesting of arrays/objects accepted (broker payloads nest 5-6 levels)."""
RAW_LIMIT = 400
"""Characters of an unreadable payload's text kept in the log line."""


class PayloadError(BrokerError):
    """A broker payload that cannot be read: larger than the size limit, nested deeper
    than the depth limit, or of a shape a reader cannot map. ``raw`` is a shortened,
    redacted excerpt (never the whole payload)."""


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxtuple = 4, 24, 24, 12
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 160, 160, 60


def shorten(raw: Any, limit: int = RAW_LIMIT) -> str:
    """``raw``'s text for a log line: a bounded repr (nested levels, long lists and
    strings elided; never more than ``limit`` characters) with secrets redacted. Never
    raises, whatever ``raw`` is."""
    try:
        text = raw if isinstance(raw, str) and len(raw) <= limit else _REPR.repr(raw)
    except Exception as exc:  # noqa: BLE001 - a repr must not fail the log line
        text = f"<{type(raw).__name__}: repr failed ({type(exc).__name__})>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return redact(text)


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` (decoded JSON) nests arrays/objects deeper than ``limit``
    (a scalar has depth 0, ``[]`` depth 1). Iterative: never recurses."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        if depth > limit:
            return True
        stack.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return False


def decode_json(data: bytes | str, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH,
                what: str = "payload") -> Any:
    """The JSON value of ``data``.

    Raises :class:`PayloadError` when ``data`` is longer than ``max_bytes`` (bytes,
    or characters for text) or nests deeper than ``max_depth`` (``what`` names it in
    the message: "IBKR gateway answer", "websocket frame"), and ValueError when it is
    not JSON (the caller decides what a non-JSON answer means).
    """
    if len(data) > max_bytes:
        raise PayloadError(f"The {what} is too large to read ({len(data):,} bytes; the limit is {max_bytes:,})",
                           raw=shorten(data[:RAW_LIMIT]))
    try:
        value = json.loads(data)
    except RecursionError:
        raise PayloadError(f"The {what} is nested too deeply to read (the limit is {max_depth} levels)",
                           raw=shorten(data[:RAW_LIMIT])) from None
    if isinstance(value, (dict, list)):
        brackets = data.count(b"[" if isinstance(data, bytes) else "[") + data.count(
            b"{" if isinstance(data, bytes) else "{")
        if brackets > max_depth and depth_exceeds(value, max_depth):
            raise PayloadError(f"The {what} is nested too deeply to read (the limit is {max_depth} levels)",
                               raw=shorten(data[:RAW_LIMIT]))
    return value


class _Reading:
    """What went wrong while one reader ran: field problems and the skip reason."""

    __slots__ = ("notes",)

    def __init__(self) -> None:
        self.notes: list[str] = []


_current: contextvars.ContextVar[_Reading | None] = contextvars.ContextVar("payload_reading", default=None)


class _Guard:
    """One run of a decorated reader: collects its notes (the current reading), logs
    them once at the end, and turns an unexpected exception into the reader's
    documented outcome (``fallback``, or PayloadError when ``raise_error``)."""

    def __init__(self, log: "PayloadLog", what: str, raw: Any, default: Any, raise_error: bool) -> None:
        self.log, self.what, self.raw, self.default, self.raise_error = log, what, raw, default, raise_error
        self.reading = _Reading()
        self.fallback: Any = None

    def __enter__(self) -> "_Guard":
        self._token = _current.set(self.reading)
        return self

    def finish(self, result: Any) -> Any:
        """The reader returned ``result``: log what it noted (kept or skipped)."""
        self.log._report(self.what, self.raw, self.reading, kept=result is not None or self.raise_error)
        return result

    def __exit__(self, kind: Any, exc: BaseException | None, _tb: Any) -> bool:
        _current.reset(self._token)
        if exc is None or isinstance(exc, BrokerError) or not isinstance(exc, Exception):
            return False  # a value, a documented error, or cancellation: as is
        self.log.caught += 1
        self.log.last_caught.append((self.what, exc))
        self.reading.notes.append(f"{type(exc).__name__}: {shorten(str(exc), 160)}")
        self.log._report(self.what, self.raw, self.reading, kept=False)
        if self.raise_error:
            raise PayloadError(f"{self.log.prefix} sent {self.what} that cannot be read", raw=shorten(self.raw)) from exc
        self.fallback = self.default() if callable(self.default) else self.default
        return True


class PayloadLog:
    """The unreadable-payload log of one adapter (see the module docstring).

    ``logger``: where lines go; ``prefix``: who speaks ("IBKR"); ``remember``: how
    many distinct unreadable items are remembered to log repeats at DEBUG only.
    ``caught`` counts the unexpected exceptions the decorators turned into their
    documented outcome and ``last_caught`` keeps the latest ones (a reader's bug:
    the fuzz suites require none).
    """

    def __init__(self, logger: logging.Logger, prefix: str, *, remember: int = 512) -> None:
        self.logger = logger
        self.prefix = prefix
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self.caught = 0
        self.last_caught: deque[tuple[str, BaseException]] = deque(maxlen=20)

    def forget(self) -> None:
        """Forget the unreadable items seen so far: the next of each is logged at
        WARNING again (a new session; tests)."""
        self._seen.clear()

    # -- what readers report ------------------------------------------------------
    def problem(self, note: str, raw: Any = None) -> None:
        """A field could not be read (``note`` names it and its value): collected by
        the reader running now, else logged at once with ``raw``."""
        reading = _current.get()
        if reading is not None:
            reading.notes.append(note)
        else:
            self._emit(f"{self.prefix}: {note}; payload: {shorten(raw)}")

    def skip(self, reason: str, raw: Any = None) -> None:
        """The reader running now skips its item (or part of it) because of
        ``reason``; outside a reader it is logged at once with ``raw``."""
        reading = _current.get()
        if reading is not None:
            reading.notes.append(reason)
        else:
            self._emit(f"{self.prefix}: skipped a payload ({reason}): {shorten(raw)}")

    # -- decorators -----------------------------------------------------------------
    def item(self, what: str, *, raw_arg: int | Sequence[int] = 0, default: Any = None) -> Callable[[F], F]:
        """Decorate a function reading ONE item (``what``: "live order"; ``raw_arg``:
        the positional index(es) of the raw item, for the log). Any exception other
        than a BrokerError makes it return ``default`` (called when callable); what it
        noted is logged once."""
        return self._decorator(what, raw_arg, default, raise_error=False)

    def payload(self, what: str, *, raw_arg: int | Sequence[int] = 0) -> Callable[[F], F]:
        """Decorate a function reading a whole payload (a list, a frame; sync or
        async). Any exception other than a BrokerError becomes :class:`PayloadError`
        ("IBKR sent <what> that cannot be read"); what it noted is logged once."""
        return self._decorator(what, raw_arg, None, raise_error=True)

    def _decorator(self, what: str, raw_arg: int | Sequence[int], default: Any, *, raise_error: bool):
        indexes = (raw_arg,) if isinstance(raw_arg, int) else tuple(raw_arg)

        def guard(args: tuple) -> _Guard:
            found = [args[i] for i in indexes if i < len(args)]
            return _Guard(self, what, found[0] if len(found) == 1 else tuple(found), default, raise_error)

        def wrap(fn: F) -> F:
            if inspect.iscoroutinefunction(fn):
                @functools.wraps(fn)
                async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                    with (run := guard(args)):
                        return run.finish(await fn(*args, **kwargs))
                    return run.fallback
                return guarded_async  # type: ignore[return-value]

            @functools.wraps(fn)
            def guarded(*args: Any, **kwargs: Any) -> Any:
                with (run := guard(args)):
                    return run.finish(fn(*args, **kwargs))
                return run.fallback
            return guarded  # type: ignore[return-value]
        return wrap

    # -- output -------------------------------------------------------------------
    def _report(self, what: str, raw: Any, reading: _Reading, *, kept: bool) -> None:
        if not reading.notes:
            return
        notes = "; ".join(dict.fromkeys(reading.notes))
        verb = "read a" if kept else "skipped a"
        self._emit(f"{self.prefix}: {verb} {what} with unreadable parts ({notes}): {shorten(raw)}"
                   if kept else f"{self.prefix}: {verb} {what} that cannot be read ({notes}): {shorten(raw)}")

    def _emit(self, line: str) -> None:
        key = line
        if key in self._seen:
            self._seen.move_to_end(key)
            self.logger.debug("%s (again)", line)
            return
        self._seen[key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        self.logger.warning("%s", line)


__all__ = ["MAX_BODY_BYTES", "MAX_DEPTH", "MAX_FRAME_BYTES", "PayloadError", "PayloadLog", "decode_json",
           "depth_exceeds", "shorten"]
