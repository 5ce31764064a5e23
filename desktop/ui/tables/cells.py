"""Cell helpers shared by the blotters' column sets: side and status colours, the
symbol and OCC columns, advisor group texts and times on a row's connection clock."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from PySide6.QtGui import QColor

from desktop.domain import Fill, Order, OrderSide, OrderStatus

from .columns import Column, gain_color, loss_color, muted_color
from .formatting import fmt_qty, fmt_time


def side_color(side: Any) -> QColor | None:
    """BUY green, SELL red (also "BUY to open" / "SELL to close" of option orders)."""
    if side is OrderSide.BUY or (isinstance(side, str) and side.startswith("BUY ")):
        return gain_color()
    if side is OrderSide.SELL or (isinstance(side, str) and side.startswith("SELL ")):
        return loss_color()
    return None


_REFUSED = frozenset({OrderStatus.REJECTED, OrderStatus.DENIED})
_ENDED_UNFILLED = frozenset({OrderStatus.REJECTED, OrderStatus.DENIED, OrderStatus.CANCELED, OrderStatus.EXPIRED})


def status_color(status: Any) -> QColor | None:
    """Rejected (and denied) red; cancelled and expired grey; working and filled
    orders the default colour."""
    if status in _REFUSED:
        return loss_color()
    if status in _ENDED_UNFILLED:
        return muted_color()
    return None


def order_ended_unfilled(order: Any) -> bool:
    """Whether ``order`` is closed without (fully) trading: rejected, denied, cancelled
    or expired. The orders table greys such rows so they never look live."""
    return order.status in _ENDED_UNFILLED


def time_column(header: str, get: Any) -> Column:
    """A time column (id "time"): HH:MM:SS on the clock of the row's connection (its
    exchange's zone, a paper replay's replayed day), the date too when not today
    (:func:`~.formatting.fmt_time`)."""
    return Column("time", header, get, fmt_time, render=lambda row: fmt_time(get(row), connection_id=row.connection_id))


# ------------------------------------------------------------------ advisor groups
def is_group_order(o: Order) -> bool:
    """Whether ``o`` is an allocation-group order itself (its account is the group)."""
    return bool(o.allocation_group) and o.account_id == o.allocation_group


def order_account_text(o: Order) -> str:
    """Orders' Account/Group cell: the account, or "ByNetLiq (group)" for a group order."""
    return f"{o.account_id} (group)" if is_group_order(o) else o.account_id


def fill_group_tip(f: Fill) -> str | None:
    """Tooltip of the fills' Group cell."""
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


def instrument_tip(row: Any) -> str | None:
    """Tooltip of the symbol column of an option row: its OCC symbol and contract."""
    inst = row.instrument
    if not inst.is_option:
        return None
    option = inst.option
    kind = "call" if option.right.value == "CALL" else "put"
    return (f"{inst.display_name} ({kind})\nOCC symbol: {inst.symbol}\n"
            f"{fmt_qty(inst.multiplier)} shares per contract")


def multiplier(row: Any) -> Any:
    """Contract multiplier of option rows (None for shares, which would all say 1)."""
    return row.instrument.multiplier if row.instrument.is_option else None


def symbol_column() -> Column:
    """The Symbol column of instrument rows (options by name, OCC symbol in the tooltip)."""
    return Column("symbol", "Symbol", instrument_name, tooltip=instrument_tip)


def occ_column() -> Column:
    """The OCC symbol column (hidden by default)."""
    return Column("occ", "OCC symbol", occ_symbol, header_tip="OCC (OSI) option symbol, e.g. AAPL  250221C00200000")


def as_of_text(row: Any, now: datetime | None = None) -> str:
    """"Positions as of 2026-12-02 15:30:00 (1 day old)" for a position whose broker
    says when its data was fetched from the brokerage (``as_of``), "" otherwise; the
    age is said when it is a minute or more."""
    from desktop.ui.display_clock import fmt_timestamp_for

    as_of = getattr(row, "as_of", None)
    if as_of is None:
        return ""
    age = ((now or datetime.now(timezone.utc)) - as_of).total_seconds()
    words = ""
    if age >= 86400:
        days = int(age // 86400)
        words = f" ({days} day{'s' * (days > 1)} old)"
    elif age >= 3600:
        hours = int(age // 3600)
        words = f" ({hours} hour{'s' * (hours > 1)} old)"
    elif age >= 60:
        words = f" ({int(age // 60)} min old)"
    return f"Positions as of {fmt_timestamp_for(as_of, getattr(row, 'connection_id', ''))}{words}"
