"""Kept cells of :class:`~desktop.ui.tables.model.KeyedTableModel`: a row's display
texts and colours formatted once after it changes, and served to a delegate's
``multiData`` span in one call.

:class:`KeptCells` is a mixin: the model owns the state (``_cells``, ``_cells_epoch``,
``_aligns``, ``_plans``, ``_columns``, ``_keys``, ``_rows``...); this module holds the
formatting and the role filling. Kept cells are dropped when :func:`cell_epoch` moves
on (number format, palette, the current second).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt

from .columns import is_dark, muted_color
from .formatting import number_format

__all__ = ["KeptCells", "cell_epoch"]

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_UNUSED_ROLES = frozenset(int(r) for r in (
    Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.SizeHintRole))
"""Roles the model never answers (a delegate asks them of every cell)."""


def cell_epoch() -> tuple[Any, ...]:
    """What formatted cells depend on besides their row: the number format, light or
    dark palette, and the current second (times show the date when not today on their
    connection's clock, a replay moves that clock). Kept cells of another epoch are
    formatted again."""
    return (number_format(), is_dark(), int(time.monotonic()))


class KeptCells:
    """Mixin of :class:`KeyedTableModel`: kept cells and role filling (see the module doc)."""

    def cell_flags(self) -> Qt.ItemFlag:
        """Flags of every cell (the proxies serve them without asking per cell):
        selectable and enabled; subclasses add theirs (the watchlist: draggable)."""
        return self.flags(self.createIndex(0, 0))

    def check_cells(self) -> None:
        """Drop the kept cells if :func:`cell_epoch` moved on. The views call it once
        per paint (not per cell); :meth:`data` calls it itself."""
        epoch = cell_epoch()
        if epoch != self._cells_epoch:
            self._cells_epoch = epoch
            self._cells.clear()

    def cells(self, row: int) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        """Display texts and foreground colours (QColor or None) of every column of
        model row ``row``, formatted once after the row changed (see the module doc;
        call :meth:`check_cells` first, once per paint)."""
        key = self._keys[row]
        got = self._cells.get(key)
        if got is None:
            got = self._cells[key] = self._format(self._rows[key])
        return got

    def texts_of(self, row: Any) -> tuple[str, ...]:
        """Display texts of every column for row object ``row``: the kept ones when
        ``row`` is the applied row of its key (formatting it keeps them), else
        formatted now (a staged or older row object)."""
        key = self._key(row)
        if self._rows.get(key) is row:
            got = self._cells.get(key)
            if got is None:
                got = self._cells[key] = self._format(row)
            return got[0]
        return tuple(c.display(row) for c in self._columns)

    def _format(self, row: Any) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        cols = self._columns
        texts = tuple(c.display(row) for c in cols)
        stale, muted = self._stale, self._muted
        if stale and self._connection(row) in stale:
            grey = muted_color()
            return texts, (grey,) * len(cols)
        if muted is not None and muted(row):
            grey = muted_color()
            return texts, tuple(c.foreground(row) if c.keeps_color else grey for c in cols)
        return texts, tuple(c.foreground(row) for c in cols)

    def fill_roles(self, row: int, column: int, span: Any) -> None:
        """Answer every role of ``span`` (a QModelRoleDataSpan) for the cell at model
        ``row``, ``column`` in one call; roles other than display, alignment and
        foreground go through :meth:`data`; roles no cell has are left alone (empty:
        nothing ever sets them in a delegate's role data, which each view keeps)."""
        key = self._keys[row]
        got = self._cells.get(key)
        if got is None:
            got = self._cells[key] = self._format(self._rows[key])
        n = len(span)
        if not n:
            return
        first = span[0].role()
        plan = self._plans.get(n)
        if plan is None or plan[0] != first:
            plan = self._plan(span)
        _first, display, align, foreground, other = plan
        if display >= 0:
            span[display].setData(got[0][column])
        if align >= 0:
            span[align].setData(self._aligns[column])
        if foreground >= 0:
            colour = got[1][column]
            if colour is not None:
                span[foreground].setData(colour)
            else:  # the role data is reused from cell to cell: empty what the cell before set
                span[foreground].clearData()
        if other:
            self.fill_other_roles(row, column, span, other)

    def fill_other_roles(self, row: int, column: int, span: Any, other: Sequence[tuple[int, int]]) -> None:
        """Set ``span``'s roles ``other`` ((position in span, role) pairs, from
        :meth:`plan`) for model ``row``, ``column`` through :meth:`data`."""
        for i, role in other:
            value = self.data(self.createIndex(row, column), role)
            if value is not None:
                span[i].setData(value)
            else:
                span[i].clearData()

    def alignments(self) -> tuple[int, ...]:
        """Every column's text alignment, as ints (what a span's alignment role gets)."""
        return self._aligns

    def plan(self, span: Any) -> tuple[int, int, int, int, tuple[tuple[int, int], ...]]:
        """Where ``span``'s roles go: (its first role, the display, alignment and
        foreground positions or -1, the other served roles as (position, role)) (see
        :meth:`fill_roles`)."""
        return self._plan(span)

    def _plan(self, span: Any) -> tuple[int, int, int, int, tuple[tuple[int, int], ...]]:
        """The first role of ``span``, where its display, alignment and foreground
        roles are (-1: not asked) and the other roles to ask :meth:`data` for, kept per
        span length (a delegate asks the same roles in the same order for every cell)."""
        roles = [span[i].role() for i in range(len(span))]
        where = {r: i for i, r in enumerate(roles)}
        other = tuple((i, r) for i, r in enumerate(roles) if r not in (_DISPLAY, _ALIGN, _FOREGROUND)
                      and r not in _UNUSED_ROLES)
        plan = (roles[0] if roles else -1, where.get(_DISPLAY, -1), where.get(_ALIGN, -1),
                where.get(_FOREGROUND, -1), other)
        self._plans[len(roles)] = plan
        return plan
