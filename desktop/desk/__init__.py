"""The desk: every connection's state, Qt-free, keyed by (connection, account, id);
order routing by connection; one supervised set of streams and polls per connection.
The Qt side (desktop.ui.services) is a thin bridge over it."""

from .desk import Desk
from .errors import NotConnectedError
from .events import DeskEvent
from .session import CONNECTED, CONNECTING, DISCONNECTED, LiveConnection
from .state import Changes, ChangeFeed, DeskState

__all__ = ["CONNECTED", "CONNECTING", "Changes", "ChangeFeed", "DISCONNECTED", "Desk", "DeskEvent", "DeskState",
           "LiveConnection", "NotConnectedError"]
