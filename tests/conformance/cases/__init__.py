"""The adapter cases the conformance suite is parametrised over (see README.md).

A new adapter joins with a module here defining its :class:`BrokerCase` subclass and
one entry in :data:`CASES`.
"""

from .base import BrokerCase, Malformed, Session, Transport, Watcher, answer_yes, cents, describe, order_seen
from .connecttrade import ConnectTradeCase
from .ibkr import IbkrCase
from .paper import PaperAdvisorCase, PaperCase
from .snaptrade import SnapTradeCase
from .tradelocker import TradeLockerCase

CASES: list[BrokerCase] = [PaperCase(), PaperAdvisorCase(), IbkrCase(), SnapTradeCase(), TradeLockerCase(),
                           ConnectTradeCase()]
"""Every adapter case the suite runs, in this order (a new adapter: append its case)."""

__all__ = ["CASES", "BrokerCase", "ConnectTradeCase", "IbkrCase", "Malformed", "PaperAdvisorCase", "PaperCase", "Session",
           "SnapTradeCase", "TradeLockerCase", "Transport",
           "Watcher", "answer_yes", "cents", "describe", "order_seen"]
