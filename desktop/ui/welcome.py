"""The first-run welcome banner above the chart: what paper mode is, how to connect a
real broker. Dismissed once, never shown again (QSettings ``welcome/dismissed``).

The text follows the broker: the paper advisor demo (``PaperBroker(advisor=True)``)
gets its own (master account, four clients, allocation groups, split group orders);
an external broker (e.g. Interactive Brokers) says where orders go and that they are
real (unless its login is a paper trading account); the embedded paper broker keeps the
plain paper text.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.brokers import Broker
from desktop.brokers.paper import PaperBroker
from desktop.brokers.paper.advisor_accounts import CLIENTS, MASTER_ID

DISMISSED_KEY = "welcome/dismissed"

_REPLAY = (
    "The paper broker replays <b>real daily prices</b> of AAPL, MSFT, IBM and GOOG (2000–2013) as a live "
    "market; the minute-by-minute path inside each day is <b>synthetic</b>. "
)
_CONNECT = "To trade your own account, connect a real broker from <b>File → Connections…</b>"

WELCOME_TITLE = "Welcome to Tradedesk — you are on the paper broker"
WELCOME_TEXT = (
    _REPLAY + "Your paper account starts with <b>$100,000</b> of paper cash, and <b>nothing is traded for real</b>. "
    + _CONNECT
)

ADVISOR_TITLE = "Welcome to Tradedesk — you are on the paper advisor demo"


_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _usd(amount: object) -> str:
    return f"${amount:,.0f}"


def advisor_welcome_text() -> str:
    """The banner text of the paper advisor demo, from its fixed accounts
    (:mod:`desktop.brokers.paper.advisor_accounts`)."""
    cash = [c for _aid, _name, c in CLIENTS]
    clients = _NUMBERS.get(len(CLIENTS), str(len(CLIENTS)))
    return (
        _REPLAY + f"This is the <b>advisor demo</b>: the master account <b>{MASTER_ID}</b> manages <b>{clients} "
        f"client accounts</b> ({_usd(min(cash))} to {_usd(max(cash))} of paper cash each). Place orders to an "
        "<b>allocation group</b> (<i>Allocate to</i> in the ticket): a group order is <b>split across the "
        "clients</b>, and Fills shows each client's share. <b>Nothing is traded for real</b>. " + _CONNECT
    )


def is_advisor_demo(broker: Broker | None) -> bool:
    """Whether ``broker`` is the paper broker's offline advisor demo."""
    return isinstance(broker, PaperBroker) and bool(broker.advisor)


def broker_texts(broker: Broker) -> tuple[str, str]:
    """(title, body) for an external broker: its orders are real unless the login is a
    paper trading account (``capabilities.paper``, e.g. an IBKR paper login)."""
    name = escape(broker.display_name)
    kind = ("go to your <b>paper trading account</b> there (simulated money)" if broker.capabilities.paper
            else "are <b>real</b>")
    return (
        f"Welcome to Tradedesk — connected to {name}",
        f"Orders you place here go to <b>{name}</b> and {kind}: every order is shown in words for you to "
        "confirm before it is sent, and any question the broker asks is shown to you. To practise first, "
        "open the embedded <b>paper broker</b> (or its advisor demo) from <b>File → Connections…</b>",
    )


def welcome_texts(broker: Broker | None) -> tuple[str, str]:
    """(title, rich-text body) of the banner for ``broker`` (None: the plain paper text)."""
    if is_advisor_demo(broker):
        return ADVISOR_TITLE, advisor_welcome_text()
    if broker is not None and not isinstance(broker, PaperBroker):
        return broker_texts(broker)
    return WELCOME_TITLE, WELCOME_TEXT


def welcome_dismissed(settings: QSettings) -> bool:
    """True once the user has dismissed the welcome panel."""
    value = settings.value(DISMISSED_KEY, False)
    return value is True or str(value).lower() in ("true", "1")


class WelcomePanel(QFrame):
    """A dismissible banner (objectName "welcomePanel") describing ``broker``'s paper
    mode (see :func:`welcome_texts`; labels "welcomeTitle" and "welcomeText").

    "Open Connections…" (``connectionsButton``) calls ``open_connections``; "Got it"
    (``dismissButton``) records the dismissal, hides the panel and emits ``dismissed``.
    """

    dismissed = Signal()

    def __init__(self, settings: QSettings, open_connections: Callable[[], object] | None = None,
                 parent: QWidget | None = None, *, broker: Broker | None = None) -> None:
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
        title = self.title_label = QLabel(self, objectName="welcomeTitle")
        body = self.text_label = QLabel(self, objectName="welcomeText")
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
        self.set_broker(broker)

    def set_broker(self, broker: Broker | None) -> None:
        """Describe ``broker`` (called again when the window switches brokers)."""
        title_text, body_text = welcome_texts(broker)
        self.title_label.setText(title_text)
        self.text_label.setText(body_text)

    def dismiss(self) -> None:
        """Never show again: remember it, hide, emit ``dismissed``."""
        self._settings.setValue(DISMISSED_KEY, True)
        self._settings.sync()
        self.hide()
        self.dismissed.emit()
