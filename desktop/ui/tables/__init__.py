"""Live blotter tables: keyed, batch-updated table models and the panels showing them.

Public entry points for the main window: :class:`WatchlistPanel`, :class:`AccountsPanel`,
:class:`PositionsPanel`, :class:`OrdersPanel`, :class:`FillsPanel` (each built as
``Panel(labels, parent)`` over the window's shared :class:`ConnectionLabels`, with
``.model``, ``.proxy``, ``.view``, ``stage(rows)``, ``remove(keys)`` and
``drop_connections(ids)``; the watchlist also takes ``search=`` and ``settings=``),
plus the building blocks :class:`KeyedTableModel`, :class:`Column`,
:class:`TableProxy`, :class:`TablePanel` and :class:`ConnectionFilter`. The panels'
row menus emit requests (trade, chart, option chain, close, cancel…) that the window
carries out; they never talk to a broker themselves.
"""

from .account_rows import AccountRow
from .columns import Column, ExportRole, KeyRole, Roles, RowObjectRole, SortRole
from .connection_filter import ConnectionFilter
from .connection_labels import ConnectionLabels
from .model import KeyedTableModel
from .panel import TablePanel
from .panels import AccountsPanel, FillsPanel, OrdersPanel, PositionsPanel, WatchlistPanel, can_cancel, can_modify
from .proxy import OrdersProxy, TableProxy

__all__ = [
    "AccountRow",
    "AccountsPanel",
    "Column",
    "ConnectionFilter",
    "ConnectionLabels",
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
