"""Columns and tooltips that name a row's connection, and what stale rows say.

Every blotter row carries the ``connection_id`` of the connection that reported it;
the names come from the window's shared :class:`ConnectionLabels`. A stale connection
(disconnected or lost) keeps its rows: they say "disconnected" — "(disconnected)"
after the name in the Connection column, or, in the Orders table, "Disconnected" in
the Status column of its working orders (whose real state nobody knows now).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from desktop.domain import OrderStatus
from desktop.ui.display_clock import DISPLAY_CLOCK, fmt_timestamp_for

from .columns import Column
from .connection_labels import ALL_CONNECTIONS, kind_label
from .formatting import enum_label, fmt_qty

DISCONNECTED = "disconnected"
STALE_STATUS = "Disconnected"
"""The Status cell of a working order of a stale connection."""


class Names(Protocol):
    """What the columns read of :class:`~.connection_labels.ConnectionLabels`."""

    def name(self, connection_id: str) -> str: ...

    def is_stale(self, connection_id: str) -> bool: ...

    def offers_bid_ask(self, connection_id: str) -> bool: ...


class Unlabelled:
    """Names for models built without a window's labels (tests, tools): the
    connection id stands for its name and nothing is stale."""

    def name(self, connection_id: str) -> str:
        return connection_id

    def is_stale(self, connection_id: str) -> bool:
        return False

    def offers_bid_ask(self, connection_id: str) -> bool:
        return True


UNLABELLED = Unlabelled()


def names_of(labels: Names | None) -> Names:
    """What columns read names from: ``labels``, or :data:`UNLABELLED` when None."""
    return labels if labels is not None else UNLABELLED


def spanning(row: Any) -> str:
    """The Connection cell of a row of no single connection: "All connections" for a
    consolidated row (it has ``sources``), "" for a locally made row."""
    return ALL_CONNECTIONS if getattr(row, "sources", None) else ""


def origin(labels: Names, row: Any) -> str:
    """"Paper 2 · Paper (embedded) · PAPER": the row's connection, broker kind and
    account; "(disconnected)" follows the name of a stale connection."""
    cid = row.connection_id
    name = labels.name(cid) or spanning(row)
    if cid and labels.is_stale(cid):
        name = f"{name} ({DISCONNECTED})"
    parts = [name, kind_label(getattr(row, "broker", "")), row.account_id]
    return " · ".join(p for p in parts if p)


def connection_column(labels: Names, *, stale_suffix: bool = True,
                      span: Callable[[Any], str] = spanning) -> Column:
    """The Connection column (id "connection"): the connection's name, with
    "(disconnected)" after it for a stale one when ``stale_suffix``; rows spanning
    connections show ``span(row)``. Tooltip: name · broker kind · account."""

    def text(row: Any) -> str:
        cid = row.connection_id
        if not cid:
            return span(row)
        name = labels.name(cid)
        return f"{name} ({DISCONNECTED})" if stale_suffix and labels.is_stale(cid) else name

    def tip(row: Any) -> str:
        line = origin(labels, row)
        if row.connection_id and labels.is_stale(row.connection_id):
            line += "\nDisconnected: the row shows the last state received"
        return line

    return Column("connection", "Connection", text, tooltip=tip,
                  header_tip="The connection (broker login) the row comes from")


def order_status_column(labels: Names, color: Callable[[Any], Any]) -> Column:
    """Orders' Status column: the status ("Partially filled", ...), or "Disconnected"
    for a working order of a stale connection (the real status in its tooltip)."""

    def value(o: Any) -> Any:
        if o.status.is_working and labels.is_stale(o.connection_id):
            return STALE_STATUS
        return o.status

    def tip(o: Any) -> str | None:
        if not (o.status.is_working and labels.is_stale(o.connection_id)):
            return None
        return (f"{labels.name(o.connection_id)} is disconnected: last known status {order_status_text(o)}; "
                "the order may have changed at the broker since")

    return Column("status", "Status", value, color=color, tooltip=tip, keeps_color=True)


def order_status_text(o: Any) -> str:
    """Status label of an order, with the fill progress when partly filled."""
    if o.status is OrderStatus.PARTIALLY_FILLED:
        return f"{enum_label(o.status)} {fmt_qty(o.filled)}/{fmt_qty(o.amount)}"
    return enum_label(o.status)


def source_column(labels: Names) -> Column:
    """The watchlist's Source column (id "source"): the connection whose quote the
    row shows ("" before any quote)."""
    return Column("source", "Source", lambda q: labels.name(q.connection_id) if q.connection_id else "",
                  tooltip=lambda q: quote_staleness(labels, q),
                  header_tip="The connection whose market data the row shows")


def quote_staleness(labels: Names, q: Any) -> str | None:
    """"IBKR: disconnected · last quote 3 min ago" for a quote of a stale connection
    (the quote's time itself when older than a day), else None."""
    if not (q.connection_id and labels.is_stale(q.connection_id)):
        return None
    age = fmt_age(q.timestamp, q.connection_id)
    when = age or fmt_timestamp_for(q.timestamp, q.connection_id)
    return f"{labels.name(q.connection_id)}: {DISCONNECTED} · last quote {when}"


def fmt_age(when: datetime, connection_id: str = "", now: datetime | None = None) -> str:
    """How long ago ``when`` was on the connection's clock (a replay's replayed time):
    "just now", "45 s ago", "3 min ago", "2 h 5 min ago"; "" from a day on (say the
    time then)."""
    now = now if now is not None else DISPLAY_CLOCK.now(connection_id)
    seconds = max(0, int((now - DISPLAY_CLOCK.localize(when, connection_id)).total_seconds()))
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    return ""
