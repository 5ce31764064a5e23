"""A fake IBKR Client Portal Gateway (HTTPS + WSS on loopback) for tests.

``async with running_gateway(tmp_path) as gw:`` serves the CPAPI subset Tradedesk uses
from a paper advisor account; see :mod:`.app` for the switches and controls.
"""

from .app import FakeGateway, running_gateway
from .state import GatewayState, RecordedRequest

__all__ = ["FakeGateway", "GatewayState", "RecordedRequest", "running_gateway"]
