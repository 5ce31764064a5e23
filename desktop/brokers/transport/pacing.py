"""Client-side request pacing: a global rate limit plus per-endpoint rules.

Broker-neutral. Brokers throttle by request rate (IBKR: 10 req/s through the gateway,
some endpoints 1 per 5 s) and answer excess with HTTP 429; the :class:`Pacer` keeps us
under those limits and, after a 429, refuses every request until the cool-down ends.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from desktop.brokers.errors import RateLimitedError


@dataclass(frozen=True)
class PaceRule:
    """A limit for the request paths that ``pattern`` (a regular expression) fully
    matches, compared with the path WITHOUT its query string ("/iserver/account/orders").

    ``max_calls`` per ``per_seconds`` is a sliding window (at most max_calls starts in
    any per_seconds interval); ``max_concurrent`` caps requests in flight. Either or
    both may be set. Each rule has its own window shared by every path it matches.
    """

    pattern: str
    max_calls: int | None = None
    per_seconds: float | None = None
    max_concurrent: int | None = None
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.max_calls is None) != (self.per_seconds is None):
            raise ValueError("max_calls and per_seconds go together")
        if self.max_calls is None and self.max_concurrent is None:
            raise ValueError("a PaceRule needs max_calls/per_seconds or max_concurrent")
        object.__setattr__(self, "_regex", re.compile(self.pattern))

    def matches(self, path: str) -> bool:
        """True when the rule applies to ``path`` (query string ignored)."""
        return self._regex.fullmatch(_strip_query(path)) is not None


def _strip_query(path: str) -> str:
    return path.split("?", 1)[0].split("#", 1)[0]


class _Window:
    """Sliding window: at most ``max_calls`` requests in any ``per`` seconds.

    A request occupies the window from its start until ``per`` seconds after it
    FINISHED: the server sees it arrive somewhere in between, so counting from the end
    guarantees the server's own window (counted on arrival) is never exceeded,
    whatever the network or event-loop delays.
    """

    def __init__(self, max_calls: int, per: float) -> None:
        self.max_calls = max_calls
        self.per = per
        self.entries: list[list[float | None]] = []  # [start, end or None while in flight]

    def wait_time(self, now: float) -> float | None:
        """0 when a request may start now, else seconds to wait, or None when every
        slot is held by a request still in flight (wait for one to finish)."""
        self.entries = [e for e in self.entries if e[1] is None or now - e[1] < self.per]
        if len(self.entries) < self.max_calls:
            return 0.0
        finished = [e[1] for e in self.entries if e[1] is not None]
        if not finished:
            return None
        return min(finished) + self.per - now

    def record(self, now: float) -> list[float | None]:
        entry: list[float | None] = [now, None]
        self.entries.append(entry)
        return entry


class _RuleState:
    def __init__(self, rule: PaceRule, margin: float) -> None:
        self.rule = rule
        self.window = _Window(rule.max_calls, rule.per_seconds + margin) if rule.max_calls else None
        self.semaphore = asyncio.Semaphore(rule.max_concurrent) if rule.max_concurrent else None


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
    already waiting.
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
        self._global = _Window(int(global_rate), 1.0 + margin) if global_rate else None
        self._rules = [_RuleState(rule, margin) for rule in rules]
        self._cooling_until: float | None = None
        self._released = _Released()
        self.on_cool_down = on_cool_down

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
        """Monotonic time (the pacer's clock) when the current cool-down ends, or None."""
        if self._cooling_until is not None and self._clock() >= self._cooling_until:
            self._cooling_until = None
        return self._cooling_until

    def cool_down(self, seconds: float) -> float:
        """Refuse every request for ``seconds`` from now (extends, never shortens, a
        running cool-down). Returns the monotonic end time."""
        until = self._clock() + max(0.0, seconds)
        if self._cooling_until is None or until > self._cooling_until:
            self._cooling_until = until
        self._released.notify()  # callers waiting for a slot get the error now
        if self.on_cool_down is not None:
            self.on_cool_down(self._cooling_until)
        return self._cooling_until

    def _check_cooling(self) -> None:
        until = self.cooling_until
        if until is not None:
            remaining = max(0.0, until - self._clock())
            raise RateLimitedError(
                f"Requests are paused for {remaining:.0f} s after the broker throttled us",
                retry_after=remaining,
            )

    def _rule_for(self, path: str) -> _RuleState | None:
        bare = _strip_query(path)
        for state in self._rules:
            if state.rule._regex.fullmatch(bare):
                return state
        return None

    @asynccontextmanager
    async def slot(self, path: str) -> AsyncIterator[None]:
        """Wait until a request to ``path`` may start, then hold its place for the body
        of the ``async with`` (the request's duration). Raises RateLimitedError while
        cooling down."""
        self._check_cooling()
        state = self._rule_for(path)
        windows = [w for w in (self._global, state.window if state is not None else None) if w is not None]
        if state is not None and state.semaphore is not None:
            await state.semaphore.acquire()
        entries: list[tuple[_Window, list]] = []
        try:
            while True:
                self._check_cooling()
                now = self._clock()
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
            if state is not None and state.semaphore is not None:
                state.semaphore.release()


class _Released:
    """Wakes the callers waiting for an in-flight request to finish."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future] = []

    async def wait(self) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future
        finally:
            if future in self._waiters:
                self._waiters.remove(future)

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)
