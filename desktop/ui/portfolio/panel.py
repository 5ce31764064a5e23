"""The Portfolio panel: the Connect Trade cookbook's five analytics, live, for every
connection of the desk (figures from :mod:`.figures`, pure functions in
desktop/domain/analytics.py): total unrealized P&L (overall, per connection, per
account), today's fills (count and list), execution VWAP per symbol with the
quantity it covers, concentration (a bar chart, warning colour above the threshold
of Edit → Settings…, given by :meth:`PortfolioPanel.set_threshold`), and n-day momentum of the watchlist's symbols
from daily bars. Each section says what it was computed from."""

from __future__ import annotations

import logging
from decimal import Decimal

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QFrame, QGridLayout, QGroupBox, QHBoxLayout,
                               QHeaderView, QLabel, QScrollArea, QSizePolicy, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from desktop.desk import Desk
from desktop.desk.tasks import spawn
from desktop.domain import Interval
from desktop.domain.analytics import closes_momentum
from desktop.ui.tables.formatting import fmt_time

from .chart import WARNING, ConcentrationChart
from .figures import Figures, compute, money

log = logging.getLogger(__name__)
MOMENTUM_KEY = "portfolio/momentum_days"
DEFAULT_THRESHOLD = 25


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setMinimumHeight(130)
    return table


RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _fill(table: QTableWidget, rows: list[list[str]], numeric: tuple[int, ...] = ()) -> None:
    """Put ``rows`` (display texts) in ``table``; the ``numeric`` columns right-aligned."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c in numeric:
                item.setTextAlignment(RIGHT)
            table.setItem(r, c, item)


def qty_text(value: Decimal) -> str:
    """A quantity without trailing decimal zeros: "10", "2.5", "1,200"."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _note(text: str, name: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(mid); font-size: 11px;")
    return label


