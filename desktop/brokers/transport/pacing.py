"""Client-side request pacing: a global rate limit plus per-endpoint rules.

Broker-neutral. Brokers throttle by request rate (IBKR: 10 req/s through the gateway,
some endpoints 1 per 5 s) and answer excess with HTTP 429; the :class:`Pacer` keeps us
under those limits and, after a 429, refuses requests until the cool-down ends: every
request after a global cool-down, only the throttled endpoint's after an endpoint one.
Limits a broker only tells at runtime (TradeLocker's ``GET /trade/config``
``rateLimits``, specs/tradelocker/NOTES.md section 4) are set with
:meth:`Pacer.configure`.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import EllipsisType

from desktop.brokers.errors import RateLimitedError

from .pace_windows import Released, SlidingWindow


@dataclass(frozen=True)
class PaceRule:
    """A limit for the request paths that ``pattern`` (a regular expression) fully
    matches, compared with the path WITHOUT its query string ("/iserver/account/orders").

    ``max_calls`` per ``per_seconds`` is a sliding window (at most max_calls starts in
    any per_seconds interval); ``max_concurrent`` caps requests in flight. Either or
    both may be set. Each rule has its own window shared by every path it matches.
    ``methods``: the HTTP methods the rule is for (upper case; empty: every method),
    for brokers that limit one path's methods separately (TradeLocker: GET_ORDERS and
    PLACE_ORDER on ``/trade/accounts/{id}/orders``). A caller that gives no method
    to :meth:`Pacer.slot` matches every rule, whatever its methods.
    """

    pattern: str
    max_calls: int | None = None
    per_seconds: float | None = None
    max_concurrent: int | None = None
    methods: frozenset[str] = frozenset()
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.max_calls is None) != (self.per_seconds is None):
            raise ValueError("max_calls and per_seconds go together")
        if self.max_calls is None and self.max_concurrent is None:
            raise ValueError("a PaceRule needs max_calls/per_seconds or max_concurrent")
        object.__setattr__(self, "_regex", re.compile(self.pattern))
        object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))

    def matches(self, path: str, method: str | None = None) -> bool:
        """True when the rule applies to ``path`` (query string ignored) and, when
        both are given, to ``method``."""
        if method is not None and self.methods and method.upper() not in self.methods:
            return False
        return self._regex.fullmatch(_strip_query(path)) is not None


def _strip_query(path: str) -> str:
    return path.split("?", 1)[0].split("#", 1)[0]


class _RuleState:
    def __init__(self, rule: PaceRule, margin: float, previous: "_RuleState | None" = None) -> None:
        self.rule = rule
        self.window = None
        if rule.max_calls:
            per = rule.per_seconds + margin  # type: ignore[operator]
            old = previous.window if previous is not None else None
            self.window = old.resized(rule.max_calls, per) if old is not None else SlidingWindow(rule.max_calls, per)
        same_cap = previous is not None and previous.rule.max_concurrent == rule.max_concurrent
        self.semaphore = previous.semaphore if same_cap else (  # type: ignore[union-attr]
            asyncio.Semaphore(rule.max_concurrent) if rule.max_concurrent else None)


class Pacer:
    """Waits before each request so the broker's rate limits are never exceeded.

    ``global_rate``: requests per second over all paths (sliding 1 s window; None or 0
    disables it); ``rules``: per-endpoint :class:`PaceRule` s, the FIRST matching rule
    applies. ``clock`` (monotonic seconds) and ``sleep`` are injectable for tests.
    ``on_cool_down(until)`` is called with the monotonic end of each cool-down.
    ``margin`` (seconds) is added to every window so that network jitter cannot make
    two requests arrive closer together than the server allows.

    Usage: ``async with pacer.slot("/iserver/account/orders"): <send the request>``.
    While cooling down (after :meth:`cool_down`) ``slot()`` raises
    :class:`RateLimitedError` with ``retry_after`` seconds at once, also for callers
    already waiting: for every path during a global cool-down, for the paths of the
    cooled endpoint only during an endpoint cool-down (``cool_down(s, path=...)``).
    ``slot()`` never waits for a cool-down; a caller that wants to (an idempotent GET)
    awaits :meth:`wait_cooled` first.
    """

    def __init__(
        self,
        global_rate: float | None = 10,
        rules: Sequence[PaceRule] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], "asyncio.Future | object"] = asyncio.sleep,
        *,
        on_cool_down: Callable[[float], None] | None = None,
        margin: float = 0.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._global_rate = global_rate or None
        self._global = SlidingWindow(int(global_rate), 1.0 + margin) if global_rate else None
        self._rules = [_RuleState(rule, margin) for rule in rules]
        self._cooling_until: float | None = None
        self._endpoints: dict[str, tuple[re.Pattern[str], float]] = {}  # pattern -> (regex, until)
        self._released = Released()
        self.on_cool_down = on_cool_down

    @property
    def global_rate(self) -> float | None:
        """Requests per second over all paths, or None (no global limit)."""
        return self._global_rate

    def configure(self, *, global_rate: float | None | EllipsisType = ...,
                  rules: Sequence[PaceRule] | None = None) -> None:
        """Replace the limits at runtime (e.g. with the ones a broker's config endpoint
        returned); they apply to every request that asks for a slot from now on.

        ``global_rate``: requests per second (None or 0: no global limit; omitted:
        unchanged). ``rules``: the new per-endpoint rules, replacing all of them
        (None: unchanged). Requests already counted stay counted: a window keeps its
        recent and in-flight requests under the new limits, and a rule whose
        ``pattern`` is kept keeps its window and, with the same ``max_concurrent``,
        its concurrency cap. Cool-downs are not touched. Raises nothing; PaceRule
        validates its own values.
        """
        if global_rate is not ...:
            rate = global_rate or None
            if rate is None:
                self._global = None
            elif self._global is not None:
                self._global = self._global.resized(int(rate), 1.0 + self._margin)
            else:
                self._global = SlidingWindow(int(rate), 1.0 + self._margin)
            self._global_rate = rate
        if rules is not None:
            old = {(state.rule.pattern, state.rule.methods): state for state in self._rules}
            self._rules = [_RuleState(rule, self._margin, old.get((rule.pattern, rule.methods))) for rule in rules]
        self._released.notify()  # callers waiting for a release look at the limits again

    @property
    def rules(self) -> tuple[PaceRule, ...]:
        """The per-endpoint rules, in matching order."""
        return tuple(state.rule for state in self._rules)

    def window_for(self, path: str) -> float | None:
        """``per_seconds`` of the first rule with a rate window matching ``path`` (e.g.
        5.0 for IBKR's "/iserver/account/orders"), or None: how long a response of
        that endpoint stays the newest one could get."""
        state = self._rule_for(path)
        return state.rule.per_seconds if state is not None else None

    @property
    def cooling_until(self) -> float | None:
        """Monotonic time (the pacer's clock) when the current GLOBAL cool-down ends, or
        None (endpoint cool-downs: :meth:`endpoint_cooling_until`)."""
        if self._cooling_until is not None and self._clock() >= self._cooling_until:
            self._cooling_until = None
        return self._cooling_until

    def cool_down(self, seconds: float, path: str | None = None, *, pattern: str | None = None) -> float:
        """Refuse requests for ``seconds`` from now (extends, never shortens, a running
        cool-down of the same scope). Returns the monotonic end time.

        Without ``path``/``pattern``: a GLOBAL cool-down, every request is refused and
        ``on_cool_down(until)`` is called. With ``pattern`` (a regular expression fully
        matched against paths without their query string, like :attr:`PaceRule.pattern`)
        or ``path`` (cools the pattern of the first rule matching it, else exactly that
        path): an ENDPOINT cool-down, only matching paths are refused; ``on_cool_down``
        is not called.
        """
        until = self._clock() + max(0.0, seconds)
        is_global = path is None and pattern is None
        if is_global:
            if self._cooling_until is None or until > self._cooling_until:
                self._cooling_until = until
            result = self._cooling_until
        else:
            if pattern is None:
                state = self._rule_for(path)  # type: ignore[arg-type]
                pattern = state.rule.pattern if state is not None else re.escape(_strip_query(path))  # type: ignore[arg-type]
            regex, current = self._endpoints.get(pattern, (None, 0.0))
            result = max(until, current)
            self._endpoints[pattern] = (regex or re.compile(pattern), result)
        self._released.notify()  # callers waiting for a slot get the error now
        if is_global and self.on_cool_down is not None:
            self.on_cool_down(result)
        return result

    def endpoint_cooling_until(self, path: str) -> float | None:
        """Monotonic end of the endpoint cool-down that applies to ``path`` (query string
        ignored), or None. The global cool-down is :attr:`cooling_until`."""
        now = self._clock()
        self._endpoints = {p: (rx, until) for p, (rx, until) in self._endpoints.items() if until > now}
        bare = _strip_query(path)
        ends = [until for rx, until in self._endpoints.values() if rx.fullmatch(bare)]
        return max(ends) if ends else None

    def _check_cooling(self, path: str | None = None) -> None:
        until = self.cooling_until
        if until is not None:
            remaining = max(0.0, until - self._clock())
            raise RateLimitedError(
                f"Requests are paused for {remaining:.0f} s after the broker throttled us",
                retry_after=remaining,
            )
        until = self.endpoint_cooling_until(path) if path is not None and self._endpoints else None
        if until is not None:
            remaining = max(0.0, until - self._clock())
            raise RateLimitedError(
                f"Requests to {_strip_query(path)} are paused for {remaining:.0f} s after the broker "  # type: ignore[arg-type]
                "throttled that endpoint",
                retry_after=remaining,
            )

    async def wait_cooled(self, path: str, max_wait: float = math.inf) -> None:
        """Wait (with the pacer's ``sleep``; cancellable) until no endpoint cool-down
        applies to ``path``. Returns at once when none does. Raises RateLimitedError
        (``retry_after`` seconds) at once during a global cool-down, and when the
        endpoint's cool-down would take the total wait beyond ``max_wait`` seconds."""
        waited = 0.0
        while True:
            self._check_cooling()
            until = self.endpoint_cooling_until(path)
            if until is None:
                return
            remaining = until - self._clock()
            if waited + remaining > max_wait:
                self._check_cooling(path)
            await self._sleep(remaining)  # type: ignore[arg-type]
            waited += remaining

    def _rule_for(self, path: str, method: str | None = None) -> _RuleState | None:
        for state in self._rules:
            if state.rule.matches(path, method):
                return state
        return None

    @asynccontextmanager
    async def slot(self, path: str, method: str | None = None) -> AsyncIterator[None]:
        """Wait until a request to ``path`` may start, then hold its place for the body
        of the ``async with`` (the request's duration). ``method``: the request's HTTP
        method, for rules limited to some methods (:attr:`PaceRule.methods`; None
        matches every rule). Raises RateLimitedError at once
        during a global cool-down or a cool-down of ``path``'s endpoint (also when one
        starts while waiting for the slot); never waits for a cool-down to end."""
        self._check_cooling(path)
        state = self._rule_for(path, method)
        semaphore = state.semaphore if state is not None else None
        if semaphore is not None:
            await semaphore.acquire()
        entries: list[tuple[SlidingWindow, list]] = []
        try:
            while True:
                self._check_cooling(path)
                now = self._clock()
                state = self._rule_for(path, method)  # again each round: configure() may have replaced the limits
                windows = [w for w in (self._global, state.window if state is not None else None) if w is not None]
                waits = [w.wait_time(now) for w in windows]
                if all(wait == 0 for wait in waits):
                    entries = [(w, w.record(now)) for w in windows]
                    break
                if any(wait is None for wait in waits):
                    await self._released.wait()
                else:
                    await self._sleep(max(waits))  # type: ignore[type-var]
            yield
        finally:
            end = self._clock()
            for _window, entry in entries:
                entry[1] = end
            if entries:
                self._released.notify()
            if semaphore is not None:
                semaphore.release()
