"""The embedded paper broker: real daily prices replayed as a live market.

``PaperBroker(path)`` has one cash account, :data:`ACCOUNT_ID`; ``PaperBroker(path,
advisor=True)`` is the offline Financial Advisor demo: master :data:`MASTER_ID` and
clients :data:`CLIENT_IDS` (see :mod:`.advisor`).
"""

from .advisor import P6_TEXT
from .advisor_accounts import CLIENT_IDS, MASTER_ID
from .broker import ACCOUNT_ID, PaperBroker

__all__ = ["ACCOUNT_ID", "CLIENT_IDS", "MASTER_ID", "P6_TEXT", "PaperBroker"]
