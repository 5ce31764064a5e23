"""One supervisor for an adapter's long-running tasks. Broker-neutral, no Qt.

Pollers, stream relays, quote pumps, keep-alives and session watchers must never stop
quietly. :class:`Supervisor` runs each of them and:

- catches any exception of ONE item where the task processes items (a poll, a
  frame, a row: :meth:`Supervisor.item`), logs it with the item's raw text (shortened,
  redacted) and lets the task go on with the next item;
- restarts a task that dies (any exception but cancellation) after a back-off delay
  (:class:`~desktop.brokers.transport.backoff.Backoff`, reset once it works again);
- when a task keeps failing (``failures`` failures within ``window`` seconds)
  publishes a state the user sees through ``on_state(task, ConnectionState)``:
  ``status`` (default RECONNECTING, which marks the connection's rows stale) with
  "<label> failing: see the log", and CONNECTED again once the task works: an item
  succeeds (:meth:`Supervisor.ok`, called by :meth:`Supervisor.item` itself) or a
  restarted run survives ``window`` seconds without failing.

A task that ends normally (its stream was closed) is over and is not restarted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from desktop.domain import ConnectionState, ConnectionStatus

from .backoff import Backoff
from .payloads import shorten

log = logging.getLogger(__name__)

StateHook = Callable[[str, ConnectionState], None]
"""``on_state(task, state)``: a supervised task started or stopped failing."""


class _Task:
    """Book-keeping of one task name (several runs may share it: one quote pump per
    symbol)."""

    def __init__(self, label: str, backoff: Backoff) -> None:
        self.label = label
        self.backoff = backoff
        self.failures: deque[float] = deque()
        self.failing = False
        self.restarts = 0
        self.generation = 0


class Supervisor:
    """Runs and restarts long-running tasks (see the module docstring).

    ``name``: who they belong to, for the log ("IBKR"); ``on_state``: see
    :data:`StateHook` (settable later as the attribute); ``backoff``: makes each
    task's restart delays (default 0.5 s doubling to 30 s); ``failures`` /
    ``window``: how many failures within how many seconds make a task "failing";
    ``status``: the state published then; ``clock``: monotonic seconds;
    ``sleep``: awaited between restarts (both injectable for tests).

    ``restarts[task]`` counts restarts and ``item_failures[task]`` items skipped
    after an exception (diagnostics and tests).
    """

    def __init__(self, *, name: str = "adapter", on_state: StateHook | None = None,
                 backoff: Callable[[], Backoff] = lambda: Backoff(initial=0.5, maximum=30.0),
                 failures: int = 3, window: float = 60.0, status: ConnectionStatus = ConnectionStatus.RECONNECTING,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.name = name
        self.on_state = on_state
        self._backoff = backoff
        self.failures = failures
        self.window = window
        self.status = status
        self._clock = clock
        self._sleep = sleep
        self._tasks: dict[str, _Task] = {}
        self._running: dict[asyncio.Task, str] = {}
        self._closed = False
        self.restarts: dict[str, int] = {}
        self.item_failures: dict[str, int] = {}

    # -- running tasks --------------------------------------------------------------
    def start(self, task: str, work: Callable[[], Awaitable[Any]], *, label: str | None = None) -> asyncio.Task:
        """Run ``work()`` (a coroutine function: one run of the task) under
        supervision as task ``task``; ``label`` is what the user reads ("order
        updates"; default ``task``). Returns the asyncio task (cancel it to stop this
        run for good; :meth:`close` stops them all)."""
        entry = self._entry(task, label)
        runner = asyncio.get_running_loop().create_task(self._run(task, entry, work), name=f"{self.name} {task}")
        self._running[runner] = task
        runner.add_done_callback(lambda done: self._running.pop(done, None))
        return runner

    async def stop(self, *tasks: str) -> None:
        """Stop every run of the tasks named ``tasks`` (e.g. the consumers of a stream
        before the stream itself closes) and wait until they are done."""
        runners = [runner for runner, name in self._running.items() if name in tasks]
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)

    async def _run(self, task: str, entry: _Task, work: Callable[[], Awaitable[Any]]) -> None:
        while not self._closed:
            entry.generation += 1
            stable = asyncio.get_running_loop().call_later(self.window, self._stable, task, entry.generation)
            try:
                await work()
                return  # ended by design (its stream closed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a task must never stop quietly
                delay = next(entry.backoff)
                log.error("%s: %s stopped unexpectedly (%s: %s); restarting in %.1f s", self.name, entry.label,
                          type(exc).__name__, shorten(str(exc), 200), delay, exc_info=True)
                self._failed(task, entry)
            finally:
                stable.cancel()
            await self._sleep(delay)
            entry.restarts += 1
            self.restarts[task] = entry.restarts

    def _stable(self, task: str, generation: int) -> None:
        """A run survived ``window`` seconds: the task works again."""
        entry = self._tasks.get(task)
        if entry is not None and entry.generation == generation and entry.failures:
            if self._clock() - entry.failures[-1] >= self.window:
                self.ok(task)

    # -- items ----------------------------------------------------------------------
    @contextmanager
    def item(self, task: str, raw: Any = None, *, label: str | None = None) -> Iterator[None]:
        """Guard one item of ``task`` (``raw``: the item, for the log): an exception
        inside the block is logged with the item and counted, and the block is left
        as if it had finished, so the task goes on with its next item. A block that
        finishes reports the task working (:meth:`ok`)."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - one bad item must not stop the task
            self.failed(task, exc, raw, label=label)
        else:
            self.ok(task)

    def failed(self, task: str, exc: BaseException, raw: Any = None, *, label: str | None = None) -> None:
        """Record that one item of ``task`` failed with ``exc`` (logged with its
        traceback and ``raw`` shortened); the task itself goes on."""
        entry = self._entry(task, label)
        self.item_failures[task] = self.item_failures.get(task, 0) + 1
        log.error("%s: %s: skipped an item after %s: %s; item: %s", self.name, entry.label, type(exc).__name__,
                  shorten(str(exc), 200), shorten(raw), exc_info=(type(exc), exc, exc.__traceback__))
        self._failed(task, entry)

    def ok(self, task: str) -> None:
        """``task`` works (an item went through): restart delays start over and a
        "failing" state is cleared (CONNECTED published for the task)."""
        entry = self._tasks.get(task)
        if entry is None:
            return
        entry.backoff.reset()
        if entry.failing:
            entry.failing = False
            entry.failures.clear()
            log.info("%s: %s works again", self.name, entry.label)
            self._publish(task, ConnectionState(status=ConnectionStatus.CONNECTED, message=f"{entry.label} restored"))

    def failing(self, task: str) -> bool:
        """Whether ``task`` is in its "failing" state now."""
        entry = self._tasks.get(task)
        return entry is not None and entry.failing

    # -- internals --------------------------------------------------------------------
    def _entry(self, task: str, label: str | None) -> _Task:
        entry = self._tasks.get(task)
        if entry is None:
            entry = self._tasks[task] = _Task(label or task, self._backoff())
        elif label:
            entry.label = label
        return entry

    def _failed(self, task: str, entry: _Task) -> None:
        now = self._clock()
        entry.failures.append(now)
        while entry.failures and now - entry.failures[0] > self.window:
            entry.failures.popleft()
        if not entry.failing and len(entry.failures) >= self.failures:
            entry.failing = True
            log.error("%s: %s keeps failing (%d times in %.0f s)", self.name, entry.label, len(entry.failures),
                      self.window)
            self._publish(task, ConnectionState(status=self.status, message=f"{entry.label} failing: see the log"))

    def _publish(self, task: str, state: ConnectionState) -> None:
        if self.on_state is None or self._closed:
            return
        try:
            self.on_state(task, state)
        except Exception:  # noqa: BLE001 - the hook must not break supervision
            log.exception("%s: state hook failed", self.name)

    async def close(self) -> None:
        """Stop every supervised task (idempotent); no state is published after."""
        self._closed = True
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
