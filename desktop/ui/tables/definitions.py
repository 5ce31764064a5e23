"""Column sets of the blotter tables and factories of their models.

Watchlist rows are :class:`~desktop.domain.Quote` (keyed by symbol), accounts rows
:class:`AccountRow` (an Account joined with one of its Balances), positions rows
:class:`~desktop.domain.Position`, orders rows :class:`~desktop.domain.Order`, fills
rows :class:`~desktop.domain.Fill` (keyed by their ``.key``).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QColor

from desktop.domain import Account, Balance, Fill, Order, OrderSide, OrderStatus, Position, Quote

from .columns import Column, gain_color, loss_color, muted_color, sign_color
from .formatting import enum_label, fmt_int, fmt_money, fmt_pct, fmt_pnl, fmt_price, fmt_qty, fmt_time, fmt_timestamp
from .model import KeyedTableModel

FILLS_MAX_ROWS = 20_000
"""Fills are append-only; the table keeps at most this many (the oldest are dropped)."""


def side_color(side: Any) -> QColor | None:
    """BUY green, SELL red (also "BUY to open" / "SELL to close" of option orders)."""
    if side is OrderSide.BUY or (isinstance(side, str) and side.startswith("BUY ")):
        return gain_color()
    if side is OrderSide.SELL or (isinstance(side, str) and side.startswith("SELL ")):
        return loss_color()
    return None


def status_color(status: Any) -> QColor | None:
    """Rejections red, other closed orders grey, working orders default."""
    if status in (OrderStatus.REJECTED, OrderStatus.DENIED):
        return loss_color()
    if isinstance(status, OrderStatus) and status.is_closed:
        return muted_color()
    return None


def _account_tip(row: Any) -> str:
    return f"{row.broker} · {row.account_id}"


# ------------------------------------------------------------------ advisor groups
def is_group_order(o: Order) -> bool:
    """Whether ``o`` is an allocation-group order itself (its account is the group)."""
    return bool(o.allocation_group) and o.account_id == o.allocation_group


def order_account_text(o: Order) -> str:
    """Orders' Account/Group cell: the account, or "ByNetLiq (group)" for a group order."""
    return f"{o.account_id} (group)" if is_group_order(o) else o.account_id


def _order_account_tip(o: Order) -> str:
    if is_group_order(o):
        return (f"Allocation group {o.allocation_group}: one order split over the group's client "
                f"accounts; the Fills table shows each account's share ({o.broker})")
    return _account_tip(o)


def _fill_group_tip(f: Fill) -> str | None:
    if not f.allocation_group:
        return None
    return f"{f.account_id}'s share of an order placed to allocation group {f.allocation_group}"


# ------------------------------------------------------------- instrument names
def instrument_name(row: Any) -> str:
    """What the symbol column shows: the ticker, or "AAPL 21 Feb 25 200 C" for an option."""
    return row.instrument.display_name


def occ_symbol(row: Any) -> str:
    """The OCC symbol of an option row ("" for other instruments), for a copyable column."""
    return row.instrument.symbol if row.instrument.is_option else ""


def _instrument_tip(row: Any) -> str | None:
    """Tooltip of the symbol column of an option row: its OCC symbol and contract."""
    inst = row.instrument
    if not inst.is_option:
        return None
    option = inst.option
    kind = "call" if option.right.value == "CALL" else "put"
    return (f"{inst.display_name} ({kind})\nOCC symbol: {inst.symbol}\n"
            f"{fmt_qty(inst.multiplier)} shares per contract")


def _multiplier(row: Any) -> Any:
    """Contract multiplier of option rows (None for shares, which would all say 1)."""
    return row.instrument.multiplier if row.instrument.is_option else None


def _symbol_column() -> Column:
    return Column("symbol", "Symbol", instrument_name, tooltip=_instrument_tip)


def _occ_column() -> Column:
    return Column("occ", "OCC symbol", occ_symbol, header_tip="OCC (OSI) option symbol, e.g. AAPL  250221C00200000")


HIDDEN_BY_DEFAULT = {"positions": ("occ",), "orders": ("occ",), "fills": ("occ",)}
"""Column ids a panel starts with hidden (shown through the header's context menu)."""


# ---------------------------------------------------------------------- watchlist
def quote_key(q: Quote) -> Hashable:
    """Watchlist rows are keyed by symbol."""
    return q.symbol


def _quote_tip(q: Quote) -> str:
    parts = [q.symbol]
    if q.bid_size is not None or q.ask_size is not None:
        parts.append(f"bid size {fmt_qty(q.bid_size) or '?'} · ask size {fmt_qty(q.ask_size) or '?'}")
    if q.prev_close is not None:
        parts.append(f"previous close {fmt_price(q.prev_close)}")
    parts.append(f"updated {fmt_timestamp(q.timestamp)}")
    return "\n".join(parts)


