"""A fake IBKR Client Portal Gateway (HTTPS + WSS on loopback) for tests.

``async with running_gateway(tmp_path) as gw:`` serves the CPAPI subset Tradedesk uses
from a paper advisor account, behaving as IBKR documents it (NOTES.md, the v2.29
spec); see :mod:`.app` for the switches and controls, :mod:`.state` for the switches,
:mod:`.faults` for fault injection (``gw.faults``: error statuses, dropped connections
and late answers after an order was placed; ``gw.silence_websockets()``), and
:mod:`.client` for the helpers tests use to talk to it directly. Modules by endpoint:
:mod:`.routes_session`, :mod:`.routes_accounts`, :mod:`.routes_orders` (with
:mod:`.order_flow` and :mod:`.adhoc`), :mod:`.routes_portfolio`,
:mod:`.routes_marketdata` (with :mod:`.history`), :mod:`.ws` (with :mod:`.ws_account`).
"""

from .app import FakeGateway, running_gateway
from .state import GatewayState, RecordedRequest

__all__ = ["FakeGateway", "GatewayState", "RecordedRequest", "running_gateway"]
