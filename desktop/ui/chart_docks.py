"""More than one chart: a chart dock per symbol (Chart → New Chart), each with its own
symbol, interval and market-data source.

:class:`ChartDocks` adds docks beside the main chart. Each holds a
:class:`~desktop.ui.chart.ChartWidget` with its own
:class:`~desktop.ui.services.chart_feed.ChartFeed` (history, then live bars) and
:class:`~desktop.ui.chart_link.ChartLink` remembering its selection under
``charts/<n>/``; the open charts are remembered (``charts/open``) and come back at the
next start (:meth:`ChartDocks.restore`). Closing a dock stops its feed and forgets it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from desktop.desk import Desk, DeskEvent
from desktop.desk import events as ev
from desktop.domain import Interval

from .chart import ChartWidget
from .chart_link import ChartLink
from .services.chart_feed import ChartFeed

OPEN_KEY = "charts/open"
"""Settings key listing the numbers of the open extra charts (e.g. "2,3")."""
MAX_CHARTS = 8
"""Extra chart docks at most (each streams its own live bars)."""


class ChartDock(QDockWidget):
    """A dock holding one extra chart; ``closed`` when the user closes it."""

    closed = Signal()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Closing the dock ends its chart (see :class:`ChartDocks`)."""
        super().closeEvent(event)
        self.closed.emit()


class ChartDocks(QObject):
    """Extra charts of ``window`` over ``desk``: :meth:`add` one (also View → New
    Chart, Ctrl+Shift+N, added to ``menu``), :meth:`restore` those open last time,
    :meth:`stop` their feeds (shutting down). ``say(text)`` shows a status message.
    ``charts`` lists them (ChartWidgets) in the order opened."""

    def __init__(self, window: QMainWindow, desk: Desk, settings: QSettings, menu: QMenu, *,
                 say: Callable[[str], None], default_symbol: Callable[[], str] = lambda: "AAPL") -> None:
        super().__init__(window)
        self.window, self.desk, self.settings = window, desk, settings
        self._say, self._default_symbol = say, default_symbol
        self._open: dict[int, tuple[ChartDock, ChartWidget, ChartFeed, ChartLink]] = {}
        self.new_action = QAction("New &Chart", window)
        self.new_action.setObjectName("newChartAction")
        self.new_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.new_action.setToolTip("Open another chart in its own dock, with its own symbol, interval and source")
        self.new_action.triggered.connect(lambda: self.add())
        menu.addSeparator()
        menu.addAction(self.new_action)
        self._unlisten = desk.listen(self._on_event)

    @property
    def charts(self) -> list[ChartWidget]:
        """The extra charts, in the order opened."""
        return [chart for _dock, chart, _feed, _link in self._open.values()]

    def add(self, symbol: str | None = None, interval: Interval | str | None = None, *,
            number: int | None = None) -> ChartWidget | None:
        """Open a chart dock showing ``symbol`` at ``interval`` (default: its
        remembered selection, else the main chart's symbol at 1m); None (and a
        message) when MAX_CHARTS are open already."""
        if len(self._open) >= MAX_CHARTS:
            self._say(f"At most {MAX_CHARTS} extra charts are open: close one first")
            return None
        n = number if number is not None else next(i for i in range(2, 2 + MAX_CHARTS + 1) if i not in self._open)
        key = f"charts/{n}"
        symbol = symbol or str(self.settings.value(f"{key}/symbol", "") or self._default_symbol())
        interval = Interval(interval or str(self.settings.value(f"{key}/interval", Interval.M1.value)))
        dock = ChartDock(f"Chart {n}", self.window)
        dock.setObjectName(f"chartDock{n}")
        chart = ChartWidget(dock)
        chart.setObjectName(f"chart{n}")
        dock.setWidget(chart)
        feed = ChartFeed(self.desk, parent=dock)
        link = ChartLink(chart, feed, self.settings, key=key, say=self._say, source_changed=lambda _cid: None)
        self._open[n] = (dock, chart, feed, link)
        chart.symbolChanged.connect(lambda s, d=dock, n=n: d.setWindowTitle(f"{s} · chart {n}" if s else f"Chart {n}"))
        dock.closed.connect(lambda n=n: self._closed(n))
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        chart.set_symbols(self.desk.known_symbols())
        chart.set_interval(interval)
        chart.set_symbol(symbol)
        dock.setWindowTitle(f"{symbol} · chart {n}")
        link.offer_sources()
        link.selection_changed()
        self._remember()
        return chart

    def restore(self) -> None:
        """Open the charts that were open when the app last closed."""
        raw = str(self.settings.value(OPEN_KEY, "") or "")
        for part in raw.split(","):
            if part.strip().isdigit() and int(part) not in self._open:
                self.add(number=int(part))

    def stop(self) -> None:
        """Stop every extra chart's feed (the window is shutting down; they stay
        remembered for the next start)."""
        for _dock, _chart, feed, _link in self._open.values():
            feed.stop()
        self._unlisten()
        self._unlisten = lambda: None

    def _closed(self, n: int) -> None:
        entry = self._open.pop(n, None)
        if entry is None:
            return
        dock, _chart, feed, _link = entry
        feed.stop()
        self._remember()
        dock.deleteLater()

    def _remember(self) -> None:
        self.settings.setValue(OPEN_KEY, ",".join(str(n) for n in self._open))

    def _on_event(self, event: DeskEvent) -> None:
        if event.kind in (ev.ADDED, ev.REMOVED, ev.STATUS):
            for _dock, _chart, _feed, link in self._open.values():
                link.connections_changed()
        if event.kind in (ev.ADDED, ev.REMOVED, ev.STATUS, ev.INSTRUMENTS):
            symbols = self.desk.known_symbols()
            for chart in self.charts:
                chart.set_symbols(symbols)

