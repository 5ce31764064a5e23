"""How :class:`desktop.brokers.ibkr.client.IbkrClient` answers an HTTP 429 on an
endpoint with its own IBKR limit (NOTES.md section 7, "Per-endpoint limits").

Such a 429 (e.g. ``GET /portfolio/accounts`` within 5 s of the previous app
instance's call, 1 per 5 s) pauses ONLY that endpoint: :class:`EndpointCoolDowns`
picks the length (``Retry-After`` when given, else max(the rule's window,
:data:`ENDPOINT_COOL_DOWN_MIN`), doubling on repeats up to a cap) and
:func:`send_with_endpoint_retry` retries a GET once after it. A 429 on any other path
means the global 10 req/s limit (the gateway may put the IP in a 10-minute penalty
box); the client keeps its global cool-down for that.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from desktop.brokers.errors import RateLimitedError
from desktop.brokers.transport import Backoff, PaceRule, Pacer, error_message

from .client_pacing import IBKR_PACE_RULES

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Shortest endpoint cool-down (seconds) without Retry-After, even for 1/s endpoints.
ENDPOINT_COOL_DOWN_MIN = 5.0
#: Longest endpoint cool-down (seconds) after repeated 429s, unless the rule's own
#: window is longer (e.g. 900 s for /pa/performance).
ENDPOINT_COOL_DOWN_MAX = 120.0
#: A GET waits at most this long (seconds) for its endpoint's cool-down before its
#: one retry; a longer cool-down is raised as RateLimitedError at once.
ENDPOINT_RETRY_MAX_WAIT = 15.0

_RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class EndpointThrottled(Exception):
    """Internal signal: a 429 on an endpoint with its own limit. ``error`` (a
    RateLimitedError naming the endpoint, ``retry_after`` seconds) is what callers see."""

    def __init__(self, error: RateLimitedError) -> None:
        super().__init__(error.message)
        self.error = error


class EndpointCoolDowns:
    """Per-endpoint cool-down lengths after 429s, one doubling sequence per rule.

    ``rules``: the endpoints with their own limit (default :data:`IBKR_PACE_RULES`,
    independent of how the client's Pacer is configured); the first rule whose
    pattern fully matches the path (without query string) is the endpoint.
    ``minimum``/``maximum``/``factor``: see the module docstring (seconds).
    """

    def __init__(
        self,
        rules: Sequence[PaceRule] = IBKR_PACE_RULES,
        *,
        minimum: float = ENDPOINT_COOL_DOWN_MIN,
        maximum: float = ENDPOINT_COOL_DOWN_MAX,
        factor: float = 2.0,
    ) -> None:
        self.rules = tuple(rules)
        self.minimum = minimum
        self.maximum = maximum
        self.factor = factor
        self._backoffs: dict[str, Backoff] = {}  # rule pattern -> its doubling sequence

    def rule_for(self, path: str) -> PaceRule | None:
        """The per-endpoint rule that applies to ``path``, or None (global limit only)."""
        return next((rule for rule in self.rules if rule.matches(path)), None)

    def next_seconds(self, rule: PaceRule, retry_after: float | None) -> float:
        """Seconds to cool ``rule``'s endpoint down: ``retry_after`` when the gateway
        sent one, else max(window, minimum), doubled for each further 429 of that
        endpoint since its last success, capped at max(maximum, first)."""
        if retry_after is not None:
            return retry_after
        backoff = self._backoffs.get(rule.pattern)
        if backoff is None:
            first = max(rule.per_seconds or 0.0, self.minimum)
            backoff = self._backoffs[rule.pattern] = Backoff(first, self.factor, max(self.maximum, first), jitter=0)
        return next(backoff)

    def succeeded(self, path: str) -> None:
        """A request to ``path`` was answered (status < 400): its endpoint's doubling
        starts again from the first length."""
        if self._backoffs:
            rule = self.rule_for(path)
            if rule is not None:
                self._backoffs.pop(rule.pattern, None)

    def throttled(self, pacer: Pacer, method: str, path: str, retry_after: float | None, body: Any) -> EndpointThrottled | None:
        """Handle a 429 to ``method path``: None when ``path`` has no per-endpoint rule
        (the caller applies the global cool-down); else cool that endpoint down in
        ``pacer``, log it at INFO and return the signal to raise."""
        rule = self.rule_for(path)
        if rule is None:
            return None
        seconds = self.next_seconds(rule, retry_after)
        pacer.cool_down(seconds, pattern=rule.pattern)
        log.info("IBKR gateway throttled %s %s (429, its own limit); pausing that endpoint for %.0f s, "
                 "other requests go on", method, path, seconds)
        return EndpointThrottled(RateLimitedError(
            f"IBKR throttled {method} {path} (HTTP 429): {error_message(body, 'too many requests')}; "
            f"that endpoint is paused for {seconds:.0f} s",
            retry_after=seconds,
            code="429",
            raw=body,
        ))


async def send_with_endpoint_retry(
    send: Callable[[], Awaitable[T]],
    pacer: Pacer,
    method: str,
    path: str,
    idempotent: bool,
    *,
    max_wait: float = ENDPOINT_RETRY_MAX_WAIT,
) -> T:
    """Await ``send()`` (one paced request that raises :class:`EndpointThrottled` on a
    per-endpoint 429) and return its result.

    An idempotent GET/HEAD/OPTIONS first waits for a running cool-down of its endpoint
    (``pacer.wait_cooled``), and after a per-endpoint 429 waits for the new cool-down
    and is sent ONCE more; each wait is at most ``max_wait`` seconds and cancellable.
    Anything else (POST, DELETE) is never retried. Raises RateLimitedError
    (``retry_after`` seconds) when refused again, when the wait would be longer than
    ``max_wait`` and during a global cool-down; other errors of ``send`` unchanged.
    """
    retry = idempotent and method in _RETRIED_METHODS
    if retry:
        await pacer.wait_cooled(path, max_wait)
    try:
        return await send()
    except EndpointThrottled as throttled:
        if not retry or (throttled.error.retry_after or 0.0) > max_wait:
            raise throttled.error from None
        log.info("retrying %s %s once after its %.0f s cool-down", method, path, throttled.error.retry_after or 0.0)
    await pacer.wait_cooled(path, max_wait)
    try:
        return await send()
    except EndpointThrottled as throttled:
        raise throttled.error from None
