"""The broker's reply-question dialog and its async QuestionHandler, driven like a user."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QWidget

from desktop.domain import OrderQuestion
from desktop.ui.questions import QuestionAsker, ReplyQuestionDialog, question_handler, question_html
from qt_helpers import find

P6 = OrderQuestion(
    reply_id="r-1",
    messages=("This order will be distributed over multiple accounts. We strongly suggest you familiarize"
              " yourself with our allocation facilities before submitting orders.",),
    message_ids=("p6",),
)
O163 = OrderQuestion(reply_id="r-2", messages=("The following order exceeds the price percentage limit <b>3%</b> & more",),
                     message_ids=("o163",))


@pytest.fixture
def parent(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    w.resize(400, 300)
    w.show()
    return w


class Suppressor:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    async def __call__(self, ids) -> None:
        self.calls.append(list(ids))
        if self.fail:
            raise RuntimeError("gateway said no")


def ask(qtbot, qloop, asker: QuestionAsker, question: OrderQuestion, context: str = ""):
    task = qloop.create_task(asker.handler(context)(question))
    qtbot.waitUntil(lambda: asker.dialog is not None and asker.dialog.isVisible())
    return task, asker.dialog


def test_broker_text_is_escaped_and_ids_shown(qtbot, parent):
    dialog = ReplyQuestionDialog(O163, "Buy 100 AAPL (ByNetLiq)", parent)
    qtbot.addWidget(dialog)
    html = question_html(O163)
    assert "&lt;b&gt;3%&lt;/b&gt; &amp; more" in html and "<b>3%</b>" not in html
    assert find(dialog, QLabel, "questionIdsLabel").text() == "Message ids: o163"
    assert find(dialog, QCheckBox, "suppressQuestionsCheck").text() == "Don't ask again this session for o163"
    assert find(dialog, QLabel, "questionContextLabel").text() == "Buy 100 AAPL (ByNetLiq)"
    assert find(dialog, QPushButton, "questionCancelButton").isDefault()


def test_confirm_answers_true_without_blocking_the_loop(qtbot, qloop, parent):
    suppress = Suppressor()
    asker = question_handler(suppress, parent)
    task, dialog = ask(qtbot, qloop, asker, P6, "Buy 10 AAPL")
    assert "distributed over multiple accounts" in find(dialog, QLabel, "questionTextLabel").text()
    assert not task.done()  # waiting for the user, while the loop keeps running
    qtbot.mouseClick(find(dialog, QPushButton, "questionConfirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert task.result() is True
    assert suppress.calls == [] and asker.dialog is None


def test_cancel_and_escape_answer_false(qtbot, qloop, parent):
    asker = question_handler(Suppressor(), parent)
    task, dialog = ask(qtbot, qloop, asker, P6)
    qtbot.mouseClick(find(dialog, QPushButton, "questionCancelButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert task.result() is False
    task, dialog = ask(qtbot, qloop, asker, P6)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(task.done)
    assert task.result() is False


def test_dont_ask_again_suppresses_every_id_so_far(qtbot, qloop, parent):
    suppress = Suppressor()
    asker = question_handler(suppress, parent)
    for question in (P6, O163):
        task, dialog = ask(qtbot, qloop, asker, question)
        find(dialog, QCheckBox, "suppressQuestionsCheck").setChecked(True)
        qtbot.mouseClick(find(dialog, QPushButton, "questionConfirmButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(task.done)
        assert task.result() is True
    assert suppress.calls == [["p6"], ["p6", "o163"]]
    assert asker.suppressed == ("p6", "o163")


def test_ticked_but_cancelled_suppresses_nothing(qtbot, qloop, parent):
    suppress = Suppressor()
    asker = question_handler(suppress, parent)
    task, dialog = ask(qtbot, qloop, asker, P6)
    find(dialog, QCheckBox, "suppressQuestionsCheck").setChecked(True)
    qtbot.mouseClick(find(dialog, QPushButton, "questionCancelButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert task.result() is False and suppress.calls == []


def test_failing_suppress_still_confirms(qtbot, qloop, parent):
    asker = question_handler(Suppressor(fail=True), parent)
    task, dialog = ask(qtbot, qloop, asker, P6)
    find(dialog, QCheckBox, "suppressQuestionsCheck").setChecked(True)
    qtbot.mouseClick(find(dialog, QPushButton, "questionConfirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert task.result() is True and asker.suppressed == ()


def test_question_without_ids_offers_no_suppression(qtbot, parent):
    dialog = ReplyQuestionDialog(OrderQuestion(reply_id="x", messages=("Sure?",)), parent=parent)
    qtbot.addWidget(dialog)
    assert find(dialog, QCheckBox, "suppressQuestionsCheck").isHidden()
    assert find(dialog, QLabel, "questionIdsLabel").isHidden()


def test_cancelling_the_waiting_task_closes_the_dialog(qtbot, qloop, parent):
    asker = question_handler(Suppressor(), parent)
    task, dialog = ask(qtbot, qloop, asker, P6)
    closed = []
    dialog.finished.connect(closed.append)
    task.cancel()
    qtbot.waitUntil(task.done)
    assert closed and asker.dialog is None
    assert not [d for d in parent.findChildren(ReplyQuestionDialog) if d.isVisible()]
