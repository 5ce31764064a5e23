"""Starting asyncio tasks from Qt code without losing their exceptions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


def spawn(
    coro: Coroutine[Any, Any, Any],
    *,
    name: str,
    on_error: Callable[[BaseException], None] | None = None,
    tasks: set[asyncio.Task] | None = None,
) -> asyncio.Task:
    """Schedule ``coro`` on the running (qasync) loop.

    An exception other than cancellation is logged with the task ``name`` and passed
    to ``on_error``; nothing is swallowed silently. When ``tasks`` is given the task is
    kept in it until done (so it is not garbage-collected and can be cancelled).
    """
    task = asyncio.ensure_future(coro)
    task.set_name(name)
    if tasks is not None:
        tasks.add(task)

    def _done(t: asyncio.Task) -> None:
        if tasks is not None:
            tasks.discard(t)
        if t.cancelled():
            return
        exc = t.exception()
        if exc is not None:
            log.error("task %s failed", name, exc_info=exc)
            if on_error is not None:
                on_error(exc)

    task.add_done_callback(_done)
    return task
