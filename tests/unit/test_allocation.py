"""FA allocation: IBKR's worked examples, validation, and split properties."""

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from desktop.domain import field_errors
from desktop.domain.allocation import (
    FRACTIONAL_STEP,
    AccountValues,
    AllocationError,
    AllocationGroup,
    AllocationMember,
    AllocationMethod,
    InvalidMembersError,
    InvalidQuantityError,
    MissingAccountValueError,
    QuantityMismatchError,
    ZeroTotalError,
    allocate,
)

M = AllocationMethod


def values(*pairs, field="available_equity"):
    return [AccountValues(account_id=a, **{field: D(v)}) for a, v in pairs]


def members(*pairs):
    return [AllocationMember(account_id=a, amount=None if v is None else D(v)) for a, v in pairs]


# ------------------------------------------------------------------ method enum


def test_method_codes_and_kinds():
    assert [m.value for m in M] == ["A", "E", "N", "C", "P", "R", "S"]
    assert {m.code for m in M if m.is_computed} == {"A", "E", "N"}
    assert {m.code for m in M if m.is_user_specified} == {"C", "P", "R", "S"}
    assert {m.code for m in M if m.needs_account_values} == {"A", "N"}
    assert M.AVAILABLE_EQUITY.value_field == "available_equity"
    assert M.NET_LIQUIDATION.value_field == "net_liquidation"
    assert M.EQUAL.value_field is None
    assert M.CASH_QUANTITY.legacy_name is None
    assert M.SHARES.legacy_name == "ContractsOrShares"


@pytest.mark.parametrize(
    "text, method",
    [
        ("A", M.AVAILABLE_EQUITY),
        ("n", M.NET_LIQUIDATION),
        ("AvailableEquity", M.AVAILABLE_EQUITY),
        ("EqualQuantity", M.EQUAL),
        ("NetLiq", M.NET_LIQUIDATION),
        ("NetLiquidity", M.NET_LIQUIDATION),
        ("Percent", M.PERCENTAGE),
        ("Ratio", M.RATIOS),
        ("ContractsOrShares", M.SHARES),
        ("CASH_QUANTITY", M.CASH_QUANTITY),
        ("Net Liquidation Value", M.NET_LIQUIDATION),
        (M.RATIOS, M.RATIOS),
    ],
)
def test_parse_codes_and_legacy_names(text, method):
    assert M.parse(text) is method


def test_parse_legacy_name_round_trips():
    for m in M:
        if m.legacy_name:
            assert M.parse(m.legacy_name) is m


