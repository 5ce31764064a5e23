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
