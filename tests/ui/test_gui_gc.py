"""Garbage collection runs on the GUI thread only (desktop/ui/gui_gc.py)."""

from __future__ import annotations

import gc
import threading
import weakref

from desktop.ui.gui_gc import GuiThreadCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_cycles_are_collected_by_the_timer_on_the_gui_thread_not_automatically(qtbot, qapp):
    collected_on: list[str] = []
    saved = gc.get_threshold()
    collector = GuiThreadCollector(interval_ms=20)
    was_enabled = gc.isenabled()
    collector.install()
    try:
        assert not gc.isenabled()
        node = _Node()
        ref = weakref.ref(node, lambda _r: collected_on.append(threading.current_thread().name))
        del node
        gc.set_threshold(*((1,) + gc.get_threshold()[1:]))  # generation 0 due at once
        qtbot.waitUntil(lambda: ref() is None, timeout=5_000)
        assert collected_on == [threading.main_thread().name] and collector.collections >= 1
    finally:
        gc.set_threshold(*saved)
        collector.uninstall()
    assert gc.isenabled() == was_enabled


def test_nothing_is_collected_while_no_generation_is_due(qtbot, qapp):
    collector = GuiThreadCollector(interval_ms=10_000)
    saved = gc.get_threshold()
    gc.collect()
    gc.set_threshold(10**9, 10**9, 10**9)
    try:
        assert collector.check() == 0 and collector.collections == 0
    finally:
        gc.set_threshold(*saved)
