"""The kit's Supervisor: items that fail are logged and skipped, tasks that die are
restarted with back-off, a task that keeps failing is published as a state the user
sees and cleared once it works again; a task that ends by itself is over."""

from __future__ import annotations

import asyncio
import logging

from desktop.brokers.transport import Backoff, Supervisor
from desktop.domain import ConnectionStatus


def _supervisor(states: list, **kw) -> Supervisor:
    kw.setdefault("backoff", lambda: Backoff(initial=0.01, maximum=0.02, jitter=0))
    return Supervisor(name="Test", on_state=lambda task, state: states.append((task, state.status, state.message)),
                      **kw)


def test_a_failing_item_is_logged_with_its_raw_text_and_the_task_goes_on(arun, caplog):
    states: list = []
    done: list[int] = []

    async def main():
        supervisor = _supervisor(states)

        async def work():
            for n in range(5):
                with supervisor.item("rows", {"n": n, "token": "abcd1234efgh"}, label="row reader"):
                    if n == 2:
                        raise TypeError("unhashable type: 'list'")
                    done.append(n)
        await supervisor.start("rows", work, label="row reader")
        await supervisor.close()
        return supervisor

    with caplog.at_level(logging.ERROR):
        supervisor = arun(main())
    assert done == [0, 1, 3, 4]  # the item after the bad one still went through
    assert supervisor.item_failures == {"rows": 1} and supervisor.restarts == {}
    line = next(r.getMessage() for r in caplog.records if "skipped an item" in r.getMessage())
    assert "row reader" in line and "TypeError" in line and "'n': 2" in line and "abcd1234efgh" not in line
    assert states == []  # one failure is not "keeps failing"


def test_a_task_that_dies_is_restarted_and_delivers_again(arun, caplog):
    runs: list[str] = []
    delivered = asyncio.Queue

    async def main():
        supervisor = _supervisor([])
        out: asyncio.Queue = delivered()

        async def work():
            runs.append("run")
            if len(runs) == 1:
                raise RuntimeError("boom")
            await out.put("item")
            await asyncio.Event().wait()  # a long-running task
        supervisor.start("pump", work, label="quote pump")
        item = await asyncio.wait_for(out.get(), 5)
        await supervisor.close()
        return supervisor, item

    with caplog.at_level(logging.ERROR):
        supervisor, item = arun(main())
    assert item == "item" and runs == ["run", "run"] and supervisor.restarts == {"pump": 1}
    assert any("quote pump stopped unexpectedly (RuntimeError: boom); restarting in" in r.getMessage()
               for r in caplog.records)


def test_a_task_that_keeps_dying_surfaces_a_state_cleared_when_it_works_again(arun):
    states: list = []
    healthy = asyncio.Event

    async def main():
        supervisor = _supervisor(states, failures=3, window=60.0)
        fixed = healthy()
        got: asyncio.Queue = asyncio.Queue()

        async def work():
            if not fixed.is_set():
                if supervisor.restarts.get("orders", 0) >= 3:
                    fixed.set()  # the cause went away: the next run works
                raise ValueError("bad answer")
            with supervisor.item("orders", "row"):
                await got.put("ok")
            await asyncio.Event().wait()
        supervisor.start("orders", work, label="order updates")
        await asyncio.wait_for(got.get(), 5)
        await supervisor.close()
        return supervisor

    supervisor = arun(main())
    assert supervisor.restarts["orders"] == 4
    assert states == [("orders", ConnectionStatus.RECONNECTING, "order updates failing: see the log"),
                      ("orders", ConnectionStatus.CONNECTED, "order updates restored")]
    assert not supervisor.failing("orders")


def test_a_restarted_run_that_survives_the_window_clears_the_state(arun):
    states: list = []

    async def main():
        supervisor = _supervisor(states, failures=2, window=0.2)
        calls = 0

        async def work():
            nonlocal calls
            calls += 1
            if calls <= 2:
                raise OSError("down")
            await asyncio.Event().wait()  # runs on, without items to report
        supervisor.start("keep-alive", work, label="session keep-alive")
        while not states or states[-1][1] is not ConnectionStatus.CONNECTED:
            await asyncio.sleep(0.02)
        await supervisor.close()

    arun(main())
    assert [s[1] for s in states] == [ConnectionStatus.RECONNECTING, ConnectionStatus.CONNECTED]


def test_a_task_that_ends_by_itself_is_not_restarted_and_close_stops_the_others(arun):
    async def main():
        supervisor = _supervisor([])
        ended = supervisor.start("relay", lambda: asyncio.sleep(0), label="relay")
        forever = supervisor.start("tickle", lambda: asyncio.Event().wait(), label="tickle")
        await ended
        await supervisor.stop("relay")  # nothing left to stop: fine
        await supervisor.close()
        return supervisor, ended, forever

    supervisor, ended, forever = arun(main())
    assert ended.done() and not ended.cancelled() and supervisor.restarts == {}
    assert forever.cancelled()
