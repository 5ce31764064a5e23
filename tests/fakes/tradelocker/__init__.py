"""A fake TradeLocker server (HTTP on loopback, under ``/backend-api``) for tests.

``async with running_fake() as fake:`` serves TradeLocker's REST API as
specs/tradelocker/NOTES.md describes it, on the paper market (its stocks as CFDs,
and any forex pairs it has): JWT login/refresh/expiry (:mod:`.jwt`), accNum on
/trade/*, a config with shuffled column maps and enforced rate limits
(:mod:`.columns`, :mod:`.limits`), instruments with INFO/TRADE routes
(:mod:`.catalog`), the place-order rules (:mod:`.place`), hedged positions with ids
and SL/TP filled when the market crosses them (:mod:`.engine`). See :mod:`.app` for
the gates and the test controls; ``python -m tests.fakes.tradelocker --port 5003``
runs it standalone.
"""

from .app import EMAIL, PASSWORD, SERVER, FakeTradeLocker, running_fake

__all__ = ["EMAIL", "FakeTradeLocker", "PASSWORD", "SERVER", "running_fake"]
