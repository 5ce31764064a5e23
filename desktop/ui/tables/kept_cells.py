"""Kept cells of :class:`~desktop.ui.tables.model.KeyedTableModel`: a row's display
texts and colours formatted once after it changes, and served to a delegate's
``multiData`` span in one call.

:class:`KeptCells` is a mixin: the model owns the state (``_cells``, ``_cells_epoch``,
``_cells_days``, ``_cell_connections``, ``_aligns``, ``_plans``, ``_columns``, ``_keys``,
``_rows``...); this module holds the formatting and the role filling. Kept cells are dropped when what they depend on
besides their row changes: the number format, the palette, or a display clock's
"today" (:func:`clock_days`: a time shows its date when not today on its connection's
clock, a replay moves that clock), looked at once per second (:func:`cell_epoch`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt

from desktop.ui.display_clock import DISPLAY_CLOCK

from .columns import is_dark, muted_color
from .formatting import number_format

__all__ = ["KeptCells", "cell_epoch", "clock_days"]

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_UNUSED_ROLES = frozenset(int(r) for r in (
    Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.FontRole,
    Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.SizeHintRole))
"""Roles the model never answers (a delegate asks them of every cell)."""


def cell_epoch() -> tuple[Any, ...]:
    """When kept cells may be out of date: the number format, light or dark palette, and
    the current second (a new second makes :meth:`KeptCells.check_cells` look at the
    display clocks, :func:`clock_days`)."""
    return (number_format(), is_dark(), int(time.monotonic()))


def clock_days(connection_ids: Iterable[str]) -> tuple[Any, ...]:
    """The display clock and its current date for the default clock and each of
    ``connection_ids``: what a time cell's text depends on besides its row (times show
    the date when not today on their connection's clock; a replay moves that clock, a
    reconfigured clock shows another zone)."""
    out = []
    for cid in sorted({"", *connection_ids}):
        clock = DISPLAY_CLOCK.clock(cid)
        out.append((cid, clock, clock.current().date()))
    return tuple(out)


class KeptCells:
    """Mixin of :class:`KeyedTableModel`: kept cells and role filling (see the module doc)."""

    def cell_flags(self) -> Qt.ItemFlag:
        """Flags of every cell (the proxies serve them without asking per cell):
        selectable and enabled; subclasses add theirs (the watchlist: draggable)."""
        return self.flags(self.createIndex(0, 0))

    def check_cells(self) -> None:
        """Drop the kept cells if the number format or the palette changed, or (looked
        at once per second, when :func:`cell_epoch` moves on) a display clock of the
        rows' connections is on another day or was configured anew
        (:func:`clock_days`). The views call it once per paint (not per cell);
        :meth:`data` calls it itself."""
        epoch = cell_epoch()
        old = self._cells_epoch
        if epoch == old:
            return
        self._cells_epoch = epoch
        days = clock_days(self._cell_connections)
        if epoch[:2] != old[:2] or days != self._cells_days:
            self._cells.clear()
        self._cells_days = days

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
        self._cell_connections.add(getattr(row, "connection_id", None) or "")  # whose clock its times use
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
