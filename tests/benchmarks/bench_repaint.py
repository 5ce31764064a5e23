"""Benchmark: one full repaint of the orders table and the watchlist against a plain
QTableView over a QStandardItemModel with the same rows and columns (run on demand).

    .venv/bin/python tests/benchmarks/bench_repaint.py [--frames 30] [--profile] [--mirror]

Both tables are 1600x900, shown, under the app's dark theme (its application style
sheet) and filled with the same texts, colours and alignments; the plain view gets
the blotter's column widths and row height. Each frame is a synchronous
``viewport().repaint()``; the blotter and the plain view are timed alternately, frame
by frame, so machine load hits both alike. Prints median milliseconds per repaint of
each and their ratio (the goal: within 1.5x). ``--profile`` also prints the Python
calls made during one blotter repaint (cProfile: calls per function). ``--mirror`` also
times the same table with its cells served from a C++ model (``repaint_mirror.py``: a
design probe, not the app's), interleaved with the other two, and prints its ratio.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_tables import CONNECTIONS, build_order_updates, build_quote_updates  # noqa: E402

W, H = 1600, 900


def plain_copy(view: Any) -> Any:
    """A plain QTableView over a QStandardItemModel with ``view``'s shown rows (text,
    foreground, alignment), columns, widths, row height and header labels."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    proxy = view.model()
    rows, cols = proxy.rowCount(), proxy.columnCount()
    model = QStandardItemModel(rows, cols)
    for c in range(cols):
        model.setHorizontalHeaderItem(c, QStandardItem(str(proxy.headerData(c, Qt.Orientation.Horizontal))))
    for r in range(rows):
        for c in range(cols):
            i = proxy.index(r, c)
            item = QStandardItem(proxy.data(i) or "")
            fg = proxy.data(i, Qt.ItemDataRole.ForegroundRole)
            if fg is not None:
                item.setForeground(fg)
            item.setTextAlignment(Qt.AlignmentFlag(proxy.data(i, Qt.ItemDataRole.TextAlignmentRole)))
            item.setEditable(False)
            model.setItem(r, c, item)
    plain = QTableView()
    plain.setModel(model)
    plain.setShowGrid(False)
    plain.setAlternatingRowColors(True)
    plain.setWordWrap(False)
    plain.verticalHeader().setVisible(False)
    plain.verticalHeader().setDefaultSectionSize(view.verticalHeader().defaultSectionSize())
    hh = view.horizontalHeader()
    for c in range(cols):
        plain.setColumnWidth(c, hh.sectionSize(c))
        plain.setColumnHidden(c, hh.isSectionHidden(c))
    plain.resize(W, H)
    plain.show()
    model.setParent(plain)
    return plain


def time_repaint(widget: Any) -> float:
    t0 = time.perf_counter()
    widget.viewport().repaint()
    return (time.perf_counter() - t0) * 1000.0


def compare(app: Any, name: str, view: Any, frames: int, profile: bool, mirror: bool = False) -> tuple[float, float]:
    plain = plain_copy(view)
    probe = None
    if mirror:
        from repaint_mirror import mirrored_view

        probe = mirrored_view(view, view.model().keyed_model(), (W, H))
    app.processEvents()
    for _ in range(3):
        time_repaint(view), time_repaint(plain)
        if probe is not None:
            time_repaint(probe)
    ours, base, served = [], [], []
    for _ in range(frames):
        ours.append(time_repaint(view))
        base.append(time_repaint(plain))
        if probe is not None:
            served.append(time_repaint(probe))
    a, b = statistics.median(ours), statistics.median(base)
    shown = view.model().rowCount()
    visible = (view.rowAt(view.viewport().height() - 1) - view.rowAt(0) + 1) if shown else 0
    ncols = len([c for c in range(view.model().columnCount()) if not view.isColumnHidden(c)])
    print(f"{name:<28} {shown:>5} rows ({visible} x {ncols} cells in view) | blotter {a:6.2f} ms | "
          f"plain QTableView {b:6.2f} ms | ratio {a / b:4.2f}x")
    if probe is not None:
        m = statistics.median(served)
        print(f"{'':<28} cells served from C++ (--mirror) {m:6.2f} ms | ratio {m / b:4.2f}x")
        probe.close()
        probe.deleteLater()
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        view.viewport().repaint()
        prof.disable()
        stats = pstats.Stats(prof)
        calls = sorted(((v[1], f"{k[2]} ({os.path.basename(k[0])}:{k[1]})") for k, v in stats.stats.items()),
                       reverse=True)
        print("   Python calls in one blotter repaint: " + ", ".join(f"{n} {f}" for n, f in calls[:8]))
    plain.close()
    plain.deleteLater()
    return a, b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--mirror", action="store_true", help="also time the cells served from C++ (repaint_mirror.py)")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from desktop.ui.tables import ConnectionLabels, OrdersPanel, WatchlistPanel
    from desktop.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app, "dark")
    labels = ConnectionLabels()
    labels.set_connections(CONNECTIONS)

    orders = OrdersPanel(labels)
    last: dict[str, Any] = {}
    for o in build_order_updates(20_000, 4_000, 3):
        last[o.order_id] = o
    orders.stage(last.values())
    orders.model.flush()
    orders.view.sortByColumn(orders.model.column_index("time"), Qt.SortOrder.DescendingOrder)
    orders.resize(W, H + 40)
    orders.view.resize(W, H)
    orders.show()
    app.processEvents()
    orders.view.resize(W, H)
    app.processEvents()

    watch = WatchlistPanel(labels)
    symbols = [f"S{i:03d}" for i in range(500)]
    watch.set_symbols(symbols)
    quotes: dict[str, Any] = {}
    for q in build_quote_updates(5_000, 500, 3):
        quotes[q.symbol] = q
    watch.stage(quotes.values())
    watch.model.flush()
    watch.resize(W, H + 40)
    watch.show()
    app.processEvents()
    watch.view.resize(W, H)
    app.processEvents()

    print(f"one full repaint, {W}x{H}, median of {args.frames} frames, interleaved with the plain view")
    compare(app, "orders (newest first)", orders.view, args.frames, args.profile, args.mirror)
    compare(app, "watchlist", watch.view, args.frames, args.profile, args.mirror)
    return 0


if __name__ == "__main__":
    sys.exit(main())
