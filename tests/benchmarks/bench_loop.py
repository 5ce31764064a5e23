"""Benchmark: event-loop lateness while the blotters apply live traffic (run on demand).

    .venv/bin/python tests/benchmarks/bench_loop.py [--rate 20000] [--seconds 3] [--burst 4000] [--repeat 3]

The orders table (newest first) and the watchlist are shown side by side (each
1600x900) with the rows of three connections, and fed the way ``DeskBridge`` feeds
them: every 100 ms one ``stage(list)`` per table with the newest update per row of
what arrived since (pre-built ``Order`` and ``Quote`` objects; validation is not
measured). A 5 ms PreciseTimer probes how late the event loop runs. Cases:

- ``paced``: ``--rate`` updates/s for ``--seconds``, half order updates (over 4,000
  orders, each walking its lifecycle), half quote ticks (500 symbols), over three
  connections;
- ``burst``: ``--burst`` new orders in one batch into the time-sorted orders table
  (which already holds 1,000), then nothing: how long until all are shown and how
  late the loop ran meanwhile.

Prints p50/p99/max lateness in ms (the goal: p99 <= 16 ms, max <= 50 ms), median of
``--repeat`` runs (by p99).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_tables import CONNECTIONS, build_order_updates, build_quote_updates  # noqa: E402

PROBE_MS = 5
BATCH_MS = 100


class Probe:
    """A PreciseTimer every PROBE_MS recording how late each timeout came."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.late: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.late.append(max(0.0, (now - self._last) * 1000 - PROBE_MS))
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start(PROBE_MS)

    def stop(self) -> dict[str, float]:
        self._timer.stop()
        lat = sorted(self.late) or [0.0]
        return {"p50": lat[len(lat) // 2], "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))], "max": lat[-1]}


def panels(app: Any) -> tuple[Any, Any]:
    from PySide6.QtCore import Qt

    from desktop.ui.tables import ConnectionLabels, OrdersPanel, WatchlistPanel

    labels = ConnectionLabels()
    labels.set_connections(CONNECTIONS)
    orders = OrdersPanel(labels)
    watch = WatchlistPanel(labels)
    watch.set_symbols([f"S{i:03d}" for i in range(500)])
    for p in (orders, watch):
        labels.setParent(orders)
        p.resize(1600, 900)
        p.show()
    orders.view.sortByColumn(orders.model.column_index("time"), Qt.SortOrder.DescendingOrder)
    app.processEvents()
    return orders, watch


def paced(app: Any, rate: float, seconds: float) -> dict[str, float]:
    """Half order updates, half quotes, ``rate`` updates/s in total for ``seconds``."""
    from PySide6.QtCore import QEventLoop, QTimer

    n = int(rate * seconds / 2)
    order_updates = build_order_updates(n, 4_000, 3)
    quotes = build_quote_updates(n, 500, 3)
    orders, watch = panels(app)
    loop = QEventLoop()
    probe = Probe()
    state = {"i": 0}
    start = time.perf_counter()

    def batch() -> None:  # what DeskBridge.flush hands the tables: newest per key
        i = state["i"]
        end = min(n, int((time.perf_counter() - start) * rate / 2))
        if end > i:
            orders.stage({o.order_id: o for o in order_updates[i:end]}.values())
            watch.stage({q.symbol: q for q in quotes[i:end]}.values())
        state["i"] = end
        if end >= n:
            timer.stop()
            QTimer.singleShot(300, loop.quit)

    timer = QTimer()
    timer.timeout.connect(batch)
    timer.start(BATCH_MS)
    probe.start()
    loop.exec()
    out = probe.stop()
    out["applied"] = float(len(orders.model) + len(watch.model))
    for p in (orders, watch):
        p.close()
        p.deleteLater()
    app.processEvents()
    return out


def burst(app: Any, count: int) -> dict[str, float]:
    """``count`` new orders in one batch into a time-sorted table of 1,000."""
    from PySide6.QtCore import QEventLoop, QTimer

    updates = build_order_updates(count + 1000, count + 1000, 3)
    orders, watch = panels(app)
    orders.stage(updates[:1000])
    orders.model.flush()
    app.processEvents()
    loop = QEventLoop()
    probe = Probe()
    state: dict[str, float] = {}

    def arrive() -> None:
        state["t0"] = time.perf_counter()
        orders.stage(updates[1000:])

    def check() -> None:
        if orders.proxy.rowCount() == count + 1000 and "t0" in state and "t1" not in state:
            state["t1"] = time.perf_counter()
            QTimer.singleShot(100, loop.quit)

    poll = QTimer()
    poll.timeout.connect(check)
    poll.start(1)
    probe.start()
    QTimer.singleShot(50, arrive)
    loop.exec()
    poll.stop()
    out = probe.stop()
    out["shown_after_ms"] = (state["t1"] - state["t0"]) * 1000
    for p in (orders, watch):
        p.close()
        p.deleteLater()
    app.processEvents()
    return out


def maxes(runs: list[dict[str, float]]) -> str:
    return ", ".join(f"{x['max']:.1f}" for x in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=float, default=20_000)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--burst", type=int, default=4_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from desktop.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, "dark")
    print(f"event-loop lateness (probe every {PROBE_MS} ms), 3 connections, median of {args.repeat} runs by p99")
    runs = sorted((paced(app, args.rate, args.seconds) for _ in range(args.repeat)), key=lambda r: r["p99"])
    r = runs[len(runs) // 2]
    print(f"paced {args.rate:,.0f} upd/s for {args.seconds:g} s (orders + quotes): "
          f"p50 {r['p50']:5.1f}  p99 {r['p99']:5.1f}  max {r['max']:5.1f} ms   (max of the runs: "
          f"{maxes(runs)})")
    runs = sorted((burst(app, args.burst) for _ in range(args.repeat)), key=lambda r: r["p99"])
    r = runs[len(runs) // 2]
    print(f"burst of {args.burst:,} new orders into 1,000 (newest first): "
          f"p50 {r['p50']:5.1f}  p99 {r['p99']:5.1f}  max {r['max']:5.1f} ms; all shown after {r['shown_after_ms']:.0f} ms"
          f"   (max of the runs: {maxes(runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
