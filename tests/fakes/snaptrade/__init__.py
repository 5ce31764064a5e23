"""A fake SnapTrade API (HTTP on 127.0.0.1, aiohttp) over the paper broker's
simulated market: see :mod:`.app`. Run it standalone with
``python -m tests.fakes.snaptrade --port 5001 [--personal]``."""

from .app import FakeSnapTrade, running_snaptrade

__all__ = ["FakeSnapTrade", "running_snaptrade"]
