"""Recover once, then resend once: the REST pipeline's answer to errors that mean
"the server refused this request because our session needs fixing" (nothing was
done, so even an order POST may be sent again). Broker-neutral.

Examples: a 401 with an expired bearer token (refresh it: TradeLocker,
specs/tradelocker/NOTES.md section 3); IBKR's "Please query /accounts first" / "no
bridge" (re-prime the gateway session: specs/ibkr-cpapi/NOTES.md section 9 #8).

A :class:`Recovery` says which errors it fixes (``needs``) and fixes them
(``recover``). The pipeline keeps one :class:`RecoveryGate` per recovery: requests
failing at the same time share ONE recovery; a request that started before a
recovery finished is resent without another; requests made BY the recovery (the
refresh call itself) never trigger it again.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from desktop.brokers.errors import BrokerError

from .rest_request import RestResponse

_active: contextvars.ContextVar[tuple["RecoveryGate", ...]] = contextvars.ContextVar("rest_recovering", default=())


@runtime_checkable
class Recovery(Protocol):
    """``needs(error, response)``: whether ``error`` (mapped from ``response``, None
    for transport failures) is one this recovery fixes; ``await recover()``: fix it
    (raise a BrokerError when it cannot; the request then fails with it)."""

    def needs(self, error: BrokerError, response: RestResponse | None) -> bool: ...

    async def recover(self) -> None: ...


class RecoveryGate:
    """Serialises one recovery: ``generation`` counts finished runs; ``run(seen)``
    recovers unless a run finished since the caller read ``seen``; ``active`` is True
    inside a run (for the requests the recovery makes itself)."""

    def __init__(self, recover: Callable[[], Awaitable[None]]) -> None:
        self._recover = recover
        self._lock = asyncio.Lock()
        self.generation = 0

    @property
    def active(self) -> bool:
        """Whether the current task runs inside this gate's recovery."""
        return self in _active.get()

    async def run(self, seen: int) -> None:
        """Recover once (waiting for a run in progress); do nothing when another run
        finished after the caller read ``generation`` as ``seen``. Errors of the
        recovery propagate; the generation advances either way."""
        async with self._lock:
            if seen != self.generation:
                return  # someone else recovered meanwhile
            token = _active.set(_active.get() + (self,))
            try:
                await self._recover()
            finally:
                _active.reset(token)
                self.generation += 1
