"""Column specifications and custom item-data roles of the keyed table models.

A :class:`Column` says how one column shows a row object: header, value getter,
formatter, alignment, sort value, optional colour and tooltip. Columns are declared
as plain lists (see :mod:`desktop.ui.tables.definitions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication

from desktop.ui.display_clock import fmt_timestamp_for

from .formatting import fmt_text, sort_value


class Roles:
    """Custom item-data roles served by :class:`~desktop.ui.tables.model.KeyedTableModel`."""

    SortRole = int(Qt.ItemDataRole.UserRole) + 1
    """A natively comparable raw value (float for numbers, POSIX seconds for times)."""
    RowObjectRole = int(Qt.ItemDataRole.UserRole) + 2
    """The row object itself (an Order, Position, ...)."""
    KeyRole = int(Qt.ItemDataRole.UserRole) + 3
    """The row's stable key."""
    ExportRole = int(Qt.ItemDataRole.UserRole) + 4
    """Text for CSV export: numbers without thousands separators, full timestamps."""


SortRole = Roles.SortRole
RowObjectRole = Roles.RowObjectRole
KeyRole = Roles.KeyRole
ExportRole = Roles.ExportRole

ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_CENTER = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter

# (light theme, dark theme) pairs: readable on white/alternate rows and on dark bases.
_GREEN = (QColor("#15803d"), QColor("#4ade80"))
_RED = (QColor("#c62828"), QColor("#f87171"))
_MUTED = (QColor("#6b7280"), QColor("#9ca3af"))


def is_dark() -> bool:
    """Whether the application palette is dark (its base colour's lightness < 128)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.palette().base().color().lightness() < 128


def gain_color() -> QColor:
    """Green for gains and buys, adapted to a light or dark palette."""
    return _GREEN[is_dark()]


def loss_color() -> QColor:
    """Red for losses, sells and rejections, adapted to a light or dark palette."""
    return _RED[is_dark()]


def muted_color() -> QColor:
    """Grey for de-emphasised cells (e.g. closed orders' status)."""
    return _MUTED[is_dark()]


def sign_color(value: Any) -> QColor | None:
    """Green when ``value`` > 0, red when < 0, default (None) when zero or unknown."""
    if value is None or isinstance(value, bool) or not isinstance(value, (Decimal, int, float)):
        return None
    if value > 0:
        return gain_color()
    if value < 0:
        return loss_color()
    return None


@dataclass(frozen=True, slots=True)
class Column:
    """How one column shows a row object.

    - ``id``: stable name (used by filters, settings and tests), e.g. ``"symbol"``.
    - ``header``: header text; ``header_tip``: header tooltip.
    - ``value``: row -> raw value (Decimal, datetime, enum, str or None).
    - ``fmt``: raw value -> display text.
    - ``numeric``: right-aligned, exported without thousands separators.
    - ``align``: explicit alignment (default: right when numeric, else left).
    - ``sort``: row -> comparable value for :data:`SortRole` (default: ``sort_value(value)``).
    - ``color``: raw value -> foreground QColor or None (e.g. :func:`sign_color`).
    - ``tooltip``: row -> tooltip text or None.
    - ``render``: row -> display text, when it needs more than the value (e.g. a time
      shown on the clock of the row's connection); ``fmt`` still formats exports.
    - ``keeps_color``: the cell keeps its own colour in a row the model mutes (a closed
      order's Status stays red or grey while the rest of the row is greyed).
    """

    id: str
    header: str
    value: Callable[[Any], Any]
    fmt: Callable[[Any], str] = fmt_text
    numeric: bool = False
    align: Qt.AlignmentFlag | None = None
    sort: Callable[[Any], Any] | None = None
    color: Callable[[Any], QColor | None] | None = None
    tooltip: Callable[[Any], str | None] | None = None
    header_tip: str = ""
    render: Callable[[Any], str] | None = None
    keeps_color: bool = False

    @property
    def alignment(self) -> Qt.AlignmentFlag:
        """Effective text alignment of the column's cells and header."""
        if self.align is not None:
            return self.align
        return ALIGN_RIGHT if self.numeric else ALIGN_LEFT

    def display(self, row: Any) -> str:
        """Display text of this column for ``row``."""
        render = self.render
        if render is not None:
            return render(row)
        return self.fmt(self.value(row))

    def sort_key(self, row: Any) -> Any:
        """Value served under :data:`SortRole` for ``row``."""
        if self.sort is not None:
            return self.sort(row)
        return sort_value(self.value(row))

    def foreground(self, row: Any) -> QColor | None:
        """Foreground colour for ``row``, or None for the default text colour."""
        return None if self.color is None else self.color(self.value(row))

    def export(self, row: Any) -> str:
        """Text written to CSV: numbers without separators, datetimes in full (on the
        clock of the row's connection)."""
        raw = self.value(row)
        if isinstance(raw, datetime):
            return fmt_timestamp_for(raw, getattr(row, "connection_id", ""))
        text = self.fmt(raw)
        return text.replace(",", "") if self.numeric else text
