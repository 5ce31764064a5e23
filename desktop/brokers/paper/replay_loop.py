"""The paper broker's replay loop: the market played in real time, never stopping quietly.

:class:`ReplayLoop` wakes every ``tick_seconds``, turns the wall time since the last
tick into replayed minutes (the clock's speed), plays them (at most
:data:`MAX_MINUTES_PER_TICK` at once) and saves the state with the clock every
:data:`CLOCK_SAVE_SECONDS`. It runs as task "replay" of the adapter kit's
:class:`~desktop.brokers.transport.Supervisor`:

- a tick that fails (a full disk, a bug) is logged and the loop goes on with the next
  tick; the same failure is reported to the supervisor at most every
  :data:`REPORT_SECONDS` (logged with its traceback), so one that persists makes the
  supervisor publish "market replay failing: see the log" (the connection's state the
  user sees) and a tick that works again clears it;
- if the loop itself dies, the supervisor restarts it after a back-off delay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..transport import Supervisor
from .replay import ReplayClock

TASK = "replay"
LABEL = "market replay"
MAX_MINUTES_PER_TICK = 120
CLOCK_SAVE_SECONDS = 2.0
REPORT_SECONDS = 5.0
"""A failure that repeats every tick is reported to the supervisor this often."""


class ReplayLoop:
    """Plays the paper market (see the module docs). ``clock()``: the replay clock;
    ``play(minutes)``: play that many minutes now; ``save()``: save the state with
    the clock; ``tick_seconds``: how often it wakes (read every tick)."""

    def __init__(self, clock: Callable[[], ReplayClock], play: Callable[[int], None], save: Callable[[], None],
                 supervisor: Supervisor, tick_seconds: float) -> None:
        self.clock, self.play, self.save = clock, play, save
        self.supervisor = supervisor
        self.tick_seconds = tick_seconds
        self._saved_at = 0.0
        self._failure = ""
        self._reported_at = float("-inf")

    def start(self) -> asyncio.Task:
        """Run the loop under the supervisor; cancel the returned task to stop it."""
        return self.supervisor.start(TASK, self.run, label=LABEL)

    async def run(self) -> None:
        """One run of the loop (until cancelled, or until it dies and is restarted)."""
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.tick_seconds)
            now = loop.time()
            self.tick(now - last, now)
            last = now

    def tick(self, elapsed: float, now: float) -> None:
        """Play the minutes ``elapsed`` wall seconds make; save the clock when due.
        Never raises: a failure is logged and reported (see the module docs)."""
        try:
            minutes = self.clock().advance(elapsed)
            if minutes:
                self.play(min(minutes, MAX_MINUTES_PER_TICK))
            if now - self._saved_at > CLOCK_SAVE_SECONDS:
                self._saved_at = now
                self.save()
        except Exception as exc:  # noqa: BLE001 - a failing tick must not stop the market for good
            if repr(exc) != self._failure or now - self._reported_at >= REPORT_SECONDS:
                self._failure, self._reported_at = repr(exc), now
                self.supervisor.failed(TASK, exc, raw=f"replay tick after {elapsed:.3f} s", label=LABEL)
            return
        if self._failure:
            self._failure, self._reported_at = "", float("-inf")
        self.supervisor.ok(TASK)
