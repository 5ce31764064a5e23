"""The first-run welcome banner above the chart: what paper mode is, how to connect a
real broker. Dismissed once, never shown again (QSettings ``welcome/dismissed``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

DISMISSED_KEY = "welcome/dismissed"

WELCOME_TITLE = "Welcome to Tradedesk — you are on the paper broker"
WELCOME_TEXT = (
    "The paper broker replays <b>real daily prices</b> of AAPL, MSFT, IBM and GOOG (2000–2013) as a live "
    "market; the minute-by-minute path inside each day is <b>synthetic</b>. Your paper account starts with "
    "<b>$100,000</b> of paper cash, and <b>nothing is traded for real</b>. "
    "To trade your own account, connect a real broker from <b>File → Connections…</b>"
)


def welcome_dismissed(settings: QSettings) -> bool:
    """True once the user has dismissed the welcome panel."""
    value = settings.value(DISMISSED_KEY, False)
    return value is True or str(value).lower() in ("true", "1")


class WelcomePanel(QFrame):
    """A dismissible banner (objectName "welcomePanel").

    "Open Connections…" (``connectionsButton``) calls ``open_connections``; "Got it"
    (``dismissButton``) records the dismissal, hides the panel and emits ``dismissed``.
    """

    dismissed = Signal()

    def __init__(self, settings: QSettings, open_connections: Callable[[], object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self._settings = settings
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#welcomePanel { background: rgba(56, 139, 253, 0.12); border: 1px solid rgba(56, 139, 253, 0.55);"
            " border-radius: 4px; }"
            "#welcomePanel QLabel { background: transparent; border: none; }"
            "#welcomeTitle { font-weight: bold; font-size: 14px; }"
        )
        title = QLabel(WELCOME_TITLE, self, objectName="welcomeTitle")
        body = QLabel(WELCOME_TEXT, self, objectName="welcomeText")
        body.setWordWrap(True)
        body.setTextFormat(Qt.TextFormat.RichText)
        self.connections_button = QPushButton("Open Connections…", self, objectName="connectionsButton")
        self.dismiss_button = QPushButton("Got it", self, objectName="dismissButton")
        self.dismiss_button.setToolTip("Hide this panel; it will not be shown again")
        if open_connections is not None:
            self.connections_button.clicked.connect(lambda: open_connections())
        else:
            self.connections_button.hide()
        self.dismiss_button.clicked.connect(self.dismiss)

        text = QVBoxLayout()
        text.setSpacing(4)
        text.addWidget(title)
        text.addWidget(body)
        buttons = QVBoxLayout()
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.connections_button)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        row.setSpacing(16)
        row.addLayout(text, 1)
        row.addLayout(buttons)

    def dismiss(self) -> None:
        """Never show again: remember it, hide, emit ``dismissed``."""
        self._settings.setValue(DISMISSED_KEY, True)
        self._settings.sync()
        self.hide()
        self.dismissed.emit()
