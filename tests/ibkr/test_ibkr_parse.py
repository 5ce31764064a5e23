"""Defensive parsing of IBKR Client Portal values (desktop.brokers.ibkr.parse)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.brokers.ibkr.parse import money_text, number_json, text, to_date, to_datetime, to_decimal, to_int


@pytest.mark.parametrize(("value", "expected"), [
    ("1,234.50", Decimal("1234.50")),
    ("C123.4", Decimal("123.4")),
    ("H1.2", Decimal("1.2")),
    ("1.2K", Decimal("1200.0")),
    ("3M", Decimal("3000000")),
    ("1,300", Decimal("1300")),
    (" 42 ", Decimal("42")),
    ("-0.5", Decimal("-0.5")),
    ("12%", Decimal("12")),
    (7, Decimal(7)),
    (212.43, Decimal("212.43")),
    (Decimal("1.10"), Decimal("1.10")),
    (None, None),
    ("", None),
    ("N/A", None),
])
def test_to_decimal_reads_cpapi_numbers(value, expected):
    assert to_decimal(value) == expected


@pytest.mark.parametrize("value", ["abc", "1.2.3", "C", True, float("nan"), float("inf"), [1], "12 USD"])
def test_to_decimal_logs_and_returns_none_for_garbage(value, caplog):
    payload = {"31": value, "conid": 265598}
    with caplog.at_level(logging.WARNING, logger="desktop.brokers.ibkr"):
        assert to_decimal(value, "31", payload) is None
    assert "31" in caplog.text and "265598" in caplog.text  # field and raw payload logged


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-10**9, max_value=10**9))
def test_to_decimal_round_trips_formatted_numbers(d):
    assert to_decimal(f"{d:,}") == d
    assert to_decimal(str(d)) == d


@given(st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(), st.booleans()))
def test_to_decimal_never_raises(value):
    result = to_decimal(value)
    assert result is None or result.is_finite()


def test_money_text_splits_amount_and_currency():
    assert money_text("1,977.60 USD (10 Shares)") == (Decimal("1977.60"), "USD")
    assert money_text("1 USD") == (Decimal("1"), "USD")
    assert money_text("123,455") == (Decimal("123455"), None)
    assert money_text(None) == (None, None)
    assert money_text("garbage") == (None, None)


def test_times():
    utc = timezone.utc
    assert to_datetime("20231211-18:00:49") == datetime(2023, 12, 11, 18, 0, 49, tzinfo=utc)
    assert to_datetime("240425160326") == datetime(2024, 4, 25, 16, 3, 26, tzinfo=utc)
    assert to_datetime(1702317649000) == datetime(2023, 12, 11, 18, 0, 49, tzinfo=utc)
    assert to_datetime("1702317649000") == datetime(2023, 12, 11, 18, 0, 49, tzinfo=utc)
    assert to_datetime(1754948718) == datetime.fromtimestamp(1754948718, utc)  # seconds (ledger)
    assert to_datetime("20250117") == datetime(2025, 1, 17, tzinfo=utc)
    assert to_datetime(None) is None
    assert to_datetime("yesterday") is None
    assert to_datetime("20231311-18:00:49") is None  # month 13
    assert to_date("20261120") == date(2026, 11, 20)
    assert to_date("2026-11-20") is None


def test_ints_texts_and_json_numbers():
    assert to_int("265598") == 265598
    assert to_int(265598.0) == 265598
    assert to_int("12a") is None
    assert to_int(True) is None
    assert text("&#x7F8E;&#x5143;") == "美元"
    assert text(None) == ""
    assert number_json(Decimal("100")) == 100 and isinstance(number_json(Decimal("100")), int)
    assert number_json(Decimal("190.05")) == 190.05
    assert number_json(None) is None


HOSTILE = ["1e999999999", "-1e999999999", "1e-999999999", "C1e999999999", "9e99999K", "²", "³³", "٣", "½",
           "²²²²²²²²²²²²", "²²²²²²²²", "9" * 5000, "1" + "0" * 30, 10**400, -(10**400), 2**64, 1e308, 5e-324,
           float("nan"), float("-inf"), "NaN", "Infinity", "\u0000", "😀", {"a": 1}, [1, 2], (), b"12", object()]


@pytest.mark.parametrize("value", HOSTILE, ids=[repr(v)[:20] for v in HOSTILE])
def test_parsers_never_raise_on_hostile_values(value, caplog):
    """Decimal("1e999999999") * 1 raises decimal.Overflow and int("²") ValueError
    ("²".isdigit() is True): every parser returns None instead, noting the field."""
    with caplog.at_level(logging.WARNING, logger="desktop.brokers.ibkr"):
        number = to_decimal(value, "totalSize", {"totalSize": value})
        assert number is None or (number.is_finite() and abs(number) < Decimal("1e21"))
        assert to_int(value, "conid") is None or isinstance(to_int(value), int)
        assert to_datetime(value, "trade_time") is None or to_datetime(value).tzinfo is timezone.utc
        assert to_date(value, "expiry") is None
        assert money_text(value) in ((None, None),) or money_text(value)[0] is not None
        assert isinstance(text(value), str)
    if number is None and value != "NaN":  # "NaN", like "N/A", is IBKR's "no value": None without a note
        assert "totalSize" in caplog.text  # the field is named


def test_numbers_beyond_the_bounds_are_unreadable_not_overflowing():
    assert to_decimal("1e20") == Decimal("1e20") and to_decimal("1e21") is None
    assert to_decimal("1e-20") == Decimal("1e-20") and to_decimal("1e-21") is None and to_decimal("0e-99") == 0
    assert to_decimal("99999999999999999999.5") is not None  # 20 digits before the point
    assert to_int("9223372036854775807") == 2**63 - 1 and to_int("9223372036854775808") is None
    assert to_int(1e300) is None and to_int("-42") == -42
    assert text([1, 2]) == "" and text({"a": 1}) == ""
    with pytest.raises(ValueError):
        number_json(Decimal("NaN"))
