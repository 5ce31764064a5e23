"""The option chain as a table model: calls on the left, strikes in the middle, puts on the right.

:class:`OptionChainModel` is a QAbstractTableModel over one expiry of an
:class:`~desktop.domain.OptionChain`: a row per strike; call columns mirrored around the
strike column so bid and ask sit next to it. The at-the-money strike is highlighted and
in-the-money cells are shaded. Refreshing with the same strikes emits one dataChanged for
the whole table; a new set of strikes resets the model. No widgets: the panel is
:mod:`.chain`, the view :mod:`.chain_view`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from desktop.domain import OptionChain, OptionQuote, OptionRight

from .common import atm_background, atm_text, fmt_strike, itm_background, muted, strike_background

QuoteRole = int(Qt.ItemDataRole.UserRole) + 20
"""The OptionQuote behind a call/put cell (None for the strike column)."""
FieldRole = int(Qt.ItemDataRole.UserRole) + 21
"""The quote field a column shows ("bid", "ask", ..., "strike")."""
StrikeRole = int(Qt.ItemDataRole.UserRole) + 22
"""The strike of a cell's row."""


@dataclass(frozen=True)
class ChainColumn:
    """One quote field shown on both sides: its header and header tooltip."""

    field: str
    header: str
    tip: str


_FIELDS = [
    ChainColumn("bid", "Bid", "Bid: click to sell"),
    ChainColumn("ask", "Ask", "Ask: click to buy"),
    ChainColumn("last", "Last", "Last traded price"),
    ChainColumn("volume", "Vol", "Volume: contracts traded today"),
    ChainColumn("open_interest", "OI", "Open interest: contracts outstanding"),
    ChainColumn("iv", "IV", "Implied volatility, annualised, in %"),
    ChainColumn("delta", "Delta", "Delta: option price change per 1.00 move of the underlying"),
]
CALL_COLUMNS = list(reversed(_FIELDS))  # ... last, ask, bid | strike
PUT_COLUMNS = list(_FIELDS)  # strike | bid, ask, last ...
STRIKE_COLUMN = len(CALL_COLUMNS)
COLUMN_COUNT = len(CALL_COLUMNS) + 1 + len(PUT_COLUMNS)


def column_spec(column: int) -> tuple[OptionRight | None, str]:
    """(right, field) of a column: (CALL, "bid"), (None, "strike"), (PUT, "delta")..."""
    if column < STRIKE_COLUMN:
        return OptionRight.CALL, CALL_COLUMNS[column].field
    if column == STRIKE_COLUMN:
        return None, "strike"
    return OptionRight.PUT, PUT_COLUMNS[column - STRIKE_COLUMN - 1].field


def column_of(right: OptionRight, field: str) -> int:
    """The column showing ``field`` of ``right``'s quotes."""
    if right is OptionRight.CALL:
        return next(i for i, c in enumerate(CALL_COLUMNS) if c.field == field)
    return STRIKE_COLUMN + 1 + next(i for i, c in enumerate(PUT_COLUMNS) if c.field == field)


def fmt_cell(field: str, value: Any) -> str:
    """Chain cell text: prices 2 decimals, counts with separators, IV in %, delta 2 decimals."""
    if value is None:
        return "–" if field in ("bid", "ask", "last") else ""
    if field in ("bid", "ask", "last"):
        return f"{value:,.2f}"
    if field in ("volume", "open_interest"):
        return f"{int(value):,}"
    if field == "iv":
        return f"{value * 100:.1f}"
    if field == "delta":
        text = f"{value:.2f}"
        return "0.00" if text == "-0.00" else text
    return str(value)


@dataclass(frozen=True)
class ChainRow:
    """One strike's call and put quotes (None where not quoted)."""

    strike: Decimal
    call: OptionQuote | None
    put: OptionQuote | None


