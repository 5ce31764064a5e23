"""TradeLocker adapter: forex/CFD accounts over TradeLocker's REST API
(specs/tradelocker/NOTES.md). See :mod:`.broker`."""

from .broker import TradeLockerBroker

__all__ = ["TradeLockerBroker"]
