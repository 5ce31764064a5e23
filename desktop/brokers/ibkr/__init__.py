"""Interactive Brokers adapter over the Client Portal Gateway (CPAPI v1).

:class:`IbkrBroker` implements :class:`desktop.brokers.base.Broker` (and
:class:`desktop.brokers.session_control.SessionControl`). Transport lives in
``client``/``session``/``stream``; the REST mapping in ``parse``, ``contracts``,
``accounts``, ``positions``, ``order_body`` (with ``order_checks``: numbers IBKR can
take), ``reply_flow``, ``orders``, ``live_orders`` and ``marketdata``. Every reader of
a gateway payload is total (``parse.PAYLOADS``: an unreadable item is logged once and
skipped) and every long-running task runs under the kit's Supervisor. Source of
truth: ``specs/ibkr-cpapi/NOTES.md``.
"""

from .broker import DEFAULT_BASE_URL, IbkrBroker, gateway_urls

__all__ = ["DEFAULT_BASE_URL", "IbkrBroker", "gateway_urls"]
