"""Financial Advisor (FA) allocation: how one group order is split across accounts.

An IBKR advisor places one order for an *allocation group* (the group name goes where
the account id would) and IB splits the filled quantity over the group's accounts by
the group's *allocation method*. This module models groups and methods and computes
the split locally, so the UI can preview it before the order is sent. Pure: no Qt, no
I/O; quantities are unsigned (the side lives on the order) and in shares/contracts.

Sources:

- IBKR Advisor Portal guide, "Allocation Methods":
  https://www.ibkrguides.com/advisorportal/trade/allocation-methods.htm
- TWS Users' Guide, "Account Groups" / "Set Default Allocations":
  https://www.interactivebrokers.co.in/en/software/advisors/topics/accountgroups.htm ,
  https://www.ibkrguides.com/traderworkstation/set-default-allocations.htm
- CPAPI ``allocationMethod`` codes (OpenAPI v2.29, tag "Trading FA Allocation
  Management"); see ``specs/ibkr-cpapi/NOTES.md`` section 3.

Methods (:class:`AllocationMethod`), computed by IB from account values or taken
from the per-account ``amount`` stored in the group:

====  =================  ========  ==============================================
Code  Name               Computed  Split of an order for ``quantity``
====  =================  ========  ==============================================
A     Available equity   by IB     pro rata to each account's AvailableEquity
E     Equal              by IB     ``quantity // n`` each, the rest one at a time
N     Net liquidation    by IB     pro rata to each account's NetLiquidation
C     Cash quantity      user      ``amount / price`` shares each (amount = money)
P     Percentage         user      pro rata to ``amount`` (percentages, sum 100)
R     Ratios             user      pro rata to ``amount`` (any positive ratios)
S     Shares             user      exactly ``amount`` shares each
====  =================  ========  ==============================================

Rules of :func:`allocate` (the decisions where IB's guides are silent are marked *):

- Worked examples from the guides: 700 shares over available equity (or NLV) of
  25k/50k/100k is a 1:2:4 ratio, giving 100/200/400; 400 shares over 4 accounts with
  E gives 100 each; over 6 accounts each gets 66 and the 4 left over are handed out
  one share at a time.
- Result: ``{account_id: quantity}`` with every member, in member order, each >= 0.
  For A/E/N/P/R the values sum **exactly** to ``quantity``.
- Whole shares unless ``fractional=True``, which works in steps of
  :data:`FRACTIONAL_STEP` (0.0001 share)*. ``quantity`` (and S amounts) must be a
  multiple of the step in use.
- Pro-rata rounding is largest remainder: every account first gets the floor of its
  exact share (in steps); the steps left over go one each to the accounts with the
  largest fractional remainders, ties broken by member order*. So each result is
  within one step of its exact ratio, and the split is deterministic. For E all
  remainders tie, so the extra shares go to the *first* members in group order*.
- S: the order size is the sum of the amounts (TWS: "the order size is calculated by
  adding together the number of shares"). ``quantity`` may be None; when given it
  must equal that sum, else :class:`QuantityMismatchError`*.
- C: each account gets ``amount / price`` rounded *down* to whole shares (or steps)*,
  so no account spends more than its cash amount; ``price`` (> 0) is required. The
  order size is the sum; as for S, ``quantity`` is None or must equal it*.
- E here is TWS's "EqualQuantity". The Advisor Portal's other "Equal" (bring
  accounts to equal post-trade positions) needs positions and is not modelled*;
  nor is the legacy "PctChange" (no order size; each position changes by N%).
- A/N need :class:`AccountValues` for every member; a missing account or value is
  :class:`MissingAccountValueError`, a negative value is refused*, an all-zero total
  is :class:`ZeroTotalError`. Accounts with value 0 get 0.

Every failure is an :class:`AllocationError` (a ``ValueError``) whose message names
the problem and, where there is one, the account (``err.account_id``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from pydantic import Field, field_validator, model_validator

from .allocation_method import (  # re-exported: callers import them from here
    AllocationError,
    AllocationMethod,
    InvalidMembersError,
    InvalidQuantityError,
    MissingAccountValueError,
    QuantityMismatchError,
    ZeroTotalError,
)
from .base import DomainModel, field_error

FRACTIONAL_STEP = Decimal("0.0001")
"""Smallest quantity step of a fractional allocation (4 decimal places of a share)."""

WHOLE_STEP = Decimal(1)
"""Quantity step of a whole-share allocation."""


# --------------------------------------------------------------------------- models


class AllocationMember(DomainModel):
    """One account of an allocation group.

    ``amount`` is the user-specified value for C/P/R/S (C: money in the account's
    currency; P: percent 0-100; R: a ratio; S: shares/contracts) and None for A/E/N,
    where it is ignored if present. CPAPI: ``{"name": "U1234567", "amount": 4}``.
    """

    account_id: str = Field(min_length=1)
    amount: Decimal | None = None


class AccountValues(DomainModel):
    """The values IB splits A/N groups by, for one account, in its base currency.

    Source: CPAPI ``GET /iserver/account/allocation/accounts`` keys ``NetLiquidation``
    and ``AvailableEquity`` (sent as strings). None means the broker did not report it.
    """

    account_id: str = Field(min_length=1)
    net_liquidation: Decimal | None = None
    available_equity: Decimal | None = None

    def value_for(self, method: AllocationMethod) -> Decimal | None:
        """``available_equity`` for A, ``net_liquidation`` for N; None for other methods."""
        field = method.value_field
        return getattr(self, field) if field else None


class AllocationGroup(DomainModel):
    """A named FA allocation group: its method and its member accounts, in order.

    ``method`` also accepts legacy names ("NetLiq"...). Validation (errors name the
    field): at least one member; no account twice; for C/P/R/S every member needs an
    ``amount`` > 0; for P the amounts sum to exactly 100.

    Member order matters: it breaks rounding ties (e.g. which accounts get E's extra
    shares). CPAPI: ``{"name", "default_method", "accounts": [{"name", "amount"}]}``.
    """

    name: str = Field(min_length=1)
    method: AllocationMethod = AllocationMethod.NET_LIQUIDATION
    members: tuple[AllocationMember, ...]

    @field_validator("method", mode="before")
    @classmethod
    def _parse_method(cls, value: object) -> object:
        return AllocationMethod.parse(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> AllocationGroup:
        problem = _members_problem(self.method, self.members)
        if problem is not None:
            raise field_error("members", f"members: {problem[0]}")
        return self

    @property
    def account_ids(self) -> tuple[str, ...]:
        return tuple(m.account_id for m in self.members)

    def allocate(
        self,
        quantity: Decimal | int | None,
        values: Mapping[str, AccountValues] | Iterable[AccountValues] = (),
        *,
        fractional: bool = False,
        price: Decimal | None = None,
    ) -> dict[str, Decimal]:
        """Split an order over this group; see :func:`allocate`.

        ``values`` (A/N only) are the accounts' :class:`AccountValues`, as a list or a
        mapping by account id; extra accounts are ignored, a missing member is
        :class:`MissingAccountValueError`.
        """
        if not self.method.needs_account_values:
            return allocate(quantity, self.method, self.members, fractional=fractional, price=price)
        by_id = dict(values) if isinstance(values, Mapping) else {v.account_id: v for v in values}
        rows: list[AccountValues] = []
        for m in self.members:
            v = by_id.get(m.account_id)
            if v is None:
                raise MissingAccountValueError(
                    f"no account values for account {m.account_id} of group {self.name!r} "
                    f"(method {self.method.value} needs {self.method.value_field})",
                    m.account_id,
                )
            rows.append(v)
        return allocate(quantity, self.method, rows, fractional=fractional, price=price)


# --------------------------------------------------------------------------- allocate

_METHOD_TEXT = {
    AllocationMethod.AVAILABLE_EQUITY: "A (available equity)",
    AllocationMethod.EQUAL: "E (equal)",
    AllocationMethod.NET_LIQUIDATION: "N (net liquidation)",
    AllocationMethod.CASH_QUANTITY: "C (cash quantity)",
    AllocationMethod.PERCENTAGE: "P (percentage)",
    AllocationMethod.RATIOS: "R (ratios)",
    AllocationMethod.SHARES: "S (shares)",
}


def _members_problem(
    method: AllocationMethod, members: Sequence[AllocationMember | AccountValues | str]
) -> tuple[str, str | None] | None:
    """The first structural problem of a member list as (message, account_id), or None."""
    if not members:
        return ("at least one account is required", None)
    seen: set[str] = set()
    for m in members:
        aid = m if isinstance(m, str) else m.account_id
        if aid in seen:
            return (f"account {aid} appears more than once", aid)
        seen.add(aid)
    if method.is_user_specified:
        total = Decimal(0)
        for m in members:
            if not isinstance(m, AllocationMember):
                return (f"method {_METHOD_TEXT[method]} needs AllocationMember amounts, got {type(m).__name__}", None)
            if m.amount is None:
                return (f"account {m.account_id} needs an amount for method {_METHOD_TEXT[method]}", m.account_id)
            if not m.amount.is_finite() or m.amount <= 0:
                return (f"amount of account {m.account_id} must be greater than 0, got {m.amount}", m.account_id)
            total += m.amount
        if method is AllocationMethod.PERCENTAGE and total != 100:
            return (f"percentages must sum to 100, got {total}", None)
    return None


def _to_decimal(quantity: object, what: str) -> Decimal:
    if isinstance(quantity, bool) or not isinstance(quantity, (Decimal, int)):
        raise InvalidQuantityError(f"{what} must be a Decimal or int, not {type(quantity).__name__}")
    return Decimal(quantity)


def _check_quantity(quantity: Decimal, step: Decimal, what: str = "quantity") -> int:
    """``quantity`` in whole steps; raises unless it is a positive multiple of ``step``."""
    if not quantity.is_finite() or quantity <= 0:
        raise InvalidQuantityError(f"{what} must be greater than 0, got {quantity}")
    units = quantity / step
    if units != units.to_integral_value():
        kind = "a whole number of shares (pass fractional=True)" if step == WHOLE_STEP else f"a multiple of {step}"
        raise InvalidQuantityError(f"{what} {quantity} is not {kind}")
    return int(units)


def _largest_remainder(units: int, weights: Sequence[Fraction]) -> list[int]:
    """Split ``units`` pro rata to ``weights`` (>= 0, positive sum) into integers that
    sum to ``units``; leftovers go to the largest remainders, ties to the lower index."""
    total = sum(weights, Fraction(0))
    exact = [units * w / total for w in weights]
    floors = [e.numerator // e.denominator for e in exact]
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def allocate(
    quantity: Decimal | int | None,
    method: AllocationMethod | str,
    accounts: Sequence[AccountValues] | Sequence[AllocationMember] | Sequence[str],
    *,
    fractional: bool = False,
    price: Decimal | None = None,
) -> dict[str, Decimal]:
    """Split an order of ``quantity`` shares/contracts over accounts by ``method``.

    ``method`` is an :class:`AllocationMethod` or anything :meth:`AllocationMethod.parse`
    reads. ``accounts`` is, by method:

    - A, N: :class:`AccountValues` (the value the method needs must be present, >= 0);
    - C, P, R, S: :class:`AllocationMember` with ``amount`` (validated as in
      :class:`AllocationGroup`);
    - E: any of the above, or plain account ids.

    ``quantity`` is the unsigned order size (> 0, whole unless ``fractional``); for S
    and C it may be None and is then the sum the amounts imply (when given it must
    equal that sum). ``price`` (> 0, per share) is needed by C only and ignored
    otherwise. ``fractional`` allows steps of :data:`FRACTIONAL_STEP`.

    Returns ``{account_id: quantity}`` in the order of ``accounts``, every value >= 0,
    a multiple of the step, summing exactly to the order quantity. Rounding and the
    IBKR sources are described in the module docstring.

    Raises (all :class:`AllocationError`, a ``ValueError``):
    :class:`InvalidQuantityError` (quantity <= 0, not whole, C without a positive
    price), :class:`QuantityMismatchError` (S/C sum differs from quantity),
    :class:`InvalidMembersError`, :class:`MissingAccountValueError`,
    :class:`ZeroTotalError`.
    """
    try:
        method = AllocationMethod.parse(method)
    except ValueError as exc:
        raise AllocationError(str(exc)) from None
    step = FRACTIONAL_STEP if fractional else WHOLE_STEP
    accounts = list(accounts)
    problem = _members_problem(method, accounts)
    if problem is not None:
        raise InvalidMembersError(problem[0], problem[1])
    ids = [a if isinstance(a, str) else a.account_id for a in accounts]

    if method in (AllocationMethod.SHARES, AllocationMethod.CASH_QUANTITY):
        units_each = _fixed_units(method, accounts, step, price)  # type: ignore[arg-type]
        total_units = sum(units_each)
        if quantity is not None:
            q = _to_decimal(quantity, "quantity")
            units = _check_quantity(q, step)
            if units != total_units:
                derived = total_units * step
                basis = "the members' shares" if method is AllocationMethod.SHARES else f"the members' cash at price {price}"
                raise QuantityMismatchError(
                    f"quantity {q} does not match {derived}, the total of {basis} for method {_METHOD_TEXT[method]}"
                )
        return {aid: u * step for aid, u in zip(ids, units_each)}

    if quantity is None:
        raise InvalidQuantityError(f"quantity is required for method {_METHOD_TEXT[method]}")
    units = _check_quantity(_to_decimal(quantity, "quantity"), step)

    if method is AllocationMethod.EQUAL:
        weights = [Fraction(1)] * len(accounts)
    elif method.needs_account_values:
        weights = _value_weights(method, accounts)  # type: ignore[arg-type]
    else:  # P, R
        weights = [Fraction(m.amount) for m in accounts]  # type: ignore[union-attr, arg-type]
    return {aid: u * step for aid, u in zip(ids, _largest_remainder(units, weights))}


def _value_weights(method: AllocationMethod, accounts: Sequence[object]) -> list[Fraction]:
    field = method.value_field
    weights: list[Fraction] = []
    for a in accounts:
        if not isinstance(a, AccountValues):
            aid = a if isinstance(a, str) else getattr(a, "account_id", a)
            raise MissingAccountValueError(
                f"method {_METHOD_TEXT[method]} needs AccountValues for account {aid}, got {type(a).__name__}", str(aid)
            )
        v = a.value_for(method)
        if v is None or not v.is_finite():
            raise MissingAccountValueError(f"account {a.account_id} has no {field} (needed by method {_METHOD_TEXT[method]})", a.account_id)
        if v < 0:
            raise InvalidMembersError(f"{field} of account {a.account_id} is negative ({v}); cannot allocate by it", a.account_id)
        weights.append(Fraction(v))
    if sum(weights) == 0:
        raise ZeroTotalError(f"total {field} of the accounts is 0; cannot allocate by method {_METHOD_TEXT[method]}")
    return weights


def _fixed_units(
    method: AllocationMethod, members: Sequence[AllocationMember], step: Decimal, price: Decimal | None
) -> list[int]:
    """S: each amount in steps (must be a multiple); C: floor(cash / price) in steps."""
    out: list[int] = []
    if method is AllocationMethod.SHARES:
        for m in members:
            assert m.amount is not None
            try:
                out.append(_check_quantity(m.amount, step, f"shares amount of account {m.account_id}"))
            except InvalidQuantityError as exc:
                raise InvalidMembersError(str(exc), m.account_id) from None
        return out
    if price is None:
        raise InvalidQuantityError(f"price is required for method {_METHOD_TEXT[method]}")
    if isinstance(price, bool) or not isinstance(price, (Decimal, int)) or not Decimal(price).is_finite() or price <= 0:
        raise InvalidQuantityError(f"price must be a Decimal greater than 0, got {price!r}")
    per_step = Fraction(Decimal(price)) * Fraction(step)
    for m in members:
        assert m.amount is not None
        cash = Fraction(m.amount)
        out.append(cash.numerator * per_step.denominator // (cash.denominator * per_step.numerator))
    if sum(out) == 0:
        raise InvalidQuantityError(f"the members' cash amounts buy no shares at price {price}")
    return out


__all__ = [
    "FRACTIONAL_STEP",
    "WHOLE_STEP",
    "AccountValues",
    "AllocationError",
    "AllocationGroup",
    "AllocationMember",
    "AllocationMethod",
    "InvalidMembersError",
    "InvalidQuantityError",
    "MissingAccountValueError",
    "QuantityMismatchError",
    "ZeroTotalError",
    "allocate",
]
