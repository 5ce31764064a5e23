"""Benchmark: history to the first chart frame, Bar objects against columns (run on demand).

    .venv/bin/python tests/benchmarks/bench_history.py [--bars 100000] [--repeat 3]

Asks the paper market for the newest ``--bars`` 1-minute AAPL bars both ways and
draws them on a 1600x960 ``ChartWidget`` (offscreen):

- ``Bar objects``: ``fetch_bars`` (pydantic Bars, Decimal fields), then
  ``ChartWidget.set_bars`` (Decimal -> float per bar) and the first frame: the path
  the app took before ``fetch_bars_array``;
- ``columns``: ``fetch_bars_array`` (numpy columns, built from the market's arrays),
  then ``ChartWidget.set_history`` and the first frame: the path the app takes now.

Prints the median milliseconds of the broker call and of "arrived -> first frame"
(the goal: <= 20 ms for 100k bars), the two paths alternating run by run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bars", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    from PySide6.QtWidgets import QApplication

    from desktop.brokers.paper.market import MarketSimulator
    from desktop.domain import Interval
    from desktop.ui.chart import ChartWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    market = MarketSimulator.from_resources()
    chart = ChartWidget()
    chart.resize(1600, 960)
    chart.show()
    app.processEvents()
    figures: dict[str, list[tuple[float, float]]] = {"Bar objects": [], "columns": []}
    count = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        bars = market.fetch_bars("AAPL", Interval.M1, limit=args.bars)
        t1 = time.perf_counter()
        chart.set_bars("AAPL", Interval.M1, bars)
        chart.view.grab()
        t2 = time.perf_counter()
        figures["Bar objects"].append(((t1 - t0) * 1000, (t2 - t1) * 1000))
        chart.clear()
        app.processEvents()
        t0 = time.perf_counter()
        columns = market.fetch_bars_array("AAPL", Interval.M1, limit=args.bars)
        t1 = time.perf_counter()
        chart.set_history("AAPL", Interval.M1, columns)
        chart.view.grab()
        t2 = time.perf_counter()
        figures["columns"].append(((t1 - t0) * 1000, (t2 - t1) * 1000))
        count = len(columns)
        chart.clear()
        app.processEvents()
    print(f"history of {count} 1m bars (paper market), median of {args.repeat} runs")
    for name, runs in figures.items():
        fetch = statistics.median(r[0] for r in runs)
        frame = statistics.median(r[1] for r in runs)
        print(f"  {name:<12} broker call {fetch:8.1f} ms | arrived -> first frame {frame:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
