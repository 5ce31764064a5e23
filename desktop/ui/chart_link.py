"""The chart and its feed, linked: the selection loads history and live bars from the
market-data connection, and the toolbar names the source and its time zone.

:class:`ChartLink` connects a :class:`~desktop.ui.chart.ChartWidget` to a
:class:`~desktop.ui.services.chart_feed.ChartFeed`: a symbol or interval change
selects (and is remembered in the settings), history and batched live bars are drawn,
the "Source ▾" menu lists the live connections serving bars, the label names the one
drawn ("AAPL · 1m · IBKR", "· Paper (synthetic intraday)") in its exchange's zone, and
a chart without a source says why. A source that can adjust daily prices for splits
and dividends gets the toolbar's "Adjusted" button (remembered in the settings as
"chart/adjusted", default on); the toolbar says which prices are drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QSettings

from desktop.desk import LiveConnection
from desktop.domain import Interval

from .chart import ChartWidget
from .services.chart_feed import ChartFeed, data_source, source_label

SYNTHETIC_TOOLTIP = ("Paper broker replay. Daily open/high/low/close and volume are real (Quandl WIKI prices, public domain). "
                     "Minute bars are a synthetic path generated inside each real day, so every replayed day ends on its real OHLC.")
FX_TOOLTIP = ("Paper broker replay of a currency pair. Daily bars are the European Central Bank's euro reference rates "
              "(open = the previous day's fix, close = the day's fix; crosses computed from the euro rates). Minute bars "
              "are a synthetic path inside each day. Source: ECB, reused with acknowledgement.")


def _as_bool(value: object) -> bool:
    """A QSettings value as a bool (INI files give back "true"/"false" strings)."""
    return value.strip().lower() not in ("false", "0", "no", "") if isinstance(value, str) else bool(value)


class ChartLink(QObject):
    """``chart`` drawn from ``feed``; ``settings`` keeps the last symbol and interval
    (under ``key``/symbol and ``key``/interval);
    ``say(text)`` shows a status message; ``source_changed(connection_id | None)`` is
    told which connection draws (the Replay menu follows a paper source).
    ``live_bars_applied`` counts the live updates drawn (the smoke test reads it)."""

    def __init__(self, chart: ChartWidget, feed: ChartFeed, settings: QSettings, *, say: Callable[[str], None],
                 source_changed: Callable[[str | None], None], key: str = "chart") -> None:
        super().__init__(chart)
        self.chart, self.feed, self.settings = chart, feed, settings
        self._key = key  # settings group of the selection: "chart" (the main chart), "charts/<n>" (extra ones)
        self._say, self._source_changed = say, source_changed
        self.live_bars_applied = 0
        self._keep_range: tuple[str, str, int, tuple[float, float]] | None = None
        feed.adjusted = _as_bool(settings.value("chart/adjusted", True))
        chart.adjustedToggled.connect(self.adjusted_toggled)
        chart.symbolChanged.connect(self.selection_changed)
        chart.intervalChanged.connect(self.selection_changed)
        chart.sourceRequested.connect(feed.choose_source)
        feed.historyLoaded.connect(self._history_loaded)
        feed.historyReloaded.connect(self._history_rescaled)
        feed.barsUpdated.connect(self._bars_updated)
        feed.sourceChanged.connect(self._source_drawn)
        feed.failed.connect(self._failed)

    def selection_changed(self, *_args) -> None:
        """Load the chart's (symbol, interval) and remember it."""
        symbol, interval = self.chart.symbol(), self.chart.interval()
        if symbol:
            self.feed.select(symbol, interval)
            self.settings.setValue(f"{self._key}/symbol", symbol)
            self.settings.setValue(f"{self._key}/interval", interval)

    def adjusted_toggled(self, adjusted: bool) -> None:
        """The user chose adjusted (True) or as-traded daily prices: remember it and
        reload, keeping the bars in view."""
        self.settings.setValue("chart/adjusted", adjusted)
        self._keep_range = (self.chart.symbol(), self.chart.interval(), self.chart.bar_count,
                            self.chart.visible_range())
        self.feed.set_adjusted(adjusted)

    def _history_loaded(self, symbol: str, interval: str, columns) -> None:
        keep, self._keep_range = self._keep_range, None
        self.chart.set_history(symbol, interval, columns)
        if keep is not None and keep[:3] == (symbol, interval, len(columns)):
            self.chart.set_visible_range(*keep[3])
        self._show_basis()
        if self.feed.source is not None:
            self._show_source_label(self.feed.source)

    def _history_rescaled(self, symbol: str, interval: str, columns) -> None:
        """The same selection's history in the new replay day's prices: keep the view
        (following the live bar if it did)."""
        if self.chart.shown() != (symbol, Interval(interval)):
            return
        following, view = self.chart.following, self.chart.visible_range()
        self.chart.set_history(symbol, interval, columns)
        if not following:
            self.chart.set_visible_range(*view)

    def _show_basis(self) -> None:
        basis = self.feed.basis
        self.chart.set_adjusted_control(basis not in (None, "intraday"), self.feed.adjusted)  # not over intraday candles
        self.chart.set_price_basis(basis)

    def connections_changed(self) -> None:
        """Connections came or went: switch source when another should draw, and offer
        every live one serving bars in the menu."""
        self.feed.reconsider()
        self.offer_sources()

    def offer_sources(self) -> None:
        """List the live connections serving bars in "Source ▾"."""
        self.chart.set_sources([(c.id, c.name) for c in self.feed.candidates()], self.feed.choice)

    def _source_drawn(self, conn: LiveConnection | None) -> None:
        self.offer_sources()
        self._source_changed(conn.id if conn is not None else None)
        if conn is None:
            self.chart.set_adjusted_control(False, self.feed.adjusted)
            self.chart.set_price_basis(None)
            return
        caps = conn.capabilities or conn.broker.capabilities
        self.chart.set_timezone(ZoneInfo(caps.exchange_timezone) if caps.exchange_timezone else None)
        self.chart.set_notice("")
        self._show_source_label(conn)
        if not caps.adjusted_prices:
            self.chart.set_adjusted_control(False, self.feed.adjusted)
            self.chart.set_price_basis(None)

    def _show_source_label(self, conn: LiveConnection) -> None:
        """Name ``conn`` and where the drawn symbol's prices come from (the paper pairs:
        the ECB reference rates, through :meth:`Broker.data_source`)."""
        caps = conn.capabilities or conn.broker.capabilities
        symbol = self.chart.shown()[0] or self.chart.symbol()
        special = data_source(conn, symbol)
        tip = FX_TOOLTIP if special and caps.replay else (SYNTHETIC_TOOLTIP if caps.replay else f"Bars from {conn.name}")
        self.chart.set_source_label(source_label(conn, symbol), tooltip=tip)

    def _failed(self, text: str) -> None:
        if self.feed.source is None:
            self.chart.clear()
            self.chart.set_source_label("")
            self.chart.set_notice(text)
        else:  # e.g. an unknown symbol: the chart goes back to the one it draws, and says why
            self.chart.load_failed(text)
        self._say(f"Chart: {text}")

    def _bars_updated(self, bars: list) -> None:
        for bar in bars:
            if bar.symbol == self.chart.symbol() and bar.interval.value == self.chart.interval():
                self.chart.apply_bar(bar)
                self.live_bars_applied += 1
