"""Supervised background work of one connection, and which of its tasks keep failing.
Qt-free; used by :class:`~desktop.desk.session.LiveConnection`.

The desk's side of the adapter kit's one supervisor
(:class:`desktop.brokers.transport.supervisor.Supervisor`): every long-running task of
a connection (its ``watch_orders`` consumers, the quote stream, the snapshot poll,
``watch_connection``) runs under :meth:`TaskSupervisor.run`. A task that dies is
logged, reported to the user (the connection's ERROR event) and restarted after a
back-off (``first_delay`` doubling to ``max_delay``, starting over once it works);
one bad item is logged and skipped (:meth:`TaskSupervisor.item`); a task that
returns (the adapter closed its stream) is not restarted.

A task that keeps failing (``limit`` failures within ``window_s`` seconds) is a state
the user sees: :attr:`TaskSupervisor.failing` lists the labels, e.g. ``("order
updates",)``, and ``changed`` is called; it clears once the task works again (an item
goes through, or a restarted run survives ``window_s`` seconds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from desktop.brokers.transport import Backoff
from desktop.brokers.transport.supervisor import Supervisor
from desktop.domain import ConnectionState, ConnectionStatus

ORDER_UPDATES, QUOTES, ACCOUNT_UPDATES, SESSION_UPDATES = "order updates", "quotes", "account updates", "session updates"
"""Labels of a connection's tasks, as the user reads them ("order updates failing")."""


@dataclass(frozen=True)
class Supervision:
    """How a connection supervises its tasks: a task that died restarts after
    ``first_delay`` s doubling to ``max_delay`` s; ``limit`` failures within
    ``window_s`` s make it failing, until it works again. Tests make them short."""

    first_delay: float = 1.0
    max_delay: float = 30.0
    limit: int = 3
    window_s: float = 60.0


class TaskSupervisor:
    """The supervised tasks of one connection (see the module docstring).

    ``name``: the connection's name (log lines); ``report(exc)``: tell the user that a
    task died (ERROR event); ``changed(failing)``: the labels now failing changed;
    ``policy``: :class:`Supervision`.
    """

    def __init__(self, name: str, *, report: Callable[[BaseException], None],
                 changed: Callable[[tuple[str, ...]], None], policy: Supervision | None = None) -> None:
        policy = policy or Supervision()
        self._report, self._changed = report, changed
        self._failing: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self.kit = Supervisor(name=name, on_state=self._state, failures=policy.limit, window=policy.window_s,
                              backoff=lambda: Backoff(policy.first_delay, 2, policy.max_delay))

    @property
    def name(self) -> str:
        return self.kit.name

    @name.setter
    def name(self, name: str) -> None:
        self.kit.name = name

    @property
    def failing(self) -> tuple[str, ...]:
        """Labels of the tasks that keep failing, each once, in the order they began to."""
        return tuple(dict.fromkeys(self._failing.values()))

    @property
    def restarts(self) -> int:
        """How many times a task that died was started again."""
        return sum(self.kit.restarts.values())

    async def run(self, task: str, label: str, run: Callable[[], Awaitable[None]]) -> None:
        """Await ``run()`` as task ``task`` (shown as ``label``) until it returns,
        restarting it after each unexpected failure (reported). Cancelling the caller
        stops it."""
        self._labels[task] = label

        async def work() -> None:
            try:
                await run()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._report(exc)
                raise

        await self.kit.start(task, work, label=label)

    def item(self, task: str, raw: Any = None) -> AbstractContextManager[None]:
        """Guard one item of ``task`` (``with sup.item(task, raw): apply(raw)``): an
        exception is logged with the item and counted, and the task goes on; an item
        that goes through means the task works."""
        return self.kit.item(task, raw)

    def ok(self, task: str) -> None:
        """``task`` works (delivered): it is no longer failing."""
        self.kit.ok(task)

    def failed(self, task: str, label: str, exc: BaseException, raw: Any = None) -> None:
        """One round or item of ``task`` failed with ``exc`` (logged, counted); the task goes on."""
        self._labels[task] = label
        self.kit.failed(task, exc, raw, label=label)

    def _state(self, task: str, state: ConnectionState) -> None:
        before = self.failing
        if state.status is ConnectionStatus.CONNECTED:
            self._failing.pop(task, None)
        else:
            self._failing[task] = self._labels.get(task, task)
        if self.failing != before:
            self._changed(self.failing)

    def clear(self) -> None:
        """Every task stopped (the connection stopped): nothing is failing."""
        if self._failing:
            self._failing.clear()
            self._changed(())
