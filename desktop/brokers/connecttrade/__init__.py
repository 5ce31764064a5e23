"""The Connect Trade adapter: linked brokerage accounts through Connect Trade's REST
API and bars over its mdstream websocket (see :mod:`.broker`; the wire format lives
in :mod:`.wire` only)."""

from .broker import ConnectTradeBroker
from .transactions import Transaction

__all__ = ["ConnectTradeBroker", "Transaction"]
