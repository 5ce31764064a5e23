"""IBKR allocation methods (codes A/E/N/C/P/R/S and legacy names) and allocation errors.

Source: IBKR Advisor Portal allocation-method guide
(ibkrguides.com/advisorportal/trade/allocation-methods.htm) and the Client Portal API
``allocationMethod`` schema. See :mod:`.allocation` for how orders are split.
"""

from __future__ import annotations

from enum import Enum

# --------------------------------------------------------------------------- errors


class AllocationError(ValueError):
    """A group or order that cannot be allocated. ``account_id`` names the account at
    fault, or is None when the problem is not one account's."""

    def __init__(self, message: str, account_id: str | None = None) -> None:
        super().__init__(message)
        self.account_id = account_id


class InvalidQuantityError(AllocationError):
    """The order quantity is not positive, not whole (or not a multiple of the
    fractional step), or cannot be derived."""


class QuantityMismatchError(InvalidQuantityError):
    """S or C: the given quantity differs from the sum the members' amounts imply."""


class InvalidMembersError(AllocationError):
    """No members, a duplicate account, a missing/non-positive amount, percentages
    not summing to 100, members of the wrong kind for the method, or a negative
    account value."""


class MissingAccountValueError(AllocationError):
    """A or N: a member has no :class:`AccountValues`, or lacks the value the method
    needs (``available_equity`` for A, ``net_liquidation`` for N)."""


class ZeroTotalError(AllocationError):
    """A, N: the accounts' values sum to zero, so there is no ratio to split by."""


# --------------------------------------------------------------------------- method


class AllocationMethod(str, Enum):
    """IBKR allocation method; the value is the CPAPI single-letter code.

    :meth:`parse` also reads the legacy TWS / old-CPAPI names.
    """

    AVAILABLE_EQUITY = "A"
    EQUAL = "E"
    NET_LIQUIDATION = "N"
    CASH_QUANTITY = "C"
    PERCENTAGE = "P"
    RATIOS = "R"
    SHARES = "S"

    @property
    def code(self) -> str:
        """The CPAPI code, e.g. ``"A"``."""
        return self.value

    @property
    def is_computed(self) -> bool:
        """True for A, E, N: IB computes the split from account values (or count)."""
        return self in _COMPUTED

    @property
    def is_user_specified(self) -> bool:
        """True for C, P, R, S: the split comes from each member's ``amount``."""
        return not self.is_computed

    @property
    def needs_account_values(self) -> bool:
        """True for A and N, which need :class:`AccountValues` for every member."""
        return self in (AllocationMethod.AVAILABLE_EQUITY, AllocationMethod.NET_LIQUIDATION)

    @property
    def value_field(self) -> str | None:
        """The :class:`AccountValues` field A/N split by; None for other methods."""
        if self is AllocationMethod.AVAILABLE_EQUITY:
            return "available_equity"
        if self is AllocationMethod.NET_LIQUIDATION:
            return "net_liquidation"
        return None

    @property
    def legacy_name(self) -> str | None:
        """The TWS / old-CPAPI name (``"AvailableEquity"``...); None for C, which has none."""
        return _LEGACY_NAMES.get(self)

    @classmethod
    def parse(cls, text: str | AllocationMethod) -> AllocationMethod:
        """Read a code (``"A"``), a member name (``"AVAILABLE_EQUITY"``) or a legacy
        name (``"AvailableEquity"``, ``"EqualQuantity"``, ``"NetLiq"``, ``"Percent"``,
        ``"Ratio"``, ``"ContractsOrShares"``); case, spaces, ``_`` and ``-`` are ignored.

        Raises ValueError for anything else, including the legacy ``"PctChange"``,
        which is a different behaviour (no order size) and is not supported.
        """
        if isinstance(text, AllocationMethod):
            return text
        if not isinstance(text, str):
            raise ValueError(f"allocation method must be a string, not {type(text).__name__}")
        key = "".join(ch for ch in text.lower() if ch not in " _-")
        if key in ("pctchange", "percentchange"):
            raise ValueError(
                f"allocation method {text!r} (percent change of existing positions) is not supported"
            )
        try:
            return _ALIASES[key]
        except KeyError:
            codes = "/".join(m.value for m in cls)
            raise ValueError(f"unknown allocation method {text!r}; expected one of {codes} or a legacy name") from None


_COMPUTED = frozenset({AllocationMethod.AVAILABLE_EQUITY, AllocationMethod.EQUAL, AllocationMethod.NET_LIQUIDATION})

_LEGACY_NAMES = {
    AllocationMethod.AVAILABLE_EQUITY: "AvailableEquity",
    AllocationMethod.EQUAL: "EqualQuantity",
    AllocationMethod.NET_LIQUIDATION: "NetLiq",
    AllocationMethod.PERCENTAGE: "Percent",
    AllocationMethod.RATIOS: "Ratio",
    AllocationMethod.SHARES: "ContractsOrShares",
}

_ALIASES: dict[str, AllocationMethod] = {}
for _m in AllocationMethod:
    _ALIASES[_m.value.lower()] = _m
    _ALIASES[_m.name.lower().replace("_", "")] = _m
for _m, _names in {
    AllocationMethod.AVAILABLE_EQUITY: ("availableequity",),
    AllocationMethod.EQUAL: ("equal", "equalquantity"),
    AllocationMethod.NET_LIQUIDATION: ("netliq", "netliquidity", "netliquidation", "netliquidationvalue"),
    AllocationMethod.CASH_QUANTITY: ("cash", "cashquantity"),
    AllocationMethod.PERCENTAGE: ("percent", "percentage", "percentages"),
    AllocationMethod.RATIOS: ("ratio", "ratios"),
    AllocationMethod.SHARES: ("shares", "contractsorshares"),
}.items():
    for _n in _names:
        _ALIASES[_n] = _m
del _m, _n, _names
