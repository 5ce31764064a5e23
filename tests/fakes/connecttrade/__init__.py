"""A fake Connect Trade API (REST + mdstream websocket, plain HTTP on loopback) for tests.

``async with running_connecttrade(tmp_path) as ct:`` serves the Connect Trade calls the
cookbook shows (/work/shared/seeds/000_22acd433f5b2ef22.txt, laid out in
specs/connecttrade/NOTES.md section 3) plus the third-party ones (users,
connections; NOTES.md section 2) over the paper broker's simulated market: one
trading account (Alpaca, backed by a :class:`~desktop.brokers.paper.PaperBroker`) and
one read-only account (tastytrade, fixed holdings marked to the same market). See
:mod:`.app` for the controls (``drop_streams``, ``expire_tokens``, faults, injected
rows), :mod:`.book` for the accounts and rows, :mod:`.routes` for the REST
endpoints and :mod:`.mdstream` for the market-data stream.
"""

from .app import FakeConnectTrade, running_connecttrade
from .book import CREDENTIALS, READONLY_ACCOUNT, TRADING_ACCOUNT

__all__ = ["CREDENTIALS", "FakeConnectTrade", "READONLY_ACCOUNT", "TRADING_ACCOUNT", "running_connecttrade"]
