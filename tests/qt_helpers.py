"""Small helpers shared by the pytest-qt tests (imported as ``from qt_helpers import ...``;
tests/ is on sys.path because tests/conftest.py lives there): running a coroutine on the
test's qasync loop, finding widgets, typing and clicking, the connection form's tools,
the order ticket's account selector, a stand-in browser and stand-in dialog answers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QInputDialog, QLabel, QMessageBox, QPushButton

WAIT = 20_000  # ms: what the window tests against a fake over loopback allow one step


def run(qtbot, qloop, coro, timeout=10_000):
    """Run ``coro`` as a task on the test's qasync loop and wait for its result (ms timeout)."""
    task = qloop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def top_level(name):
    """The visible top-level widget with this objectName, or None."""
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)


def find(widget, cls, name):
    """``widget``'s child of class ``cls`` named ``name``; fails the test when missing."""
    child = widget.findChild(cls, name)
    assert child is not None, name
    return child


def type_into(qtbot, edit, text):
    """Replace what the line edit ``edit`` holds with ``text``, typed: focus, select all,
    Delete, then the keys."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def click(qtbot, widget):
    """Left-click ``widget``; fails the test (naming it) when it is disabled."""
    assert widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def tool(qtbot, form, name, until, timeout=WAIT):
    """Press the connection form's tool button ``<name>Button`` once it is enabled and
    wait (ms ``timeout``) until its message line (``toolsStateLabel``) contains
    ``until``; returns that line."""
    button = find(form, QPushButton, f"{name}Button")
    qtbot.waitUntil(button.isEnabled)
    state = find(form, QLabel, "toolsStateLabel")
    state.setText("")  # the previous tool's answer is not this one's
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: until in state.text(), timeout=timeout)
    return state.text()


def choose_account(qtbot, ticket, search: str, line_start: str) -> None:
    """Type ``search`` into the order ticket's account selector and pick the offered line
    that starts with ``line_start`` ("Paper 2 · PAPER") with the keyboard; fails the test
    unless exactly one line does."""
    line = ticket.account_combo.lineEdit()
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, search)
    popup = ticket.selector.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    offered = [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())]
    matching = [r for r, text in enumerate(offered) if text.startswith(line_start)]
    assert len(matching) == 1, offered
    popup.setCurrentIndex(popup.model().index(matching[0], 0))
    qtbot.keyClick(popup, Qt.Key.Key_Return)


class UrlCatcher(QObject):
    """Receives QDesktopServices.openUrl calls (no browser in tests); ``urls`` lists them."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@contextmanager
def catching_browser(schemes: Iterable[str] = ("https",)) -> Iterator[UrlCatcher]:
    """While open, URLs of ``schemes`` the app opens land in the catcher's ``urls``."""
    schemes = tuple(schemes)
    catcher = UrlCatcher()
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    try:
        yield catcher
    finally:
        for scheme in schemes:
            QDesktopServices.unsetUrlHandler(scheme)


class Answers:
    """Stands in for the list dialog (QInputDialog.getItem) and the yes/no question
    (QMessageBox.question) for the test (``monkeypatch``): records what was offered
    (``offered``: each list of labels) and asked (``asked``: each question's text);
    answers with ``pick(labels)`` (None: cancelled) and Yes unless ``yes`` is False."""

    def __init__(self, monkeypatch) -> None:
        self.offered: list[list[str]] = []
        self.asked: list[str] = []
        self.pick = lambda labels: labels[0]
        self.yes = True
        monkeypatch.setattr(QInputDialog, "getItem", staticmethod(self._get_item))
        monkeypatch.setattr(QMessageBox, "question", staticmethod(self._question))

    def _get_item(self, _parent, _title, _prompt, labels, *_args):
        self.offered.append(list(labels))
        choice = self.pick(list(labels))
        return (choice, True) if choice is not None else ("", False)

    def _question(self, _parent, _title, text, *_args):
        self.asked.append(text)
        return QMessageBox.StandardButton.Yes if self.yes else QMessageBox.StandardButton.No


def open_connection_form(qtbot, broker: str):
    """A shown connection form (ConnectionEditDialog) adding a ``broker`` connection to
    the saved connections of TRADEDESK_HOME, secrets to a SecretStore; qtbot closes it."""
    from desktop.connections import ConnectionStore
    from desktop.security.secrets import SecretStore
    from desktop.ui.connection_form import ConnectionEditDialog

    dialog = ConnectionEditDialog(ConnectionStore.open_default(), SecretStore(), broker=broker)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


@contextmanager
def paper_window(qtbot, qloop, width: int, height: int) -> Iterator:
    """A MainWindow (``width`` x ``height``) over a new desk (polling every 0.3 s) of the
    saved connections of TRADEDESK_HOME and a SecretStore, shown and started with the
    paper connection (asserted connected); shut down, closed and deleted on leaving."""
    from desktop.connections import ConnectionStore
    from desktop.desk import Desk
    from desktop.security.secrets import SecretStore
    from desktop.ui.main_window import MainWindow

    store, secrets = ConnectionStore.open_default(), SecretStore()
    win = MainWindow(Desk(store, secrets, poll_s=0.3, start_budget_s=1.0), connections=store, secrets=secrets)
    win.resize(width, height)
    win.show()
    qtbot.waitExposed(win)
    assert run(qtbot, qloop, win.start(["paper"]), timeout=WAIT) == {"paper": None}
    yield win
    run(qtbot, qloop, win.shutdown(), timeout=WAIT)
    win.close()
    win.deleteLater()
