"""The ticket's allocation table: how a group order will be (or was) split by account.

Two modes. *Estimate* (while the order is being written): per client account its
NetLiq (available equity for A groups), the expected shares and notional from
:func:`~desktop.ui.ticket.allocation_values.estimate_allocation`, titled "Estimate".
*Placed* (after the order is accepted, until a new order is started): Account,
Estimate, Filled, Avg price from the group order's fills.
"""

from __future__ import annotations

import html
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QSizePolicy, QTableWidget, QTableWidgetItem, QVBoxLayout,
    QWidget,
)

from desktop.domain import AllocationMethod

from .allocation_values import METHOD_NAMES, AllocationEstimate, FillTally
from .style import ERROR, LINK, show_error
from .values import fmt_money, fmt_price, fmt_qty

ESTIMATE_COLUMNS = ("Account", "NetLiq", "Shares", "Notional")
PLACED_COLUMNS = ("Account", "Estimate", "Filled", "Avg price")
_BADGE = "background: #fff3cd; color: #7a5b00; border-radius: 3px; padding: 0 4px; font-size: 11px;"


def _compact_money(value: Decimal | None) -> str:
    """"$1.00M", "$400K", "$12,345" style for the narrow NetLiq column."""
    if value is None:
        return "—"
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1_000_000:
        return f"{sign}${v / 1_000_000:,.2f}M"
    if v >= 100_000:
        return f"{sign}${v / 1_000:,.0f}K"
    return f"{sign}${v:,.0f}"


class AllocationPreview(QWidget):
    """Per-account split of a group order (objectName "allocationPreview").

    Children: "allocationTitle" (group, method, and an "Estimate" badge or the order
    state), "allocationTable" (read-only), "allocationError" (why there is no split;
    rich text with a "Set quantity to N" link when S/C imply a quantity). Emits
    ``quantityRequested(Decimal)`` when that link is clicked. :meth:`cells` returns the
    table as text for tests and logs.
    """

    quantityRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allocationPreview")
        self.title_label = QLabel(self, objectName="allocationTitle", textFormat=Qt.TextFormat.RichText)
        self.title_label.setWordWrap(True)
        self.table = QTableWidget(0, len(ESTIMATE_COLUMNS), self, objectName="allocationTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.table.setStyleSheet("QTableWidget { font-size: 11px; } QHeaderView::section { font-size: 11px; padding: 1px 3px; }")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.error_label = QLabel(self, objectName="allocationError", textFormat=Qt.TextFormat.RichText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR}; font-size: 11px;")
        self.error_label.setVisible(False)
        self.error_label.linkActivated.connect(self._link)
        self._suggested: Decimal | None = None
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 0, 0)
        title_row.addWidget(self.title_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(title_row)
        layout.addWidget(self.table)
        layout.addWidget(self.error_label)
        self.mode = "estimate"

    # ------------------------------------------------------------------ modes
    def show_estimate(self, estimate: AllocationEstimate, *, currency: str = "USD") -> None:
        """Estimate mode: one row per member with value, shares and notional."""
        self.mode = "estimate"
        group = estimate.group
        value_header = "Avail. eq." if group.method is AllocationMethod.AVAILABLE_EQUITY else "NetLiq"
        self.title_label.setText(f"<b>{group.name}</b> · {group.method.code} {METHOD_NAMES[group.method].lower()}"
                                 f" &nbsp;<span style='{_BADGE}'>Estimate</span>")
        self.title_label.setToolTip("What the broker is expected to give each account; the broker makes the"
                                    " actual split when the order fills")
        rows = []
        for r in estimate.rows:
            value = r.available_equity if group.method is AllocationMethod.AVAILABLE_EQUITY else r.net_liquidation
            tip = (f"{r.account_id} {r.name}\nNet liquidation: {fmt_money(r.net_liquidation, currency) if r.net_liquidation is not None else '—'}"
                   f"\nAvailable equity: {fmt_money(r.available_equity, currency) if r.available_equity is not None else '—'}")
            rows.append(([r.account_id, _compact_money(value), _q(r.shares),
                          fmt_money(r.notional, currency) if r.notional is not None else "—"], tip))
        total = estimate.total_shares
        notionals = [r.notional for r in estimate.rows]
        total_notional = sum(notionals, Decimal(0)) if notionals and None not in notionals else None
        rows.append((["Total", "", _q(total), fmt_money(total_notional, currency) if total_notional is not None else "—"],
                     "Sum over the group"))
        self._fill((ESTIMATE_COLUMNS[0], value_header, *ESTIMATE_COLUMNS[2:]), rows)
        self._suggested = estimate.suggested_quantity if estimate.blocking or estimate.error else None
        if estimate.blocking:  # the quantity field says why; here the way out
            self._show_error(f"The group allocates {_q(estimate.suggested_quantity)} shares.", self._suggested)
        else:
            self._show_error(estimate.error, self._suggested)

    def show_placed(self, estimate: AllocationEstimate, tally: FillTally, status: str = "") -> None:
        """Placed mode: the estimate next to the actual fills of the order."""
        self.mode = "placed"
        group = estimate.group
        state = f" · {status}" if status else ""
        self.title_label.setText(f"<b>{group.name}</b> · order placed{state}")
        self.title_label.setToolTip("Estimate before the order, and what each account actually received")
        rows = []
        for r in estimate.rows:
            filled = tally.filled.get(r.account_id, Decimal(0))
            avg = tally.average(r.account_id)
            rows.append(([r.account_id, _q(r.shares), _q(filled), fmt_price(avg.quantize(Decimal("0.0001")).normalize()) if avg is not None else "—"],
                         f"{r.account_id} {r.name}"))
        total_filled = sum(tally.filled.values(), Decimal(0))
        rows.append((["Total", _q(estimate.total_shares), _q(total_filled), ""], "Sum over the group"))
        self._fill(PLACED_COLUMNS, rows)
        self._show_error("", None)

    # ---------------------------------------------------------------- helpers
    def cells(self) -> list[list[str]]:
        """The table's header and rows as text."""
        header = [self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())]
        body = [[self.table.item(r, c).text() for c in range(self.table.columnCount())] for r in range(self.table.rowCount())]
        return [header, *body]

    def error_text(self) -> str:
        """The visible error's plain text ("" when none)."""
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def _fill(self, headers: tuple[str, ...], rows: list[tuple[list[str], str]]) -> None:
        table = self.table
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.setRowCount(len(rows))
        for r, (texts, tip) in enumerate(rows):
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if c > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r == len(rows) - 1:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(r, c, item)
        height = table.horizontalHeader().sizeHint().height() + sum(table.rowHeight(r) for r in range(len(rows))) + 4
        table.setFixedHeight(height)

    def _show_error(self, message: str, suggested: Decimal | None) -> None:
        if not message:
            show_error(self.error_label, None)
            return
        text = html.escape(message)
        if suggested is not None:
            text += f" &nbsp;<a href='set-quantity' style='color: {LINK}'>Set quantity to {fmt_qty(suggested)}</a>"
        show_error(self.error_label, text)

    def _link(self, href: str) -> None:
        if href == "set-quantity" and self._suggested is not None:
            self.quantityRequested.emit(self._suggested)


def _q(value: Decimal | None) -> str:
    return "—" if value is None else fmt_qty(value)
