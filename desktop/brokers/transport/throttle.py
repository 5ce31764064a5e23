"""How the REST pipeline answers HTTP 429 (too many requests). Broker-neutral.

A 429 on a path with its own limit (a :class:`PaceRule` matching it, e.g. IBKR's
``GET /portfolio/accounts`` at 1 per 5 s, NOTES.md section 7) pauses ONLY that
endpoint in the :class:`Pacer`; a 429 anywhere else means the global limit and
pauses every request (IBKR may put the IP in a 10-minute "penalty box"). How long:
the server's word when it gives one (Retry-After, an exhausted X-RateLimit-* window:
:mod:`desktop.brokers.transport.retry_after`), else a doubling sequence per endpoint
(from max(the rule's window, ``endpoint_min``) up to ``endpoint_max``) or for the
global pause (``global_first`` up to ``global_max``), restarted by the next success.

An idempotent GET/HEAD/OPTIONS waits for a running cool-down of its endpoint and,
after a per-endpoint 429, is sent ONCE more when the cool-down ends (each wait at
most ``retry_max_wait`` seconds). Nothing else is ever re-sent after a 429.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from desktop.brokers.errors import RateLimitedError

from .backoff import Backoff
from .http_errors import error_message
from .pacing import PaceRule, Pacer

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Shortest endpoint cool-down (seconds) without a server hint, even for 1/s endpoints.
ENDPOINT_COOL_DOWN_MIN = 5.0
#: Longest endpoint cool-down (seconds) after repeated 429s, unless the rule's own
#: window is longer (e.g. 900 s for IBKR's /pa/performance).
ENDPOINT_COOL_DOWN_MAX = 120.0
#: First and longest GLOBAL cool-down (seconds) without a server hint.
GLOBAL_COOL_DOWN_FIRST = 60.0
GLOBAL_COOL_DOWN_MAX = 600.0
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


class Throttle:
    """Cool-down lengths and the one GET retry after 429s (see the module docstring).

    ``rules``: the endpoints with their own limit; None uses the pacer's current rules
    (so limits loaded at runtime with ``Pacer.configure`` count). The first rule whose
    pattern fully matches the path (without query string) is the endpoint. Seconds:
    ``endpoint_min``/``endpoint_max``, ``global_first``/``global_max``,
    ``retry_max_wait``; ``factor``: growth per repeated 429. ``on_global(seconds)`` is
    called after each global cool-down starts (an adapter publishes COOL_DOWN).
    """

    def __init__(self, rules: Sequence[PaceRule] | None = None, *, endpoint_min: float = ENDPOINT_COOL_DOWN_MIN,
                 endpoint_max: float = ENDPOINT_COOL_DOWN_MAX, global_first: float = GLOBAL_COOL_DOWN_FIRST,
                 global_max: float = GLOBAL_COOL_DOWN_MAX, factor: float = 2.0,
                 retry_max_wait: float = ENDPOINT_RETRY_MAX_WAIT,
                 on_global: Callable[[float], None] | None = None) -> None:
        self.rules = tuple(rules) if rules is not None else None
        self.endpoint_min = endpoint_min
        self.endpoint_max = endpoint_max
        self.factor = factor
        self.retry_max_wait = retry_max_wait
        self.on_global = on_global
        self._global = Backoff(global_first, factor, global_max, jitter=0)
        self._backoffs: dict[str, Backoff] = {}  # rule pattern -> its doubling sequence

    def rule_for(self, path: str, fallback: Sequence[PaceRule] = ()) -> PaceRule | None:
        """The per-endpoint rule that applies to ``path`` (``fallback``: the pacer's
        rules, used when this throttle has none of its own), or None."""
        rules = self.rules if self.rules is not None else fallback
        return next((rule for rule in rules if rule.matches(path)), None)

    def next_seconds(self, rule: PaceRule, retry_after: float | None) -> float:
        """Seconds to cool ``rule``'s endpoint down: ``retry_after`` when the server
        sent one, else max(window, endpoint_min), doubled for each further 429 of that
        endpoint since its last success, capped at max(endpoint_max, first)."""
        if retry_after is not None:
            return retry_after
        backoff = self._backoffs.get(rule.pattern)
        if backoff is None:
            first = max(rule.per_seconds or 0.0, self.endpoint_min)
            backoff = self._backoffs[rule.pattern] = Backoff(first, self.factor, max(self.endpoint_max, first), jitter=0)
        return next(backoff)

    def succeeded(self, path: str, fallback: Sequence[PaceRule] = ()) -> None:
        """A request to ``path`` was answered (status < 400): the global sequence and
        that endpoint's start again from their first length."""
        self._global.reset()
        if self._backoffs:
            rule = self.rule_for(path, fallback)
            if rule is not None:
                self._backoffs.pop(rule.pattern, None)

    def throttled(self, pacer: Pacer, method: str, path: str, retry_after: float | None, body: Any, *,
                  name: str = "the server") -> Exception:
        """Handle a 429 to ``method path`` (``retry_after``: the server's wait in
        seconds, or None; ``name``: who throttled, for messages). Cools the endpoint
        or everything down in ``pacer`` and returns what to raise: an
        :class:`EndpointThrottled` signal or a RateLimitedError (``retry_after``
        seconds, code "429")."""
        reason = error_message(body, "too many requests")
        who = name[:1].upper() + name[1:]
        rule = self.rule_for(path, pacer.rules)
        if rule is not None:
            seconds = self.next_seconds(rule, retry_after)
            pacer.cool_down(seconds, pattern=rule.pattern)
            log.info("%s throttled %s %s (429, its own limit); pausing that endpoint for %.0f s, other requests "
                     "go on", who, method, path, seconds)
            return EndpointThrottled(RateLimitedError(
                f"{who} throttled {method} {path} (HTTP 429): {reason}; that endpoint is paused for {seconds:.0f} s",
                retry_after=seconds, code="429", raw=body))
        seconds = retry_after if retry_after is not None else next(self._global)
        pacer.cool_down(seconds)
        log.warning("%s throttled us (429, %s %s); pausing all requests for %.0f s", who, method, path, seconds)
        if self.on_global is not None:
            try:
                self.on_global(seconds)
            except Exception:  # noqa: BLE001 - a hook must not hide the 429
                log.exception("throttle on_global hook failed")
        return RateLimitedError(f"{who} throttled requests (HTTP 429): {reason}; paused for {seconds:.0f} s",
                                retry_after=seconds, code="429", raw=body)

    async def send(self, send: Callable[[], Awaitable[T]], pacer: Pacer, method: str, path: str,
                   idempotent: bool) -> T:
        """Await ``send()`` (one paced attempt that raises :class:`EndpointThrottled`
        on a per-endpoint 429) and return its result.

        An idempotent GET/HEAD/OPTIONS first waits for a running cool-down of its
        endpoint (``pacer.wait_cooled``), and after a per-endpoint 429 waits for the
        new cool-down and is sent ONCE more; each wait at most ``retry_max_wait``
        seconds, cancellable. Anything else is never re-sent. Raises RateLimitedError
        (``retry_after`` seconds) when refused again, when the wait would be longer
        and during a global cool-down; other errors of ``send`` unchanged.
        """
        retry = idempotent and method in _RETRIED_METHODS
        if retry:
            await pacer.wait_cooled(path, self.retry_max_wait)
        try:
            return await send()
        except EndpointThrottled as throttled:
            if not retry or (throttled.error.retry_after or 0.0) > self.retry_max_wait:
                raise throttled.error from None
            log.info("retrying %s %s once after its %.0f s cool-down", method, path, throttled.error.retry_after or 0.0)
        await pacer.wait_cooled(path, self.retry_max_wait)
        try:
            return await send()
        except EndpointThrottled as throttled:
            raise throttled.error from None