@pytest.mark.parametrize("text, fragment", [("PctChange", "not supported"), ("X", "unknown allocation method"), ("", "unknown")])
def test_parse_refuses(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        M.parse(text)


# ------------------------------------------------------------------ IBKR's worked examples


@pytest.mark.parametrize("method, field", [("A", "available_equity"), ("N", "net_liquidation")])
def test_ibkr_example_700_shares_by_equity_ratio_1_2_4(method, field):
    accts = values(("A1", 25_000), ("B1", 50_000), ("C1", 100_000), field=field)
    assert allocate(700, method, accts) == {"A1": D(100), "B1": D(200), "C1": D(400)}


def test_ibkr_example_400_equal_over_4():
    assert allocate(D(400), M.EQUAL, ["a", "b", "c", "d"]) == {k: D(100) for k in "abcd"}


def test_ibkr_example_400_equal_over_6_extras_one_at_a_time_in_member_order():
    got = allocate(400, "E", ["f", "e", "d", "c", "b", "a"])
    assert list(got) == ["f", "e", "d", "c", "b", "a"]
    # 66 each (396), the 4 left over go one share each to the first four members.
    assert got == {"f": D(67), "e": D(67), "d": D(67), "c": D(67), "b": D(66), "a": D(66)}


def test_tws_profile_examples_percent_and_ratios():
    pct = members(("a", 25), ("b", 25), ("c", 25), ("d", 25))
    assert allocate(1000, "P", pct) == {k: D(250) for k in "abcd"}
    ratios = members(("a", 4), ("b", 2), ("c", 1), ("d", 1))
    assert allocate(1000, "R", ratios) == {"a": D(500), "b": D(250), "c": D(125), "d": D(125)}


def test_shares_quantity_is_the_sum():
    s = members(("U456789", 4), ("U123456", 1))
    assert allocate(None, "S", s) == {"U456789": D(4), "U123456": D(1)}
    assert allocate(5, "S", s) == {"U456789": D(4), "U123456": D(1)}
    with pytest.raises(QuantityMismatchError, match="quantity 6 does not match 5"):
        allocate(6, "S", s)


def test_shares_whole_unless_fractional():
    s = members(("a", "2.5"), ("b", 1))
    with pytest.raises(InvalidMembersError, match="account a .* not a whole number") as info:
        allocate(None, "S", s)
    assert info.value.account_id == "a"
    assert allocate(None, "S", s, fractional=True) == {"a": D("2.5"), "b": D(1)}


def test_cash_quantity_rounds_down_per_account():
    cash = members(("a", 1000), ("b", 550), ("c", 99))
    assert allocate(None, "C", cash, price=D(100)) == {"a": D(10), "b": D(5), "c": D(0)}
    assert allocate(15, "C", cash, price=D(100)) == {"a": D(10), "b": D(5), "c": D(0)}
    assert allocate(None, "C", cash, price=D(100), fractional=True) == {"a": D(10), "b": D("5.5"), "c": D("0.99")}
    # 1000 / 3 = 333.33..., rounded down to the step
    assert allocate(None, "C", members(("a", 1000)), price=D(3), fractional=True) == {"a": D("333.3333")}


def test_cash_quantity_errors():
    cash = members(("a", 1000))
    with pytest.raises(InvalidQuantityError, match="price is required"):
        allocate(None, "C", cash)
    with pytest.raises(InvalidQuantityError, match="price must be"):
        allocate(None, "C", cash, price=D(0))
    with pytest.raises(QuantityMismatchError, match="does not match 10"):
        allocate(11, "C", cash, price=D(100))
    with pytest.raises(InvalidQuantityError, match="buy no shares"):
        allocate(None, "C", cash, price=D(2000))


def test_zero_value_account_gets_nothing():
    assert allocate(10, "N", values(("a", 0), ("b", 5), field="net_liquidation")) == {"a": D(0), "b": D(10)}


def test_fractional_split():
    got = allocate(D(1), "E", ["a", "b", "c"], fractional=True)
    assert got == {"a": D("0.3334"), "b": D("0.3333"), "c": D("0.3333")}
    assert sum(got.values()) == 1


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("q", [0, -5, D("-0.5"), D("NaN")])
def test_non_positive_quantity(q):
    with pytest.raises(InvalidQuantityError, match="quantity must be greater than 0"):
        allocate(q, "E", ["a"])


def test_quantity_must_be_whole_or_a_step_multiple():
    with pytest.raises(InvalidQuantityError, match="not a whole number of shares"):
        allocate(D("10.5"), "E", ["a", "b"])
    with pytest.raises(InvalidQuantityError, match="multiple of 0.0001"):
        allocate(D("10.00005"), "E", ["a", "b"], fractional=True)
    with pytest.raises(InvalidQuantityError, match="not float"):
        allocate(10.0, "E", ["a"])
    with pytest.raises(InvalidQuantityError, match="quantity is required"):
        allocate(None, "E", ["a"])


def test_zero_total_equity():
    with pytest.raises(ZeroTotalError, match="total available_equity of the accounts is 0"):
        allocate(100, "A", values(("a", 0), ("b", 0)))


def test_missing_and_negative_account_values():
    with pytest.raises(MissingAccountValueError, match="account b has no net_liquidation") as info:
        allocate(100, "N", [AccountValues(account_id="a", net_liquidation=D(1)), AccountValues(account_id="b", available_equity=D(5))])
    assert info.value.account_id == "b"
    with pytest.raises(MissingAccountValueError, match="needs AccountValues for account a"):
        allocate(100, "A", ["a"])
    with pytest.raises(InvalidMembersError, match="available_equity of account a is negative"):
        allocate(100, "A", values(("a", -1), ("b", 5)))


def test_member_errors_in_allocate():
    with pytest.raises(InvalidMembersError, match="at least one account"):
        allocate(10, "E", [])
    with pytest.raises(InvalidMembersError, match="account a appears more than once"):
        allocate(10, "E", ["a", "b", "a"])
    with pytest.raises(InvalidMembersError, match="account b needs an amount for method R"):
        allocate(10, "R", members(("a", 1), ("b", None)))
    with pytest.raises(InvalidMembersError, match="percentages must sum to 100, got 90"):
        allocate(10, "P", members(("a", 50), ("b", 40)))
    with pytest.raises(InvalidMembersError, match="needs AllocationMember amounts"):
        allocate(10, "P", ["a"])
    with pytest.raises(AllocationError, match="unknown allocation method"):
        allocate(10, "Z", ["a"])
    assert issubclass(AllocationError, ValueError)


# ------------------------------------------------------------------ group model


def test_group_parses_legacy_method_and_keeps_member_order():
    g = AllocationGroup(name="Group_1_Shares", method="ContractsOrShares", members=members(("U456789", 4), ("U123456", 1)))
    assert g.method is M.SHARES
    assert g.account_ids == ("U456789", "U123456")
    assert g.allocate(None) == {"U456789": D(4), "U123456": D(1)}
    with pytest.raises(ValidationError):
        g.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "method, mem, message",
    [
        ("E", [], "members: at least one account is required"),
        ("E", [("a", None), ("a", None)], "members: account a appears more than once"),
        ("P", [("a", 60), ("b", None)], "members: account b needs an amount for method P (percentage)"),
        ("S", [("a", 0)], "members: amount of account a must be greater than 0, got 0"),
        ("C", [("a", -5)], "members: amount of account a must be greater than 0, got -5"),
        ("P", [("a", 60), ("b", 30)], "members: percentages must sum to 100, got 90"),
    ],
)
def test_group_validation_names_the_field(method, mem, message):
    with pytest.raises(ValidationError) as info:
        AllocationGroup(name="g", method=method, members=members(*mem))
    assert field_errors(info.value) == {"members": message}


