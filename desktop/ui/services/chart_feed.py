"""ChartFeed: history, then live bars, for the chart's (symbol, interval), from one
market-data connection of the desk.

The source is the user's pick (:meth:`ChartFeed.choose_source`) while it is live and
serves bars, else the desk's market-data connection for bars (the ticket account's
connection if it serves bars, else the first live connection that does; see
:mod:`desktop.desk.market_data`). When the source disconnects, the next live one
takes over; when none serves bars the chart is told why (``failed``).
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.brokers import BrokerError
from desktop.desk import Desk, LiveConnection
from desktop.desk.tasks import spawn
from desktop.domain import Bar, Interval

if TYPE_CHECKING:  # numpy: not at start-up
    from desktop.brokers.bar_columns import BarColumns

log = logging.getLogger(__name__)

RESCALE_TOLERANCE = Decimal("0.00005")
"""Closes closer than this are the same bar (adjusted prices have 4 decimals)."""


def data_source(conn: LiveConnection, symbol: str = "") -> str | None:
    """What ``conn``'s broker says ``symbol``'s prices come from
    (:meth:`Broker.data_source`: "ECB reference rates, intraday synthetic" for the
    paper pairs), None when it says nothing (or fails: logged)."""
    if not symbol:
        return None
    try:
        found = conn.broker.data_source(symbol)
    except Exception:  # noqa: BLE001 - a label is never worth breaking the chart for
        log.exception("chart: the data source of %s on %s could not be read", symbol, conn.name)
        return None
    return found if isinstance(found, str) and found else None


def source_label(conn: LiveConnection, symbol: str = "") -> str:
    """How the chart names its source: the connection's name and, for ``symbol``, the
    broker's :func:`data_source` in brackets ("Paper (ECB reference rates, intraday
    synthetic)"), else "(synthetic intraday)" for a replaying paper connection whose
    minute path is generated."""
    source = data_source(conn, symbol)
    if source:
        return f"{conn.name} ({source})"
    caps = conn.capabilities or conn.broker.capabilities
    return f"{conn.name} (synthetic intraday)" if caps.replay else conn.name


def price_basis(conn: LiveConnection | None, interval: Interval | None, adjusted: bool) -> str | None:
    """Which prices ``conn`` draws at ``interval``: "adjusted" / "unadjusted" daily
    bars, "intraday" (never adjusted), or None when it offers no choice."""
    if conn is None or interval is None:
        return None
    caps = conn.capabilities or conn.broker.capabilities
    if not caps.adjusted_prices:
        return None
    if interval.is_intraday:
        return "intraday"
    return "adjusted" if adjusted else "unadjusted"


def no_bars_reason(desk: Desk) -> str:
    """Why the chart is empty when no live connection serves bars."""
    live = desk.live()
    if not live:
        return "No broker is connected: connect one in File → Connections… to see charts"
    names = ", ".join(c.name for c in live)
    return (f"{names} {'serves' if len(live) == 1 else 'serve'} no price history: connect a broker that does "
            "(the paper broker or Interactive Brokers) for charts")


class ChartFeed(QObject):
    """History from ``fetch_bars_array`` (numpy columns: no Bar per row), then
    ``watch_bars``, for one (symbol, interval).

    Signals: ``historyLoaded(symbol, interval value, BarColumns)`` once per selection,
    ``barsUpdated(list[Bar])`` with live updates batched at most every ``flush_ms``
    (only the newest update per bar start is kept), ``failed(str)``,
    ``sourceChanged(LiveConnection | None)`` when the connection drawn changes.
    Switching selection or source cancels the previous stream; late results are dropped.
    ``adjusted``: daily bars adjusted for splits and dividends from sources that offer
    it (see :meth:`set_adjusted`); ``basis`` says which prices the last history has.
    Adjusted bars are in the prices of the replay's day: when a new day brings a split
    or dividend, ``historyReloaded(symbol, interval value, BarColumns)`` replaces the
    history (the same selection, rescaled).
    """

    historyLoaded = Signal(str, str, object)
    historyReloaded = Signal(str, str, object)
    barsUpdated = Signal(list)
    failed = Signal(str)
    sourceChanged = Signal(object)

    def __init__(self, desk: Desk, *, flush_ms: int = 100, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.symbol: str | None = None
        self.interval: Interval | None = None
        self.choice: str | None = None
        self.source: LiveConnection | None = None
        self._generation = 0
        self._task: asyncio.Task | None = None
        self._pending: dict = {}
        self.adjusted = True
        self.basis: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)

    # -- the source -------------------------------------------------------------------
    def candidates(self) -> list[LiveConnection]:
        """Live connections serving bars, the one the chart would use first."""
        serving = self.desk.market.candidates("bars")
        chosen = next((c for c in serving if c.id == self.choice), None)
        return ([chosen] if chosen else []) + [c for c in serving if c is not chosen]

    def pick_source(self, symbol: str) -> LiveConnection | None:
        """The connection to draw ``symbol`` from (see the module docstring)."""
        serving = self.candidates()
        if not serving:
            return None
        if self.choice is not None and serving[0].id == self.choice:
            return serving[0]
        return next((c for c in serving if c.instrument_for(symbol) is not None), serving[0])

    def choose_source(self, connection_id: str | None) -> None:
        """Draw from ``connection_id`` (None: automatic) and reload."""
        self.choice = connection_id
        self.reconsider(force=True)

    def reconsider(self, *, force: bool = False) -> None:
        """Connections changed: switch source (and reload) when another one should draw."""
        if self.symbol is None or self.interval is None:
            return
        if force or self.pick_source(self.symbol) is not self.source or (
                self.source is not None and not self.source.is_live):
            self.select(self.symbol, self.interval, force=True)

    def set_adjusted(self, adjusted: bool) -> None:
        """Adjusted (True) or as-traded (False) daily bars; reloads when it changed."""
        if adjusted == self.adjusted:
            return
        self.adjusted = adjusted
        if self.symbol is not None and self.interval is not None:
            self.select(self.symbol, self.interval, force=True)

    # -- selection -----------------------------------------------------------------------
    def select(self, symbol: str, interval: Interval | str, *, force: bool = False) -> None:
        """Show ``symbol`` at ``interval``: load history, then stream."""
        interval = Interval(interval)
        source = self.pick_source(symbol)
        same = (symbol, interval, source) == (self.symbol, self.interval, self.source)
        if same and not force and self._task and not self._task.done():
            return
        self.stop()
        self.symbol, self.interval = symbol, interval
        if source is not self.source:
            self.source = source
            self.sourceChanged.emit(source)
        self._generation += 1
        if source is None:
            self.failed.emit(no_bars_reason(self.desk))
            return
        self._task = spawn(self._run(source, symbol, interval, self._generation),
                           name=f"chart:{source.id}:{symbol}:{interval.value}", on_error=self._error)
        self._timer.start()

    def stop(self) -> None:
        """Cancel the stream (the last selection stays remembered)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._pending.clear()

    def _error(self, exc: BaseException) -> None:
        self.failed.emit(exc.message if isinstance(exc, BrokerError) else str(exc))

    async def _run(self, source: LiveConnection, symbol: str, interval: Interval, generation: int) -> None:
        broker = source.broker
        basis = price_basis(source, interval, self.adjusted)
        if basis in ("adjusted", "unadjusted"):
            broker.set_adjusted_prices(basis == "adjusted")
        columns = await broker.fetch_bars_array(symbol, interval)
        if generation != self._generation:
            return
        self.basis = basis
        self.historyLoaded.emit(symbol, interval.value, columns)
        newest = columns.last_bar()  # the latest version of the newest bar
        async for bar in broker.watch_bars(symbol, interval):
            if generation != self._generation:
                return
            if basis == "adjusted" and newest is not None and bar.start > newest.start:
                fresh = await self._rescaled(broker, symbol, interval, newest)
                if generation != self._generation:
                    return
                if fresh is not None:
                    self._pending.clear()
                    self.historyReloaded.emit(symbol, interval.value, fresh)
            if newest is None or bar.start >= newest.start:
                newest = bar
            self._pending[bar.start] = bar

    @staticmethod
    async def _rescaled(broker, symbol: str, interval: Interval, previous: Bar) -> BarColumns | None:
        """A new replay day began while adjusted daily bars are drawn: the whole
        history again when the day brings a split or dividend (``previous``, the last
        bar drawn, adjusted to the new day is no longer the same), else None."""
        recent = await broker.fetch_bars(symbol, interval, limit=2)
        before = next((b for b in recent if b.start == previous.start), None)
        if before is None or abs(before.close - previous.close) < RESCALE_TOLERANCE:
            return None
        log.info("chart: %s adjusted history rescaled for a split or dividend on the replay's new day", symbol)
        return await broker.fetch_bars_array(symbol, interval)

    def flush(self) -> None:
        """Emit pending live bars (oldest first) as one batch."""
        if not self._pending:
            return
        bars: list[Bar] = [self._pending[k] for k in sorted(self._pending)]
        self._pending.clear()
        self.barsUpdated.emit(bars)
