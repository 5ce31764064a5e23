"""Frame-time benchmark of the chart panel (run on demand, not collected by pytest).

    .venv/bin/python tests/benchmarks/bench_chart.py [--bars 100000] [--frames 50] [--clock cpu]
        [--method repaint]

Renders a 1600x900 ``ChartView`` offscreen with ``QWidget.grab()`` (price and
volume plots, axes, crosshair items; the toolbar is not part of the frame) and
prints median and p95 milliseconds per frame for:

- ``200 visible``: a repaint with 200 bars in view (cached arrays);
- ``all visible (LOD)``: every bar in view, merged into ~1000 candles;
- ``live, 200 visible``: replace the last bar, flush, repaint;
- ``live, all visible``: the same with every bar in view;
- ``rebuild, all visible``: drop the cached arrays (as a history load does), repaint;
- ``pan step, 200 visible``: shift the view by 3 bars, repaint;
- ``zoom step``: widen/narrow the view by 10 %, repaint.

It also times loading the history (``set_arrays`` of N bars and ``set_bars`` of
10k domain ``Bar`` objects) once.

``--clock cpu`` times the main thread's CPU time instead of the wall clock: steadier on
a busy machine (other processes' load does not count), blind to waiting.

``--method repaint`` paints each frame as the app does, with a synchronous
``view.viewport().repaint()`` of the shown widget into the window's backing store,
instead of ``grab()``, which renders into a new 1600x908 pixmap each time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402


def random_walk(n: int, interval_s: int = 60, seed: int = 7):
    """``n`` bars of a random walk, ``interval_s`` apart (no session gaps)."""
    rng = np.random.default_rng(seed)
    t = 1_735_000_000 + np.arange(n, dtype=np.int64) * interval_s
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.001, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.001, n)))
    volume = rng.lognormal(10, 0.5, n).round()
    return t, open_, high, low, close, volume


CLOCK = time.perf_counter
"""The clock frames are timed with (``--clock cpu``: ``time.thread_time``)."""


def measure(frame, frames: int, warmup: int = 3) -> list[float]:
    """Milliseconds per call of ``frame()`` by :data:`CLOCK`."""
    for _ in range(warmup):
        frame()
    out = []
    for _ in range(frames):
        t0 = CLOCK()
        frame()
        out.append((CLOCK() - t0) * 1000.0)
    return out


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bars", type=int, default=100_000)
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time frames by the wall clock (default) or by the main thread's CPU time")
    ap.add_argument("--method", choices=("grab", "repaint"), default="grab",
                    help="render each frame into a new pixmap with QWidget.grab() (default) or repaint"
                         " the shown view into its backing store (viewport().repaint(), as the app does)")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time if args.clock == "cpu" else time.perf_counter

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from desktop.domain.enums import Interval
    from desktop.domain.market import Bar
    from desktop.ui.chart import ChartWidget

    n = args.bars
    data = random_walk(n)
    chart = ChartWidget()
    chart.resize(1600, 960)
    chart.show()
    view = chart.view
    app.processEvents()
    paint = view.grab if args.method == "grab" else view.viewport().repaint

    t0 = time.perf_counter()
    chart.set_arrays("BENCH", Interval.M1, *data)
    load_ms = (time.perf_counter() - t0) * 1000.0
    t0 = time.perf_counter()
    paint()
    first_ms = (time.perf_counter() - t0) * 1000.0

    start = datetime(2025, 1, 2, 14, 30, tzinfo=timezone.utc)
    objs = [
        Bar(symbol="X", interval=Interval.M1, start=start + timedelta(minutes=i), open=Decimal("100"),
            high=Decimal("101"), low=Decimal("99"), close=Decimal("100.5"), volume=Decimal(1000))
        for i in range(10_000)
    ]  # fmt: skip
    from desktop.ui.chart.series import BarSeries

    t0 = time.perf_counter()
    BarSeries().set_bars(objs)
    bars_ms = (time.perf_counter() - t0) * 1000.0

    series = chart.series
    rows: list[tuple[str, list[float], str]] = []

    def info() -> str:
        c = view.candles
        return f"{c.drawn_count} candles, k={c.lod_k}"

    def show(count: int) -> None:
        chart.set_visible_range(n - count - 0.5, n - 0.5 + 5)
        app.processEvents()

    def static() -> None:
        paint()

    tick = [0]

    def live() -> None:
        tick[0] += 1
        last = series.last()
        close = last.close * (1.0 + (0.0005 if tick[0] % 2 else -0.0005))
        series.apply_values(last.time, last.open, max(last.high, close), min(last.low, close), close, last.volume + 1)
        view.mark_dirty()
        view.flush()
        paint()

    def rebuild() -> None:
        view.candles.data_changed()  # as after set_bars: drop the cached arrays
        view.volumes.data_changed()
        paint()

    def pan() -> None:
        tick[0] += 1
        x0, x1 = chart.visible_range()
        d = 3.0 if tick[0] % 2 else -3.0
        chart.set_visible_range(x0 + d, x1 + d)
        paint()

    def zoom() -> None:
        tick[0] += 1
        x0, x1 = chart.visible_range()
        f = 1.1 if tick[0] % 2 else 1 / 1.1
        chart.set_visible_range(x1 - (x1 - x0) * f, x1)
        paint()

    show(200)
    rows.append(("200 visible", measure(static, args.frames), info()))
    show(n)
    rows.append(("all visible (LOD)", measure(static, args.frames), info()))
    show(200)
    rows.append(("live, 200 visible", measure(live, args.frames), info()))
    show(n)
    rows.append(("live, all visible", measure(live, args.frames), info()))
    rows.append(("rebuild, all visible", measure(rebuild, args.frames), info()))
    show(200)
    rows.append(("pan step, 200 visible", measure(pan, args.frames), info()))
    show(2000)
    rows.append(("zoom step, ~2000 visible", measure(zoom, args.frames), info()))

    print(f"chart benchmark: {n} bars, view {view.width()}x{view.height()}, {args.frames} frames per case,"
          f" {args.clock} clock, {args.method}")
    print(f"  set_arrays({n} bars): {load_ms:.1f} ms; first frame: {first_ms:.1f} ms;"
          f" set_bars(10000 Bar objects): {bars_ms:.1f} ms")  # fmt: skip
    print(f"  {'case':<26} {'median ms':>10} {'p95 ms':>8}   drawn")
    for name, ms, extra in rows:
        print(f"  {name:<26} {statistics.median(ms):>10.2f} {p95(ms):>8.2f}   {extra}")
    chart.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
