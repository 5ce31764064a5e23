"""Benchmark: blotter tables under a flood of updates (run on demand, not collected by pytest).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_tables.py
    .venv/bin/python tests/benchmarks/bench_tables.py --orders 20000 --quotes 50000 --rate 0

Updates are pre-built (pydantic validation is not measured) and pushed through the
panels' ``stage()`` one row per call, in chunks of ``--chunk`` calls per event-loop
turn (``--rate 0``: as fast as possible; otherwise paced to that many updates/s).
The panels are shown, so painting counts. A 10 ms PreciseTimer probes event-loop
latency (how late it fires). Prints updates/s applied, flush count and times, and
the p50/p95/max loop latency.

The watchlist cases list the quoted symbols first (as the user's watchlist does: its
rows exist before their first quote). Each scenario runs over one connection (as a single-broker desk shows it: no
Connection column) and over three connections (the same updates spread over three
connection ids, the Connection / Source column shown; orders also with the connection
filter set to one of them), and a last table sets the figures side by side.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D
from typing import Any

PROBE_MS = 10


CONNECTIONS = [("paper-1", "Paper"), ("paper-2", "Paper 2"), ("ibkr-1", "IBKR")]


def build_order_updates(n: int, n_orders: int, connections: int = 1) -> list[Any]:
    """``n`` order updates over ``n_orders`` orders, each walking its lifecycle; order
    ``i`` belongs to connection ``i % connections`` (the rest is the same whatever the
    number of connections)."""
    from desktop.domain import Instrument, Order, OrderSide, OrderStatus, OrderType

    rnd = random.Random(7)
    t0 = datetime(2026, 5, 8, 13, 30, tzinfo=timezone.utc)
    instruments = [Instrument.equity(f"S{i:03d}") for i in range(300)]
    steps = max(1, n // n_orders)
    out: list[Any] = []
    for i in range(n_orders):
        amount = D(rnd.choice([100, 200, 500, 1000]))
        base = dict(broker="paper", connection_id=CONNECTIONS[i % connections][0],
                    account_id=rnd.choice(["DU1", "DU2", "PA3"]), order_id=str(100000 + i),
                    instrument=rnd.choice(instruments), side=rnd.choice(list(OrderSide)), type=OrderType.LIMIT,
                    amount=amount, limit_price=D("100.25"), created_at=t0 + timedelta(seconds=i))
        for s in range(steps):
            filled = (amount * s / steps).quantize(D(1))
            status = (OrderStatus.SUBMITTED if s == 0 else OrderStatus.FILLED if s == steps - 1
                      else OrderStatus.PARTIALLY_FILLED if filled else OrderStatus.ACCEPTED)
            if status is OrderStatus.FILLED:
                filled = amount
            out.append(Order(status=status, filled=filled, average=D("100.2") if filled else None, **base))
    # interleave orders the way a busy feed would (later orders start before earlier finish)
    out.sort(key=lambda o: (int(o.order_id) // 50, rnd.random()))
    return out[:n]


def build_quote_updates(n: int, n_symbols: int, connections: int = 1) -> list[Any]:
    """``n`` quote ticks over ``n_symbols`` symbols; symbol ``i``'s market-data source
    is connection ``i % connections``."""
    from desktop.domain import Quote

    rnd = random.Random(11)
    prev = {f"S{i:03d}": D(rnd.randint(1000, 90000)) / 100 for i in range(n_symbols)}
    syms = list(prev)
    source = {s: CONNECTIONS[i % connections][0] for i, s in enumerate(syms)}
    out = []
    for _ in range(n):
        s = rnd.choice(syms)
        last = (prev[s] * D(1 + rnd.uniform(-0.05, 0.05))).quantize(D("0.01"))
        out.append(Quote(symbol=s, connection_id=source[s], last=last, bid=last - D("0.01"), ask=last + D("0.01"), prev_close=prev[s],
                         volume=D(rnd.randint(1000, 10**8))))
    return out


def run(app: Any, panel: Any, updates: list[Any], chunk: int, rate: float) -> dict[str, float]:
    """Feed ``updates`` into ``panel.stage`` from the event loop; return the figures."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    model = panel.model
    flush_ms: list[float] = []
    model.flushed.connect(lambda: flush_ms.append(model.last_flush_ms))
    gaps: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000 - PROBE_MS)
        last[0] = now

    probe_timer = QTimer()
    probe_timer.setTimerType(Qt.TimerType.PreciseTimer)
    probe_timer.timeout.connect(probe)
    loop = QEventLoop()
    state = {"i": 0, "staged_done": 0.0}
    stage: Callable[[Any], None] = panel.stage
    start = time.perf_counter()

    def produce() -> None:
        i = state["i"]
        if rate > 0:  # paced: stage what is due by now
            due = min(len(updates), int((time.perf_counter() - start) * rate))
            end = max(i, due)
        else:
            end = min(len(updates), i + chunk)
        for u in updates[i:end]:
            stage((u,))
        state["i"] = end
        if end < len(updates):
            QTimer.singleShot(0 if rate <= 0 else 1, produce)
        else:
            state["staged_done"] = time.perf_counter()
            QTimer.singleShot(0, wait_applied)

    def wait_applied() -> None:
        if model.has_pending():
            QTimer.singleShot(5, wait_applied)
        else:
            state["applied"] = time.perf_counter()
            QTimer.singleShot(3 * PROBE_MS, loop.quit)  # let the last repaint happen under the probe

    last[0] = time.perf_counter()
    probe_timer.start(PROBE_MS)
    QTimer.singleShot(0, produce)
    loop.exec()
    probe_timer.stop()
    elapsed = state["applied"] - start
    lat = sorted(max(0.0, g) for g in gaps) or [0.0]
    return {
        "updates": len(updates),
        "rows": len(model),
        "shown": panel.proxy.rowCount(),
        "elapsed_s": elapsed,
        "updates_per_s": len(updates) / elapsed,
        "stage_per_s": len(updates) / (state["staged_done"] - start),
        "flushes": len(flush_ms),
        "flush_ms_mean": statistics.fmean(flush_ms) if flush_ms else 0.0,
        "flush_ms_max": max(flush_ms, default=0.0),
        "lat_p50": lat[len(lat) // 2],
        "lat_p95": lat[min(len(lat) - 1, int(len(lat) * 0.95))],
        "lat_max": lat[-1],
    }


def report(name: str, r: dict[str, float]) -> None:
    print(
        f"{name:<50} {r['updates']:>6} upd -> {r['rows']:>5} rows ({r['shown']:>5} shown) | "
        f"{r['updates_per_s']:>9,.0f} upd/s applied (stage() {r['stage_per_s']:>9,.0f}/s) | "
        f"{r['flushes']:>3} flushes, mean {r['flush_ms_mean']:5.1f} ms, max {r['flush_ms_max']:5.1f} ms | "
        f"loop latency p50 {r['lat_p50']:5.1f} p95 {r['lat_p95']:5.1f} max {r['lat_max']:5.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=20_000, help="order updates (default 20000)")
    ap.add_argument("--order-ids", type=int, default=4_000, help="distinct orders (default 4000)")
    ap.add_argument("--quotes", type=int, default=50_000, help="quote updates (default 50000)")
    ap.add_argument("--symbols", type=int, default=500, help="distinct symbols (default 500)")
    ap.add_argument("--chunk", type=int, default=200, help="stage() calls per event-loop turn at full speed")
    ap.add_argument("--rate", type=float, default=0, help="updates/s to pace at (0 = full speed)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the median run is reported (default 3)")
    args = ap.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from desktop.ui.tables import ConnectionLabels, OrdersPanel, WatchlistPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    t = time.perf_counter()
    updates = {k: (build_order_updates(args.orders, args.order_ids, k), build_quote_updates(args.quotes, args.symbols, k))
               for k in (1, 3)}
    print(f"built {args.orders} order and {args.quotes} quote updates (for 1 and 3 connections) "
          f"in {time.perf_counter() - t:.1f} s (not measured)")
    mode = f"full speed, {args.chunk} stage() calls per loop turn" if args.rate <= 0 else f"paced at {args.rate:,.0f} upd/s"
    print(f"feeding {mode}, one row per stage() call; probe timer {PROBE_MS} ms; median of {args.repeat} runs\n")

    symbols = [f"S{i:03d}" for i in range(args.symbols)]

    def shown_panel(cls: Any, connections: int, only: str | None = None) -> Any:
        labels = ConnectionLabels()
        labels.set_connections(CONNECTIONS[:connections])
        panel = cls(labels)
        labels.setParent(panel)
        if isinstance(panel, WatchlistPanel):
            panel.set_symbols(symbols)  # the user's list: the watchlist shows quotes of listed symbols only
        if only is not None:
            panel.set_connection_filter(only)
        panel.resize(1400, 800)
        panel.show()
        app.processEvents()
        return panel

    desc = Qt.SortOrder.DescendingOrder
    cases: list[tuple[str, Callable[[int, str | None], Any], int]] = [
        ("orders, All, newest first", lambda k, only: shown_panel(OrdersPanel, k, only), 0),
        ("orders, Working only", lambda k, only: _working(shown_panel(OrdersPanel, k, only)), 0),
        ("quotes, watchlist unsorted", lambda k, only: shown_panel(WatchlistPanel, k), 1),
        ("quotes, watchlist sorted by chg%",
         lambda k, only: _sorted(shown_panel(WatchlistPanel, k), "change_pct", desc), 1),
    ]
    variants = [("1 connection", 1, None), ("3 connections", 3, None), ("3 conn., filter: one", 3, "ibkr-1")]
    results: dict[tuple[str, str], dict[str, float]] = {}
    for name, make, kind in cases:
        for label, k, only in variants:
            if kind == 1 and only is not None:
                continue  # the watchlist has no connection filter (one row per symbol)
            runs = []
            for _ in range(max(1, args.repeat)):
                panel = make(k, only)
                runs.append(run(app, panel, updates[k][kind], args.chunk, args.rate))
                panel.close()
                panel.deleteLater()
                app.processEvents()
            r = sorted(runs, key=lambda x: x["updates_per_s"])[len(runs) // 2]
            results[(name, label)] = r
            report(f"{name} [{label}]", r)
    print()
    compare(cases, variants, results)
    return 0


def compare(cases: list, variants: list, results: dict) -> None:
    """The cases side by side: applied updates/s and p95 loop latency per variant,
    and each three-connection figure relative to the one-connection one."""
    head = f"{'case':<34}" + "".join(f" | {label:>31}" for label, _k, _o in variants)
    print(head)
    print("-" * len(head))
    for name, _make, _kind in cases:
        base = results[(name, variants[0][0])]
        cells = []
        for label, _k, _o in variants:
            r = results.get((name, label))
            if r is None:
                cells.append("-")
                continue
            ratio = "" if r is base else f"({r['updates_per_s'] / base['updates_per_s'] - 1:+.0%})"
            cells.append(f"{r['updates_per_s']:>9,.0f}/s p95 {r['lat_p95']:5.1f} ms {ratio:>6}")
        print(f"{name:<34}" + "".join(f" | {c:>31}" for c in cells))


def _working(panel: Any) -> Any:
    panel.set_working_only(True)
    return panel


def _sorted(panel: Any, column_id: str, order: Any) -> Any:
    panel.view.sortByColumn(panel.model.column_index(column_id), order)
    return panel


if __name__ == "__main__":
    sys.exit(main())
