"""Startup benchmark: seconds to first paint, chart history and first live bar.

Runs ``python -m desktop --smoke-test`` N times (fresh user directory each time,
offscreen) and prints the median and worst of each figure.

    .venv/bin/python tests/benchmarks/bench_startup.py [RUNS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


FIGURES = ("first_paint_s", "history_s", "chart_drawn_s", "first_live_bar_s", "process_wall_s")


def one_run(command: list[str] | None = None) -> dict:
    """Run ``command --smoke-test`` (default ``python -m desktop``) once, offscreen, in a
    fresh user directory; returns its JSON report plus ``process_wall_s``."""
    command = command or [sys.executable, "-m", "desktop"]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADEDESK_HOME": home}
        started = time.perf_counter()
        proc = subprocess.run([*command, "--smoke-test"], capture_output=True, text=True, env=env, timeout=120)
        wall = time.perf_counter() - started
    report = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("{")))
    if not report.get("ok"):
        raise SystemExit(f"smoke test failed: {report}")
    report["process_wall_s"] = wall
    return report


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    reports = [one_run() for _ in range(runs)]
    print(f"startup over {runs} runs (seconds from process start; offscreen; fresh user dir)")
    print(f"{'figure':<20}{'median':>10}{'worst':>10}")
    for key in FIGURES:
        values = [r[key] for r in reports if key in r]
        if not values:
            continue
        print(f"{key:<20}{statistics.median(values):>10.3f}{max(values):>10.3f}")


if __name__ == "__main__":
    main()
