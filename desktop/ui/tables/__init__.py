"""Live blotter tables: keyed, batch-updated table models and the panels showing them.

Public entry points for the main window: :class:`WatchlistPanel`, :class:`AccountsPanel`,
:class:`PositionsPanel`, :class:`OrdersPanel`, :class:`FillsPanel` (each with ``.model``,
``.proxy``, ``.view`` and ``stage(rows)``), plus the building blocks
:class:`KeyedTableModel`, :class:`Column`, :class:`TableProxy` and :class:`TablePanel`.
"""

from .columns import Column, ExportRole, KeyRole, Roles, RowObjectRole, SortRole
from .definitions import AccountRow
from .model import KeyedTableModel
from .panel import TablePanel
from .panels import AccountsPanel, FillsPanel, OrdersPanel, PositionsPanel, WatchlistPanel, can_cancel, can_modify
from .proxy import OrdersProxy, TableProxy

__all__ = [
    "AccountRow",
    "AccountsPanel",
    "Column",
    "ExportRole",
    "FillsPanel",
    "KeyRole",
    "KeyedTableModel",
    "OrdersPanel",
    "OrdersProxy",
    "PositionsPanel",
    "Roles",
    "RowObjectRole",
    "SortRole",
    "TablePanel",
    "TableProxy",
    "WatchlistPanel",
    "can_cancel",
    "can_modify",
]
