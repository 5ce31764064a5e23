"""Column sets of the blotter tables and factories of their models.

Watchlist rows are :class:`~desktop.domain.Quote` (keyed by symbol: one row per
symbol, showing the quote of its market-data source), accounts rows
:class:`AccountRow` (an Account joined with one of its Balances), positions rows
:class:`~desktop.domain.Position`, orders rows :class:`~desktop.domain.Order`, fills
rows :class:`~desktop.domain.Fill` (keyed by their ``.key``:
``(connection_id, account_id, id)``). Column sets are built for one window's
connection names (``labels``, see :mod:`.connection_labels`; None: connection ids
stand for names and nothing is stale).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from desktop.domain import Fill, Order, Position, Quote
from desktop.ui.display_clock import fmt_timestamp_for

from .account_rows import AccountRow
from .cells import (
    as_of_text,
    fill_group_tip,
    is_group_order,
    multiplier,
    occ_column,
    order_account_text,
    order_ended_unfilled,
    side_color,
    status_color,
    symbol_column,
    time_column,
)
from .columns import Column, sign_color
from .connection_columns import (
    DISCONNECTED,
    UNLABELLED,
    Names,
    connection_column,
    order_status_column,
    order_status_text,
    origin,
    quote_staleness,
    source_column,
    spanning,
)
from desktop.ui.price_places import places

from .formatting import fmt_int, fmt_money, fmt_pct, fmt_pnl, fmt_price, fmt_qty, fmt_volume
from .model import KeyedTableModel
from .momentum_column import momentum_column
from .protection_columns import (ORDER_IDS, POSITION_IDS, order_protection_columns, position_protection_columns,
                                 priced)
from .quote_columns import quote_side, symbol_price

FILLS_MAX_ROWS = 20_000
"""Fills are append-only; the table keeps at most this many (the oldest are dropped)."""

HIDDEN_BY_DEFAULT = {"positions": ("occ", *POSITION_IDS), "orders": ("limit", "stop", "occ", *ORDER_IDS),
                     "fills": ("occ",)}
"""Column ids a panel starts with hidden (shown through the header's context menu)."""


# ---------------------------------------------------------------------- watchlist
def quote_key(q: Quote) -> Hashable:
    """Watchlist rows are keyed by symbol."""
    return q.symbol


def _quote_tip(labels: Names) -> Callable[[Quote], str]:
    def tip(q: Quote) -> str:
        parts = [q.symbol]
        stale = quote_staleness(labels, q)
        if stale:
            parts.append(stale)
        elif q.connection_id:
            parts.append(f"from {labels.name(q.connection_id)}")
        if q.bid_size is not None or q.ask_size is not None:
            parts.append(f"bid size {fmt_qty(q.bid_size) or '?'} · ask size {fmt_qty(q.ask_size) or '?'}")
        if q.prev_close is not None:
            parts.append(f"previous close {fmt_price(q.prev_close, places(q.symbol))}")
        if q.volume is not None:
            parts.append(f"volume {fmt_int(q.volume)}")
        parts.append(f"updated {fmt_timestamp_for(q.timestamp, q.connection_id)}")
        return "\n".join(parts)

    return tip


def watchlist_columns(labels: Names = UNLABELLED, momentum: Any = None) -> list[Column]:
    """Symbol, prices, change, volume, n-day momentum (when ``momentum``, a
    :class:`~desktop.ui.tables.momentum_column.MomentumValues`, is given) and the Source
    connection of each quote."""
    extra = [momentum_column(momentum)] if momentum is not None else []
    return [
        Column("symbol", "Symbol", lambda q: q.symbol),
        Column("last", "Last", lambda q: q.last, fmt_price, numeric=True, render=symbol_price(lambda q: q.last)),
        Column("change", "Chg", lambda q: q.change, fmt_pnl, numeric=True, color=sign_color,
               header_tip="Change since the previous close", render=lambda q: fmt_pnl(q.change, places(q.symbol))),
        Column("change_pct", "Chg %", lambda q: q.change_pct, fmt_pct, numeric=True, color=sign_color,
               header_tip="Change since the previous close, in percent"),
        quote_side(labels, "bid", "Bid", "bid"),
        quote_side(labels, "ask", "Ask", "ask"),
        Column("volume", "Vol", lambda q: q.volume, fmt_int, numeric=True, render=lambda q: fmt_volume(q.volume),
               header_tip="Volume traded today (the exact figure in the row's tooltip)"),
        *extra,
        source_column(labels),
    ]


# ----------------------------------------------------------------------- accounts
def _bal(attr: str) -> Callable[[AccountRow], Any]:
    def get(row: AccountRow) -> Any:
        return getattr(row.balance, attr) if row.balance is not None else None

    return get


def _account_row_tip(labels: Names) -> Callable[[AccountRow], str]:
    def tip(row: AccountRow) -> str:
        lines = [origin(labels, row)]
        if row.account is not None:
            lines.append(f"{row.account.kind}{' · paper' if row.account.is_paper else ''}")
        if row.balance is not None:
            lines.append(f"updated {fmt_timestamp_for(row.balance.timestamp, row.connection_id)}")
        return "\n".join(lines)

    return tip


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


ACCOUNT_COLUMNS_BEFORE_ISSUE_11 = (
    "connection", "account", "name", "role", "currency", "cash", "buying_power", "net_liquidation", "unrealized_pnl",
    "realized_pnl")
"""The accounts table's columns before Currency moved after the figures (issue 11);
today's order again since issue 14 (a state saved then restores as it was)."""

ACCOUNT_COLUMNS_ISSUE_11 = (
    "connection", "account", "name", "role", "cash", "buying_power", "net_liquidation", "unrealized_pnl",
    "realized_pnl", "currency")
"""The accounts table's columns while Currency sat after the figures (issue 11 until
issue 14, where per-currency rows scrolled it out of sight): a header state saved then
is mapped onto today's columns by id (see :mod:`.header_state`)."""


def account_columns(labels: Names = UNLABELLED) -> list[Column]:
    """Connection, account, name, role, the currency (a narrow "Ccy": an account has one
    row per currency it holds, and "10,000.00" must not be read without it) and the
    balance figures in it (Cash in sight on a 1280-px window)."""
    return [
        connection_column(labels),
        Column("account", "Account", lambda r: r.account_id),
        Column("name", "Name", lambda r: r.name),
        Column("role", "Role", account_role, tooltip=_role_tip,
               header_tip="Advisor logins: the master (advisor) account and its clients"),
        Column("currency", "Ccy", lambda r: r.currency, header_tip="Currency: the currency of the row's figures"),
        Column("cash", "Cash", _bal("cash"), fmt_money, numeric=True),
        Column("buying_power", "Buying power", _bal("buying_power"), fmt_money, numeric=True),
        Column("net_liquidation", "Net liquidation", _bal("net_liquidation"), fmt_money, numeric=True),
        Column("unrealized_pnl", "Unrealized P&L", _bal("unrealized_pnl"), fmt_pnl, numeric=True, color=sign_color),
        Column("realized_pnl", "Realized P&L", _bal("realized_pnl"), fmt_pnl, numeric=True, color=sign_color),
    ]


# ---------------------------------------------------------------------- positions
def _position_tip(labels: Names) -> Callable[[Position], str]:
    def tip(p: Position) -> str:
        lines = [f"{p.symbol}{' - ' + p.instrument.description if p.instrument.description else ''}"]
        sources = getattr(p, "sources", ())
        if sources:
            connections = {s.connection_id for s in sources}
            lines.append(f"Sum of {len(sources)} account{'s' * (len(sources) > 1)} at "
                         f"{len(connections)} connection{'s' * (len(connections) > 1)}:")
            for s in sources:
                stale = f" ({DISCONNECTED})" if labels.is_stale(s.connection_id) else ""
                lines.append(f"{labels.name(s.connection_id)}{stale} · {s.account_id}: "
                             f"{fmt_qty(s.quantity)} @ {fmt_price(s.average)}")
        else:
            lines.append(origin(labels, p))
        lines.append(f"cost basis {fmt_money(p.cost_basis)} {p.instrument.currency}")
        if as_of_text(p):
            lines.append(as_of_text(p))
        return "\n".join(lines)

    return tip


POSITION_COLUMNS_BEFORE_CCY = (
    "connection", "account", "symbol", "quantity", "multiplier", "avg_price", "last", "market_value",
    "unrealized_pnl", "realized_pnl", "occ", *POSITION_IDS)
"""The positions table's columns before its Ccy column (issue 14): a header state saved
then is mapped onto today's columns by id (see :mod:`.header_state`)."""


def position_columns(labels: Names = UNLABELLED, span: Callable[[Any], str] = spanning) -> list[Column]:
    """Connection, account, instrument, quantity, prices, the currency they and the
    money columns are in (a narrow "Ccy": a USDJPY position's market value and P&L are
    yen, not dollars) and P&L; ``span(row)`` is the Connection cell of a consolidated
    row ("All connections")."""
    return [
        connection_column(labels, span=span),
        Column("account", "Account", lambda p: p.account_id,
               tooltip=lambda p: "\n".join(t for t in (origin(labels, p), as_of_text(p)) if t)),
        symbol_column(),
        Column("quantity", "Quantity", lambda p: p.quantity, fmt_qty, numeric=True),
        Column("multiplier", "Mult.", multiplier, fmt_qty, numeric=True,
               header_tip="Contract multiplier: shares per option contract"),
        Column("avg_price", "Avg price", lambda p: p.average, fmt_price, numeric=True,
               render=priced(lambda p: p.average)),
        Column("last", "Last", lambda p: p.last_price, fmt_price, numeric=True, render=priced(lambda p: p.last_price)),
        Column("currency", "Ccy", lambda p: p.instrument.currency,
               header_tip="Currency: the currency of the row's prices, market value and P&L"),
        Column("market_value", "Market value", lambda p: p.market_value, fmt_money, numeric=True),
        Column("unrealized_pnl", "Unrealized P&L", lambda p: p.unrealized_pnl, fmt_pnl, numeric=True, color=sign_color),
        Column("realized_pnl", "Realized P&L", lambda p: p.realized_pnl, fmt_pnl, numeric=True, color=sign_color),
        occ_column(),
        *position_protection_columns(),
    ]


# ------------------------------------------------------------------------- orders
def _order_tip(labels: Names) -> Callable[[Order], str]:
    def tip(o: Order) -> str:
        lines = [o.describe(), f"{order_status_text(o)} · {origin(labels, o)}"]
        if o.message:
            lines.append(o.message)
        lines.append(f"created {fmt_timestamp_for(o.created_at, o.connection_id)} · "
                     f"updated {fmt_timestamp_for(o.updated_at, o.connection_id)}")
        return "\n".join(lines)

    return tip


def _order_account_tip(labels: Names) -> Callable[[Order], str]:
    def tip(o: Order) -> str:
        if is_group_order(o):
            return (f"Allocation group {o.allocation_group}: one order split over the group's client "
                    f"accounts; the Fills table shows each account's share ({origin(labels, o)})")
        return origin(labels, o)

    return tip


def _order_side(o: Order) -> Any:
    """The side; option orders that state open/close show it ("BUY to open")."""
    action = getattr(o, "position_effect", None)
    if action is None:
        return o.side
    return f"{o.side.value} to {action.value.lower()}"


def _price_terms(o: Order) -> str:
    """The Limit/Stop cell: the limit, the stop, or "limit / stop" of a stop-limit order."""
    if o.limit_price is not None and o.stop_price is not None:
        return f"{priced(lambda r: r.limit_price)(o)} / {priced(lambda r: r.stop_price)(o)}"
    return priced(lambda r: r.limit_price if r.limit_price is not None else r.stop_price)(o)


def _price_terms_tip(o: Order) -> str | None:
    if o.limit_price is not None and o.stop_price is not None:
        return f"Limit {fmt_price(o.limit_price)} · stop {fmt_price(o.stop_price)} (triggers at the stop, then limit)"
    return None


def _price_terms_sort(o: Order) -> float | None:
    price = o.limit_price if o.limit_price is not None else o.stop_price
    return None if price is None else float(price)


ORDER_COLUMNS_BEFORE_ISSUE_11 = (
    "time", "connection", "account", "symbol", "side", "type", "quantity", "filled", "remaining", "limit", "stop",
    "avg_price", "tif", "status", "message", "occ", "order_id")
"""The orders table's columns, in order, before Status moved left (issue 11): a header
state saved then is mapped onto today's columns by id (see :mod:`.header_state`)."""


def order_columns(labels: Names = UNLABELLED) -> list[Column]:
    """Time, connection, account/group, instrument, side, quantity, type, price terms,
    status, fills and message first (Status in sight on a narrow window), then the
    rest; the separate Limit and Stop columns start hidden."""
    return [
        time_column("Time", lambda o: o.created_at),
        connection_column(labels, stale_suffix=False),  # the Status column says "Disconnected"
        Column("account", "Account/Group", order_account_text, tooltip=_order_account_tip(labels),
               header_tip="The account, or the allocation group a group order was placed to"),
        symbol_column(),
        Column("side", "Side", _order_side, color=side_color),
        Column("quantity", "Qty", lambda o: o.amount, fmt_qty, numeric=True, header_tip="Quantity ordered"),
        Column("type", "Type", lambda o: o.type),
        Column("limit_stop", "Limit/Stop", _price_terms, numeric=True, sort=_price_terms_sort,
               tooltip=_price_terms_tip, header_tip="Limit price, stop price, or limit / stop of a stop-limit order"),
        order_status_column(labels, status_color),
        Column("filled", "Filled", lambda o: o.filled, fmt_qty, numeric=True),
        Column("avg_price", "Avg", lambda o: o.average, fmt_price, numeric=True, header_tip="Average fill price",
               render=priced(lambda o: o.average)),
        Column("message", "Message", lambda o: o.message, tooltip=lambda o: o.message or None),
        Column("remaining", "Remaining", lambda o: o.remaining, fmt_qty, numeric=True),
        Column("tif", "TIF", lambda o: o.time_in_force, header_tip="Time in force"),
        Column("limit", "Limit", lambda o: o.limit_price, fmt_price, numeric=True),
        Column("stop", "Stop", lambda o: o.stop_price, fmt_price, numeric=True),
        occ_column(),
        Column("order_id", "Order ID", lambda o: o.order_id),
        *order_protection_columns(),
    ]


# -------------------------------------------------------------------------- fills
def _fill_tip(labels: Names) -> Callable[[Fill], str]:
    def tip(f: Fill) -> str:
        return "\n".join([
            f"{f.side.value} {fmt_qty(f.amount)} {f.symbol} @ {fmt_price(f.price)}",
            origin(labels, f),
            f"fill {f.fill_id} · order {f.order_id}",
            fmt_timestamp_for(f.timestamp, f.connection_id),
        ])

    return tip


def fill_columns(labels: Names = UNLABELLED) -> list[Column]:
    """Time, connection, account, allocation group, instrument, execution figures."""
    return [
        time_column("Time", lambda f: f.timestamp),
        connection_column(labels),
        Column("account", "Account", lambda f: f.account_id),
        Column("group", "Group", lambda f: f.allocation_group, tooltip=fill_group_tip,
               header_tip="The allocation group whose order this fill was allocated from"),
        symbol_column(),
        Column("side", "Side", lambda f: f.side, color=side_color),
        Column("quantity", "Qty", lambda f: f.amount, fmt_qty, numeric=True, header_tip="Quantity filled"),
        Column("price", "Price", lambda f: f.price, fmt_price, numeric=True, render=priced(lambda f: f.price)),
        Column("commission", "Commission", lambda f: f.commission, fmt_money, numeric=True),
        Column("value", "Value", lambda f: f.cost, fmt_money, numeric=True, header_tip="Quantity × price × multiplier"),
        occ_column(),
        Column("order_id", "Order ID", lambda f: f.order_id),
    ]


# ------------------------------------------------------------------------ models
def watchlist_model(labels: Names = UNLABELLED, cls: type[KeyedTableModel] = KeyedTableModel,
                    **kw: Any) -> KeyedTableModel:
    """A model (of class ``cls``) of Quotes keyed by symbol."""
    momentum = kw.pop("momentum", None)
    return cls(watchlist_columns(labels, momentum), quote_key, row_tooltip=_quote_tip(labels), **kw)


def accounts_model(labels: Names = UNLABELLED, **kw: Any) -> KeyedTableModel:
    """A model of :class:`AccountRow` keyed by (connection_id, account_id, currency)."""
    return KeyedTableModel(account_columns(labels), row_tooltip=_account_row_tip(labels), **kw)


def positions_model(labels: Names = UNLABELLED, span: Callable[[Any], str] = spanning, **kw: Any) -> KeyedTableModel:
    """A model of Positions keyed by (connection_id, account_id, instrument key)."""
    return KeyedTableModel(position_columns(labels, span), row_tooltip=_position_tip(labels), **kw)


def orders_model(labels: Names = UNLABELLED, **kw: Any) -> KeyedTableModel:
    """A model of Orders keyed by (connection_id, account_id, order_id)."""
    kw.setdefault("muted", order_ended_unfilled)
    return KeyedTableModel(order_columns(labels), row_tooltip=_order_tip(labels), **kw)


def fills_model(labels: Names = UNLABELLED, **kw: Any) -> KeyedTableModel:
    """A model of Fills keyed by (connection_id, account_id, fill_id), capped at FILLS_MAX_ROWS."""
    kw.setdefault("max_rows", FILLS_MAX_ROWS)
    return KeyedTableModel(fill_columns(labels), row_tooltip=_fill_tip(labels), **kw)
