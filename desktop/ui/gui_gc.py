"""Python's cyclic garbage collection, run on the GUI thread only.

Python runs the cycle collector on whichever thread happens to allocate when a
generation's threshold is crossed. The app has worker threads (qasync's executor:
address lookups for the broker connections, ``asyncio.to_thread``), and a Qt object
(a widget, a timer) caught in a reference cycle that is freed on one of them is
destroyed off its thread: Qt cannot stop its timers there and later fires them into
freed memory, a segfault (seen in the tests, see tests/conftest.py ``qloop``).

:class:`GuiThreadCollector` turns automatic collection off and collects from a
QTimer on the GUI thread instead, generation by generation as the thresholds say,
so cycles are still collected promptly but always on the GUI thread. The same
approach is used by other long-running Qt apps written in Python.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)


class GuiThreadCollector(QObject):
    """Collect garbage on the GUI thread every ``interval_ms`` (default 500 ms).

    ``install()`` disables automatic collection and starts the timer; ``uninstall()``
    stops it and restores automatic collection as it was. ``check()`` runs one
    step: it collects the oldest generation whose allocation count is over its
    threshold (``gc.get_threshold()``), which is what Python would have done.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()
        self.collections = 0

    def install(self) -> "GuiThreadCollector":
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()
        return self

    def uninstall(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def check(self) -> int:
        """Collect what is due now; returns the number of unreachable objects found."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                found = gc.collect(generation)
                self.collections += 1
                if found:
                    log.debug("collected %d objects (generation %d) on the GUI thread", found, generation)
                return found
        return 0
