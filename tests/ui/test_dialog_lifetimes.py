"""Awaited dialogs whose parent window is deleted before the user answers: the awaiting
task gets the "no" answer instead of hanging, and nothing touches the deleted dialog."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QWidget

from desktop.domain import OrderQuestion
from desktop.ui.certificate_dialog import ask_trust
from desktop.ui.questions import question_handler
from qt_helpers import top_level

FP = ":".join(["AB"] * 32)


def open_parent() -> QWidget:
    window = QWidget()
    window.resize(300, 200)
    window.show()
    return window


def test_trust_question_of_a_deleted_window_answers_no(qtbot, qloop):
    window = open_parent()
    task = qloop.create_task(ask_trust("https://127.0.0.1:5000/v1/api", FP, window))
    qtbot.waitUntil(lambda: top_level("certificateTrustDialog") is not None)
    shiboken6.delete(window)  # the main window went away with the question open
    qtbot.waitUntil(task.done)
    assert task.result() is False
    assert top_level("certificateTrustDialog") is None


def test_reply_question_of_a_deleted_window_answers_cancel(qtbot, qloop):
    window = open_parent()
    suppressed = []

    async def suppress(ids):
        suppressed.append(list(ids))

    asker = question_handler(suppress, window)
    task = qloop.create_task(asker(OrderQuestion(reply_id="r-1", messages=("Sure?",), message_ids=("o163",))))
    qtbot.waitUntil(lambda: asker.dialog is not None and asker.dialog.isVisible())
    shiboken6.delete(window)  # deletes the dialog (and the asker) with it
    qtbot.waitUntil(task.done)
    assert task.result() is False and suppressed == []
