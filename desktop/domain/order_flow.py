"""What a broker may ask or tell before an order is placed: questions and previews.

IBKR's Client Portal answers an order POST either with the order or with a *reply
question* (``{"id", "message": [...], "messageIds": [...]}``) that must be confirmed
with ``POST /iserver/reply/{id}`` before the order is sent on; and it previews an
order's cost and margin impact with ``POST /iserver/account/{id}/orders/whatif``.
These models carry both, broker-neutral. Pure data: no Qt, no I/O.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from pydantic import Field

from .base import BrokerModel


class OrderQuestion(BrokerModel):
    """A confirmation the broker asks for before it accepts an order.

    ``reply_id`` the broker's id for the answer (IBKR ``id``); ``messages`` the texts to
    show as they came (IBKR ``message``, HTML entities already decoded); ``message_ids``
    the broker's codes for them (IBKR ``messageIds``, e.g. "o163", "p6"), used to
    suppress a question for the rest of the session; ``is_suppressed`` whether the
    broker reports it as suppressed. Source: CPAPI ``POST /iserver/account/{accountId}/orders``
    response variant "order reply" and ``POST /iserver/reply/{replyId}``.
    """

    reply_id: str = Field(min_length=1)
    messages: tuple[str, ...]
    message_ids: tuple[str, ...] = ()
    is_suppressed: bool = False

    @property
    def text(self) -> str:
        """All messages, one paragraph each."""
        return "\n\n".join(self.messages)


QuestionHandler = Callable[[OrderQuestion], Awaitable[bool]]
"""Asks the user one :class:`OrderQuestion`; resolves True to confirm, False to cancel.

Passed as ``confirm=`` to ``Broker.create_order`` / ``modify_order``. A broker that
receives a question without a handler answers "no" and raises OrderRejectedError.
"""


class OrderPreview(BrokerModel):
    """An order's expected cost and account impact, before it is placed (what-if).

    Money in ``currency``; None where the broker did not say. ``amount`` the order's
    value (quantity x price), ``commission`` the expected commission, ``total`` their
    sum; ``equity_*`` equity with loan value before/after, ``initial_margin_*`` and
    ``maintenance_margin_*`` the margin requirements before/after. ``warning`` the
    broker's warning text ("" if none), ``error`` why it would be refused ("" if it
    would be accepted). ``lines`` keeps the broker's own labelled strings for display,
    e.g. ``(("Amount", "1,977.60 USD (10 Shares)"), ...)``. Source: CPAPI
    ``POST /iserver/account/{accountId}/orders/whatif`` (all values are strings there).
    """

    currency: str = "USD"
    amount: Decimal | None = None
    commission: Decimal | None = None
    total: Decimal | None = None
    equity_before: Decimal | None = None
    equity_after: Decimal | None = None
    initial_margin_before: Decimal | None = None
    initial_margin_after: Decimal | None = None
    maintenance_margin_before: Decimal | None = None
    maintenance_margin_after: Decimal | None = None
    warning: str = ""
    error: str = ""
    lines: tuple[tuple[str, str], ...] = ()
