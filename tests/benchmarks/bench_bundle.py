"""Bundle benchmark: size of the PyInstaller bundle and its startup figures.

Runs ``<bundle>/tradedesk --smoke-test`` N times (fresh user directory each time, offscreen)
and prints the median and worst of each figure, next to the same figures from the source
tree (``python -m desktop``). Build the bundle first: ``python packaging/build.py``.

    .venv/bin/python tests/benchmarks/bench_bundle.py [RUNS] [BUNDLE_DIR]
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from bench_startup import FIGURES, one_run  # this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    bundle = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "dist" / "tradedesk"
    exe = bundle / ("tradedesk.exe" if os.name == "nt" else "tradedesk")
    if not exe.exists():
        raise SystemExit(f"no bundle at {bundle}: run python packaging/build.py first")
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"bundle {bundle}: {size / 1e6:.1f} MB")
    print(f"startup over {runs} runs (seconds from process start; offscreen; fresh user dir)")
    print(f"{'figure':<20}{'bundle median':>15}{'worst':>8}{'source median':>15}{'worst':>8}")
    bundled = [one_run([str(exe)]) for _ in range(runs)]
    source = [one_run([sys.executable, "-m", "desktop"]) for _ in range(runs)]
    for key in FIGURES:
        b, s = [r[key] for r in bundled if key in r], [r[key] for r in source if key in r]
        if not b or not s:
            continue
        print(f"{key:<20}{statistics.median(b):>15.3f}{max(b):>8.3f}{statistics.median(s):>15.3f}{max(s):>8.3f}")


if __name__ == "__main__":
    main()
