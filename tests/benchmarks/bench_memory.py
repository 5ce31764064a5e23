"""Benchmark: resident memory of the app on paper, idle with history, and with four
charts of 100k bars each (run on demand).

    .venv/bin/python tests/benchmarks/bench_memory.py [RUNS]

Each run is a fresh process (offscreen, fresh user directory) that opens the main
window over a paper connection, waits until the chart shows history and the forex
pairs' ECB history has loaded in the background (issue 14) and a second has passed,
and reads its RSS (``/proc/self/status`` VmRSS); then it opens three more
charts (Chart → New Chart), loads the newest 100,000 1-minute bars of a different
symbol into each of the four (``fetch_bars_array`` → ``set_history``), lets them
paint and reads the RSS again. Prints the median MiB over RUNS (default 3); the goals:
<= 150 MiB idle, <= 250 MiB with the four charts.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child() -> None:
    import asyncio
    import time

    import qasync
    from PySide6.QtWidgets import QApplication

    from desktop.app import pyside_imports

    pyside_imports.install()  # as the app's bootstrap does

    from desktop.brokers.paper import PaperBroker
    from desktop.domain import Interval
    from desktop.ui.main_window import MainWindow
    from desktop.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, "dark")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    home = os.environ["TRADEDESK_HOME"]
    broker = PaperBroker(os.path.join(home, "paper.sqlite3"), autostart=True)
    window = MainWindow(brokers=[broker])
    window.show()

    async def body() -> dict:
        await window.start()
        while window.chart.bar_count == 0:
            await asyncio.sleep(0.05)
        from desktop.brokers.paper.fx_market import FxHistory

        while not FxHistory.shared().loaded:  # the ECB pairs load in the background after connecting
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        idle = rss_mib()
        charts = [window.chart] + [window.chart_docks.add() for _ in range(3)]
        symbols = ["AAPL", "IBM", "MSFT", "GOOG"]
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        for chart, symbol in zip(charts, symbols):
            columns = await broker.fetch_bars_array(symbol, Interval.M1, limit=100_000)
            if chart is window.chart:
                window.feed.stop()  # its own feed would redraw its 1,950-bar default over the 100k
            chart.set_history(symbol, Interval.M1, columns)
        loaded_s = time.perf_counter() - started
        await asyncio.sleep(1.0)
        four = rss_mib()
        bars = [c.bar_count for c in charts]
        await window.shutdown()
        return {"idle_mib": idle, "four_charts_mib": four, "bars": bars, "load_s": loaded_s}

    with loop:
        result = loop.run_until_complete(body())
    print(json.dumps(result), flush=True)
    os._exit(0)


def runs_of(results: list[dict], key: str) -> str:
    return ", ".join(f"{r[key]:.0f}" for r in results)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child()
        return
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRADEDESK_HOME": home, "QT_API": "pyside6"}
            out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, env=env,
                                 timeout=300)
            line = next((x for x in out.stdout.splitlines() if x.startswith("{")), None)
            if line is None:
                raise SystemExit(f"run failed: {out.stderr[-2000:]}")
            results.append(json.loads(line))
    idle = statistics.median(r["idle_mib"] for r in results)
    four = statistics.median(r["four_charts_mib"] for r in results)
    print(f"RSS over {runs} runs (median), paper, offscreen, fresh user dir")
    print(f"  idle with history on the chart: {idle:6.1f} MiB (runs: {runs_of(results, 'idle_mib')})")
    print(f"  four charts of {results[0]['bars']} bars: {four:6.1f} MiB (runs: {runs_of(results, 'four_charts_mib')})")


if __name__ == "__main__":
    main()
