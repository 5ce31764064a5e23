"""The fake Connect Trade API run in a thread of its own, for synchronous clients
(the cookbook's ``requests``-style samples)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable


@contextmanager
def fake_in_thread(workdir: Path, **kwargs: Any):
    """Yield ``(ct, call)``: a running FakeConnectTrade on its own loop in a thread,
    and ``call(fn, *args)`` running ``fn`` (plain or a coroutine function) on that
    loop and returning its result."""
    from tests.fakes.connecttrade import running_connecttrade

    loop = asyncio.new_event_loop()
    started: concurrent.futures.Future = concurrent.futures.Future()
    stop = threading.Event()

    async def main() -> None:
        async with running_connecttrade(workdir, **kwargs) as ct:
            started.set_result(ct)
            while not stop.is_set():
                await asyncio.sleep(0.02)

    def run() -> None:
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            if not started.done():
                started.set_exception(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="fake-connecttrade", daemon=True)
    thread.start()
    ct = started.result(timeout=30)

    def call(fn: Callable, *args: Any) -> Any:
        async def invoke() -> Any:
            result = fn(*args)
            return await result if asyncio.iscoroutine(result) else result
        return asyncio.run_coroutine_threadsafe(invoke(), loop).result(timeout=30)

    try:
        yield ct, call
    finally:
        stop.set()
        thread.join(timeout=30)
