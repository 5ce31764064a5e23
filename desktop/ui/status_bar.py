"""Status bar: broker connection state, session state, replay clock and speed."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QStatusBar, QWidget

from desktop.domain import ConnectionState, ConnectionStatus

NEW_YORK = ZoneInfo("America/New_York")

_STATE_COLOURS = {"connected": "#3fb950", "connecting": "#d29922", "disconnected": "#8b949e"}
_SESSION_COLOURS = {
    ConnectionStatus.CONNECTED: "#3fb950",
    ConnectionStatus.CONNECTING: "#d29922",
    ConnectionStatus.RECONNECTING: "#d29922",
    ConnectionStatus.LOGIN_REQUIRED: "#d29922",
    ConnectionStatus.COMPETING: "#d29922",
    ConnectionStatus.COOL_DOWN: "#d29922",
    ConnectionStatus.DISCONNECTED: "#8b949e",
}
_SESSION_WORDS = {
    ConnectionStatus.CONNECTED: "connected",
    ConnectionStatus.CONNECTING: "connecting",
    ConnectionStatus.RECONNECTING: "reconnecting…",
    ConnectionStatus.LOGIN_REQUIRED: "log in required",
    ConnectionStatus.COMPETING: "session in use elsewhere",
    ConnectionStatus.COOL_DOWN: "paused (rate limit)",
    ConnectionStatus.DISCONNECTED: "disconnected",
}


def session_text(state: ConnectionState, *, tz: ZoneInfo | None = None) -> str:
    """Plain words for a session state, e.g. "paused (rate limit) until 14:32:05".

    COOL_DOWN names the time it ends (``state.until`` in ``tz``, default local time);
    the broker's ``message`` follows after " · " when it adds something (not when it
    only repeats the state, e.g. "Connected").
    """
    words = _SESSION_WORDS.get(state.status, state.status.value.lower())
    if state.status is ConnectionStatus.COOL_DOWN and state.until is not None:
        words += f" until {state.until.astimezone(tz):%H:%M:%S}"
    if state.message and state.message.strip(" .").lower() not in (words.lower(), state.status.value.lower()):
        words += f" · {state.message}"
    return words


class TradingStatusBar(QStatusBar):
    """Permanent widgets: replay clock, connection (coloured dot + broker + state) and a
    "Log in…" button (``loginButton``) shown while the broker needs a browser login.

    ``loginRequested(str)`` carries the login URL when the button is clicked.
    """

    loginRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connectionLabel")
        self.replay_label = QLabel()
        self.replay_label.setObjectName("replayLabel")
        self.login_button = QPushButton("Log in…")
        self.login_button.setObjectName("loginButton")
        self.login_button.setToolTip("Open the broker's login page in your browser")
        self.login_button.setFlat(True)
        self.login_button.hide()
        self.login_button.clicked.connect(lambda: self.loginRequested.emit(self._login_url))
        self._login_url = ""
        self.session: ConnectionState | None = None
        self.addPermanentWidget(self.replay_label)
        self.addPermanentWidget(self.connection_label)
        self.addPermanentWidget(self.login_button)

    def set_connection(self, broker_name: str, state: str) -> None:
        """Show ``state`` ("connected", "connecting", "error: ...") of ``broker_name``.

        While connecting, a session state already shown (e.g. log in required) stays."""
        waiting = self.session is not None and self.session.status not in (ConnectionStatus.CONNECTED, ConnectionStatus.DISCONNECTED)
        if state == "connecting" and waiting:
            return
        if state != "connecting":
            self.session = None
            self._show_login(None)
        colour = _STATE_COLOURS.get(state, "#f85149")
        self._show(colour, broker_name, state)

    def set_session(self, broker_name: str, state: ConnectionState) -> None:
        """Show a session state from ``Broker.watch_connection``: LOGIN_REQUIRED shows the
        "Log in…" button (for ``state.login_url``), COOL_DOWN the time it ends."""
        self.session = state
        self._show_login(state.login_url if state.status is ConnectionStatus.LOGIN_REQUIRED else None)
        self._show(_SESSION_COLOURS.get(state.status, "#f85149"), broker_name, session_text(state))
        self.connection_label.setToolTip(f"{state.status.value} since {state.timestamp.astimezone():%H:%M:%S}")

    def _show(self, colour: str, broker_name: str, text: str) -> None:
        self.connection_label.setText(f"<span style='color:{colour}'>●</span> {escape(broker_name)}: {escape(text)}")

    def _show_login(self, url: str | None) -> None:
        self._login_url = url or ""
        self.login_button.setVisible(bool(url))

    def set_replay(self, now: datetime | None, speed: int, finished: bool = False) -> None:
        """Show the replayed New York time and speed ("paused" at speed 0)."""
        if now is None:
            self.replay_label.clear()
            return
        local = now.astimezone(NEW_YORK)
        pace = "finished" if finished else ("paused" if speed == 0 else f"x{speed}")
        self.replay_label.setText(f"Replay {local:%a %d %b %Y %H:%M} ET · {pace}")
