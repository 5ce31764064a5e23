"""The first-run welcome banner above the chart: what the connection the user is on
does with orders, how to connect another. Dismissed once, never shown again
(QSettings ``welcome/dismissed``).

The text comes from the connection's broker spec (``BrokerSpec.welcome_texts`` with
the connection's saved values: the paper broker and its advisor demo describe
themselves, see desktop/connections/adapters/paper.py); a broker without its own text
gets the generic one: orders go to that broker and are real, unless its login is a
paper trading account (``capabilities.paper``). The banner describes the order
ticket's connection (:meth:`WelcomePanel.set_focus`), else the first live one, and
says when several are connected.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.connections import ConnectionStore, broker_spec
from desktop.desk import LiveConnection

DISMISSED_KEY = "welcome/dismissed"

NOTHING_CONNECTED = (
    "Welcome to Tradedesk",
    "No broker is connected yet. Open <b>File → Connections…</b> to connect the embedded <b>paper broker</b> "
    "(practice with paper money, nothing is traded for real) or your own broker.",
)


def external_texts(name: str, paper: bool) -> tuple[str, str]:
    """(title, body) for a broker without its own banner: its orders are real unless
    the login is a paper trading account (``paper``, e.g. an IBKR paper login)."""
    name = escape(name)
    kind = ("go to your <b>paper trading account</b> there (simulated money)" if paper else "are <b>real</b>")
    return (
        f"Welcome to Tradedesk — connected to {name}",
        f"Orders you place here go to <b>{name}</b> and {kind}: every order is shown in words for you to "
        "confirm before it is sent, and any question the broker asks is shown to you. To practise first, "
        "open the embedded <b>paper broker</b> (or its advisor demo) from <b>File → Connections…</b>",
    )


def connection_texts(conn: LiveConnection, store: ConnectionStore | None = None) -> tuple[str, str]:
    """(title, rich-text body) of the banner for ``conn``: its spec's text for its
    saved values (from ``store``; an ad-hoc connection uses the spec's defaults), else
    :func:`external_texts`."""
    values = store.get(conn.id).values if store is not None and conn.id in store else {}
    try:
        texts = broker_spec(conn.kind).welcome_texts(values)
    except KeyError:  # a broker kind without a registered spec (an ad-hoc adapter)
        texts = None
    if texts is not None:
        return texts
    caps = conn.capabilities or conn.broker.capabilities
    return external_texts(conn.name, caps.paper)


def several_text(described: LiveConnection, live: Sequence[LiveConnection], *, focused: bool) -> str:
    """The sentence added when several connections are live: which one the banner
    describes (``focused``: it is the ticket's account's connection), and that each
    order goes to its account's connection only."""
    names = ", ".join(f"<b>{escape(c.name)}</b>" for c in live)
    which = "the connection of the ticket's account" if focused else "the first one connected"
    return (f"<br><br>{len(live)} connections are live ({names}); this describes <b>{escape(described.name)}</b>, "
            f"{which}. Each order goes only to the connection of the account you choose in the ticket.")


def welcome_dismissed(settings: QSettings) -> bool:
    """True once the user has dismissed the welcome panel."""
    value = settings.value(DISMISSED_KEY, False)
    return value is True or str(value).lower() in ("true", "1")


class WelcomePanel(QFrame):
    """A dismissible banner (objectName "welcomePanel"; labels "welcomeTitle" and
    "welcomeText") describing the live connections (see the module docstring).

    ``store``: the saved connections, for each one's values (None: spec defaults).
    "Open Connections…" (``connectionsButton``) calls ``open_connections``; "Got it"
    (``dismissButton``) records the dismissal, hides the panel and emits ``dismissed``.
    """

    dismissed = Signal()

    def __init__(self, settings: QSettings, open_connections: Callable[[], object] | None = None,
                 parent: QWidget | None = None, *, store: ConnectionStore | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self._settings = settings
        self._store = store
        self._live: list[LiveConnection] = []
        self._focus: str | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#welcomePanel { background: rgba(56, 139, 253, 0.12); border: 1px solid rgba(56, 139, 253, 0.55);"
            " border-radius: 4px; }"
            "#welcomePanel QLabel { background: transparent; border: none; }"
            "#welcomeTitle { font-weight: bold; font-size: 14px; }"
        )
        title = self.title_label = QLabel(self, objectName="welcomeTitle")
        title.setWordWrap(True)  # a narrow window wraps the title instead of being held wide
        body = self.text_label = QLabel(self, objectName="welcomeText")
        title.setTextFormat(Qt.TextFormat.RichText)  # names are escaped: "Acme &amp; Co" shows "Acme & Co"
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
        self._show()

    def set_connections(self, live: Sequence[LiveConnection]) -> None:
        """The live connections changed (the desk's ``live()``)."""
        self._live = list(live)
        self._show()

    def set_focus(self, connection_id: str | None) -> None:
        """Describe ``connection_id`` (the ticket's account's connection) when live."""
        self._focus = connection_id or None
        self._show()

    def described(self) -> LiveConnection | None:
        """The connection the banner describes: the focus when live, else the first."""
        return next((c for c in self._live if c.id == self._focus), self._live[0] if self._live else None)

    def _show(self) -> None:
        conn = self.described()
        title_text, body_text = connection_texts(conn, self._store) if conn is not None else NOTHING_CONNECTED
        if conn is not None and len(self._live) > 1:
            body_text += several_text(conn, self._live, focused=conn.id == self._focus)
        self.title_label.setText(title_text)
        self.text_label.setText(body_text)

    def dismiss(self) -> None:
        """Never show again: remember it, hide, emit ``dismissed``."""
        self._settings.setValue(DISMISSED_KEY, True)
        self._settings.sync()
        self.hide()
        self.dismissed.emit()
