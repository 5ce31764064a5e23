"""Plain words and colours for a connection's state, shared by the status bar and the
connections dialog. Qt-free.

A connection has the desk's ``status`` ("disconnected", "connecting", "connected",
"error: why"; see :class:`desktop.desk.session.LiveConnection`) and the session state
its broker last published (a :class:`~desktop.domain.ConnectionState`: log in
required, competing session, cool-down, reconnecting…), and the labels of its tasks
that keep failing (``LiveConnection.failing``: "order updates", "quotes", …).
:func:`connection_words` says what a trader reads for them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from desktop.domain import ConnectionState, ConnectionStatus

GREEN, AMBER, GREY, RED = "#3fb950", "#d29922", "#8b949e", "#f85149"

_SESSION_COLOURS = {
    ConnectionStatus.CONNECTED: GREEN,
    ConnectionStatus.CONNECTING: AMBER,
    ConnectionStatus.RECONNECTING: AMBER,
    ConnectionStatus.LOGIN_REQUIRED: AMBER,
    ConnectionStatus.COMPETING: AMBER,
    ConnectionStatus.COOL_DOWN: AMBER,
    ConnectionStatus.DISCONNECTED: GREY,
}
_SESSION_WORDS = {
    ConnectionStatus.CONNECTED: "connected",
    ConnectionStatus.CONNECTING: "connecting…",
    ConnectionStatus.RECONNECTING: "reconnecting…",
    ConnectionStatus.LOGIN_REQUIRED: "log in required",
    ConnectionStatus.COMPETING: "session in use elsewhere",
    ConnectionStatus.COOL_DOWN: "paused (rate limit)",
    ConnectionStatus.DISCONNECTED: "disconnected",
}
_WAITING = frozenset({ConnectionStatus.LOGIN_REQUIRED, ConnectionStatus.COMPETING, ConnectionStatus.COOL_DOWN,
                      ConnectionStatus.RECONNECTING})
"""Session states that say more than "connecting…" while the desk waits for connect()."""


def session_text(state: ConnectionState, *, tz: ZoneInfo | None = None, message: bool = True) -> str:
    """Plain words for a session state, e.g. "paused (rate limit) until 14:32:05".

    COOL_DOWN names the time it ends (``state.until`` in ``tz``, default local time);
    with ``message`` the broker's message follows after " · " when it adds something
    (not when it only repeats the state, e.g. "Connected").
    """
    words = _SESSION_WORDS.get(state.status, state.status.value.lower())
    if state.status is ConnectionStatus.COOL_DOWN and state.until is not None:
        words += f" until {state.until.astimezone(tz):%H:%M:%S}"
    plain = words.rstrip("…").lower()
    if message and state.message and state.message.strip(" .…").lower() not in (plain, state.status.value.lower()):
        words += f" · {state.message}"
    return words


def failing_text(failing: Sequence[str]) -> str:
    """"order updates failing: see the log", "order updates and quotes failing: see
    the log" for the labels of tasks that keep failing ("" for none)."""
    labels = list(dict.fromkeys(failing))
    if not labels:
        return ""
    named = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    return f"{named} failing: see the log"


def connection_words(status: str, session: ConnectionState | None = None, *, tz: ZoneInfo | None = None,
                     message: bool = True, failing: Sequence[str] = ()) -> tuple[str, str]:
    """``(words, colour)`` of a connection: e.g. ("connected", green), ("log in
    required", amber) while connect() waits for the browser login, ("paused (rate
    limit) until 14:05:03", amber), ("disconnected", grey), ("error: why", red),
    ("order updates failing: see the log", amber) while connected with a task that
    keeps failing ("reconnecting… · quotes failing: see the log" beside another state).

    ``status`` is the desk's status of the connection, ``session`` the broker's last
    published session state (None before any); ``message``: add the broker's message
    (see :func:`session_text`); ``failing``: the labels of its tasks that keep failing
    (shown only while connected)."""
    words, colour = _connection_words(status, session, tz=tz, message=message)
    trouble = failing_text(failing) if status == "connected" else ""
    if not trouble:
        return words, colour
    return (trouble if words == "connected" else f"{words} · {trouble}"), (AMBER if colour == GREEN else colour)


def _connection_words(status: str, session: ConnectionState | None, *, tz: ZoneInfo | None,
                      message: bool) -> tuple[str, str]:
    if status == "connected":
        if session is None:
            return "connected", GREEN
        return session_text(session, tz=tz, message=message), _SESSION_COLOURS.get(session.status, RED)
    if status == "connecting":
        if session is not None and session.status in _WAITING:
            return session_text(session, tz=tz, message=message), AMBER
        return "connecting…", AMBER
    if status == "disconnected":
        return "disconnected", GREY
    return status, RED  # "error: why"
