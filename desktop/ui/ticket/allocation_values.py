"""Pure rules behind the advisor's ticket: group labels, the allocation estimate and
the per-account fills of a placed group order. No Qt, so they test without widgets.

The split itself is :meth:`desktop.domain.AllocationGroup.allocate` (IBKR allocation
methods A/E/N/C/P/R/S, see :mod:`desktop.domain.allocation`); this module only turns
its result (or its :class:`~desktop.domain.AllocationError`) into what the ticket shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from desktop.domain import (
    Account, AccountValues, AllocationError, AllocationGroup, AllocationMethod, Fill, QuantityMismatchError,
)

from .values import fmt_qty

METHOD_NAMES = {
    AllocationMethod.AVAILABLE_EQUITY: "Available equity",
    AllocationMethod.EQUAL: "Equal",
    AllocationMethod.NET_LIQUIDATION: "Net liquidation",
    AllocationMethod.CASH_QUANTITY: "Cash quantity",
    AllocationMethod.PERCENTAGE: "Percentage",
    AllocationMethod.RATIOS: "Ratios",
    AllocationMethod.SHARES: "Shares",
}
AMOUNT_UNITS = {  # what a member's ``amount`` means, per user-specified method
    AllocationMethod.CASH_QUANTITY: "$",
    AllocationMethod.PERCENTAGE: "%",
    AllocationMethod.RATIOS: ":",
    AllocationMethod.SHARES: "sh",
}


def method_text(method: AllocationMethod) -> str:
    """E.g. "N · Net liquidation"."""
    return f"{method.code} · {METHOD_NAMES[method]}"


def group_text(group: AllocationGroup) -> str:
    """The selector's line for a group: "ByNetLiq · N · Net liquidation · 4 accounts"."""
    n = len(group.members)
    return f"{group.name} · {method_text(group.method)} · {n} account{'s' if n != 1 else ''}"


def member_amount_text(group: AllocationGroup, amount: Decimal | None) -> str:
    """A member's stored amount as the method reads it ("40 sh", "50%", "$5,000", "2:"),
    "" for A/E/N."""
    if amount is None or group.method.is_computed:
        return ""
    unit = AMOUNT_UNITS.get(group.method, "")
    text = _qty(amount)
    if unit == "$":
        return f"${text}"
    if unit == "sh":
        return f"{text} sh"
    if unit == ":":
        return f"ratio {text}"
    return f"{text}{unit}"


def members_text(group: AllocationGroup, accounts: Mapping[str, Account], full: bool = False) -> str:
    """The group's members in one line ("4 members: DU100001 40 sh, DU100002 30 sh, ...");
    ``full`` one per line with the account names (``accounts`` by id), for tooltips."""
    parts = []
    for member in group.members:
        account = accounts.get(member.account_id)
        name = account.name if full and account and account.name else ""
        amount = member_amount_text(group, member.amount)
        parts.append(" ".join(p for p in (member.account_id, f"({name})" if name else "", amount) if p))
    n = len(group.members)
    return f"{n} member{'s' if n != 1 else ''}: " + ("\n" if full else "") + ("\n" if full else ", ").join(parts)


@dataclass(frozen=True)
class AllocationRow:
    """One client account's line of the estimate.

    ``shares`` the expected quantity (None when the split cannot be computed),
    ``notional`` shares x price x multiplier (None without a price), ``net_liquidation``
    / ``available_equity`` the account's values (None when unknown).
    """

    account_id: str
    name: str
    shares: Decimal | None
    notional: Decimal | None
    net_liquidation: Decimal | None
    available_equity: Decimal | None


@dataclass(frozen=True)
class AllocationEstimate:
    """The whole estimate: ``rows`` in member order, ``error`` why the split failed (""
    when it worked), ``blocking`` whether the order cannot be sent as it stands (S/C
    quantity mismatch), ``suggested_quantity`` the quantity S/C imply (offered to the
    user), ``price`` the price the notionals assume."""

    group: AllocationGroup
    rows: tuple[AllocationRow, ...]
    error: str = ""
    blocking: bool = False
    suggested_quantity: Decimal | None = None
    price: Decimal | None = None

    @property
    def total_shares(self) -> Decimal | None:
        shares = [r.shares for r in self.rows]
        return None if any(s is None for s in shares) else sum(shares, Decimal(0))


