"""The broker's reply questions ("are you sure?") asked before an order is accepted.

IBKR's Client Portal answers an order POST with a *reply question* (CPAPI
``POST /iserver/account/{accountId}/orders`` "order reply" variant, answered with
``POST /iserver/reply/{replyId}``) such as o163 "price exceeds the percentage
constraint" or p6 "distributed over multiple accounts". Brokers hand each one to a
:data:`desktop.domain.QuestionHandler`; this module provides the handler that asks the
user: :class:`ReplyQuestionDialog` shows the question, :class:`QuestionAsker` awaits the
answer without blocking the event loop (``open()`` + an asyncio future, never
``exec()``) and, when the user ticks "Don't ask again this session", calls the broker's
``suppress_questions`` (CPAPI ``POST /iserver/questions/suppress``) before answering.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Sequence

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.domain import OrderQuestion, QuestionHandler

log = logging.getLogger(__name__)

Suppressor = Callable[[Sequence[str]], Awaitable[None]]
"""``await suppress(message_ids)``: stop the broker asking these questions this session."""


def question_html(question: OrderQuestion) -> str:
    """The question's messages as safe rich text: every message HTML-escaped (the broker's
    text can contain ``<``, ``&`` or markup), line breaks kept, one paragraph each."""
    paragraphs = []
    for message in question.messages or ("The broker asks you to confirm this order.",):
        escaped = html.escape(message.strip(), quote=False).replace("\n", "<br>")
        paragraphs.append(f"<p style='margin: 0 0 6px 0'>{escaped}</p>")
    return "".join(paragraphs)


class ReplyQuestionDialog(QDialog):
    """Shows one broker question with Confirm / Cancel (objectName "replyQuestionDialog").

    Children: "questionContextLabel" (which order, when known), "questionTextLabel" (the
    escaped messages), "questionIdsLabel" ("Message ids: o163, p6"), the checkbox
    "suppressQuestionsCheck" ("Don't ask again this session for o163, p6"; hidden when
    the question has no ids), "questionConfirmButton" and "questionCancelButton" (the
    default: Enter and Escape cancel). ``accepted`` means confirmed.
    """

    def __init__(self, question: OrderQuestion, context: str = "", parent: QWidget | None = None, *,
                 asker: str = "") -> None:
        super().__init__(parent)
        self.question = question
        self.setObjectName("replyQuestionDialog")
        self.setWindowTitle(f"{asker} asks" if asker else "The broker asks")
        self.setModal(True)
        ids = ", ".join(question.message_ids)

        self.context_label = QLabel(html.escape(context), self, objectName="questionContextLabel")
        self.context_label.setWordWrap(True)
        self.context_label.setStyleSheet("font-weight: bold;")
        self.context_label.setVisible(bool(context))
        self.text_label = QLabel(self, objectName="questionTextLabel", textFormat=Qt.TextFormat.RichText)
        self.text_label.setText(question_html(question))
        self.text_label.setWordWrap(True)
        self.text_label.setOpenExternalLinks(False)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ids_label = QLabel(f"Message ids: {ids}" if ids else "", self, objectName="questionIdsLabel")
        self.ids_label.setStyleSheet("color: gray; font-size: 11px;")
        self.ids_label.setVisible(bool(ids))
        self.suppress_check = QCheckBox(f"Don't ask again this session for {ids}", self, objectName="suppressQuestionsCheck")
        self.suppress_check.setToolTip("Confirm these questions automatically until you log out or reconnect")
        self.suppress_check.setVisible(bool(ids))

        self.cancel_button = QPushButton("Cancel", self, objectName="questionCancelButton")
        self.cancel_button.setDefault(True)
        self.cancel_button.setToolTip("Do not place the order")
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button = QPushButton("&Confirm", self, objectName="questionConfirmButton", autoDefault=False)
        self.confirm_button.setToolTip("Answer yes and send the order on (Alt+C)")
        self.confirm_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.context_label)
        layout.addWidget(self.text_label)
        layout.addWidget(self.ids_label)
        layout.addWidget(self.suppress_check)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        self.setMinimumWidth(380)
        self.cancel_button.setFocus()

    def wants_suppression(self) -> bool:
        """True when the user ticked "Don't ask again this session"."""
        return self.suppress_check.isChecked() and bool(self.question.message_ids)


class QuestionAsker(QObject):
    """An async :data:`QuestionHandler` that asks the user with :class:`ReplyQuestionDialog`.

    ``await asker(question)`` opens the dialog (window-modal over ``parent``) and
    resolves True on Confirm, False on Cancel / close (or when the dialog is destroyed
    unanswered with its parent window). With "Don't ask again" ticked and
    confirmed, ``suppress`` is awaited with *every* id suppressed so far this session
    (IBKR replaces the list on each call) before True is returned; a failing suppress is
    logged and the answer still given. ``dialog`` is the open dialog (None between
    questions); ``questionShown(dialog)`` is emitted when one opens. ``suppressed`` the
    ids suppressed so far. Cancelling the awaiting task closes the dialog. ``name``
    (the connection's) titles the dialog ("Paper advisor demo asks").
    """

    questionShown = Signal(object)

    def __init__(self, suppress: Suppressor | None, parent: QWidget | None = None, *, name: str = "") -> None:
        super().__init__(parent)
        self._suppress = suppress
        self._parent = parent
        self.name = name
        self.dialog: ReplyQuestionDialog | None = None
        self.suppressed: tuple[str, ...] = ()

    def handler(self, context: str = "") -> QuestionHandler:
        """A handler for one order; ``context`` (e.g. "Buy 100 AAPL … for group ByNetLiq")
        is shown above the question."""

        async def ask(question: OrderQuestion) -> bool:
            return await self.ask(question, context)

        return ask

    async def __call__(self, question: OrderQuestion) -> bool:
        return await self.ask(question)

    async def ask(self, question: OrderQuestion, context: str = "") -> bool:
        """Show ``question``; True when the user confirms. Never raises for a failing suppress."""
        future: asyncio.Future[tuple[int, bool]] = asyncio.get_running_loop().create_future()
        dialog = ReplyQuestionDialog(question, context, self._parent, asker=self.name)

        def finished(result: int) -> None:
            if not future.done():  # read the tick now: the dialog is deleted right after
                future.set_result((result, dialog.wants_suppression()))

        def destroyed(*_args: object) -> None:  # its parent window went away unanswered: Cancel
            if not future.done():
                future.set_result((QDialog.DialogCode.Rejected.value, False))

        dialog.finished.connect(finished)
        dialog.destroyed.connect(destroyed)
        self.dialog = dialog
        dialog.open()
        self.questionShown.emit(dialog)
        try:
            result, suppress = await future
        finally:
            self.dialog = None
            if shiboken6.isValid(dialog):
                if future.cancelled() and dialog.isVisible():  # cancelled while open: close it, answer nothing
                    dialog.reject()
                dialog.deleteLater()
        confirmed = result == QDialog.DialogCode.Accepted
        if confirmed and suppress:
            await self._suppress_more(question.message_ids)
        return confirmed

    async def _suppress_more(self, ids: Sequence[str]) -> None:
        wanted = tuple(dict.fromkeys((*self.suppressed, *ids)))
        if self._suppress is None:
            return
        try:
            await self._suppress(list(wanted))
        except Exception as exc:  # the order still goes on; the question will simply be asked again
            log.warning("could not suppress questions %s: %s", ", ".join(wanted), exc)
            return
        self.suppressed = wanted

    def reset(self) -> None:
        """Forget the suppressed ids (a new broker session asks everything again)."""
        self.suppressed = ()


def question_handler(suppress: Suppressor | None, parent: QWidget | None = None, *, name: str = "") -> QuestionAsker:
    """The app's :data:`QuestionHandler` factory: a :class:`QuestionAsker` over ``parent``
    that suppresses through ``suppress`` (usually ``broker.suppress_questions``), titled
    with the connection's ``name``."""
    return QuestionAsker(suppress, parent, name=name)
