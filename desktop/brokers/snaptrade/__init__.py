"""The SnapTrade adapter: every brokerage account a user links through SnapTrade
(specs/snaptrade/NOTES.md). :class:`~.broker.SnapTradeBroker` is the adapter."""

from .broker import SnapTradeBroker

__all__ = ["SnapTradeBroker"]