class OptionChainModel(QAbstractTableModel):
    """One expiry of an option chain as a table (see module docs)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[ChainRow] = []
        self._underlying = ""
        self._price: Decimal | None = None
        self._expiry: date | None = None
        self._atm: Decimal | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    # ---------------------------------------------------------------- updates
    def set_chain(self, chain: OptionChain | None, expiry: date | None) -> None:
        """Show ``chain``'s quotes of ``expiry`` (None: its first expiry)."""
        if chain is None:
            self.beginResetModel()
            self._rows, self._underlying, self._price, self._expiry, self._atm = [], "", None, None, None
            self.endResetModel()
            return
        quotes = chain.quotes
        if expiry is None:
            expiries = sorted({q.contract.expiry for q in quotes}) or list(chain.expiries)
            expiry = expiries[0] if expiries else None
        by_strike: dict[Decimal, dict[OptionRight, OptionQuote]] = {}
        for quote in quotes:
            if quote.contract.expiry == expiry:
                by_strike.setdefault(quote.contract.strike, {})[quote.contract.right] = quote
        rows = [ChainRow(s, q.get(OptionRight.CALL), q.get(OptionRight.PUT)) for s, q in sorted(by_strike.items())]
        price = chain.underlying_price or next((q.underlying_price for q in quotes if q.underlying_price is not None), None)
        strikes = [r.strike for r in rows]
        same_shape = (strikes == [r.strike for r in self._rows] and chain.underlying == self._underlying
                      and expiry == self._expiry)
        self._underlying, self._price, self._expiry = chain.underlying, price, expiry
        self._atm = min(strikes, key=lambda s: (abs(s - price), s)) if strikes and price is not None else None
        if same_shape:
            self._rows = rows
            if rows:  # one signal for the whole table, however many quotes moved
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, COLUMN_COUNT - 1))
        else:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()

    # ------------------------------------------------------------------- info
    @property
    def underlying(self) -> str:
        """The underlying shown ("" when none)."""
        return self._underlying

    @property
    def underlying_price(self) -> Decimal | None:
        """The underlying's price the shading is measured against (None when unknown)."""
        return self._price

    @property
    def expiry(self) -> date | None:
        """The expiry shown (None when none)."""
        return self._expiry

    @property
    def atm_strike(self) -> Decimal | None:
        """The strike nearest the underlying price (None when unknown)."""
        return self._atm

    def strikes(self) -> list[Decimal]:
        """The strikes shown, one a row, ascending."""
        return [r.strike for r in self._rows]

    def row_of(self, strike: Decimal) -> int:
        """Row of ``strike`` (-1 when absent)."""
        return next((i for i, r in enumerate(self._rows) if r.strike == strike), -1)

    def quote_for(self, symbol: str) -> OptionQuote | None:
        """The quote of the contract whose OCC symbol is ``symbol`` (None when not shown)."""
        for r in self._rows:
            for q in (r.call, r.put):
                if q is not None and q.contract.occ_symbol == symbol:
                    return q
        return None

    def in_the_money(self, right: OptionRight, strike: Decimal) -> bool:
        """Calls below and puts above the underlying price are in the money."""
        if self._price is None:
            return False
        return strike < self._price if right is OptionRight.CALL else strike > self._price

    # -------------------------------------------------------------- Qt model
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else COLUMN_COUNT

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        role = int(role)
        row = self._rows[index.row()]
        right, field = column_spec(index.column())
        atm = row.strike == self._atm
        if right is None:  # the strike column
            if role == Qt.ItemDataRole.DisplayRole:
                return fmt_strike(row.strike)
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return Qt.AlignmentFlag.AlignCenter
            if role == Qt.ItemDataRole.BackgroundRole:
                return atm_background() if atm else strike_background()
            if role == Qt.ItemDataRole.ForegroundRole:
                return atm_text() if atm else None
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.ToolTipRole:
                price = f" (underlying {self._price:,.2f})" if self._price is not None else ""
                return f"Strike {fmt_strike(row.strike)}{' · at the money' if atm else ''}{price}"
            if role == FieldRole:
                return "strike"
            if role == StrikeRole:
                return row.strike
            return None
        quote = row.call if right is OptionRight.CALL else row.put
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt_cell(field, getattr(quote, field)) if quote is not None else ""
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.BackgroundRole:
            return itm_background() if self.in_the_money(right, row.strike) else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if field in ("volume", "open_interest", "iv", "delta"):
                return muted()
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if atm and field in ("bid", "ask") else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if quote is None:
                return None
            c = quote.contract
            kind = "call" if right is OptionRight.CALL else "put"
            itm = "in the money" if self.in_the_money(right, row.strike) else "out of the money"
            action = {"bid": "Click to sell at the bid", "ask": "Click to buy at the ask"}.get(field, "Click to buy")
            return f"{c.describe()} ({kind}, {itm})\n{c.occ_symbol}\n{action}"
        if role == QuoteRole:
            return quote
        if role == FieldRole:
            return field
        if role == StrikeRole:
            return row.strike
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return None
        role = int(role)
        right, field = column_spec(section)
        spec = None
        if right is OptionRight.CALL:
            spec = CALL_COLUMNS[section]
        elif right is OptionRight.PUT:
            spec = PUT_COLUMNS[section - STRIKE_COLUMN - 1]
        if role == Qt.ItemDataRole.DisplayRole:
            return "Strike" if spec is None else spec.header
        if role == Qt.ItemDataRole.ToolTipRole:
            if spec is None:
                return "Strike price; the at-the-money strike is highlighted"
            return f"{'Calls' if right is OptionRight.CALL else 'Puts'}: {spec.tip}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter if spec is None else Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
