"""Send a non-idempotent request (an order) exactly once, and find out what happened
when its outcome is unknown. Broker-neutral.

The REST pipeline never re-sends an order POST: after a timeout, a dropped connection
or a 5xx it raises an error with ``maybe_sent`` True (MaybeSentError, RequestTimeout).
:func:`submit_once` then asks the adapter's reconcile hook (look the order up by its
client order id) a few times, and reports the order it found, or that the order's
state is UNKNOWN: never that it was rejected, which would invite the user to place
it a second time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from desktop.brokers.errors import BrokerError

from .http_errors import MaybeSentError, is_maybe_sent

log = logging.getLogger(__name__)

T = TypeVar("T")
F = TypeVar("F")

UNKNOWN_STATE = ("Sent, state unknown: the broker did not confirm {what} and could not find it afterwards, so its "
                 "state is unknown. Check your orders before placing it again.")


class OrderStateUnknownError(MaybeSentError):
    """A request whose outcome stayed unknown after reconciling: it may or may not
    have been acted on. The message says so (and what to check)."""


async def submit_once(send: Callable[[], Awaitable[T]], reconcile: Callable[[], Awaitable[F | None]], *,
                      attempts: int = 3, delay: float = 5.0,
                      sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                      what: str = "the order", unknown_message: str | None = None) -> T | F:
    """Await ``send()`` ONCE and return its result.

    When it raises an error with ``maybe_sent`` True (see
    :func:`~desktop.brokers.transport.http_errors.is_maybe_sent`), ``send`` is
    never called again: ``reconcile()`` (e.g. "the order with this client order
    id, or None") is awaited up to ``attempts`` times, ``delay`` seconds apart
    (``sleep``), and the first non-None result is returned. A BrokerError from
    ``reconcile`` counts as "not found yet". Any other error of ``send``
    propagates unchanged.

    Raises :class:`OrderStateUnknownError` when nothing was found:
    ``unknown_message``, or :data:`UNKNOWN_STATE` naming ``what``.
    """
    try:
        return await send()
    except BrokerError as exc:
        if not is_maybe_sent(exc):
            raise
        cause: BrokerError = exc
    log.warning("outcome of %s unknown (%s); reconciling, never sending it again", what,
                cause.__class__.__name__)
    for attempt in range(max(1, attempts)):
        if attempt:
            await sleep(delay)
        try:
            found = await reconcile()
        except BrokerError as exc:  # the state is still unknown; try again
            log.info("reconcile attempt %d of %s failed: %s", attempt + 1, what, exc)
            continue
        if found is not None:
            return found
    raise OrderStateUnknownError(unknown_message or UNKNOWN_STATE.format(what=what), raw=cause.raw) from cause
