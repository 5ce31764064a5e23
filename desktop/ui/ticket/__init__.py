"""Order entry: the order ticket, its confirmation dialog and the modify-order dialog.

``OrderTicket`` is the dockable form over every connection (fed ``TicketConnection``
records, see :mod:`desktop.ui.ticket.targets`); ``ConfirmOrderDialog`` is what its
Submit opens; ``ModifyOrderDialog`` changes a working order. The pure rules behind them
(parsing, validation) live in :mod:`desktop.ui.ticket.values`, cost estimates in
:mod:`desktop.ui.ticket.estimate`.
"""

from .confirm import ConfirmOrderDialog
from .modify import ModifyOrderDialog
from .targets import TargetKey, TicketConnection
from .ticket import OrderTicket
from .estimate import Estimate, estimate_order
from .values import CommissionEstimator, InstrumentLookup, build_request

__all__ = [
    "CommissionEstimator",
    "ConfirmOrderDialog",
    "Estimate",
    "InstrumentLookup",
    "ModifyOrderDialog",
    "OrderTicket",
    "TargetKey",
    "TicketConnection",
    "build_request",
    "estimate_order",
]
