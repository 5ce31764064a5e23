"""Exponential back-off delays for reconnect and retry loops (broker-neutral)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator


class Backoff(Iterator[float]):
    """An endless iterator of delays in seconds: initial, initial*factor, ... capped at
    ``maximum``, each spread by +/- ``jitter`` (a fraction, 0.1 = 10 %) so that many
    clients do not retry in lockstep. ``reset()`` starts again from ``initial`` (call it
    after a successful connect).

    ``rng`` returns a float in [0, 1) (inject ``lambda: 0.5`` for exact delays in tests).
    Raises ValueError for non-positive ``initial``/``maximum``, ``factor`` < 1 or a
    ``jitter`` outside [0, 1).
    """

    def __init__(
        self,
        initial: float = 0.5,
        factor: float = 2,
        maximum: float = 30,
        jitter: float = 0.1,
        *,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if initial <= 0 or maximum <= 0:
            raise ValueError("initial and maximum must be positive")
        if factor < 1:
            raise ValueError("factor must be >= 1")
        if not 0 <= jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        self.initial = float(initial)
        self.factor = float(factor)
        self.maximum = float(maximum)
        self.jitter = float(jitter)
        self._rng = rng
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """How many delays were handed out since the last reset."""
        return self._attempt

    def reset(self) -> None:
        """Start again from ``initial``."""
        self._attempt = 0

    def __iter__(self) -> "Backoff":
        return self

    def __next__(self) -> float:
        base = min(self.maximum, self.initial * self.factor**self._attempt)
        self._attempt += 1
        spread = base * self.jitter * (2 * self._rng() - 1)
        return max(0.0, min(self.maximum, base + spread))
