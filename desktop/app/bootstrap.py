"""Start the Qt application on a qasync event loop and run the main window."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time


log = logging.getLogger("tradedesk")


def run(args: argparse.Namespace, *, started: float) -> int:
    """Create the application, show the main window for ``args.broker`` and run.

    With ``args.smoke_test`` the app exits once the window has painted, the chart
    shows history and one live bar has arrived, printing one JSON line of figures;
    exit code 0 on success, 1 with ``{"ok": false, "reason": ...}`` otherwise.
    """
    os.environ.setdefault("QT_API", "pyside6")
    from PySide6.QtWidgets import QApplication
    import qasync

    from desktop.app.brokers import create_broker
    from desktop.app.logging_setup import setup_logging
    from desktop.ui.error_reporting import ErrorReporter
    from desktop.ui.main_window import MainWindow
    from desktop.ui.theme import apply_theme

    log_path = setup_logging()
    log.info("Tradedesk starting (broker=%s, smoke=%s), log at %s", args.broker, args.smoke_test, log_path)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tradedesk")
    app.setOrganizationName("Tradedesk")
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        broker = create_broker(args.broker)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    window = MainWindow(broker)
    reporter = ErrorReporter(window)
    reporter.install(loop)
    window.show()
    try:
        with loop:
            return loop.run_until_complete(_amain(window, args, started))
    finally:
        asyncio.set_event_loop(None)


async def _amain(window, args: argparse.Namespace, started: float) -> int:
    from desktop.brokers import BrokerError

    closed = asyncio.Event()
    window.closed.connect(closed.set)
    try:
        await window.start()
    except BrokerError as exc:
        log.error("could not connect %s: %s", args.broker, exc)
        if args.smoke_test:
            _report({"ok": False, "reason": f"broker did not connect: {exc.message}"})
            return 1
    if args.smoke_test:
        code = await _smoke(window, started, args.smoke_timeout)
        await window.shutdown()
        window.close()
        return code
    await closed.wait()
    await window.shutdown()
    return 0


async def _smoke(window, started: float, timeout: float) -> int:
    """Wait for first paint, history on the chart and one live update; report figures."""
    figures: dict[str, float] = {}
    deadline = time.perf_counter() + timeout
    checks = {
        "first_paint_s": lambda: window.first_paint_done and window.chart.frames_painted > 0,
        "history_s": lambda: window.chart.bar_count > 0,
        "first_live_bar_s": lambda: window.live_bars_applied > 0,
    }
    while len(figures) < len(checks):
        now = time.perf_counter()
        for name, check in checks.items():
            if name not in figures and check():
                figures[name] = round(now - started, 3)
        if now > deadline:
            missing = [n for n in checks if n not in figures]
            _report({"ok": False, "reason": f"timed out after {timeout:.0f}s waiting for {', '.join(missing)}", **figures})
            return 1
        await asyncio.sleep(0.02)
    _report({
        "ok": True,
        **figures,
        "symbol": window.chart.symbol(),
        "interval": window.chart.interval(),
        "bars": window.chart.bar_count,
        "broker": window.broker.name,
    })
    return 0


def _report(payload: dict) -> None:
    print(json.dumps(payload), flush=True)