def estimate_allocation(
    group: AllocationGroup,
    values: Mapping[str, AccountValues],
    accounts: Mapping[str, Account],
    quantity: Decimal | None,
    price: Decimal | None,
    *,
    multiplier: Decimal = Decimal(1),
    fractional: bool = False,
) -> AllocationEstimate:
    """Split ``quantity`` over ``group`` as the broker is expected to; never raises.

    ``values`` by account id (needed for A/N), ``accounts`` for display names,
    ``quantity`` the unsigned order size (None while blank/invalid; S and C then show
    the size their amounts imply; on a mismatch the rows still show the group's split),
    ``price`` per share (limit, stop or last; needed by C
    and for notionals). Allocation errors become ``error``; a quantity that differs from
    what S/C imply sets ``blocking`` and ``suggested_quantity``.
    """
    method = group.method
    fixed = method in (AllocationMethod.SHARES, AllocationMethod.CASH_QUANTITY)
    suggested: Decimal | None = None
    error, blocking = "", False
    split: dict[str, Decimal] | None = None
    if fixed:
        try:
            implied = group.allocate(None, values, fractional=fractional, price=price)
            suggested = sum(implied.values(), Decimal(0))
        except AllocationError as exc:
            implied, error = None, _explain(exc, method)
        if implied is not None and quantity is not None and quantity != suggested:
            blocking = True
            error = (f"Group {group.name} ({METHOD_NAMES[method].lower()}) allocates {_qty(suggested)} shares"
                     f"{' at this price' if method is AllocationMethod.CASH_QUANTITY else ''};"
                     f" the quantity must be {_qty(suggested)}")
        split = implied  # even on a mismatch: show what the group would give each account
    elif quantity is None:
        error = "Enter a quantity to see the split"
    else:
        try:
            split = group.allocate(quantity, values, fractional=fractional, price=price)
        except AllocationError as exc:
            error = _explain(exc, method)
    rows = []
    for member in group.members:
        aid = member.account_id
        shares = split.get(aid) if split is not None else None
        notional = shares * price * multiplier if shares is not None and price is not None else None
        v = values.get(aid)
        account = accounts.get(aid)
        rows.append(AllocationRow(aid, account.name if account else "", shares, notional,
                                  v.net_liquidation if v else None, v.available_equity if v else None))
    return AllocationEstimate(group, tuple(rows), error, blocking, suggested, price)


def _explain(exc: AllocationError, method: AllocationMethod) -> str:
    if isinstance(exc, QuantityMismatchError):
        return str(exc)
    text = str(exc)
    if method is AllocationMethod.CASH_QUANTITY and "price is required" in text:
        return "Cash-quantity groups need a price: enter a limit price or wait for a quote"
    if method.needs_account_values and "no account values" in text:
        return f"Waiting for account values ({METHOD_NAMES[method].lower()}) of {exc.account_id}"
    return text[:1].upper() + text[1:]


def _qty(value: Decimal | None) -> str:
    return "—" if value is None else fmt_qty(value)


@dataclass
class FillTally:
    """Fills of one placed group order, per client account: quantity and average price.

    ``group``, ``client_order_id`` and ``connection_id`` identify the order (fills
    carry them, see :class:`desktop.domain.Fill`); ``add`` ignores other fills (another
    connection's too) and duplicates (by ``fill.key``).
    """

    group: str
    client_order_id: str
    connection_id: str
    filled: dict[str, Decimal] = field(default_factory=dict)
    cost: dict[str, Decimal] = field(default_factory=dict)
    _seen: set = field(default_factory=set)

    def add(self, fills: Iterable[Fill]) -> bool:
        """Count the fills that belong to this order; True when any did."""
        changed = False
        for fill in fills:
            if (fill.allocation_group != self.group or fill.client_order_id != self.client_order_id
                    or fill.connection_id != self.connection_id):
                continue
            if fill.key in self._seen:
                continue
            self._seen.add(fill.key)
            self.filled[fill.account_id] = self.filled.get(fill.account_id, Decimal(0)) + fill.amount
            self.cost[fill.account_id] = self.cost.get(fill.account_id, Decimal(0)) + fill.amount * fill.price
            changed = True
        return changed

    def average(self, account_id: str) -> Decimal | None:
        """Volume-weighted average fill price of the account (None before a fill)."""
        qty = self.filled.get(account_id)
        return self.cost[account_id] / qty if qty else None
