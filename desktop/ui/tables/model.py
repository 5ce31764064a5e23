"""KeyedTableModel: a table of row objects keyed by stable ids, updated in batches.

Producers may call :meth:`KeyedTableModel.stage` (upsert), :meth:`remove_many` and
:meth:`reset` at any rate; the changes are collected and applied together when a
single-shot QTimer fires (100 ms after the first staged change by default), so a
burst of thousands of updates costs one ``rowsInserted`` for the new rows appended at
the end, one ``dataChanged`` per contiguous block of changed rows and one
``rowsRemoved`` per contiguous block of removed rows. :meth:`flush` applies at once.

Painting: a row's display texts and colours are formatted once, the first time the
row is painted after it changed, and kept per row (:meth:`KeyedTableModel.cells`);
:meth:`KeyedTableModel.fill_roles` serves every role a delegate asks for one cell
in one call (the proxies' ``multiData``), and :meth:`KeyedTableModel.index` makes an
index without asking ``rowCount``/``columnCount``. The kept cells are dropped when the
number format, the palette (light/dark) or a display clock's day changes (looked at
once per second, :func:`cell_epoch`: times say "today" on each connection's clock),
and by :meth:`refresh`.

Not thread-safe: call from the GUI thread (qasync tasks run there).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal

from .columns import Column, ExportRole, KeyRole, RowObjectRole, SortRole
from .kept_cells import KeptCells, cell_epoch
from .ranges import contiguous_ranges
from .staging import DEFAULT_FLUSH_MS, DEFAULT_INSERT_BUDGET_MS, FIRST_INSERT_CHUNK, MAX_CHANGED_RANGES, MAX_REMOVED_RANGES, StagedRows

__all__ = ["DEFAULT_FLUSH_MS", "DEFAULT_INSERT_BUDGET_MS", "FIRST_INSERT_CHUNK", "KeyedTableModel", "MAX_CHANGED_RANGES", "MAX_REMOVED_RANGES", "cell_epoch", "contiguous_ranges"]

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)

_MISSING = object()
_ROOT = QModelIndex()


def _default_key(row: Any) -> Hashable:
    return row.key


_connection_of = attrgetter("connection_id")


class KeyedTableModel(StagedRows, KeptCells, QAbstractTableModel):
    """Rows of immutable objects in insertion order, addressed by a stable key.

    ``columns`` declares what is shown; ``key`` maps a row object to its key (default
    ``row.key``); ``row_tooltip`` gives a tooltip for columns without their own;
    ``max_rows`` caps the table (oldest rows - the first ones - are dropped), for
    append-only logs such as fills. Emits :attr:`flushed` after each applied batch.

    Rows of the connections given to :meth:`set_stale_connections` (their
    ``connection_id``, read by ``connection``) are painted with the muted colour in
    every cell: their connection is disconnected and they show its last known state.
    Rows for which ``muted(row)`` is true (e.g. rejected or cancelled orders) are
    painted muted too, except in columns that ``keeps_color`` (their Status). With
    ``admit``, a staged row whose key is not yet shown is added only if ``admit(key)``
    (the watchlist shows its listed symbols only; checked at the flush, not per call).
    :meth:`set_order` reorders rows (the watchlist's drag and drop).
    """

    flushed = Signal()
    batch_starting = Signal()
    """A timer flush is about to apply a big batch (at least
    :data:`~.staging.HOLD_PAINT_ROWS` rows, or a reset; then :attr:`flushed`);
    explicit :meth:`flush` calls do not emit it. Views fit and repaint such a batch on
    later loop turns (:class:`~desktop.ui.tables.view.BlotterView`)."""

    def __init__(
        self,
        columns: Sequence[Column],
        key: Callable[[Any], Hashable] = _default_key,
        *,
        flush_interval_ms: int = DEFAULT_FLUSH_MS,
        row_tooltip: Callable[[Any], str | None] | None = None,
        max_rows: int | None = None,
        connection: Callable[[Any], str] = _connection_of,
        muted: Callable[[Any], bool] | None = None,
        admit: Callable[[Hashable], bool] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._columns: tuple[Column, ...] = tuple(columns)
        self._col_index = {c.id: i for i, c in enumerate(self._columns)}
        self._key = key
        self._row_tooltip = row_tooltip
        self._max_rows = max_rows
        self._connection = connection
        self._muted = muted
        self._admit = admit
        self._stale: frozenset[str] = frozenset()
        self._headers: dict[int, str] = {}
        self._header_tips: dict[int, str] = {}  # column -> tooltip set by set_header
        self._keys: list[Hashable] = []
        self._rows: dict[Hashable, Any] = {}
        self._pos: dict[Hashable, int] = {}
        self._staged: dict[Hashable, Any] = {}
        self._staged_removals: dict[Hashable, None] = {}
        self._staged_reset: list[Any] | None = None
        self._applied: list[Any] = []  # rows the last flush added or replaced (applied_rows)
        self._sort_cache: dict[int, dict[Hashable, Any]] = {}  # column -> key -> sort value
        self._cells: dict[Hashable, tuple[tuple[str, ...], tuple[Any, ...]]] = {}  # key -> (texts, colours)
        self._cells_epoch: tuple[Any, ...] = ()
        self._cells_days: tuple[Any, ...] = ()  # the display clocks' days the kept cells were formatted on
        self._cell_connections: set[str] = set()  # connection ids of formatted rows (their clocks)
        self._aligns = tuple(int(c.alignment) for c in self._columns)
        self._plans: dict[int, Any] = {}  # span length -> where its roles go
        self._sorted_by: dict[int, int] = {}  # id of a sorting proxy -> the column it sorts by
        self.last_flush_ms = 0.0
        """Wall time the last :meth:`flush` took, in milliseconds (diagnostics)."""
        self._timer = QTimer(self)
        self._timer.setObjectName("keyedTableFlushTimer")
        self._timer.setSingleShot(True)
        self._interval = flush_interval_ms
        self._timer.setInterval(flush_interval_ms)
        self._timer.timeout.connect(self._flush_in_turns)
        self.insert_budget_ms = DEFAULT_INSERT_BUDGET_MS
        """Timer flushes insert at most about this long's worth of new rows per
        event-loop turn (the rest follows on the next turns); :meth:`flush` inserts all."""
        self._insert_cost_ms = 0.0  # measured cost of inserting one row (sorting proxies dominate)

    # ---------------------------------------------------------------- order
    def set_order(self, keys: Sequence[Hashable]) -> bool:
        """Put the applied rows in the order of ``keys`` (rows not named keep their
        relative order after them). Staged rows are applied first. Returns whether the
        order changed (then one layout change was emitted)."""
        self.flush()
        named = [k for k in dict.fromkeys(keys) if k in self._pos]
        chosen = set(named)
        order = named + [k for k in self._keys if k not in chosen]
        if order == self._keys:
            return False
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_keys = [self._keys[i.row()] for i in old]
        self._keys = order
        self._reindex()
        self.changePersistentIndexList(old, [self.index(self._pos[k], i.column()) for k, i in zip(old_keys, old)])
        self.layoutChanged.emit()
        return True

    # ------------------------------------------------------------ stale rows
    @property
    def stale_connections(self) -> frozenset[str]:
        """Connection ids whose rows are painted muted."""
        return self._stale

    def set_stale_connections(self, connection_ids: Iterable[str]) -> None:
        """Paint the rows of ``connection_ids`` muted (and the others normally)."""
        stale = frozenset(connection_ids)
        if stale != self._stale:
            self._stale = stale
            self._cells.clear()

    def refresh(self) -> None:
        """Every cell may show something else now (names, staleness): forget cached
        sort values and formatted cells and emit one dataChanged over the whole table."""
        self._sort_cache.clear()
        self._cells.clear()
        if self._keys:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._keys) - 1, len(self._columns) - 1))

    def set_header(self, column_id: str, text: str | None, tip: str | None = None) -> None:
        """Show ``text`` as column ``column_id``'s header (None: its own ``header``) and
        ``tip`` as its tooltip (None: its own ``header_tip``)."""
        c = self._col_index[column_id]
        if text is None or text == self._columns[c].header:
            changed = self._headers.pop(c, None) is not None
        else:
            changed = self._headers.get(c) != text
            self._headers[c] = text
        if tip is None:
            changed = self._header_tips.pop(c, None) is not None or changed
        elif self._header_tips.get(c) != tip:
            self._header_tips[c] = tip
            changed = True
        if changed:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, c, c)

    # ----------------------------------------------------------------- queries
    @property
    def columns(self) -> tuple[Column, ...]:
        """The column specs, in model order."""
        return self._columns

    def column_index(self, column_id: str) -> int:
        """Model column number of the column with ``column_id`` (KeyError if none)."""
        return self._col_index[column_id]

    def key_of(self, row: Any) -> Hashable:
        """The key of a row object, as this model computes it."""
        return self._key(row)

    def key_at(self, row: int) -> Hashable:
        """Key of the row at model position ``row``."""
        return self._keys[row]

    def row_at(self, row: int) -> Any:
        """Row object at model position ``row``."""
        return self._rows[self._keys[row]]

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Row object with ``key`` (applied rows only), or ``default``."""
        return self._rows.get(key, default)

    def position(self, key: Hashable) -> int | None:
        """Model row number of ``key``, or None."""
        return self._pos.get(key)

    def keys(self) -> list[Hashable]:
        """Keys in row order (a copy)."""
        return list(self._keys)

    def rows(self) -> list[Any]:
        """Row objects in row order (a copy)."""
        return [self._rows[k] for k in self._keys]

    def __len__(self) -> int:
        return len(self._keys)

    def sort_value(self, row: int, column: int) -> Any:
        """The :data:`SortRole` value of model ``row``, ``column`` (kept until the row
        changes): what the proxies compare without a ``data()`` call per comparison."""
        cache = self._sort_cache.get(column)
        if cache is None:
            cache = self._sort_cache[column] = {}
        key = self._keys[row]
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = cache[key] = self._columns[column].sort_key(self._rows[key])
        return value

    def note_sort_column(self, proxy: object, column: int) -> None:
        """``proxy`` sorts this model's rows by ``column`` (-1: it does not sort). A
        change that leaves every sorted column's sort value as it was is announced
        without :data:`SortRole`, so the proxy does not re-sort the row."""
        if column < 0:
            self._sorted_by.pop(id(proxy), None)
        else:
            self._sorted_by[id(proxy)] = column

    # ------------------------------------------------------- Qt model interface
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> QModelIndex:
        """The index of a cell (invalid outside the table), without the base class's
        ``rowCount``/``columnCount`` calls (a proxy asks once per painted cell)."""
        if 0 <= row < len(self._keys) and 0 <= column < len(self._columns) and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def multiData(self, index: QModelIndex | QPersistentModelIndex, span: Any) -> None:  # noqa: N802 - Qt override
        """Every role a delegate asks for one cell, in one call (:meth:`fill_roles`)."""
        if index.isValid() and index.row() < len(self._keys):
            self.fill_roles(index.row(), index.column(), span)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if r >= len(self._keys) or c >= len(self._columns):
            return None
        role = int(role)
        if role == _DISPLAY:
            self.check_cells()
            return self.cells(r)[0][c]
        if role == _ALIGN:
            return self._columns[c].alignment
        if role == _FOREGROUND:
            self.check_cells()
            return self.cells(r)[1][c]
        col = self._columns[c]
        key = self._keys[r]
        row = self._rows[key]
        if role == SortRole:  # cached: a proxy asks ~2 log(n) times per inserted row
            return self.sort_value(r, c)
        if role == _TOOLTIP:
            tip = col.tooltip(row) if col.tooltip is not None else None
            if tip is None and self._row_tooltip is not None:
                tip = self._row_tooltip(row)
            return tip
        if role == RowObjectRole:
            return row
        if role == KeyRole:
            return key
        if role == ExportRole:
            return col.export(row)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        role = int(role)
        col = self._columns[section]
        if role == _DISPLAY:
            return self._headers.get(section, col.header)  # the style's padding gives it the cells' air
        if role == _ALIGN:
            return col.alignment
        if role == _TOOLTIP:
            return self._header_tips.get(section) or col.header_tip or col.header
        return None
