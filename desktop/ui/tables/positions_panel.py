"""PositionsPanel: every connection's positions, per account or consolidated.

The per-account rows are keyed ``(connection_id, account_id, instrument key)``. The
"Consolidated" toggle sums the holdings per instrument across every account of every
connection (:func:`~desktop.domain.consolidation.consolidate_positions`; an
advisor's master accounts left out); each summed row lists its sources in its
tooltip ("Paper · PAPER: 10 @ 190.00"). With the connection filter set, the sum
covers that connection's accounts only.

A row's menu: "Close position (double-click)" (what a double-click does: emits
``activated`` and ``closeRequested`` with the position; the window fills the ticket
with the opposite side and the whole quantity), "Buy more" / "Sell more"
(``addRequested``) and "Chart" (``chartRequested(symbol)``, an option's underlying).
A position with its own id (hedging brokers: TradeLocker) is closed by that id:
its Close and double-click emit ``closeByIdRequested`` instead of ``closeRequested``
(the window asks how much to close), and "Stop-loss / take-profit…" emits
``protectRequested``; its SL, TP and Position ID columns show once such a row
arrives (:mod:`.protection_columns`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from desktop.domain.consolidation import ConsolidatedPosition, consolidate_positions

from .connection_columns import names_of
from .connection_labels import ALL_CONNECTIONS, ConnectionLabels
from .definitions import HIDDEN_BY_DEFAULT, POSITION_COLUMNS_BEFORE_CCY, positions_model
from .formatting import fmt_qty
from .header_state import Legacy
from .panel import TablePanel
from .protection_columns import POSITION_AFTER, POSITION_IDS, reveal_when_used
from .proxy import TableProxy


def chart_symbol(row: Any) -> str:
    """The symbol to chart for a row about an instrument: an option's underlying."""
    option = row.instrument.option
    return option.underlying if option is not None else row.symbol


