"""``ChartWidget``: the chart panel (toolbar, OHLCV readout row, candles and volume).

Usage::

    chart = ChartWidget()
    chart.set_symbols(["AAPL", "MSFT"])
    chart.symbolChanged.connect(...)        # user picked a symbol
    chart.intervalChanged.connect(...)      # user picked "1m" / "5m" / ... / "1d"
    chart.set_bars("AAPL", Interval.M5, bars)   # history: replaces everything
    chart.apply_bar(bar)                        # live: update last bar or append
    chart.set_source_label("IBKR")              # toolbar: "AAPL · 5m · IBKR"
    chart.set_sources([("c1", "IBKR"), ("c2", "Paper")], None)  # the "Source ▾" menu
    chart.sourceRequested.connect(...)          # user picked a connection id (None: automatic)

Live updates are cheap (O(1) on the data, repaint throttled to ~30 Hz).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.domain.enums import Interval
from desktop.domain.market import Bar

from .fmt import readout_html, readout_parts, readout_text
from .series import BarRow, BarSeries
from .theme import DARK, ChartTheme
from .toolbar import INTERVAL_LABELS, ChartToolbar
from .view import ChartView


class ChartWidget(QWidget):
    """Candlestick chart panel for one symbol and interval at a time.

    Signals: ``symbolChanged(str)`` and ``intervalChanged(str)`` (an
    :class:`Interval` value) when the selection changes (user, or ``set_symbol`` /
    ``set_interval``); ``sourceRequested(object)``: the user picked a market-data
    connection from "Source ▾" (its id, or None for automatic). The widget does not
    load data itself: answer with :meth:`set_bars`. ``symbol()``/``interval()`` are
    the selection, ``shown()`` what is on screen; live bars for anything else are
    ignored.
    """

    symbolChanged = Signal(str)
    intervalChanged = Signal(str)
    sourceRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None, theme: ChartTheme = DARK) -> None:
        super().__init__(parent)
        self._theme = theme
        self._series = BarSeries()
        self._symbol = ""
        self._interval = Interval.M1
        self._tz: tzinfo | None = None
        self._source = ""
        self._source_tip = ""

        self.toolbar = ChartToolbar(theme, self)
        self.toolbar.symbolChanged.connect(self._refresh_source)
        self.toolbar.intervalChanged.connect(self._refresh_source)
        self.toolbar.symbolChanged.connect(self.symbolChanged)
        self.toolbar.intervalChanged.connect(self.intervalChanged)
        self.toolbar.sourceRequested.connect(self.sourceRequested)
        self.readout = QLabel(self)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # clip, never widen
        self.readout.setStyleSheet(
            f"QLabel {{ background: {theme.background}; color: {theme.text};"
            f" padding: 3px 8px; font-size: {theme.font_px + 1}px; }}"
        )
        self.view = ChartView(self._series, theme, self)
        self.view.hoverChanged.connect(lambda _i: self._refresh_readout())
        self.view.flushed.connect(self._refresh_readout)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.readout)
        lay.addWidget(self.view, 1)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"ChartWidget {{ background: {theme.background}; }}")
        self.toolbar.set_interval(self._interval)
        self._refresh_readout()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1000, 640)

    # -- toolbar --------------------------------------------------------------
    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Symbols offered by the picker (the user may also type one)."""
        self.toolbar.set_symbols(symbols)

    def set_notice(self, text: str) -> None:
        """Show a short note in the toolbar (e.g. that prices are synthetic); "" hides it."""
        self.toolbar.set_notice(text)

    def set_source_label(self, text: str, tooltip: str = "") -> None:
        """Name the connection the bars come from: the toolbar shows "AAPL · 1m ·
        ``text``" (symbol and interval follow the selection); "" hides it.
        ``tooltip`` says more (e.g. that intraday prices are synthetic)."""
        self._source = text
        self._source_tip = tooltip
        self._refresh_source()

    def source_label(self) -> str:
        """The source label as shown ("" when hidden)."""
        return self.toolbar.source_label.text() if self._source else ""

    def set_sources(self, sources: Iterable[tuple[str, str]], choice: str | None) -> None:
        """Offer ``sources`` (``(connection_id, name)`` of each live connection serving
        bars) in the "Source ▾" menu after "Automatic"; ``choice`` (a connection id,
        None: automatic) is checked."""
        self.toolbar.set_sources(sources, choice)

    def _refresh_source(self, *_args) -> None:
        if not self._source:
            self.toolbar.set_source_text("")
            return
        parts = [p for p in (self.symbol(), INTERVAL_LABELS.get(Interval(self.interval()), self.interval()),
                             self._source) if p]
        self.toolbar.set_source_text(" · ".join(parts), self._source_tip, short=self._source,
                                     keep=self._source.split(" (")[0])

    def set_symbol(self, symbol: str) -> None:
        """Select ``symbol`` (as if the user had typed it): emits ``symbolChanged`` if
        it differs from the selection. The bars shown change with :meth:`set_bars`."""
        self.toolbar.select_symbol(symbol)

    def set_interval(self, interval: Interval | str) -> None:
        """Select ``interval`` (as if clicked): emits ``intervalChanged`` if it changed."""
        self.toolbar.select_interval(interval)

    def symbol(self) -> str:
        """The selected symbol ("" before any); may run ahead of the bars shown."""
        return self.toolbar.symbol

    def interval(self) -> str:
        """The selected interval as an :class:`Interval` value ("1m" ... "1d")."""
        iv = self.toolbar.interval
        return (iv or self._interval).value

    def set_timezone(self, tz: tzinfo | None) -> None:
        """Zone for intraday times on the axis and readout (None: local; daily bars: UTC)."""
        self._tz = tz
        self.view.set_timezone(tz)
        self._refresh_readout()

    # -- data -----------------------------------------------------------------
    def set_bars(self, symbol: str, interval: Interval | str, bars: Sequence[Bar]) -> None:
        """Replace the history; shows the last ~150 bars. ``bars`` in any order."""
        self._series.set_bars(bars)
        self._adopt(symbol, interval)

    def set_arrays(
        self,
        symbol: str,
        interval: Interval | str,
        time: np.ndarray,
        open: np.ndarray,  # noqa: A002
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray | None = None,
    ) -> None:
        """Like :meth:`set_bars` from arrays (``time`` int64 epoch seconds UTC, prices
        and volume float64) - for large histories."""
        self._series.set_arrays(time, open, high, low, close, volume)
        self._adopt(symbol, interval)

    def apply_bar(self, bar: Bar) -> bool:
        """Live update: same start as the last bar replaces it, a newer one appends.

        Returns False (and changes nothing) for an older bar or another symbol or
        interval than the one shown. The repaint follows within ~33 ms.
        """
        if bar.symbol != self._symbol or Interval(bar.interval) is not self._interval:
            return False
        if not self._series.apply(bar):
            return False
        self.view.mark_dirty()
        return True

    def clear(self) -> None:
        """Remove all bars (symbol and interval stay selected)."""
        self._series.clear()
        self.view.reset()
        self._refresh_readout()

    def _adopt(self, symbol: str, interval: Interval | str) -> None:
        self._symbol = symbol
        self._interval = Interval(interval)
        self.toolbar.set_symbol(symbol)
        self.toolbar.set_interval(self._interval)
        self.view.set_interval(self._interval)
        self.view.reset()
        self._refresh_readout()
        self._refresh_source()

    # -- accessors ------------------------------------------------------------
    def shown(self) -> tuple[str, Interval]:
        """(symbol, interval) of the bars on screen (from the last set_bars)."""
        return self._symbol, self._interval

    @property
    def series(self) -> BarSeries:
        """The bars shown (read-only use: mutate through set_bars/apply_bar)."""
        return self._series

    @property
    def bar_count(self) -> int:
        return len(self._series)

    def last_bar(self) -> BarRow | None:
        """The newest bar as numbers (``.close``, ``.time``, ``.start`` ...), or None."""
        return self._series.last()

    def visible_range(self) -> tuple[float, float]:
        """The x range shown, in bar indexes (bar i spans i-0.5 .. i+0.5)."""
        return self.view.visible_range()

    def set_visible_range(self, first: float, last: float) -> None:
        """Show bars ``first .. last`` (bar-index units, fractional allowed)."""
        self.view.set_visible_range(first, last)

    @property
    def frames_painted(self) -> int:
        """How many times the candles were painted."""
        return self.view.frames_painted

    @property
    def hover_index(self) -> int | None:
        """The bar under the mouse, or None."""
        return self.view.hover_index

    def readout_text(self) -> str:
        """The readout row as plain text (the hovered bar, else the last bar)."""
        return self._readout_plain

    # -- readout --------------------------------------------------------------
    def _readout_row(self) -> tuple[BarRow | None, float | None]:
        s = self._series
        if not len(s):
            return None, None
        i = self.view.hover_index
        i = len(s) - 1 if i is None else i
        prev = float(s.close[i - 1]) if i > 0 else None
        return s.row(i), prev

    def _refresh_readout(self) -> None:
        title = f"{self._symbol} · {INTERVAL_LABELS.get(self._interval, self._interval.value)}" if self._symbol else ""
        row, prev = self._readout_row()
        if row is None:
            self._readout_plain = title
            self.readout.setText(readout_html(title, [], self._theme) or "&nbsp;")
            return
        parts = readout_parts(row, prev, self._interval.is_intraday, self._tz)
        self._readout_plain = f"{title}  {readout_text(parts)}".strip()
        self.readout.setText(readout_html(title, parts, self._theme))
