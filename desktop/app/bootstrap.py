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
    exit code 0 on success, 1 with ``{"ok": false, "reason": ...}`` otherwise. When Qt
    could not open a window here (X libraries missing, no display) it says what to
    install and returns :data:`~desktop.app.qt_platform.EXIT_NO_DISPLAY` before Qt starts.
    """
    os.environ.setdefault("QT_API", "pyside6")
    from PySide6.QtWidgets import QApplication

    from desktop.app import pyside_imports
    from desktop.app.qt_platform import EXIT_NO_DISPLAY, display_problem

    pyside_imports.install()  # before the app's own imports: their source is not kept in memory

    problem = display_problem() if QApplication.instance() is None else None
    if problem is not None:
        print(problem.message(), file=sys.stderr, flush=True)
        return EXIT_NO_DISPLAY
    import qasync

    from desktop.app.logging_setup import setup_logging
    from desktop.connections import ConnectionStore
    from desktop.desk import Desk
    from desktop.desk.startup import connection_for_key, startup_connections
    from desktop.security.secrets import SecretStore
    from desktop.paths import resources_dir
    from desktop.ui.error_reporting import ErrorReporter
    from desktop.ui.gui_gc import GuiThreadCollector
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings import app_settings
    from desktop.ui.settings_dialog import load_preferences
    from desktop.ui.theme import apply_theme

    log_path = setup_logging()
    log.info("Tradedesk starting (broker=%s, smoke=%s), log at %s", args.broker, args.smoke_test, log_path)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tradedesk")
    app.setOrganizationName("Tradedesk")
    app.setDesktopFileName("io.github.tradedesk.Tradedesk")  # matches packaging/linux/*.desktop
    icon_path = resources_dir() / "icon.svg"
    if icon_path.exists():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon_path)))
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app, load_preferences(app_settings()).theme)
    connections, secrets = ConnectionStore.open_default(), SecretStore()
    try:
        connection_ids = startup_connections(connections, args.broker)
        focus = connection_for_key(connections, args.broker).id if args.broker else None
    except KeyError as exc:  # an unknown --broker key
        print(exc.args[0], file=sys.stderr)
        return 2
    instance = None if args.smoke_test else _single_instance()  # smoke tests never activate / block a running app
    if instance is not None and instance.activate_running():
        log.info("Tradedesk is already running; asked it to come to the front")
        print("Tradedesk is already running: its window was brought to the front.", flush=True)
        return 0
    if instance is not None:
        instance.listen()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(Desk(connections, secrets), connections=connections, secrets=secrets)
    if instance is not None:
        instance.activateRequested.connect(window.bring_to_front)
    reporter = ErrorReporter(window)
    reporter.install(loop)
    collector = GuiThreadCollector(app).install()  # cycles freed on the GUI thread, never a worker's
    window.fit_to_screen()  # the first window fits the screen it opens on (a saved geometry stays)
    painted = FirstPaint(window, started) if args.smoke_test else None
    window.show()
    try:
        with loop:
            return loop.run_until_complete(_amain(window, args, started, connection_ids, focus, painted))
    finally:
        collector.uninstall()
        if instance is not None:
            instance.close()
        asyncio.set_event_loop(None)


def _single_instance():
    """The single-instance guard, or None when QtNetwork is not available (a slimmed bundle)."""
    try:
        from desktop.app.single_instance import SingleInstance
    except ImportError as exc:
        log.warning("single-instance check unavailable: %s", exc)
        return None
    return SingleInstance()


class FirstPaint:
    """Records when ``window`` was first painted (seconds since ``started``), by an
    event filter installed before it is shown: whatever the brokers are doing."""

    def __init__(self, window, started: float) -> None:
        from PySide6.QtCore import QEvent, QObject

        class _Filter(QObject):
            def eventFilter(inner, obj, event) -> bool:  # noqa: N802, N805 - Qt override
                if event.type() == QEvent.Type.Paint and self.seconds is None:
                    self.seconds = round(time.perf_counter() - started, 3)
                    window.removeEventFilter(inner)
                return False

        self.seconds: float | None = None
        self._filter = _Filter(window)
        window.installEventFilter(self._filter)


async def _amain(window, args: argparse.Namespace, started: float, connection_ids: list[str],
                 focus: str | None, painted: FirstPaint | None = None) -> int:
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    outcome = await window.start(connection_ids, focus=focus)
    failed = {cid: exc for cid, exc in outcome.items() if exc is not None}
    for cid, exc in failed.items():
        log.error("could not connect %s: %s", cid, getattr(exc, "message", exc))
    if args.smoke_test and failed and not window.desk.live():
        reason = "; ".join(f"{cid}: {getattr(exc, 'message', exc)}" for cid, exc in failed.items())
        _report({"ok": False, "reason": f"broker did not connect: {reason}"})
        await window.shutdown()
        window.close()
        return 1
    if args.smoke_test:
        code = await _smoke(window, started, args.smoke_timeout, painted)
        await window.shutdown()
        window.close()
        return code
    await closed.wait()
    await window.shutdown()
    return 0


async def _smoke(window, started: float, timeout: float, painted: FirstPaint | None = None) -> int:
    """Wait for history on the chart, its first candles and one live update; report
    figures, with the window's first paint (when it was painted, independent of the
    broker: ``painted``)."""
    figures: dict[str, float] = {}
    if painted is not None and painted.seconds is not None:
        figures["first_paint_s"] = painted.seconds
    deadline = time.perf_counter() + timeout
    checks = {
        "first_paint_s": lambda: window.first_paint_done,
        "history_s": lambda: window.chart.bar_count > 0,
        "chart_drawn_s": lambda: window.chart.frames_painted > 0,
        "first_live_bar_s": lambda: window.chart_link.live_bars_applied > 0,
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
        "broker": window.feed.source.kind if window.feed.source is not None else None,
        "connections": [c.id for c in window.desk.live()],
        "window": _rect(window.frameGeometry()),
        "screen": _rect(window.screen().availableGeometry()),
        "status_bar_visible": window.statusBar().isVisible() and window.screen().availableGeometry().contains(
            window.statusBar().mapToGlobal(window.statusBar().rect().bottomRight())),
    })
    return 0


def _rect(rect) -> list[int]:
    """A QRect as [x, y, width, height]."""
    return [rect.x(), rect.y(), rect.width(), rect.height()]


def _report(payload: dict) -> None:
    print(json.dumps(payload), flush=True)
