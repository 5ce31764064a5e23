"""Paint hold of :class:`~desktop.ui.tables.view.BlotterView`: a big batch is applied,
fitted and repainted on three loop turns, not one.

When the view's source model announces a big timer batch (``batch_starting``), the
viewport stops repainting; once the batch is in (``flushed``), the columns are fitted
on the next turn and the viewport repaints (all of it) on the turn after, with other
events (input, other tables' batches: :mod:`.turns`) between them. A burst inserted
over several turns repaints at least every PAINT_HOLD_MAX_MS.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QTimer

from .model import KeyedTableModel
from .proxy import TableProxy
from .turns import note_work

__all__ = ["PAINT_HOLD_MAX_MS", "PAINT_HOLD_MS", "PaintHold"]

PAINT_HOLD_MS = 1
"""After a timer-flushed batch, the view fits its columns and repaints this much later
(on a later event-loop turn): applying a big batch and painting it are two turns with
other events (input, other tables' batches) between them, not one long stall."""
PAINT_HOLD_MAX_MS = 100
"""The parts of a burst inserted over several turns repaint at least this often."""


class PaintHold:
    """Mixin of :class:`BlotterView` (a QTableView over a TableProxy; see the module doc).
    Expects the view's ``maybe_fit`` and fitting state (``_fit_pending``, ``_changed``,
    ``_changed_overflow``)."""

    def _init_paint_hold(self) -> None:
        self._source: Any = None  # the proxy's KeyedTableModel whose batches hold the paint
        self._paint_held = False
        self._held_since = 0.0  # perf_counter seconds when the paint was held
        self._hold_fitted = False  # this hold's fit turn is done
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.setInterval(PAINT_HOLD_MS)
        self._release_timer.timeout.connect(self._release_paint)

    def _hook_source(self) -> None:
        """Follow the batches of the proxy's source model (it may be swapped)."""
        if self._source is not None:
            try:
                self._source.batch_starting.disconnect(self._hold_paint)
                self._source.flushed.disconnect(self._batch_applied)
            except (RuntimeError, TypeError):  # the old source is gone
                pass
            self._source = None
        proxy = self.model()
        source = proxy.sourceModel() if isinstance(proxy, TableProxy) else None
        if isinstance(source, KeyedTableModel):
            source.batch_starting.connect(self._hold_paint)
            source.flushed.connect(self._batch_applied)
            self._source = source
        self._release_paint()

    # ---------------------------------------------------------- paint hold
    def _hold_paint(self) -> None:
        """A timer batch starts: the viewport repaints on a later turn (PAINT_HOLD_MS)."""
        if self.isVisible() and not self._paint_held:
            self._paint_held = True
            self._hold_fitted = False
            self._held_since = time.perf_counter()
            self.viewport().setUpdatesEnabled(False)

    def _batch_applied(self) -> None:
        """A batch (or one part of a burst) is in: repaint a turn later. The parts of a
        burst put the repaint off, but not beyond PAINT_HOLD_MAX_MS after the first."""
        if self._paint_held and (not self._release_timer.isActive()
                                 or (time.perf_counter() - self._held_since) * 1000 < PAINT_HOLD_MAX_MS):
            self._release_timer.start()

    def _release_paint(self) -> None:
        """Fit the columns to the batch (if it needs it: then the repaint waits one more
        turn), then let the viewport repaint, all of it, on the next turn; another
        table's batch due in this turn waits for the one after (:func:`~.turns.note_work`)."""
        if not self._paint_held:
            return
        self._release_timer.stop()
        if not self._hold_fitted and (self._fit_pending or self._changed or self._changed_overflow):
            self._hold_fitted = True  # (once per hold)
            self._paint_held = False  # (maybe_fit does nothing while held)
            self.maybe_fit()
            fitted = not (self._fit_pending or self._changed or self._changed_overflow)  # (hidden, auto-fit off: not)
            if fitted:
                self._paint_held = True
                note_work(self)
                self._release_timer.start()
                return
        self._paint_held = False
        self.viewport().setUpdatesEnabled(True)
        note_work(self)
