"""Staged-rows flushing for :class:`~desktop.ui.tables.model.KeyedTableModel`.

:class:`StagedRows` collects upserts, removals and resets (:meth:`StagedRows.stage`,
:meth:`StagedRows.remove_many`, :meth:`StagedRows.reset`) and applies them in one batch
when the model's single-shot timer fires (or at once with :meth:`StagedRows.flush`):
one ``rowsInserted`` for new rows appended at the end (split across loop turns under
a time budget for timer flushes), one ``dataChanged`` per contiguous block of changed
rows and one ``rowsRemoved`` per contiguous block of removed rows. It is a mixin: the
model owns the state (``_keys``, ``_rows``, ``_pos``, ``_staged``..., the timer) and
the Qt signals; this module holds only the flushing logic.

Not thread-safe: call from the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from .ranges import contiguous_ranges
from .turns import just_worked, note_work

__all__ = ["DEFAULT_FLUSH_MS", "DEFAULT_INSERT_BUDGET_MS", "FIRST_INSERT_CHUNK", "HOLD_PAINT_ROWS", "MAX_CHANGED_RANGES",
           "MAX_REMOVED_RANGES", "StagedRows"]

_SAME_PLACE_ROLES = [int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole,
                                      Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.EditRole)]
"""Roles a changed row announces when no sorted column's value changed (no SortRole)."""

DEFAULT_FLUSH_MS = 100
DEFAULT_INSERT_BUDGET_MS = 15.0
"""Event-loop time a timer flush spends inserting new rows (a burst of thousands into
a sorted table is split across loop turns instead of stalling the loop)."""
FIRST_INSERT_CHUNK = 400
"""New rows a timer flush inserts before it has measured what one row costs."""
MAX_CHANGED_RANGES = 32
"""Above this many separate changed blocks, one dataChanged spans them all."""
MAX_REMOVED_RANGES = 64
"""Above this many separate removed blocks, the model is reset instead."""
HOLD_PAINT_ROWS = 50
"""A timer batch of at least this many rows (or a reset) announces itself
(``batch_starting``): the views repaint it on a later loop turn. Smaller batches
repaint only their rows, in the next turn as before."""
MAX_TURN_WAITS = 4
"""A timer flush waits for another model's flush at most this many passes in a row."""


