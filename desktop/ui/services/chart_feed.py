"""ChartFeed: loads history for the chart's (symbol, interval), then streams updates."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.brokers import Broker, BrokerError
from desktop.domain import Bar, Interval

from .tasks import spawn

log = logging.getLogger(__name__)


class ChartFeed(QObject):
    """History from ``fetch_bars``, then ``watch_bars``, for one (symbol, interval).

    Signals: ``historyLoaded(symbol, interval value, list[Bar])`` once per selection,
    ``barsUpdated(list[Bar])`` with live updates batched at most every ``flush_ms``
    (only the newest update per bar start is kept), ``failed(str)``.
    Switching selection cancels the previous stream; late results are dropped.
    """

    historyLoaded = Signal(str, str, list)
    barsUpdated = Signal(list)
    failed = Signal(str)

    def __init__(self, broker: Broker, *, flush_ms: int = 100, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.broker = broker
        self.symbol: str | None = None
        self.interval: Interval | None = None
        self._generation = 0
        self._task: asyncio.Task | None = None
        self._pending: dict = {}
        self._timer = QTimer(self)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)

    def select(self, symbol: str, interval: Interval | str) -> None:
        """Show ``symbol`` at ``interval``: load history, then stream."""
        interval = Interval(interval)
        if (symbol, interval) == (self.symbol, self.interval) and self._task and not self._task.done():
            return
        self.stop()
        self.symbol, self.interval = symbol, interval
        self._generation += 1
        self._task = spawn(self._run(symbol, interval, self._generation), name=f"chart:{symbol}:{interval.value}", on_error=self._error)
        self._timer.start()

    def stop(self) -> None:
        """Cancel the stream (the last selection stays remembered)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._pending.clear()

    def _error(self, exc: BaseException) -> None:
        self.failed.emit(exc.message if isinstance(exc, BrokerError) else str(exc))

    async def _run(self, symbol: str, interval: Interval, generation: int) -> None:
        bars = await self.broker.fetch_bars(symbol, interval)
        if generation != self._generation:
            return
        self.historyLoaded.emit(symbol, interval.value, bars)
        async for bar in self.broker.watch_bars(symbol, interval):
            if generation != self._generation:
                return
            self._pending[bar.start] = bar

    def flush(self) -> None:
        """Emit pending live bars (oldest first) as one batch."""
        if not self._pending:
            return
        bars: list[Bar] = [self._pending[k] for k in sorted(self._pending)]
        self._pending.clear()
        self.barsUpdated.emit(bars)
