"""Heavy work per event-loop turn: one table's batch (or its repaint) per turn.

Qt runs every timer that is due in one pass, then the paints those timers caused in the
next pass before any other timer. When several tables' batch timers fire together, or
a batch timer fires in the pass that releases another table's repaint, their work would
add up to one long stall of the loop. :func:`note_work` records that a table did heavy
work (a flush, or releasing a repaint) and :func:`just_worked` tells a table's timer
that another one did so a moment ago, in the same pass: it then waits for the next pass.
"""

from __future__ import annotations

import time

__all__ = ["TURN_GAP_MS", "just_worked", "note_work"]

TURN_GAP_MS = 5.0
"""Work that ended less than this ago (milliseconds) counts as the same pass."""

_last: list[float] = [0.0, 0.0]  # perf_counter seconds when the last work ended, id() of who did it


def note_work(owner: object) -> None:
    """``owner`` (a model or view) just finished heavy work in this pass."""
    _last[0] = time.perf_counter()
    _last[1] = id(owner)


def just_worked(owner: object) -> bool:
    """Whether something other than ``owner`` finished heavy work in this pass (less
    than :data:`TURN_GAP_MS` ago)."""
    return _last[1] != id(owner) and (time.perf_counter() - _last[0]) * 1000 < TURN_GAP_MS
