"""The desk: every connection's state, Qt-free, keyed by (connection, account, id);
order routing by connection (an order whose outcome is unknown is checked, never sent
twice); one supervised set of streams and polls per connection.
The Qt side (desktop.ui.services) is a thin bridge over it."""

from .desk import Desk
from .errors import NotConnectedError, OrderUnconfirmedError
from .events import DeskEvent
from .order_checks import OrderCheck
from .session import CONNECTED, CONNECTING, DISCONNECTED, LiveConnection
from .state import Changes, ChangeFeed, DeskState
from .supervisor import Supervision

__all__ = ["CONNECTED", "CONNECTING", "Changes", "ChangeFeed", "DISCONNECTED", "Desk", "DeskEvent", "DeskState",
           "LiveConnection", "NotConnectedError", "OrderCheck", "OrderUnconfirmedError", "Supervision"]
