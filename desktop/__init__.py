"""Tradedesk: a desktop trading client.

Layers (see README, Architecture): ``desktop.domain`` (pure data and rules),
``desktop.brokers`` (async broker adapters), ``desktop.ui`` (the Qt side).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tradedesk")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"
