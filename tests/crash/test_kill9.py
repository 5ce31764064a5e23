"""Kill -9 of the paper broker: a real child process placing orders and playing the
replay (tests/crash/worker.py) is killed with SIGKILL at random points and at
exactly each step of a save; after every kill and every restart the store file is
checked (tests/crash/checks.py): cash and positions reconcile with the fills, no
acknowledged order is lost, moved back or executed twice, no id is reused, and
``PRAGMA integrity_check`` passes.

Workers fork from a fork server that has the broker imported and the price
history read (tests/crash/warm.py), so a restart takes milliseconds. Randomness is
seeded: the seed is printed, and named in any failure; rerun one with
``TRADEDESK_CRASH_SEED=<seed>``. Where a random kill lands in the worker also
depends on scheduling; aimed kills land on the same step every run.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import sys
import time
from typing import Any

import pytest

from tests.crash import worker
from tests.crash.checks import StoreView, restore_problems, store_problems

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and fork servers are POSIX-only")

RANDOM_KILLS = 30
"""Random kills per store (two stores: the plain account and the advisor demo)."""
AIMED_PER_STORE = 12
"""At least this many kills aimed at save steps per store (every step at least twice)."""
BUDGET = 60
"""Actions a worker takes before exiting on its own (kills come well before)."""
TIMEOUT = 30.0


class Campaign:
    """Kill-and-restart cycles of workers on one store file, and what they reported."""

    def __init__(self, ctx: Any, store: str, advisor: bool, rng: random.Random) -> None:
        self.ctx, self.store, self.advisor, self.rng = ctx, store, advisor, rng
        self.acks: list[dict[str, Any]] = []
        self.inflight: dict[str, dict[str, Any]] = {}
        self.steps: list[str] = []
        self.problems: list[str] = []
        self.kills = self.aimed = self.restarts = 0
        self.bad_kills = self.bad_aimed = 0  # kills after which the store was inconsistent
        self.seen: dict[Any, Any] = {}  # what each id named at earlier checks
        self.parsed: dict[Any, Any] = {}  # rows read by earlier checks

    def cycle(self, *, kill_after: int | None = None, aim: list[Any] | None = None, learn: bool = False,
              budget: int = BUDGET) -> None:
        """Start a worker on the store (a restart after the first), check what it
        restored, let it run, kill it after ``kill_after`` messages or when it pauses
        at ``aim``, then check the store."""
        done = [a["spec"] for a in self.acks if a["spec"] is not None]
        retry = list(self.inflight.values()) + self.rng.sample(done, min(3, len(done)))
        job = {"store": self.store, "advisor": self.advisor, "seed": self.rng.randrange(2**31), "retry": retry,
               "budget": budget, "learn": learn, "aim": aim}
        mine, theirs = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker.run, args=(theirs, job), daemon=True)
        proc.start()
        theirs.close()
        label = f"{'advisor' if self.advisor else 'plain'} cycle {self.restarts} (job seed {job['seed']}, aim {aim})"
        try:
            kind, snap = self._recv(mine, proc)
            assert kind == "ready", f"{label}: worker said {kind} before ready"
            self.restarts += 1
            view = StoreView(self.store, self.parsed)
            found = restore_problems(snap, view) + store_problems(view, self.acks, self.seen)
            self.problems += [f"{label}, after restart: {p}" for p in found]
            mine.send(("go",))
            if self._drive(mine, proc, kill_after):
                self.kills += 1
                self.aimed += aim is not None
            else:
                assert aim is None, f"{label}: the worker never reached {aim}"
        finally:
            proc.kill()
            proc.join(TIMEOUT)
            mine.close()
        assert proc.exitcode in (0, -9), f"{label}: worker exit code {proc.exitcode}"
        found = store_problems(StoreView(self.store, self.parsed), self.acks, self.seen)
        self.problems += [f"{label}, after the kill: {p}" for p in found]
        if found and proc.exitcode == -9:
            self.bad_kills += 1
            self.bad_aimed += aim is not None

    def _drive(self, conn: Any, proc: Any, kill_after: int | None) -> bool:
        """Read the worker's reports until it pauses (kill it), ``kill_after`` reports
        (kill it) or it is done. Returns True when it was killed."""
        count = 0
        while True:
            msg = self._recv(conn, proc)
            kind = msg[0]
            if kind == "send":
                self.inflight[msg[1]["cid"]] = msg[1]
            elif kind == "ack":
                self.acks.append(msg[1])
                if msg[1]["spec"] is not None:
                    self.inflight.pop(msg[1]["cid"], None)
            elif kind == "refused":
                self.inflight.pop(msg[1], None)
            elif kind == "step" and msg[1] not in self.steps:
                self.steps.append(msg[1])
            elif kind == "paused":
                proc.kill()
                return True
            elif kind == "done":
                proc.join(TIMEOUT)
                return False
            count += 1
            if kill_after is not None and count >= kill_after:
                proc.kill()
                return True

    @staticmethod
    def _recv(conn: Any, proc: Any) -> Any:
        if not conn.poll(TIMEOUT):
            raise AssertionError(f"worker {proc.pid} said nothing for {TIMEOUT} s")
        try:
            return conn.recv()
        except EOFError:
            proc.join(TIMEOUT)
            raise AssertionError(f"worker {proc.pid} died on its own (exit code {proc.exitcode})") from None

    def run(self, random_kills: int, aimed: int) -> None:
        """Learn the save steps, kill at random points, kill at every step, restart once more."""
        self.cycle(kill_after=self.rng.randint(20, 40), learn=True)
        assert self.steps, "the store reported no save step"
        for _ in range(random_kills - 1):
            self.cycle(kill_after=self.rng.randint(1, 40))
        reps = max(2, math.ceil(aimed / len(self.steps)))
        for step in self.steps:
            for _ in range(reps):
                self.cycle(aim=[step, self.rng.randint(1, 6)])
        self.cycle(budget=0)  # the last kill's restart is checked too


def test_kill9_at_random_points_and_between_save_steps_leaves_a_consistent_store(tmp_path, capsys):
    seed = int(os.environ.get("TRADEDESK_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    print(f"kill -9 suite seed {seed} (rerun: TRADEDESK_CRASH_SEED={seed})")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.crash.warm"])
    rng = random.Random(seed)
    started = time.perf_counter()
    campaigns = [Campaign(ctx, str(tmp_path / name), advisor, rng)
                 for name, advisor in (("paper.sqlite3", False), ("advisor.sqlite3", True))]
    for campaign in campaigns:
        campaign.run(RANDOM_KILLS, AIMED_PER_STORE)
    elapsed = time.perf_counter() - started
    kills, aimed = sum(c.kills for c in campaigns), sum(c.aimed for c in campaigns)
    problems = [p for c in campaigns for p in c.problems]
    bad, bad_aimed = sum(c.bad_kills for c in campaigns), sum(c.bad_aimed for c in campaigns)
    statuses = {a["status"] for c in campaigns for a in c.acks}
    with capsys.disabled():
        print(f"\nkill -9 suite: seed {seed}, {kills} kills ({kills - aimed} random, {aimed} aimed at "
              f"{sum(len(c.steps) for c in campaigns)} save steps), {sum(c.restarts for c in campaigns)} restarts, "
              f"{sum(len(c.acks) for c in campaigns)} acknowledgements; inconsistent after {bad - bad_aimed} of "
              f"{kills - aimed} random and {bad_aimed} of {aimed} aimed kills ({len(problems)} problems); {elapsed:.1f} s")
    assert not problems, (f"seed {seed} (rerun with TRADEDESK_CRASH_SEED={seed}): {len(problems)} inconsistencies:\n"
                          + "\n".join(problems[:40]))
    assert kills >= 2 * RANDOM_KILLS and aimed >= 2 * AIMED_PER_STORE, f"seed {seed}: only {kills} kills, {aimed} aimed"
    assert {"FILLED", "CANCELED", "ACCEPTED"} <= statuses, f"seed {seed}: the workers did too little ({statuses})"
