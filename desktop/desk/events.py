"""What the desk tells its listeners at once (not batched): a connection was added,
removed, changed its status or session state, learnt its allocation groups or
instruments, hit an error, has tasks that keep failing (or recovered), or checks an
order whose outcome is unknown. Row changes go through ``DeskState`` feeds instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ADDED = "added"
REMOVED = "removed"
STATUS = "status"
SESSION = "session"
ALLOCATION = "allocation"
INSTRUMENTS = "instruments"
ERROR = "error"
HEALTH = "health"
ORDER_CHECK = "order_check"


@dataclass(frozen=True, slots=True)
class DeskEvent:
    """``kind`` (one of the constants above), the ``connection`` it is about (a
    :class:`desktop.desk.session.LiveConnection`), and ``detail``: the error text
    (ERROR), the ConnectionState (SESSION), the labels of the tasks now failing
    (HEALTH: e.g. ``("order updates",)``, empty once all recovered; also
    ``connection.failing``), the :class:`~desktop.desk.order_checks.OrderCheck` that
    started or ended (ORDER_CHECK: ``check.state``, ``check.message``), else None."""

    kind: str
    connection: Any
    detail: Any = None


Listener = Callable[[DeskEvent], None]
"""Called on the event loop for every DeskEvent; must not raise (it is logged)."""
