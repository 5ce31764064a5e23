"""The connection form's row of adapter-specific tools, generated from ``BrokerSpec.tools``.

Each :class:`~desktop.connections.ConnectionTool` becomes a button
(``f"{tool.name}Button"``); clicking it runs the tool with the form's current texts
and carries out the :class:`~desktop.connections.ToolResult` it answers: show its
``message`` in the state line (``toolsStateLabel``), open ``open_url`` in the
browser, fill ``set_values`` into the form's fields, or first show a server
certificate to trust (``trust``: the certificate dialog) and on yes write its
fingerprint into ``trust.field``, or ask the user to choose an item (``choice``: a
list dialog, then its yes/no question) and go on with the chosen one. The UI knows
no adapter: IBKR's gateway tools (fetch certificate, check session, log in) are
declared in its connection spec. The state line is shown whole however long (its
height is reserved from its width; the dialog grows to it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

import shiboken6
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.connections import ConnectionTool, ToolChoice, ToolResult
from desktop.desk.tasks import spawn
from desktop.security.redaction import redact

from .certificate_dialog import ask_trust

log = logging.getLogger(__name__)


class ConnectionTools(QWidget):
    """One button per tool and the state line ``toolsStateLabel`` (objectName of the
    widget: ``connectionTools``).

    ``texts()``: the form's texts by field name; ``set_text(field, text)`` writes one;
    ``name()``: the connection's name (certificate prompts name it);
    ``texts_with_secrets()``: the texts with saved secrets in place of blank secret
    fields, for tools that declare ``stored_secrets``. ``opened_urls``
    records every page opened in the browser; ``task`` is the tool running, if any.
    """

    def __init__(self, tools: Sequence[ConnectionTool], texts: Callable[[], Mapping[str, str]],
                 set_text: Callable[[str, str], None], parent: QWidget | None = None, *,
                 name: Callable[[], str] = lambda: "",
                 texts_with_secrets: Callable[[], Mapping[str, str]] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionTools")
        self.tools = tuple(tools)
        self._texts, self._set_text, self._name = texts, set_text, name
        self._texts_with_secrets = texts_with_secrets
        self.opened_urls: list[str] = []
        self.task: asyncio.Task | None = None
        self.buttons: dict[str, QPushButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        per_row = 2 if len(self.tools) > 3 else 3  # four or more tools: two rows, every label readable
        row = None
        for index, tool in enumerate(self.tools):
            if index % per_row == 0:
                if row is not None:
                    row.addStretch(1)
                row = QHBoxLayout()
                layout.addLayout(row)
            button = QPushButton(tool.label, self, objectName=f"{tool.name}Button")
            button.setAutoDefault(False)
            button.setToolTip(tool.tip)
            button.clicked.connect(lambda _checked=False, t=tool: self.start(t))
            row.addWidget(button)
            self.buttons[tool.name] = button
        if row is not None:
            row.addStretch(1)
        self.state_label = QLabel("", self, objectName="toolsStateLabel", wordWrap=True)
        self.state_label.setProperty("role", "help")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.state_label)

    @property
    def row_label(self) -> str:
        """The form row's label: the first tool's ``row_label``."""
        return self.tools[0].row_label if self.tools else ""

    def start(self, tool: ConnectionTool) -> asyncio.Task | None:
        """Run ``tool`` in the background (see :meth:`run`), after a yes to its
        ``ask`` question when it has one (None when the answer is no)."""
        if tool.ask and not self.confirm(tool):
            self.say(f"{tool.label.rstrip('…')}: not done")
            return None

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self):
                self.say(redact(f"Failed: {exc}"))

        self.task = spawn(self.run(tool), name=f"tool-{tool.name}", on_error=failed)
        return self.task

    async def run(self, tool: ConnectionTool) -> None:
        """Run ``tool`` with the form's texts and carry out its result. Its button is
        disabled meanwhile; an error it raises shows as "Failed: …"."""
        button = self.buttons.get(tool.name)
        if button is not None:
            button.setEnabled(False)
        self.say(f"{tool.label}…")
        texts = self._texts_with_secrets if tool.stored_secrets and self._texts_with_secrets else self._texts
        try:
            result = await tool.run(dict(texts()))
            while result.choice is not None and shiboken6.isValid(self):
                self.say(result.message)
                chosen = self.choose(result.choice)
                if chosen is None:
                    result = ToolResult(message=f"{tool.label.rstrip('…')}: not done")
                    break
                self.say(f"{tool.label.rstrip('…')}: {chosen[1]}…")
                result = await result.choice.then(dict(texts()), chosen[0])
        finally:
            if shiboken6.isValid(self) and button is not None:
                button.setEnabled(True)
        if shiboken6.isValid(self):  # the form may have closed meanwhile
            await self.apply(result)

    def confirm(self, tool: ConnectionTool) -> bool:
        """Ask ``tool.ask`` (Yes/No, No by default); True for yes."""
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self.window(), tool.label.rstrip("…"), tool.ask,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def choose(self, choice: ToolChoice) -> tuple[str, str] | None:
        """Ask ``choice`` (a list to pick from, then its yes/no question): the chosen
        ``(value, label)``, None when cancelled or answered no."""
        from PySide6.QtWidgets import QInputDialog, QMessageBox

        labels = [label for _value, label in choice.options]
        label, ok = QInputDialog.getItem(self.window(), choice.title, choice.prompt, labels, 0, False)
        if not ok or label not in labels:
            return None
        value = choice.options[labels.index(label)][0]
        if choice.confirm:
            answer = QMessageBox.question(self.window(), choice.title, choice.confirm.replace("{label}", label),
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return None
        return value, label

    async def apply(self, result: ToolResult) -> None:
        """Carry out ``result`` (see the module docstring)."""
        self.say(result.message)
        for field, text in result.set_values.items():
            self._set_text(field, text)
        if result.open_url:
            self.open_url(result.open_url)
        offer = result.trust
        if offer is None:
            return
        trusted = await ask_trust(offer.url, offer.fingerprint, self.window(), name=self._name())
        if not shiboken6.isValid(self):
            return
        if trusted:
            self._set_text(offer.field, offer.fingerprint)
        self.say(result.trusted_message if trusted else result.refused_message)

    def open_url(self, url: str) -> None:
        """Open ``url`` in the browser (recorded in ``opened_urls``)."""
        self.opened_urls.append(url)
        log.info("opening %s in the browser", url)
        if not QDesktopServices.openUrl(QUrl(url)):
            self.say(f"Could not open a browser: open {url} yourself")

    def say(self, text: str) -> None:
        """Show ``text`` in the state line (the dialog grows to show it whole)."""
        self.state_label.setText(text)
        self._fit_state()
        window = self.window()
        if window is not self and window.isVisible():
            QTimer.singleShot(0, lambda: shiboken6.isValid(window) and self._grow(window))  # after the new layout

    def _fit_state(self) -> None:
        """Reserve the wrapped state line's whole height: a form row and a dialog size
        themselves by size hints, which do not ask a word-wrapped label for its height
        at its width, so a long message was cut off (and overlapped the buttons)."""
        label = self.state_label
        width = label.width() if label.width() > 0 else self.width()
        label.setMinimumHeight(label.heightForWidth(width) if label.text() and width > 0 else 0)
        layout = self.layout()
        layout.invalidate()
        self.setMinimumHeight(layout.minimumSize().height())  # the form row honours the widget's own minimum

    def _grow(self, window: QWidget) -> None:
        """Make ``window`` tall enough for every row at its width (adjustSize alone
        leaves a dialog whose form has word-wrapped rows too short)."""
        self._fit_state()  # at the width the label has now
        window.adjustSize()
        layout = window.layout()
        need = window.minimumSizeHint().height()
        if layout is not None and layout.hasHeightForWidth():
            need = max(need, layout.totalHeightForWidth(window.width()))
        screen = window.screen()
        if screen is not None:
            need = min(need, screen.availableGeometry().height())
        if window.height() < need:
            window.resize(window.width(), need)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        """No: the state line's height is reserved by :meth:`_fit_state`, so the form
        and the dialog size this widget by its minimum (a height-for-width row of a
        form is not honoured by the dialog's own size, which cut the message off)."""
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_state()  # another width wraps the message into other lines
