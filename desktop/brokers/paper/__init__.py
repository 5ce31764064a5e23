"""The embedded paper broker: real daily prices replayed as a live market."""

from .broker import ACCOUNT_ID, PaperBroker

__all__ = ["ACCOUNT_ID", "PaperBroker"]