class StagedRows:
    """Mixin of :class:`KeyedTableModel`: staging and batched flushing of rows (see the
    module doc). Expects the model's attributes set up in its ``__init__``."""

    _turn_waits = 0  # passes this model's timer flush waited in a row for another model's

    # ----------------------------------------------------------------- staging
    @property
    def flush_interval_ms(self) -> int:
        """Delay between the first staged change and the batch being applied."""
        return self._interval

    def set_flush_interval(self, ms: int) -> None:
        """Change the batching delay (0 = apply on the next event-loop turn)."""
        self._interval = max(0, int(ms))
        if not self._timer.isActive():
            self._timer.setInterval(self._interval)

    def stage(self, rows: Iterable[Any]) -> None:
        """Insert or replace ``rows`` (by key) at the next flush. Cheap; call at any rate."""
        staged, removals, key = self._staged, self._staged_removals, self._key
        for row in rows:
            k = key(row)
            staged[k] = row
            if removals:
                removals.pop(k, None)
        self._schedule()

    upsert_many = stage

    def remove_many(self, keys: Iterable[Hashable]) -> None:
        """Remove the rows with ``keys`` at the next flush (unknown keys are ignored)."""
        for k in keys:
            self._staged.pop(k, None)
            self._staged_removals[k] = None
        self._schedule()

    def reset(self, rows: Iterable[Any]) -> None:
        """Replace all rows with ``rows`` at the next flush (drops earlier staged changes)."""
        self._staged_reset = list(rows)
        self._staged.clear()
        self._staged_removals.clear()
        self._schedule()

    def clear(self) -> None:
        """Remove every row at the next flush."""
        self.reset(())

    def remove_where(self, predicate: Callable[[Any], bool]) -> None:
        """Remove, at the next flush, every row (applied or staged) for which
        ``predicate(row)`` is true; an applied row whose staged replacement does not
        match stays (with the replacement)."""
        staged = self._staged
        for k in [k for k, row in staged.items() if predicate(row)]:
            del staged[k]
        if self._staged_reset is not None:
            self._staged_reset = [row for row in self._staged_reset if not predicate(row)]
        self.remove_many([k for k in self._keys if k not in staged and predicate(self._rows[k])])

    def staged_rows(self) -> dict[Hashable, Any]:
        """Rows staged for the next flush, by key (a copy)."""
        return dict(self._staged)

    def has_pending(self) -> bool:
        """Whether staged changes wait for a flush."""
        return bool(self._staged or self._staged_removals or self._staged_reset is not None)

    def _schedule(self) -> None:
        if not self._timer.isActive() and self.has_pending():
            self._timer.start()

    # ------------------------------------------------------------------- flush
    def flush(self) -> None:
        """Apply every staged change now and emit :attr:`flushed` if anything was staged."""
        self._flush(limit=None)

    def _flush_in_turns(self) -> None:
        """The timer's flush: every change, but new rows only as many as fit
        :attr:`insert_budget_ms` (by the measured cost per row); the others stay
        staged for the next loop turn (the timer restarts at once). If another model
        flushed just before in the same event-loop pass (their timers fired together),
        this one waits for the next pass (:mod:`.turns`)."""
        if self._turn_waits < MAX_TURN_WAITS and just_worked(self):
            self._turn_waits += 1
            self._timer.start(1)  # after timers already due (1 ms: a 0 ms timer may run before them)
            return
        self._turn_waits = 0
        if self._staged_reset is not None or len(self._staged) + len(self._staged_removals) >= HOLD_PAINT_ROWS:
            self.batch_starting.emit()
        if self._insert_cost_ms > 0:
            limit = max(50, int(self.insert_budget_ms / self._insert_cost_ms))
        else:
            limit = FIRST_INSERT_CHUNK
        self._flush(limit=limit)
        if self.has_pending() and not self._timer.isActive():
            self._timer.start(0)  # the rest of a burst: next turn, not after the batching delay
        elif not self.has_pending():
            self._timer.setInterval(self._interval)

    def _flush(self, limit: int | None) -> None:
        self._timer.stop()
        self._timer.setInterval(self._interval)
        if not self.has_pending():
            return
        started = time.perf_counter()
        self._applied = []
        reset, staged, removals = self._staged_reset, self._staged, self._staged_removals
        self._staged_reset, self._staged, self._staged_removals = None, {}, {}
        if reset is not None:
            self._apply_reset(reset)
        if removals:
            self._apply_removals(removals)
        if staged:
            self._apply_upserts(staged, limit)
        if self._max_rows is not None and len(self._keys) > self._max_rows:
            self._remove_ranges([(0, len(self._keys) - self._max_rows - 1)])
        self.last_flush_ms = (time.perf_counter() - started) * 1000
        self.flushed.emit()
        note_work(self)

    def applied_rows(self) -> list[Any]:
        """Row objects the last flush added or replaced (every row after a reset), in
        no particular order: what a listener of ``flushed`` checks instead of every row."""
        return list(self._applied)

    def _apply_reset(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._sort_cache.clear()
        self._cells.clear()
        self._rows = {}
        for row in rows:
            self._rows[self._key(row)] = row
        self._keys = list(self._rows)
        self._applied.extend(self._rows.values())
        self._reindex()
        self.endResetModel()

    def _apply_removals(self, removals: dict[Hashable, None]) -> None:
        positions = [self._pos[k] for k in removals if k in self._pos]
        if positions:
            self._remove_ranges(contiguous_ranges(positions))

    def _remove_ranges(self, ranges: list[tuple[int, int]]) -> None:
        if len(ranges) > MAX_REMOVED_RANGES:
            self.beginResetModel()
            gone = {i for a, b in ranges for i in range(a, b + 1)}
            self._keys = [k for i, k in enumerate(self._keys) if i not in gone]
            self._rows = {k: self._rows[k] for k in self._keys}
            self._sort_cache.clear()
            self._cells = {k: v for k, v in self._cells.items() if k in self._rows}
            self._reindex()
            self.endResetModel()
            return
        for first, last in reversed(ranges):
            self.beginRemoveRows(QModelIndex(), first, last)
            for k in self._keys[first : last + 1]:
                del self._rows[k]
                self._cells.pop(k, None)
                for cache in self._sort_cache.values():
                    cache.pop(k, None)
            del self._keys[first : last + 1]
            self.endRemoveRows()
        self._reindex()

    def _apply_upserts(self, staged: dict[Hashable, Any], limit: int | None = None) -> None:
        rows, pos, caches, admit, cells = self._rows, self._pos, tuple(self._sort_cache.values()), self._admit, self._cells
        sorted_by = [self._columns[c] for c in set(self._sorted_by.values()) if 0 <= c < len(self._columns)]
        changed: list[int] = []
        resorted: list[int] = []  # changed rows whose place in a sorting proxy may change
        new_keys: list[Hashable] = []
        applied = self._applied
        for k, row in staged.items():
            p = pos.get(k)
            if p is None:
                if admit is None or admit(k):
                    new_keys.append(k)
            else:
                old = rows[k]
                rows[k] = row
                applied.append(row)
                if sorted_by and all(col.sort_key(old) == col.sort_key(row) for col in sorted_by):
                    changed.append(p)
                else:
                    resorted.append(p)
                cells.pop(k, None)
                for cache in caches:
                    cache.pop(k, None)
        last_col = len(self._columns) - 1
        for rows_changed, roles in ((changed, _SAME_PLACE_ROLES), (resorted, None)):
            if not rows_changed:
                continue
            ranges = contiguous_ranges(sorted(rows_changed))
            if len(ranges) > MAX_CHANGED_RANGES:
                ranges = [(ranges[0][0], ranges[-1][1])]
            for first, last in ranges:
                if roles is None:
                    self.dataChanged.emit(self.index(first, 0), self.index(last, last_col))
                else:  # no SortRole: a sorting proxy keeps the rows where they are (it still refilters them)
                    self.dataChanged.emit(self.index(first, 0), self.index(last, last_col), roles)
        if new_keys:
            if limit is not None and len(new_keys) > limit:
                later = new_keys[limit:]
                new_keys = new_keys[:limit]
                for k in later:  # staged again (after any change staged meanwhile: that is newer)
                    self._staged.setdefault(k, staged[k])
            started = time.perf_counter()
            start = len(self._keys)
            self.beginInsertRows(QModelIndex(), start, start + len(new_keys) - 1)
            for i, k in enumerate(new_keys, start):
                rows[k] = row = staged[k]
                pos[k] = i
                applied.append(row)
            self._keys.extend(new_keys)
            self.endInsertRows()
            if len(new_keys) >= 20:
                self._insert_cost_ms = (time.perf_counter() - started) * 1000 / len(new_keys)

    def _reindex(self) -> None:
        self._pos = {k: i for i, k in enumerate(self._keys)}