WATCHLIST_COLUMNS: list[Column] = [
    Column("symbol", "Symbol", lambda q: q.symbol),
    Column("last", "Last", lambda q: q.last, fmt_price, numeric=True),
    Column("change", "Change", lambda q: q.change, fmt_pnl, numeric=True, color=sign_color),
    Column("change_pct", "Change %", lambda q: q.change_pct, fmt_pct, numeric=True, color=sign_color),
    Column("bid", "Bid", lambda q: q.bid, fmt_price, numeric=True),
    Column("ask", "Ask", lambda q: q.ask, fmt_price, numeric=True),
    Column("volume", "Volume", lambda q: q.volume, fmt_int, numeric=True),
]


# ----------------------------------------------------------------------- accounts
@dataclass(frozen=True, slots=True)
class AccountRow:
    """One row of the accounts table: an account and its balance in one currency.

    Either part may be missing until it arrives (an account without a balance yet,
    or a balance whose account has not been described).
    """

    broker: str
    account_id: str
    currency: str
    account: Account | None = None
    balance: Balance | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.broker, self.account_id, self.currency)

    @property
    def name(self) -> str:
        return self.account.name if self.account is not None else ""

    @staticmethod
    def of_balance(balance: Balance, account: Account | None = None) -> "AccountRow":
        return AccountRow(balance.broker, balance.account_id, balance.currency, account, balance)

    @staticmethod
    def of_account(account: Account) -> "AccountRow":
        return AccountRow(account.broker, account.account_id, account.currency, account, None)


def _bal(attr: str):
    def get(row: AccountRow) -> Any:
        return getattr(row.balance, attr) if row.balance is not None else None

    return get


def _account_row_tip(row: AccountRow) -> str:
    lines = [_account_tip(row)]
    if row.account is not None:
        kind = f"{row.account.kind}{' · paper' if row.account.is_paper else ''}"
        lines.append(kind)
    if row.balance is not None:
        lines.append(f"updated {fmt_timestamp(row.balance.timestamp)}")
    return "\n".join(lines)


def account_role(row: AccountRow) -> str:
    """Accounts' Role cell: "Master" for an advisor's own account, "Client" for its
    clients (the tooltip names the master), "" for an ordinary account (or before the
    account is described)."""
    account = row.account
    if account is None:
        return ""
    if account.is_master:
        return "Master"
    return "Client" if account.parent_id else ""


def _role_tip(row: AccountRow) -> str | None:
    account = row.account
    if account is not None and account.is_master:
        return "The advisor's own (master) account: it places group orders, its clients hold the positions"
    if account is not None and account.parent_id:
        return f"Client account of the advisor {account.parent_id}"
    return None


ACCOUNT_COLUMNS: list[Column] = [
    Column("account", "Account", lambda r: r.account_id),
    Column("name", "Name", lambda r: r.name),
    Column("role", "Role", account_role, tooltip=_role_tip, header_tip="Advisor logins: the master (advisor) account and its clients"),
    Column("currency", "Currency", lambda r: r.currency),
    Column("cash", "Cash", _bal("cash"), fmt_money, numeric=True),
    Column("buying_power", "Buying power", _bal("buying_power"), fmt_money, numeric=True),
    Column("net_liquidation", "Net liquidation", _bal("net_liquidation"), fmt_money, numeric=True),
    Column("unrealized_pnl", "Unrealized P&L", _bal("unrealized_pnl"), fmt_pnl, numeric=True, color=sign_color),
    Column("realized_pnl", "Realized P&L", _bal("realized_pnl"), fmt_pnl, numeric=True, color=sign_color),
]


# ---------------------------------------------------------------------- positions
def _position_tip(p: Position) -> str:
    lines = [f"{p.symbol}{' - ' + p.instrument.description if p.instrument.description else ''}", _account_tip(p)]
    lines.append(f"cost basis {fmt_money(p.cost_basis)} {p.instrument.currency}")
    return "\n".join(lines)


POSITION_COLUMNS: list[Column] = [
    Column("account", "Account", lambda p: p.account_id, tooltip=_account_tip),
    _symbol_column(),
    Column("quantity", "Quantity", lambda p: p.quantity, fmt_qty, numeric=True),
    Column("multiplier", "Mult.", _multiplier, fmt_qty, numeric=True,
           header_tip="Contract multiplier: shares per option contract"),
    Column("avg_price", "Avg price", lambda p: p.average_price, fmt_price, numeric=True),
    Column("last", "Last", lambda p: p.last_price, fmt_price, numeric=True),
    Column("market_value", "Market value", lambda p: p.market_value, fmt_money, numeric=True),
    Column("unrealized_pnl", "Unrealized P&L", lambda p: p.unrealized_pnl, fmt_pnl, numeric=True, color=sign_color),
    Column("realized_pnl", "Realized P&L", lambda p: p.realized_pnl, fmt_pnl, numeric=True, color=sign_color),
    _occ_column(),
]