class PositionsPanel(TablePanel):
    """Positions of every connection; P&L in green/red; a connection filter.

    A "Consolidated" toggle (``positionsConsolidatedButton``, shown once
    :meth:`set_consolidation_available` is called with True: an advisor, or several
    accounts) switches the view to one row per instrument summed over the accounts
    and connections: quantity, weighted average cost, market value and P&L; its
    Connection column says "All connections" (or the filtered connection) and its
    Account column "All accounts". ``model`` always holds the per-account rows (stage
    there); ``consolidated_model`` is derived from it after each batch. Accounts in
    :meth:`set_consolidation_excluded` (advisors' masters) are left out of the sum.

    ``closeRequested(Position)`` (with ``activated``: double-click or the menu's
    "Close position"), ``addRequested(Position)`` ("Buy more" a long, "Sell more" a
    short) and ``chartRequested(str)`` come from a row of one account (a consolidated
    row belongs to none: only Chart) of a connected connection.
    """

    closeRequested = Signal(object)
    closeByIdRequested = Signal(object)
    protectRequested = Signal(object)
    addRequested = Signal(object)
    chartRequested = Signal(str)

    def __init__(self, labels: ConnectionLabels | None = None, parent: QWidget | None = None) -> None:
        names = names_of(labels)
        panel = self

        def span(row: Any) -> str:  # the Connection cell of a consolidated row
            connection = panel.proxy.connection
            return names.name(connection) if connection else ALL_CONNECTIONS

        super().__init__(
            positions_model(names, span),
            TableProxy(("symbol", "account")),
            name="positions",
            filter_placeholder="Filter symbol or account",
            labels=labels,
            connection_filter=True, connection_column="connection",
            hidden=HIDDEN_BY_DEFAULT["positions"],
            legacy_columns=[Legacy(POSITION_COLUMNS_BEFORE_CCY, frozenset(HIDDEN_BY_DEFAULT["positions"]))],
            parent=parent,
        )
        self.consolidated_model = positions_model(names, span, parent=self)
        self._excluded: frozenset[tuple[str, str]] = frozenset()
        self.consolidated_button = QToolButton(self)
        self.consolidated_button.setObjectName("positionsConsolidatedButton")
        self.consolidated_button.setText("Consolidated")
        self.consolidated_button.setToolTip("Sum every account's positions per instrument, across connections "
                                            "(off: one row per account)")
        self.consolidated_button.setCheckable(True)
        self.consolidated_button.setAutoRaise(True)
        self.consolidated_button.toggled.connect(self.set_consolidated)
        self.consolidated_button.hide()
        self.add_tool(self.consolidated_button)
        self.model.flushed.connect(self._refresh_consolidated)
        reveal_when_used(self, POSITION_IDS[:2], after=POSITION_AFTER)  # SL, TP beside the prices
        reveal_when_used(self, POSITION_IDS[2:])  # Position ID at the end

    @property
    def consolidated(self) -> bool:
        """Whether the summed view is shown."""
        return self.proxy.sourceModel() is self.consolidated_model

    def set_consolidation_available(self, on: bool) -> None:
        """Show the toggle (True) or hide it and go back to per-account rows (False)."""
        self.consolidated_button.setVisible(on)
        if not on:
            self.set_consolidated(False)

    def set_consolidation_excluded(self, accounts: Iterable[tuple[str, str]]) -> None:
        """``(connection_id, account_id)`` of the accounts the consolidated view leaves
        out (advisors' master accounts)."""
        excluded = frozenset((str(c), str(a)) for c, a in accounts)
        if excluded != self._excluded:
            self._excluded = excluded
            self._refresh_consolidated()

    def set_consolidated(self, on: bool) -> None:
        """Show positions summed per instrument (True) or per account (False)."""
        on = bool(on)
        if self.consolidated_button.isChecked() != on:
            self.consolidated_button.setChecked(on)  # re-enters through toggled
            return
        if on == self.consolidated:
            return
        state = self.header_state()  # swapping the source resets the header; keep the user's columns
        fitting = self.view.fit_state()  # ... and which of them still fit their texts
        if on:
            self.model.flush()
            self._refresh_consolidated(force=True)
            self.consolidated_model.flush()
        self.proxy.setSourceModel(self.consolidated_model if on else self.model)
        self.restore_header_state(state)
        self.view.set_fit_state(fitting)
        self.view.request_fit()  # e.g. "All connections" in the Connection column

    def consolidated_rows(self) -> list[ConsolidatedPosition]:
        """The summed positions, computed from the per-account rows now (of the
        filtered connection only, when the connection filter is set)."""
        excluded, connection = self._excluded, self.proxy.connection
        return consolidate_positions(
            p for p in self.model.rows()
            if (p.connection_id, p.account_id) not in excluded and (connection is None or p.connection_id == connection))

    def _refresh_consolidated(self, force: bool = False) -> None:
        if not (force or self.consolidated):
            return
        rows = self.consolidated_rows()
        fresh = {self.consolidated_model.key_of(r) for r in rows}
        self.consolidated_model.remove_many(k for k in self.consolidated_model.keys() if k not in fresh)
        self.consolidated_model.stage(rows)

    def on_connection_filter_changed(self) -> None:
        if self.consolidated:
            self._refresh_consolidated()
            self.consolidated_model.flush()
            self.consolidated_model.refresh()  # the Connection cell names the filtered connection

    def on_labels_changed(self, stale: Collection[str]) -> None:
        super().on_labels_changed(stale)
        self.consolidated_model.refresh()  # names and "(disconnected)" in the sources' tooltip

    # ---------------------------------------------------------------- row menu
    def _why_not_tradeable(self, p: Any) -> str:
        """Why no order can be prefilled for position ``p`` ("" when one can)."""
        if not p.connection_id:
            return "a consolidated row: use an account's row"
        if self.labels is not None and self.labels.is_stale(p.connection_id):
            return f"{self.labels.name(p.connection_id)} is disconnected"
        return ""

    def add_row_actions(self, menu: QMenu, rows: list[Any]) -> None:
        target = rows[0] if len(rows) == 1 else None
        why = self._why_not_tradeable(target) if target is not None else "select one position"
        name = target.instrument.display_name if target is not None else ""
        close_text = "Close position (double-click)"
        if target is not None and target.quantity:
            side = "sell" if target.quantity > 0 else "buy"
            close_text = f"Close position: {side} {fmt_qty(abs(target.quantity))} {name} (double-click)"
        by_id = target is not None and bool(getattr(target, "position_id", ""))
        if by_id:
            close_text = f"Close position {target.position_id}… (double-click)"
        close = menu.addAction(close_text, lambda: self.double_click(target))
        close.setObjectName("closePositionAction")
        if by_id:
            protect = menu.addAction("Stop-loss / take-profit…", lambda: self.protectRequested.emit(target))
            protect.setObjectName("protectPositionAction")
            protect.setEnabled(not why)
            protect.setToolTip(why)
        long = target is None or target.quantity >= 0
        more = menu.addAction(f"{'Buy' if long else 'Sell'} more {name}".rstrip(), lambda: self.addRequested.emit(target))
        more.setObjectName("addToPositionAction")
        for action in (close, more):
            action.setEnabled(not why and target is not None and bool(target.quantity))
            action.setToolTip(why)
        chart = menu.addAction(f"Chart {chart_symbol(target)}" if target is not None else "Chart",
                               lambda: self.chartRequested.emit(chart_symbol(target)))
        chart.setObjectName("chartAction")
        chart.setEnabled(target is not None)
        menu.setToolTipsVisible(True)

    def on_row_double_clicked(self, row: Any) -> None:
        if not self._why_not_tradeable(row) and row.quantity:
            if getattr(row, "position_id", ""):
                self.closeByIdRequested.emit(row)
            else:
                self.closeRequested.emit(row)
