"""Shared test setup: offscreen Qt, qasync loops, an isolated user data directory, an
in-memory keyring (``memory_keyring``)."""

from __future__ import annotations

import asyncio
import os

# Before any QApplication exists: offscreen platform, and tell qasync which binding to use.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    """Every test gets its own data/log/settings directories (see desktop.paths)."""
    monkeypatch.setenv("TRADEDESK_HOME", str(tmp_path / "tradedesk-home"))
    yield


@pytest.fixture(autouse=True)
def _no_quit_on_last_window(request):
    """A window closed outside exec() must not leave a pending quit for the next test."""
    if "qapp" in request.fixturenames or "qtbot" in request.fixturenames:
        request.getfixturevalue("qapp").setQuitOnLastWindowClosed(False)
    yield


@pytest.fixture
def memory_keyring():
    """The keyring is a MemoryKeyring (tests/memory_keyring.py) for the test: its ``entries``
    map (service, username) to the secret. Afterwards keyring's failing backend, so no later
    test reaches a real keyring."""
    import keyring
    from keyring.backends import fail

    from memory_keyring import MemoryKeyring

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def qloop(qapp):
    """A qasync event loop marked as running inside Qt's loop (pytest-qt drives it).

    Schedule coroutines with ``qloop.create_task(...)`` and wait with
    ``qtbot.waitUntil``. Never call qtbot.wait* from inside a coroutine.
    """
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    for _ in range(5):
        qapp.processEvents()
    from PySide6.QtCore import QEvent

    qapp.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # widgets the test deleteLater()-ed die now, here
    asyncio.events._set_running_loop(None)
    loop._QEventLoop__is_running = False  # not loop.stop(): that would call app.exit()
    loop.close()
    _delete_loop_timer(loop)
    asyncio.set_event_loop(None)


def _delete_loop_timer(loop) -> None:
    """Delete the closed qasync loop's timer QObject now, on the GUI thread.

    qasync's ``close()`` only flags its timer object stopped: the Qt timers of pending
    ``call_later`` handles stay registered. The loop sits in a reference cycle, so
    without this the garbage collector frees the timer object later, on whichever
    thread happens to allocate, often one of qasync's executor QThreads (getaddrinfo,
    to_thread). Qt cannot stop timers from another thread ("QObject::~QObject: Timers
    cannot be stopped from another thread") and the next one fires into freed memory:
    a segfault in QTimerInfoList::activateTimers during a later test.
    """
    import shiboken6

    timer = getattr(loop, "_timer", None)
    if timer is not None and shiboken6.isValid(timer):
        shiboken6.delete(timer)  # ~QObject on this thread unregisters its timers


@pytest.fixture
def arun():
    """Run a coroutine to completion on a fresh plain asyncio loop (no Qt)."""
    loops = []

    def _run(coro, timeout: float = 10.0):
        loop = asyncio.new_event_loop()
        loops.append(loop)
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))

    yield _run
    for loop in loops:
        loop.close()


@pytest.fixture
def manual_paper(monkeypatch):
    """Paper brokers made from saved connections do not run their replay loop: the test
    moves each market itself (``advance_minutes``), as the replay would."""
    from desktop.brokers.paper import PaperBroker

    opened = PaperBroker.open

    def open_manual(store_path, advisor=False, connection_id=None):
        broker = opened(store_path, advisor=advisor, connection_id=connection_id)
        broker.autostart = False
        return broker

    monkeypatch.setattr(PaperBroker, "open", staticmethod(open_manual))