# ------------------------------------------------------------------------- orders
def _order_tip(o: Order) -> str:
    lines = [o.describe(), f"{_status_text(o)} · {_account_tip(o)}"]
    if o.message:
        lines.append(o.message)
    lines.append(f"created {fmt_timestamp(o.created_at)} · updated {fmt_timestamp(o.updated_at)}")
    return "\n".join(lines)


def _order_side(o: Order) -> Any:
    """The side; option orders that state open/close show it ("BUY to open")."""
    action = getattr(o, "position_effect", None)
    if action is None:
        return o.side
    return f"{o.side.value} to {action.value.lower()}"


def _status_text(o: Order) -> str:
    """Status label of an order, with the fill progress when partly filled."""
    if o.status is OrderStatus.PARTIALLY_FILLED:
        return f"{enum_label(o.status)} {fmt_qty(o.filled)}/{fmt_qty(o.amount)}"
    return enum_label(o.status)


ORDER_COLUMNS: list[Column] = [
    Column("time", "Time", lambda o: o.created_at, fmt_time),
    Column("account", "Account/Group", order_account_text, tooltip=_order_account_tip,
           header_tip="The account, or the allocation group a group order was placed to"),
    _symbol_column(),
    Column("side", "Side", _order_side, color=side_color),
    Column("type", "Type", lambda o: o.type),
    Column("quantity", "Quantity", lambda o: o.amount, fmt_qty, numeric=True),
    Column("filled", "Filled", lambda o: o.filled, fmt_qty, numeric=True),
    Column("remaining", "Remaining", lambda o: o.remaining, fmt_qty, numeric=True),
    Column("limit", "Limit", lambda o: o.limit_price, fmt_price, numeric=True),
    Column("stop", "Stop", lambda o: o.stop_price, fmt_price, numeric=True),
    Column("avg_price", "Avg fill", lambda o: o.average, fmt_price, numeric=True, header_tip="Average fill price"),
    Column("tif", "TIF", lambda o: o.time_in_force, header_tip="Time in force"),
    Column("status", "Status", lambda o: o.status, color=status_color),
    Column("message", "Message", lambda o: o.message, tooltip=lambda o: o.message or None),
    _occ_column(),
    Column("order_id", "Order ID", lambda o: o.order_id),
]


# -------------------------------------------------------------------------- fills
def _fill_tip(f: Fill) -> str:
    return "\n".join(
        [
            f"{f.side.value} {fmt_qty(f.amount)} {f.symbol} @ {fmt_price(f.price)}",
            _account_tip(f),
            f"fill {f.fill_id} · order {f.order_id}",
            fmt_timestamp(f.timestamp),
        ]
    )


FILL_COLUMNS: list[Column] = [
    Column("time", "Time", lambda f: f.timestamp, fmt_time),
    Column("account", "Account", lambda f: f.account_id),
    Column("group", "Group", lambda f: f.allocation_group, tooltip=_fill_group_tip,
           header_tip="The allocation group whose order this fill was allocated from"),
    _symbol_column(),
    Column("side", "Side", lambda f: f.side, color=side_color),
    Column("quantity", "Quantity", lambda f: f.amount, fmt_qty, numeric=True),
    Column("price", "Price", lambda f: f.price, fmt_price, numeric=True),
    Column("commission", "Commission", lambda f: f.commission, fmt_money, numeric=True),
    Column("value", "Value", lambda f: f.cost, fmt_money, numeric=True, header_tip="Quantity × price × multiplier"),
    _occ_column(),
    Column("order_id", "Order ID", lambda f: f.order_id),
]


# ------------------------------------------------------------------------ models
def watchlist_model(**kw: Any) -> KeyedTableModel:
    """A model of Quotes keyed by symbol."""
    return KeyedTableModel(WATCHLIST_COLUMNS, quote_key, row_tooltip=_quote_tip, **kw)


def accounts_model(**kw: Any) -> KeyedTableModel:
    """A model of :class:`AccountRow` keyed by (broker, account_id, currency)."""
    return KeyedTableModel(ACCOUNT_COLUMNS, row_tooltip=_account_row_tip, **kw)


def positions_model(**kw: Any) -> KeyedTableModel:
    """A model of Positions keyed by (broker, account_id, symbol)."""
    return KeyedTableModel(POSITION_COLUMNS, row_tooltip=_position_tip, **kw)


def orders_model(**kw: Any) -> KeyedTableModel:
    """A model of Orders keyed by (broker, account_id, order_id)."""
    return KeyedTableModel(ORDER_COLUMNS, row_tooltip=_order_tip, **kw)


def fills_model(**kw: Any) -> KeyedTableModel:
    """A model of Fills keyed by (broker, account_id, fill_id), capped at FILLS_MAX_ROWS."""
    kw.setdefault("max_rows", FILLS_MAX_ROWS)
    return KeyedTableModel(FILL_COLUMNS, row_tooltip=_fill_tip, **kw)
