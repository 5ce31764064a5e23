"""Saved header states of the blotters: what is written to settings, and how a state
saved for an earlier set of columns is mapped onto today's by column id.

A state is ``b"columns:<id>,<id>…\\n"`` (the model's column ids in model order), then
optionally ``b"sized:<id>,…\\n"`` (the columns the user resized by hand: auto-fitting
leaves them alone), then Qt's own ``QHeaderView.saveState()`` bytes (order, widths,
visibility and sort, all by model column number). Qt's part is only valid for the
columns it was saved with, so a state whose ids differ is refused, unless its ids
are a :class:`Legacy` column set of that panel: then :func:`read_legacy` reads Qt's
part against the old columns and :func:`plan_migration` says where each column goes
now, by id, so that no column lands in another's place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QHeaderView

_COLUMNS = b"columns:"
_SIZED = b"sized:"


@dataclass(frozen=True)
class Legacy:
    """An earlier column set of a panel: its ids in model order and the ids hidden by
    default then."""

    ids: tuple[str, ...]
    hidden_by_default: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Saved:
    """A decoded state: the column ids it was saved for, the hand-sized ids (None in a
    state from before they were saved) and Qt's bytes."""

    ids: tuple[str, ...]
    sized: frozenset[str] | None
    qt: bytes


@dataclass
class Layout:
    """A header layout by column id: shown order of every column, hidden ids, widths
    of shown columns (px), the sorted column and order (None: unsorted)."""

    order: list[str]
    hidden: set[str]
    widths: dict[str, int] = field(default_factory=dict)
    sort: tuple[str, Qt.SortOrder] | None = None
    sized: set[str] = field(default_factory=set)


def encode(ids: Sequence[str], sized: Iterable[str], qt_state: bytes) -> bytes:
    """The bytes :func:`decode` reads back."""
    sized_ids = [i for i in ids if i in set(sized)]
    return _COLUMNS + ",".join(ids).encode() + b"\n" + _SIZED + ",".join(sized_ids).encode() + b"\n" + qt_state


def decode(raw: bytes | None) -> Saved | None:
    """A saved state's parts, or None when ``raw`` is not one (Qt's bytes alone, as
    saved before the ids were, or garbage)."""
    raw = bytes(raw) if raw else b""
    if not raw.startswith(_COLUMNS) or b"\n" not in raw:
        return None
    line, rest = raw[len(_COLUMNS):].split(b"\n", 1)
    try:
        ids = tuple(line.decode().split(","))
    except UnicodeDecodeError:
        return None
    sized: frozenset[str] | None = None
    if rest.startswith(_SIZED) and b"\n" in rest:
        line, rest = rest[len(_SIZED):].split(b"\n", 1)
        try:
            sized = frozenset(i for i in line.decode().split(",") if i)
        except UnicodeDecodeError:
            return None
    return Saved(ids, sized, rest)


def read_legacy(saved: Saved) -> Layout | None:
    """Read Qt's part of ``saved`` against its own columns (a scratch header with as
    many sections); None when Qt refuses it."""
    model = QStandardItemModel(0, len(saved.ids))
    header = QHeaderView(Qt.Orientation.Horizontal)
    header.setModel(model)
    try:
        if not header.restoreState(QByteArray(saved.qt)) or header.count() != len(saved.ids):
            return None
        order = [saved.ids[header.logicalIndex(v)] for v in range(header.count())]
        hidden = {saved.ids[c] for c in range(header.count()) if header.isSectionHidden(c)}
        widths = {saved.ids[c]: header.sectionSize(c) for c in range(header.count()) if not header.isSectionHidden(c)}
        section = header.sortIndicatorSection() if header.isSortIndicatorShown() else -1
        sort = (saved.ids[section], header.sortIndicatorOrder()) if 0 <= section < len(saved.ids) else None
        return Layout(order, hidden, widths, sort, set(saved.sized or ()))
    finally:
        header.setModel(None)  # both are Python's (no parent): freed when this returns


def plan_migration(old: Layout, legacy: Legacy, ids: Sequence[str], hidden_by_default: Iterable[str]) -> Layout:
    """Today's layout (over ``ids``, default order = ``ids``) from ``old``, a layout of
    the ``legacy`` columns.

    - Order: when the user never moved a column (the old order was the old default)
      today's default order; else the user's order of the columns both sets have,
      each new column after the one before it by default.
    - Visibility: a column whose visibility the user changed from the old default keeps
      the user's choice; the others (and new ones) take today's default.
    - Widths, hand-sized columns and the sort carry over by id (columns gone are dropped).
    """
    ids = list(ids)
    now = set(ids)
    default_hidden = set(hidden_by_default)
    if old.order == list(legacy.ids):
        order = ids
    else:
        order = [i for i in old.order if i in now]
        for pos, column in enumerate(ids):
            if column in order:
                continue
            before = next((ids[p] for p in range(pos - 1, -1, -1) if ids[p] in order), None)
            order.insert(order.index(before) + 1 if before is not None else 0, column)
    hidden = set()
    for column in ids:
        was_default = column in legacy.hidden_by_default
        if column in legacy.ids and (column in old.hidden) != was_default:
            if column in old.hidden:
                hidden.add(column)
        elif column in default_hidden:
            hidden.add(column)
    widths = {k: v for k, v in old.widths.items() if k in now}
    sort = old.sort if old.sort is not None and old.sort[0] in now else None
    return Layout(order, hidden, widths, sort, {i for i in old.sized if i in now})
