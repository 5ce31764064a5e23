"""Small helpers shared by the pytest-qt tests (imported as ``from qt_helpers import ...``)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication


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
