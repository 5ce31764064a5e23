"""OCC (OSI) symbols: round trips, real-world examples and pointed error messages."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.domain import Instrument, OptionContract, OptionRight, OptionStyle
from desktop.domain.occ import OccSymbolError, canonical_occ, format_occ, parse_occ

C, P = OptionRight.CALL, OptionRight.PUT

roots = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=6)
expiries = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
strikes = st.integers(1, 99_999_999).map(lambda units: D(units) / 1000)
contracts = st.builds(OptionContract, underlying=roots, expiry=expiries, right=st.sampled_from(OptionRight), strike=strikes)


@given(contracts)
def test_parse_inverts_format(contract):
    symbol = format_occ(contract.underlying, contract.expiry, contract.right, contract.strike)
    assert len(symbol) == 21
    assert parse_occ(symbol) == contract
    assert symbol == contract.occ_symbol


@given(contracts)
def test_unpadded_form_parses_to_the_same_contract(contract):
    padded = contract.occ_symbol
    unpadded = format_occ(contract.underlying, contract.expiry, contract.right, contract.strike, padded=False)
    assert " " not in unpadded and 16 <= len(unpadded) <= 21
    assert parse_occ(unpadded) == contract
    assert canonical_occ(unpadded) == canonical_occ(padded) == padded
    assert canonical_occ(padded, padded=False) == unpadded


REAL_WORLD = [
    ("AAPL  250221C00200000", "AAPL", date(2025, 2, 21), C, D("200")),
    ("AAPL250221C00200000", "AAPL", date(2025, 2, 21), C, D("200")),
    ("SPXW  240119P04500000", "SPXW", date(2024, 1, 19), P, D("4500")),
    ("SPXW240119P04500000", "SPXW", date(2024, 1, 19), P, D("4500")),
    ("AAPL1 150117C00095000", "AAPL1", date(2015, 1, 17), C, D("95")),
    ("AAPL1150117C00095000", "AAPL1", date(2015, 1, 17), C, D("95")),  # digit-ending root, unpadded
    ("SPY   240315P00217500", "SPY", date(2024, 3, 15), P, D("217.5")),
    ("NVR   241220C07500000", "NVR", date(2024, 12, 20), C, D("7500")),
    ("BRKA  991231C99999999", "BRKA", date(2099, 12, 31), C, D("99999.999")),
    ("F     240621P00000500", "F", date(2024, 6, 21), P, D("0.5")),
    ("X     000101C00000001", "X", date(2000, 1, 1), C, D("0.001")),
    ("GOOGL 260116C00180000", "GOOGL", date(2026, 1, 16), C, D("180")),
    ("BRKB1 241018P00412500", "BRKB1", date(2024, 10, 18), P, D("412.5")),
]


@pytest.mark.parametrize("symbol, root, expiry, right, strike", REAL_WORLD)
def test_real_world_symbols(symbol, root, expiry, right, strike):
    c = parse_occ(symbol)
    assert (c.underlying, c.expiry, c.right, c.strike) == (root, expiry, right, strike)
    assert c.multiplier == 100 and c.style is OptionStyle.AMERICAN
    assert canonical_occ(symbol) == f"{root:<6}{symbol[-15:]}"


def test_strike_keeps_its_exact_decimal():
    assert str(parse_occ("SPY   240315P00217500").strike) == "217.5"
    assert str(parse_occ("AAPL  250221C00200000").strike) == "200"
    assert str(parse_occ("F     240621P00000500").strike) == "0.5"


def test_multiplier_and_style_come_from_the_caller():
    c = parse_occ("SPXW  240119P04500000", style=OptionStyle.EUROPEAN)
    assert c.style is OptionStyle.EUROPEAN
    adjusted = parse_occ("AAPL1 150117C00095000", multiplier=D(150))
    assert adjusted.multiplier == 150
    assert Instrument.for_option(adjusted).symbol == "AAPL1 150117C00095000"


def test_format_accepts_every_spelling_of_the_right_and_exact_strikes():
    d = date(2025, 2, 21)
    for right in (C, "C", "CALL", "call", "c"):
        assert format_occ("AAPL", d, right, D("200.000")) == "AAPL  250221C00200000"
    for right in (P, "P", "PUT"):
        assert format_occ("aapl", d, right, 200) == "AAPL  250221P00200000"
    assert format_occ("SPY", d, "P", "217.50") == "SPY   250221P00217500"
    assert format_occ("SPY", d, "P", D("217.5"), padded=False) == "SPY250221P00217500"


@pytest.mark.parametrize("args, part, words", [
    (("ABCDEFG", date(2025, 2, 21), "C", 200), "root", "longer than 6"),
    (("BRK.B", date(2025, 2, 21), "C", 200), "root", "letters or digits"),
    (("", date(2025, 2, 21), "C", 200), "root", "letters or digits"),
    (("AAPL", date(1999, 12, 31), "C", 200), "expiry", "2000-2099"),
    (("AAPL", date(2100, 1, 1), "C", 200), "expiry", "2000-2099"),
    (("AAPL", "2025-02-21", "C", 200), "expiry", "not a date"),
    (("AAPL", date(2025, 2, 21), "X", 200), "right", "not a call or put"),
    (("AAPL", date(2025, 2, 21), "C", D("200.0001")), "strike", "more than 3 decimals"),
    (("AAPL", date(2025, 2, 21), "C", D("100000")), "strike", "99999.999"),
    (("AAPL", date(2025, 2, 21), "C", 0), "strike", "greater than 0"),
    (("AAPL", date(2025, 2, 21), "C", D("-5")), "strike", "greater than 0"),
    (("AAPL", date(2025, 2, 21), "C", 200.0), "strike", "not float"),
    (("AAPL", date(2025, 2, 21), "C", "abc"), "strike", "not a number"),
    (("AAPL", date(2025, 2, 21), "C", D("NaN")), "strike", "finite"),
])
def test_format_rejects_options_without_an_occ_symbol(args, part, words):
    with pytest.raises(OccSymbolError) as info:
        format_occ(*args)
    assert info.value.part == part
    assert str(info.value).startswith(f"{part}: ") and words in str(info.value)


@pytest.mark.parametrize("text, part, words", [
    ("ABCDEFG250221C00200000", "root", "longer than 6"),
    ("ABCDEFG 250221C00200000", "root", "longer than 6"),
    ("aapl  250221c00200000", "root", "upper case"),
    ("Aapl  250221C00200000", "root", "upper case"),
    ("AA.L  250221C00200000", "root", "'.'"),
    ("AA PL 250221C00200000", "root", "' '"),
    ("      250221C00200000", "length", "whitespace"),
    ("250221C00200000", "root", "missing"),
    ("AAPL  25022", "length", "do not make an OCC symbol"),
    ("AAPL  250230C00200000", "expiry", "250230 is not a date (February 2025 has 28 days)"),
    ("AAPL  250229C00200000", "expiry", "28 days"),
    ("AAPL  251321C00200000", "expiry", "month 13"),
    ("AAPL  250021C00200000", "expiry", "month 00"),
    ("AAPL  250200C00200000", "expiry", "not a date"),
    ("AAPL  25-221C00200000", "expiry", "6 digits YYMMDD"),
    ("AAPL  250221X00200000", "right", "'X' is not C (call) or P (put)"),
    ("AAPL  250221c00200000", "right", "upper case"),
    ("AAPL  250221C0200000", "strike", "7 digits"),
    ("AAPL250221C0200000", "strike", "7 digits"),
    ("AAPL  250221C002000000", "strike", "9 digits"),
    ("AAPL  250221C00A00000", "strike", "'A'"),
    ("AAPL  250221C00200.00", "strike", "'.'"),
    ("AAPL  250221C00000000", "strike", "zero"),
    ("AAPL  250221C", "strike", "missing"),
    ("AAPL 250221C00200000", "length", "21 in all"),
    ("AAPL   250221C00200000", "length", "21 in all"),
    (" AAPL 250221C00200000", "length", "whitespace"),
    ("AAPL  250221C00200000\n", "length", "whitespace"),
    ("AAPL", "length", "do not make an OCC symbol"),
    ("", "length", "empty"),
])
def test_parse_names_the_wrong_part(text, part, words):
    with pytest.raises(OccSymbolError) as info:
        parse_occ(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.part == part and err.text == text
    assert str(err).startswith(f"{part}: ") and words in str(err)


def test_parse_refuses_non_strings():
    with pytest.raises(TypeError):
        parse_occ(b"AAPL  250221C00200000")


@given(st.text(max_size=30))
def test_parse_either_succeeds_canonically_or_raises_occ_error(text):
    try:
        c = parse_occ(text)
    except OccSymbolError as err:
        assert err.part in ("root", "expiry", "right", "strike", "length")
    else:
        assert canonical_occ(text) == c.occ_symbol
        assert text in (c.occ_symbol, format_occ(c.underlying, c.expiry, c.right, c.strike, padded=False))
