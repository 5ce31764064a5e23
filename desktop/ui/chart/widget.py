"""``ChartWidget``: the chart panel (toolbar, OHLCV readout row, candles and volume).

Usage::

    chart = ChartWidget()                   # follows the application's light/dark palette
    chart.set_symbols(["AAPL", "MSFT"])
    chart.symbolChanged.connect(...)        # user picked a symbol
    chart.intervalChanged.connect(...)      # user picked "1m" / "5m" / ... / "1d"
    chart.set_bars("AAPL", Interval.M5, bars)   # history: replaces everything
    chart.apply_bar(bar)                        # live: update last bar or append
    chart.load_failed("Unknown symbol ZZZZ")    # the selection could not be loaded
    chart.set_source_label("IBKR")              # toolbar: "AAPL · 5m · IBKR"
    chart.set_sources([("c1", "IBKR"), ("c2", "Paper")], None)  # the "Source ▾" menu
    chart.sourceRequested.connect(...)          # user picked a connection id (None: automatic)
    chart.set_adjusted_control(True, True)      # offer "Adjusted" (checked); adjustedToggled(bool)
    chart.set_price_basis("adjusted")           # "Adjusted for splits and dividends"

Live updates are cheap (O(1) on the data, repaint throttled to ~30 Hz).

The symbol box never claims a symbol that is not drawn: while a new selection loads
the chart says "Loading MSFT · 1m…"; when it fails (:meth:`ChartWidget.load_failed`)
the box goes back to the drawn symbol (re-selecting it, so its loader resumes it) and
the chart says why; an empty history says so over the plot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.domain.enums import Interval
from desktop.domain.market import Bar
from desktop.ui.price_places import places

if TYPE_CHECKING:
    import numpy as np

    from desktop.brokers.bar_columns import BarColumns

    from .series import BarRow, BarSeries
    from .view import ChartView

from .apptheme import app_theme, resolve_theme
from .basis import PriceBasisButton, place_basis
from .loadstate import LoadState, failure_text
from .overlay import ChartMessage, place_message
from .readout import Readout
from .theme import ChartTheme
from .toolbar import INTERVAL_LABELS, ChartToolbar

ERROR_MS = 10_000
"""How long a load failure stays on the chart (a click dismisses it sooner)."""


def _label(interval: Interval | str) -> str:
    iv = Interval(interval)
    return INTERVAL_LABELS.get(iv, iv.value)


class ChartWidget(QWidget):
    """Candlestick chart panel for one symbol and interval at a time.

    Signals: ``symbolChanged(str)`` and ``intervalChanged(str)`` (an
    :class:`Interval` value) when the selection changes (user, ``set_symbol`` /
    ``set_interval``, or going back to the drawn selection after
    :meth:`load_failed`); ``sourceRequested(object)``: the user picked a market-data
    connection from "Source ▾" (its id, or None for automatic). The widget does not
    load data itself: answer with :meth:`set_bars` (or :meth:`load_failed`).
    ``symbol()``/``interval()`` are the selection, ``shown()`` what is on screen;
    live bars for anything else are ignored.

    ``theme``: a :class:`ChartTheme`, "dark" or "light"; None (default) follows the
    application palette, live (see :meth:`set_theme`). Keys: End (or the "Latest ⇥"
    button) scrolls back to the last bar and follows the live bar again.
    """

    symbolChanged = Signal(str)
    intervalChanged = Signal(str)
    sourceRequested = Signal(object)
    adjustedToggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None, theme: ChartTheme | str | None = None) -> None:
        super().__init__(parent)
        theme, self._follow_app = resolve_theme(theme)
        self._theme = theme
        self._series_obj: BarSeries | None = None  # numpy and pyqtgraph: built after the first paint
        self._view_obj: ChartView | None = None
        self._view_pending = False
        self._symbol = ""
        self._interval = Interval.M1
        self._tz: tzinfo | None = None
        self._source = ""
        self._source_tip = ""
        self._state = LoadState(shown_label=_label(self._interval))
        self._reverting = False

        self.toolbar = ChartToolbar(theme, self)
        for signal in (self.toolbar.symbolChanged, self.toolbar.intervalChanged):
            signal.connect(self._refresh_source)
            signal.connect(self._on_selected)
        self.toolbar.symbolChanged.connect(self.symbolChanged)
        self.toolbar.intervalChanged.connect(self.intervalChanged)
        self.toolbar.sourceRequested.connect(self.sourceRequested)
        self.readout = Readout(self, theme)
        self._plot_area = QWidget(self)  # where the plot goes, until it is built
        self._plot_area.setObjectName("chartPlotPending")
        self.message = ChartMessage(self, theme)
        self.message.clicked.connect(self.dismiss_error)
        self.adjusted_button = PriceBasisButton(self, theme)  # moves onto the plot once built: see basis.py
        self.adjusted_button.clicked.connect(self.adjustedToggled)
        self._error_timer = QTimer(self, singleShot=True, interval=ERROR_MS)
        self._error_timer.timeout.connect(self.dismiss_error)
        end = QShortcut(QKeySequence(Qt.Key.Key_End), self, lambda: self.view.scroll_to_latest())
        end.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.readout)
        lay.addWidget(self._plot_area, 1)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._apply_theme(theme)
        self.toolbar.set_interval(self._interval)
        self._refresh_readout()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1000, 640)

    # -- the plot, built after the first paint ---------------------------------
    @property
    def view(self) -> ChartView:
        """The plot (a pyqtgraph view). Built on first use, or just after the chart
        is first painted: importing pyqtgraph and numpy (about 0.3 s) waits until the
        window is on screen."""
        if self._view_obj is None:
            self._build_view()
        return self._view_obj  # type: ignore[return-value]

    @property
    def view_built(self) -> bool:
        """Whether the plot exists yet (see :attr:`view`)."""
        return self._view_obj is not None

    @property
    def _series(self) -> BarSeries:
        if self._series_obj is None:
            from .series import BarSeries

            self._series_obj = BarSeries()
        return self._series_obj

    def _build_view(self) -> None:
        from .view import ChartView

        view = ChartView(self._series, self._theme, self)
        view.price_places = places(self._symbol)
        self._view_obj = view
        view.hoverChanged.connect(lambda _i: self._refresh_readout())
        view.flushed.connect(self._refresh_readout)
        view.plotResized.connect(self._place_message)
        button = self.adjusted_button
        shown = not button.isHidden()
        button.setParent(view)  # over the plot, in its bottom-left corner
        button.setVisible(shown)
        view.plotResized.connect(lambda: place_basis(button, view.plot_rect()))
        self.layout().replaceWidget(self._plot_area, view)
        self._plot_area.hide()
        self._plot_area.deleteLater()
        view.set_interval(self._interval)
        self.message.raise_()
        self._place_message()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        """The first paint (without the plot) schedules building the plot."""
        super().paintEvent(event)
        if self._view_obj is None and not self._view_pending:
            self._view_pending = True
            QTimer.singleShot(0, self, self._build_view_later)

    def _build_view_later(self) -> None:
        if self._view_obj is None:
            self._build_view()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Keep the message over the plot area."""
        super().resizeEvent(event)
        self._place_message()

    # -- theme ----------------------------------------------------------------
    def set_theme(self, theme: ChartTheme | str | None) -> None:
        """Draw in ``theme``: a :class:`ChartTheme`, "dark" or "light"; None, "system"
        or "auto" follow the application palette from now on (light window colour:
        LIGHT, else DARK), switching live when the app's palette changes. Raises
        ValueError for another name."""
        chosen, self._follow_app = resolve_theme(theme)
        self._apply_theme(chosen)

    def theme(self) -> ChartTheme:
        """The theme drawn."""
        return self._theme

    def _apply_theme(self, theme: ChartTheme) -> None:
        self._theme = theme
        self.setStyleSheet(f"ChartWidget {{ background: {theme.background}; }}")
        self.toolbar.apply_theme(theme)
        self.readout.apply_theme(theme)
        if self._view_obj is not None:
            self._view_obj.apply_theme(theme)
        self.message.apply_theme(theme)
        if hasattr(self, "adjusted_button"):
            self.adjusted_button.apply_theme(theme)

    def event(self, ev: QEvent) -> bool:
        """Follow the application palette (the app's theme) while no theme is pinned."""
        if ev.type() in (QEvent.Type.ApplicationPaletteChange, QEvent.Type.PaletteChange) and self._follow_app:
            theme = app_theme()
            if theme is not self._theme:
                self._apply_theme(theme)
        return super().event(ev)

    # -- toolbar --------------------------------------------------------------
    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Symbols offered by the picker (the user may also type one)."""
        self.toolbar.set_symbols(symbols)

    def set_notice(self, text: str) -> None:
        """Show a short note in the toolbar (e.g. that prices are synthetic; "" hides
        it); while no bars are drawn (e.g. no broker serves any) it is said over the
        plot too."""
        self.toolbar.set_notice(text)
        self._state.notice = text
        self._refresh_message()

    def set_source_label(self, text: str, tooltip: str = "") -> None:
        """Name the connection the bars come from: the toolbar shows "AAPL · 1m ·
        ``text``" (symbol and interval follow the selection); "" hides it.
        ``tooltip`` says more (e.g. that intraday prices are synthetic)."""
        self._source = text
        self._source_tip = tooltip
        self._state.source = text.split(" (")[0]
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
        parts = [p for p in (self.symbol(), _label(self.interval()), self._source) if p]
        self.toolbar.set_source_text(" · ".join(parts), self._source_tip, short=self._source,
                                     keep=self._source.split(" (")[0])

    def set_adjusted_control(self, available: bool, checked: bool, enabled: bool = True) -> None:
        """Offer the "Adjusted"/"Unadjusted" button on the plot's bottom-left corner
        (``available``: the source can adjust daily prices) in state ``checked``;
        ``enabled`` False while an interval that is never adjusted is shown. A click
        emits ``adjustedToggled(bool)``."""
        self.adjusted_button.show_state(available, checked, enabled)
        if self._view_obj is not None:
            place_basis(self.adjusted_button, self._view_obj.plot_rect())

    def set_price_basis(self, basis: str | None) -> None:
        """Say which prices are drawn: "adjusted", "unadjusted", "intraday" (never
        adjusted), or None (the source offers no choice: nothing is said)."""
        self.toolbar.set_price_basis(basis)

    def price_basis_text(self) -> str:
        """What the price-basis label says ("" when hidden; on a narrow toolbar it is
        not drawn and the plot's "Adjusted"/"Unadjusted" button alone says it)."""
        label = self.toolbar.basis_label
        return label.text() if not label.isHidden() else ""

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
        """The exchange's zone for intraday times on the axis, readout and crosshair
        (None: the machine's local zone). Daily bars always show their trading date."""
        self._tz = tz
        self.view.set_timezone(tz)
        self._refresh_readout()

    # -- data -----------------------------------------------------------------
    def set_bars(self, symbol: str, interval: Interval | str, bars: Sequence[Bar]) -> None:
        """Replace the history; shows the last ~150 bars. ``bars`` in any order; none:
        the chart says that ``symbol`` has no price history in this period."""
        self._series.set_bars(bars)
        self._adopt(symbol, interval)

    def set_arrays(self, symbol: str, interval: Interval | str, time: np.ndarray, open: np.ndarray,  # noqa: A002
                   high: np.ndarray, low: np.ndarray, close: np.ndarray, volume: np.ndarray | None = None) -> None:
        """Like :meth:`set_bars` from arrays (``time`` int64 epoch seconds UTC, prices
        and volume float64) - for large histories."""
        self._series.set_arrays(time, open, high, low, close, volume)
        self._adopt(symbol, interval)

    def set_history(self, symbol: str, interval: Interval | str, columns: BarColumns) -> None:
        """Replace the history with a broker's columns (``fetch_bars_array``): no
        conversion per bar; none: the chart says ``symbol`` has no price history."""
        self.set_arrays(symbol, interval, columns.time, columns.open, columns.high, columns.low, columns.close,
                        columns.volume)

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
        """Remove all bars: nothing is drawn for the selection (symbol and interval
        stay selected; a notice set with :meth:`set_notice` says why)."""
        self._series.clear()
        self._symbol = self.symbol()
        self._interval = Interval(self.interval())
        self.view.price_places = places(self._symbol)
        self.view.set_interval(self._interval)
        self.view.reset()
        self._loaded(has_bars=False)

    def load_failed(self, reason: str) -> None:
        """The selection could not be loaded for ``reason`` (the broker's words). A
        newer selection than the one drawn goes back to the drawn one (emitting
        ``symbolChanged``/``intervalChanged``, so its loader resumes it) and the chart
        says what failed; otherwise the reason is said over the drawn bars. The
        message stays :data:`ERROR_MS` ms or until clicked or another selection."""
        symbol, interval = self.symbol(), Interval(self.interval())
        drawn = (self._symbol, self._interval)
        self._state.loading = False
        if (symbol, interval) != drawn and symbol:
            self._state.error = failure_text(symbol, _label(interval), reason, self._symbol)
            self._revert()
        else:
            self._state.error = reason
        self._error_timer.start()
        self._refresh_message()

    def dismiss_error(self) -> None:
        """Hide the load failure's message."""
        self._error_timer.stop()
        if self._state.error:
            self._state.error = ""
            self._refresh_message()

    def message_text(self) -> str:
        """The message over the plot ("" when none is shown)."""
        return self.message.text() if self.message.isVisible() else ""

    def _revert(self) -> None:
        """Put the drawn selection back in the toolbar and re-select it."""
        symbol_changed = self.symbol() != self._symbol
        interval_changed = Interval(self.interval()) is not self._interval
        self._reverting = True
        try:
            self.toolbar.set_symbol(self._symbol)
            self.toolbar.set_interval(self._interval)
            self._refresh_source()
            if self._symbol and symbol_changed:
                self.symbolChanged.emit(self._symbol)
            elif self._symbol and interval_changed:
                self.intervalChanged.emit(self._interval.value)
        finally:
            self._reverting = False

    def _on_selected(self, *_args) -> None:
        if not self._reverting:
            self.dismiss_error()
        self._state.loading = bool(self.symbol()) and (self.symbol(), Interval(self.interval())) != (
            self._symbol, self._interval)
        self._refresh_message()

    def _adopt(self, symbol: str, interval: Interval | str) -> None:
        self._symbol = symbol
        self._interval = Interval(interval)
        self.toolbar.set_symbol(symbol)
        self.toolbar.set_interval(self._interval)
        self.view.price_places = places(symbol)
        self.view.set_interval(self._interval)
        self.view.reset()
        self._refresh_source()
        self._loaded(has_bars=len(self._series) > 0)

    def _loaded(self, has_bars: bool) -> None:
        st = self._state
        st.shown_symbol, st.shown_label = self._symbol, _label(self._interval)
        st.has_bars, st.loading = has_bars, False
        self._refresh_readout()
        self._refresh_message()

    def _refresh_message(self) -> None:
        text, kind = self._state.message(self.symbol(), _label(self.interval()))
        self.message.show_message(text, kind)
        self._place_message()

    def _place_message(self) -> None:
        if self.message.isVisible():
            view = self._view_obj
            plot = view.plot_rect().translated(view.pos()) if view is not None else self._plot_area.geometry()
            place_message(self.message, plot, centred=not self._state.has_bars)

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
        """How many bars the chart holds."""
        return len(self._series_obj) if self._series_obj is not None else 0

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
        """How many times the candles were painted (0 while the plot is not built)."""
        return self._view_obj.frames_painted if self._view_obj is not None else 0

    @property
    def hover_index(self) -> int | None:
        """The bar under the mouse, or None."""
        return self._view_obj.hover_index if self._view_obj is not None else None

    def readout_text(self) -> str:
        """The readout row as plain text (the hovered bar, else the last bar)."""
        return self.readout.plain

    @property
    def following(self) -> bool:
        """True while the last bar is in view, so live bars scroll it (End brings it back)."""
        return self.view.following

    # -- readout --------------------------------------------------------------
    def _readout_row(self) -> tuple[BarRow | None, float | None]:
        s = self._series_obj
        if s is None or not len(s):
            return None, None
        i = self.hover_index
        i = len(s) - 1 if i is None else i
        prev = float(s.close[i - 1]) if i > 0 else None
        return s.row(i), prev

    def _refresh_readout(self) -> None:
        title = f"{self._symbol} · {_label(self._interval)}" if self._symbol else ""
        row, prev = self._readout_row()
        self.readout.decimals = places(self._symbol)
        self.readout.show_bar(title, row, prev, self._interval.is_intraday, self._tz)