def test_group_refuses_unknown_method():
    with pytest.raises(ValidationError) as info:
        AllocationGroup(name="g", method="PctChange", members=members(("a", None)))
    assert "method" in field_errors(info.value)


def test_group_allocate_with_account_values():
    g = AllocationGroup(name="g", method="NetLiq", members=members(("a", None), ("b", None)))
    vals = [AccountValues(account_id="b", net_liquidation=D(3)), AccountValues(account_id="a", net_liquidation=D(1)), AccountValues(account_id="z", net_liquidation=D(9))]
    assert g.allocate(8, vals) == {"a": D(2), "b": D(6)}
    assert g.allocate(8, {v.account_id: v for v in vals}) == {"a": D(2), "b": D(6)}
    with pytest.raises(MissingAccountValueError, match="no account values for account b of group 'g'"):
        g.allocate(8, vals[1:])


# ------------------------------------------------------------------ properties

ids = st.lists(st.text("ABCDU0123456789", min_size=1, max_size=6), min_size=1, max_size=8, unique=True)
positive = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)
quantities = st.integers(min_value=1, max_value=100_000)


def _check_split(got, quantity, step):
    assert sum(got.values()) == quantity
    assert all(v >= 0 for v in got.values())
    assert all((v / step) == (v / step).to_integral_value() for v in got.values())


@settings(max_examples=150, deadline=None)
@given(data=st.data(), accts=ids, q=quantities, method=st.sampled_from(["A", "N", "R"]), fractional=st.booleans())
def test_pro_rata_properties(data, accts, q, method, fractional):
    weights = data.draw(st.lists(positive, min_size=len(accts), max_size=len(accts)))
    if method == "R":
        rows = [AllocationMember(account_id=a, amount=w) for a, w in zip(accts, weights)]
    else:
        field = "available_equity" if method == "A" else "net_liquidation"
        rows = [AccountValues(account_id=a, **{field: w}) for a, w in zip(accts, weights)]
    quantity = D(q) * (FRACTIONAL_STEP if fractional else 1)
    step = FRACTIONAL_STEP if fractional else D(1)
    got = allocate(quantity, method, rows, fractional=fractional)
    assert list(got) == accts
    _check_split(got, quantity, step)
    assert got == allocate(quantity, method, list(rows), fractional=fractional)  # deterministic
    total = sum(weights)
    for a, w in zip(accts, weights):
        exact = Fraction(quantity) * Fraction(w) / Fraction(total)
        assert abs(Fraction(got[a]) - exact) < Fraction(step)


@settings(max_examples=100, deadline=None)
@given(accts=ids, q=quantities, data=st.data())
def test_percentage_properties(accts, q, data):
    # percentages in whole percent summing to exactly 100
    cuts = sorted(data.draw(st.lists(st.integers(1, 99), min_size=len(accts) - 1, max_size=len(accts) - 1, unique=True)))
    bounds = [0, *cuts, 100]
    pcts = [bounds[i + 1] - bounds[i] for i in range(len(accts))]
    rows = [AllocationMember(account_id=a, amount=D(p)) for a, p in zip(accts, pcts)]
    got = allocate(q, "P", rows)
    _check_split(got, q, D(1))
    for a, p in zip(accts, pcts):
        assert abs(Fraction(got[a]) - Fraction(q * p, 100)) < 1


@settings(max_examples=100, deadline=None)
@given(accts=ids, q=quantities)
def test_equal_properties(accts, q):
    got = allocate(q, "E", accts)
    _check_split(got, q, D(1))
    base, extra = divmod(q, len(accts))
    assert [got[a] for a in accts] == [D(base + 1)] * extra + [D(base)] * (len(accts) - extra)


@settings(max_examples=100, deadline=None)
@given(accts=ids, data=st.data(), fractional=st.booleans())
def test_shares_and_cash_properties(accts, data, fractional):
    shares = data.draw(st.lists(st.integers(1, 10_000), min_size=len(accts), max_size=len(accts)))
    rows = [AllocationMember(account_id=a, amount=D(s)) for a, s in zip(accts, shares)]
    got = allocate(sum(shares), "S", rows, fractional=fractional)
    assert got == {a: D(s) for a, s in zip(accts, shares)}
    price = data.draw(st.decimals(min_value=D("0.01"), max_value=D("500"), places=2))
    cash = [AllocationMember(account_id=a, amount=D(s) * D(7)) for a, s in zip(accts, shares)]
    step = FRACTIONAL_STEP if fractional else D(1)
    try:
        got = allocate(None, "C", cash, price=price, fractional=fractional)
    except InvalidQuantityError:
        assert all(m.amount < price * step for m in cash)
        return
    for m in cash:
        v = got[m.account_id]
        assert v >= 0 and v * price <= m.amount < (v + step) * price
        assert (v / step) == (v / step).to_integral_value()
