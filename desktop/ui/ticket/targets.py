"""What the order ticket knows of each connection it can send to (given by the window),
and the account selector's list built from it. No Qt here.

The ticket lists every connection's accounts (and, for advisor logins, that
connection's allocation groups) grouped by connection; the chosen account or group
decides the connection, and with it the capabilities offered (order types, time in
force, options, what-if, fractional), how a symbol becomes an Instrument and how the
commission is estimated. A target is keyed ``(connection_id, kind, id)``
(:class:`TargetKey`), so two paper connections' "PAPER" accounts never mix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.domain import Account, AccountValues, AllocationGroup, Balance

from .allocation_values import group_text, members_text
from .values import CommissionEstimator, InstrumentLookup

ACCOUNT, GROUP, HEADING = "account", "group", "heading"
MASTER_TIP = "The advisor's master account holds no positions: trade a group or a client account"
SEARCH_FROM = 9
"""From this many accounts and groups on, the selector is searchable even at one connection."""


class TargetKey(NamedTuple):
    """Where an order goes: ``connection_id``, ``kind`` ("account" or "group") and
    ``id`` (the account id, or the allocation group's name)."""

    connection_id: str
    kind: str
    id: str


@dataclass(frozen=True)
class TicketConnection:
    """One connection as the ticket sees it.

    ``connection_id`` / ``name``; ``capabilities`` read after it connected;
    ``accounts`` (an advisor's master included, shown disabled); ``groups`` and
    ``values`` (allocation groups and the clients' NetLiquidation/AvailableEquity) of
    an advisor login; ``live``: connected now (a disconnected one is listed but its
    accounts cannot be sent to); ``stale``: connected but its session is down
    (reconnecting, log in required…: the desk marks its rows stale; nothing is sent
    to it and its quotes are shown greyed), ``state`` that state in words
    ("reconnecting…"); ``instrument_for(symbol)`` and ``commission_for(request,
    price)`` of that connection; ``balances`` of its accounts (the confirmation
    compares a buy with the buying power); ``market_reserve``: the fraction above the
    last price at which it checks a market or stop buy against buying power (the
    paper broker: 0.05; 0: at the order's estimate);
    ``account_capabilities(account_id)``: what one account of it can do, where its
    accounts differ (an aggregator's read-only account says why in ``trade_refusal``).
    """

    connection_id: str
    name: str
    capabilities: BrokerCapabilities
    accounts: tuple[Account, ...] = ()
    groups: tuple[AllocationGroup, ...] = ()
    values: tuple[AccountValues, ...] = ()
    live: bool = True
    instrument_for: InstrumentLookup | None = None
    commission_for: CommissionEstimator | None = None
    account_capabilities: Callable[[str], BrokerCapabilities] | None = None
    balances: tuple[Balance, ...] = ()
    stale: bool = False
    state: str = ""
    market_reserve: Decimal = Decimal(0)

    @property
    def sendable(self) -> bool:
        """Connected with its session up: orders may go to it."""
        return self.live and not self.stale

    def state_words(self) -> str:
        """"disconnected", "reconnecting…" (its ``state``), "connected"."""
        if not self.live:
            return "disconnected"
        return (self.state or "reconnecting…") if self.stale else "connected"

    def balance(self, account_id: str, currency: str = "USD") -> Balance | None:
        """``account_id``'s balance in ``currency`` (None when not given)."""
        return next((b for b in self.balances if b.account_id == account_id and b.currency == currency), None)

    def refusal(self, account_id: str) -> str:
        """Why ``account_id`` cannot trade ("" when it can, or when nothing says)."""
        if self.account_capabilities is None:
            return ""
        try:
            return self.account_capabilities(account_id).trade_refusal
        except Exception:  # noqa: BLE001 - an adapter's answer must not break the ticket
            return ""

    def capabilities_for(self, account_id: str) -> BrokerCapabilities:
        """What ``account_id`` can do (fractional shares, dollar amounts...): the
        account's own capabilities where the connection's accounts differ, else the
        connection's."""
        if self.account_capabilities is None or not account_id:
            return self.capabilities
        try:
            return self.account_capabilities(account_id)
        except Exception:  # noqa: BLE001 - an adapter's answer must not break the ticket
            return self.capabilities

    @property
    def has_groups(self) -> bool:
        """An advisor login: orders may go to allocation groups."""
        return self.capabilities.allocation_groups or bool(self.groups)

    def account(self, account_id: str) -> Account | None:
        """The account ``account_id`` of this connection, or None."""
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def group(self, name: str) -> AllocationGroup | None:
        """The allocation group ``name`` of this connection, or None."""
        return next((g for g in self.groups if g.name == name), None)


@dataclass(frozen=True)
class Entry:
    """One line of the account selector.

    ``kind`` "heading" (a connection's name, or "Allocation groups" / "Accounts" at a
    single advisor connection), "account" or "group"; ``text`` as listed; ``label`` as
    the closed selector shows it once chosen (names the connection when several are
    listed); ``search`` what typing matches ("" for lines that cannot be found, e.g. a
    master account); ``enabled`` whether it can be picked; ``indent`` listed under a
    heading.
    """

    kind: str
    text: str
    label: str = ""
    key: TargetKey | None = None
    search: str = ""
    enabled: bool = False
    tip: str = ""
    indent: bool = False


@dataclass(frozen=True)
class Listing:
    """The selector's lines; ``several``: more than one connection is listed (headings
    name them); ``searchable``: typing filters (several connections, groups, or many
    accounts), else a plain drop-down."""

    entries: tuple[Entry, ...]
    several: bool
    searchable: bool

    def entry(self, key: TargetKey | None) -> Entry | None:
        """The line of ``key`` (None when it is not listed)."""
        return next((e for e in self.entries if key is not None and e.key == key), None)

    def default(self) -> TargetKey | None:
        """The first line that can be picked (the first group of an advisor listed first)."""
        return next((e.key for e in self.entries if e.enabled), None)


def account_line(account: Account) -> str:
    """"PAPER · Paper account"; just the id when the account has no name."""
    return f"{account.account_id} · {account.name}" if account.name else account.account_id


def build_listing(connections: Sequence[TicketConnection], wanted: TargetKey | None = None,
                  names: dict[str, str] | None = None) -> Listing:
    """The selector's lines for ``connections`` (in order).

    A connection without accounts or groups is left out. ``wanted`` (the ticket's
    choice) is always listed: when its connection or account is gone (reconnecting,
    removed) it shows as "<id> (not available)", disabled, under its connection's
    name (``names`` by id, remembered by the ticket), so the ticket never moves to
    another account by itself.
    """
    shown = [c for c in connections if c.accounts or c.groups]
    ids = {c.connection_id for c in shown}
    missing = wanted is not None and not any(
        (wanted.kind == GROUP and c.group(wanted.id)) or (wanted.kind == ACCOUNT and c.account(wanted.id))
        for c in shown if c.connection_id == wanted.connection_id)
    several = len(ids | ({wanted.connection_id} if missing else set())) > 1
    entries: list[Entry] = []
    for conn in shown:
        lines = _lines(conn, several)
        if missing and wanted.connection_id == conn.connection_id:
            lines.append(_unavailable(wanted, conn.name, several))
        if several:
            state = "" if conn.live else " (disconnected)"
            entries.append(Entry(HEADING, f"{conn.name}{state}", tip=_connection_tip(conn)))
        entries.extend(lines)
    if missing and wanted.connection_id not in ids:
        name = (names or {}).get(wanted.connection_id, wanted.connection_id)
        if several:
            entries.append(Entry(HEADING, f"{name} (not connected)"))
        entries.append(_unavailable(wanted, name, several))
    targets = [e for e in entries if e.key is not None]
    groups = any(e.key.kind == GROUP for e in targets)
    return Listing(tuple(entries), several, several or groups or len(targets) >= SEARCH_FROM)


def _lines(conn: TicketConnection, several: bool) -> list[Entry]:
    """A connection's groups, then its accounts (with "Allocation groups" / "Accounts"
    headings when it is the only connection and has groups)."""
    cid, name = conn.connection_id, conn.name
    out: list[Entry] = []
    sub_headings = not several and bool(conn.groups)
    off = "" if conn.live else f"{name} is disconnected: connect it (File → Connections…) to trade here"
    if sub_headings:
        out.append(Entry(HEADING, "Allocation groups"))
    accounts = {a.account_id: a for a in conn.accounts}
    for group in conn.groups:
        text = group_text(group)
        out.append(Entry(GROUP, _suffix(text, conn, several), _label(text, conn, several), TargetKey(cid, GROUP, group.name),
                         f"{name} {group.name} {group.method.code} {text}" if conn.live else "", conn.live,
                         off or members_text(group, accounts, full=True), several or sub_headings))
    if sub_headings and conn.accounts:
        out.append(Entry(HEADING, "Accounts"))
    for account in conn.accounts:
        text = account_line(account)
        if account.is_master and "master" not in text.lower():
            text = f"{text} (master)"
        enabled = conn.live and not account.is_master
        tip = MASTER_TIP if account.is_master else off or _account_tip(account, conn)
        out.append(Entry(ACCOUNT, _suffix(text, conn, several), _label(text, conn, several),
                         TargetKey(cid, ACCOUNT, account.account_id),
                         f"{name} {account.account_id} {account.name}" if enabled else "", enabled, tip,
                         several or sub_headings))
    return out


def _suffix(text: str, conn: TicketConnection, several: bool) -> str:
    """As listed: a disconnected connection's heading says so; alone, each line does."""
    return text if conn.live or several else f"{text} (disconnected)"


def _label(text: str, conn: TicketConnection, several: bool) -> str:
    label = f"{conn.name} · {text}" if several else text
    return label if conn.live else f"{label} (disconnected)"


def _unavailable(key: TargetKey, name: str, several: bool) -> Entry:
    text = f"{key.id} (not available)"
    return Entry(key.kind, text, f"{name} · {text}" if several else text, key, "", False,
                 f"{key.id} at {name} is not available now: {name} is not connected, or no longer lists it", several)


def _account_tip(account: Account, conn: TicketConnection) -> str:
    mode = "paper" if account.is_paper or conn.capabilities.paper else "live"
    return f"{conn.name} · {account.account_id} · {account.kind} · {mode} · {account.currency}"


def _connection_tip(conn: TicketConnection) -> str:
    return f"{conn.name}: connected" if conn.live else f"{conn.name} is disconnected"