class PortfolioPanel(QWidget):
    """See the module docstring. ``desk``: the desk; ``names(connection_id)``: a
    connection's display name; ``settings``: where the momentum days live (the
    concentration threshold is a preference: :meth:`set_threshold`). :meth:`refresh` recomputes (the window calls it on every desk change,
    coalesced to one run per 300 ms); :meth:`set_watchlist` sets the momentum symbols.
    ``figures`` is the last computation; ``refreshed`` is emitted after each."""

    refreshed = Signal()

    def __init__(self, desk: Desk, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("portfolioPanel")
        self.desk = desk
        self.settings = settings
        self.figures: Figures | None = None
        self.momentum: dict[str, tuple[Decimal | None, str, int]] = {}
        self._symbols: list[str] = []
        self._momentum_days = 0  # n of the figures held in :attr:`momentum`
        self.momentum_sink = None
        """Optional MomentumValues (the watchlist's column) fed with every momentum."""
        self.momentum_shown = lambda: None
        """Called after :attr:`momentum_sink` changed (the watchlist repaints)."""
        self._timer = QTimer(self, singleShot=True, interval=300)
        self._timer.timeout.connect(self.refresh)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setObjectName("portfolioScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        scroll.setWidget(body)
        outer.addWidget(scroll)
        grid = QGridLayout(body)
        grid.setContentsMargins(4, 4, 4, 4)
        self.source = _note("", "portfolioSource")
        grid.addWidget(self.source, 0, 0, 1, 2)

        pnl_box = QGroupBox("Unrealized P&&L")  # "&&": a literal "&", not a mnemonic
        self.pnl_total = QLabel()
        self.pnl_total.setObjectName("portfolioPnlTotal")
        self.pnl_table = _table("portfolioPnl", ["Connection / account", "Unrealized P&L", "Positions"])
        self.pnl_note = _note("", "portfolioPnlNote")
        box = QVBoxLayout(pnl_box)
        box.addWidget(self.pnl_total)
        box.addWidget(self.pnl_table)
        box.addWidget(self.pnl_note)
        grid.addWidget(pnl_box, 1, 0)

        fills_box = QGroupBox("Today's fills")
        self.fills_count = QLabel()
        self.fills_count.setObjectName("portfolioFillsCount")
        self.fills_table = _table("portfolioFills", ["Time", "Connection", "Account", "Symbol", "Side", "Qty", "Price"])
        self.fills_note = _note("", "portfolioFillsNote")
        box = QVBoxLayout(fills_box)
        box.addWidget(self.fills_count)
        box.addWidget(self.fills_table)
        box.addWidget(self.fills_note)
        grid.addWidget(fills_box, 1, 1)

        vwap_box = QGroupBox("Execution VWAP today")
        self.vwap_table = _table("portfolioVwap", ["Symbol", "VWAP", "Quantity", "Fills"])
        box = QVBoxLayout(vwap_box)
        box.addWidget(self.vwap_table)
        box.addWidget(_note("Σ(quantity × price) / Σ quantity over today's fills of each symbol, buys and sells "
                            "together (as the cookbook computes it).", "portfolioVwapNote"))
        grid.addWidget(vwap_box, 2, 0)

        conc_box = QGroupBox("Concentration")
        self.threshold = DEFAULT_THRESHOLD
        """Percent of market value above which a symbol is drawn in the warning colour."""
        self.threshold_label = QLabel(objectName="concentrationThreshold")
        self.threshold_label.setToolTip("Set in Edit → Settings… → Portfolio")
        self.threshold_label.setWordWrap(True)
        self._show_threshold()
        self.chart = ConcentrationChart()
        self.conc_table = _table("portfolioConcentration", ["Symbol", "Market value", "Share"])
        self.conc_table.setMinimumHeight(100)
        self.conc_table.setMaximumHeight(130)
        box = QVBoxLayout(conc_box)
        box.addWidget(self.threshold_label)
        box.addWidget(self.chart, 1)
        box.addWidget(self.conc_table)
        box.addWidget(_note("last price × quantity × multiplier of every position that has both, summed per "
                            "symbol over all accounts; share of the total (0 % when the total is 0).",
                            "portfolioConcentrationNote"))
        grid.addWidget(conc_box, 2, 1)

        mom_box = QGroupBox("Momentum (watchlist)")
        self.days = QSpinBox(objectName="momentumDays", minimum=2, maximum=250,
                             value=int(self._setting(MOMENTUM_KEY, 20)), suffix=" days")
        self.days.valueChanged.connect(self._days_changed)
        self.mom_table = _table("portfolioMomentum", ["Symbol", "Momentum", "Closes", "From"])
        row = QHBoxLayout()
        row.addWidget(QLabel("Over the last"))
        row.addWidget(self.days)
        row.addStretch(1)
        box = QVBoxLayout(mom_box)
        box.addLayout(row)
        box.addWidget(self.mom_table)
        box.addWidget(_note("last close / first close − 1 over the last n daily closes, from the chart's "
                            "market-data source.", "portfolioMomentumNote"))
        grid.addWidget(mom_box, 3, 0, 1, 2)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(2, 1)
        for box in (pnl_box, fills_box, vwap_box, conc_box):  # the two columns share the width equally
            box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    # -- settings ---------------------------------------------------------------------
    def _setting(self, key: str, default: float) -> float:
        if self.settings is None:
            return default
        try:
            return float(self.settings.value(key, default))
        except (TypeError, ValueError):
            return default

    def set_threshold(self, percent: float) -> None:
        """Draw symbols above ``percent`` of market value in the warning colour (the
        Settings dialog's "Concentration warning above")."""
        self.threshold = percent
        self._show_threshold()
        self._draw_concentration()

    def _show_threshold(self) -> None:
        self.threshold_label.setText(f"Warning colour above {self.threshold:g} % of market value "
                                     "(Edit → Settings… → Portfolio)")

    def _days_changed(self, value: int) -> None:
        if self.settings is not None:
            self.settings.setValue(MOMENTUM_KEY, value)
        self.load_momentum()

    # -- figures ----------------------------------------------------------------------
    def schedule(self, *_args) -> None:
        """Recompute soon (coalesced)."""
        if not self._timer.isActive():
            self._timer.start()

    def _name(self, connection_id: str) -> str:
        conn = self.desk.connections.get(connection_id)
        return conn.name if conn is not None else connection_id

    def refresh(self) -> None:
        """Recompute the figures from the desk's state and show them."""
        figures = self.figures = compute(self.desk)
        names = ", ".join(f"{self._name(cid)}: {day.isoformat()} ({zone})" for cid, (day, zone) in figures.today.items())
        self.source.setText(f"Computed from {figures.positions} positions and {figures.fills_seen} fills of "
                            f"{len(figures.today)} connection(s). Today = each connection's session date in its "
                            f"exchange's time zone at its market clock: {names or 'none'}.")
        pnl = figures.pnl
        self.pnl_total.setText(f"<b>All connections: {money(pnl.overall)}</b>")
        rows = [["All connections", money(pnl.overall), str(pnl.counted)]]
        counts: dict[tuple[str, str], int] = {}
        for p in self.desk.state.positions.values():
            if p.unrealized_pnl is not None:
                counts[(p.connection_id, p.account_id)] = counts.get((p.connection_id, p.account_id), 0) + 1
        for cid, total in sorted(pnl.by_connection.items(), key=lambda kv: self._name(kv[0])):
            rows.append([self._name(cid), money(total), str(sum(n for (c, _a), n in counts.items() if c == cid))])
            for (c, account), value in sorted(pnl.by_account.items()):
                if c == cid:
                    rows.append([f"    {account}", money(value), str(counts.get((c, account), 0))])
        _fill(self.pnl_table, rows, numeric=(1, 2))
        others = ", ".join(f"{n} in {ccy}" for ccy, n in pnl.other_currencies.items())
        self.pnl_note.setText(f"Sum of each position's unrealized P&L in {figures.currency}; {pnl.skipped} position(s) "
                              "without one (the broker sent none) are skipped, not counted as 0."
                              + (f" Position(s) priced in other currencies are not added: {others}." if others else ""))
        self.fills_count.setText(f"<b>{len(figures.fills)} fill(s) today</b>")
        _fill(self.fills_table, [[fmt_time(f.timestamp, connection_id=f.connection_id), self._name(f.connection_id), f.account_id,
                                  f.symbol, f.side.value, qty_text(f.amount), f"{f.price:,}"]
                                 for f in figures.fills], numeric=(5, 6))
        self.fills_note.setText("Fills whose time falls on the connection's session date, newest first; times "
                                "on each connection's clock, as in the Fills table.")
        _fill(self.vwap_table, [[v.symbol, f"{v.vwap:,.4f}", qty_text(v.quantity), str(v.fills)]
                                for v in figures.vwaps], numeric=(1, 2, 3))
        self._draw_concentration()
        self.refreshed.emit()

    def _draw_concentration(self) -> None:
        rows = self.figures.concentration if self.figures is not None else []
        self.chart.show_rows(rows, float(self.threshold))
        _fill(self.conc_table, [[r.symbol, money(r.market_value), f"{r.share:.1f} %"] for r in rows], numeric=(1, 2))
        for r, colour in enumerate(self.chart.colours):
            if colour == WARNING:
                for c in range(3):
                    self.conc_table.item(r, c).setForeground(QColor(colour))

    # -- momentum -----------------------------------------------------------------------
    def set_watchlist(self, symbols) -> None:
        """The symbols whose momentum is shown (the watchlist's)."""
        self._symbols = list(dict.fromkeys(symbols))
        self.load_momentum()

    def load_momentum(self) -> None:
        """Fetch the daily bars of every watchlist symbol from its market-data source
        and recompute the momentum column (async; the table fills as they arrive)."""
        n = self.days.value()
        for symbol in self._symbols:
            source = self.desk.market.source_for(symbol, "bars")
            if source is None:
                self.momentum[symbol] = (None, "no market data", 0)
                continue
            if self.momentum.get(symbol, (None, "", 0))[1] != source.name or n != self._momentum_days:
                # another source or n: the old figure is not shown meanwhile
                self.momentum[symbol] = (None, f"loading from {source.name}…", 0)
            spawn(self._load(symbol, source, n), name=f"momentum {symbol}")
        self._momentum_days = n
        self._draw_momentum()

    async def _load(self, symbol: str, source, n: int) -> None:
        try:
            bars = await source.broker.fetch_bars(symbol, Interval.D1, limit=n)
        except Exception as exc:  # noqa: BLE001 - one symbol's history must not stop the others
            figure = (None, f"{source.name}: {getattr(exc, 'message', exc)}", 0)
        else:
            figure = (closes_momentum(bars, n), source.name, len(bars))
        now = self.desk.market.source_for(symbol, "bars")
        if now is None or now.id != source.id or n != self.days.value():
            return  # a load for another source or n finished late: the newer one decides
        self.momentum[symbol] = figure
        self._draw_momentum()

    def _draw_momentum(self) -> None:
        sink = self.momentum_sink
        if sink is not None:
            sink.days = self.days.value()
            sink.clear()
            for symbol in self._symbols:
                if symbol in self.momentum:
                    value, where, count = self.momentum[symbol]
                    known = value is not None
                    sink.set(symbol, value, where if known or count else "",
                             "" if known else (where if not count else f"only {count} daily bars"))
            self.momentum_shown()
        rows = []
        for symbol in self._symbols:
            value, where, count = self.momentum.get(symbol, (None, "loading…", 0))
            rows.append([symbol, "—" if value is None else f"{value * 100:+.2f} %", str(count), where])
        _fill(self.mom_table, rows, numeric=(1, 2))
