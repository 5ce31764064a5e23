"""Black-Scholes-Merton: Hull's published examples, parity, greeks vs finite differences,
implied vol round trips, expiry limits and realized volatility."""

import math
from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from desktop.domain import OptionContract, OptionRight
from desktop.domain.black_scholes import (Greeks, expiry_close_utc, greeks, implied_vol, price, quote_for,
                                          realized_volatility, years_to_expiry)

C, P = OptionRight.CALL, OptionRight.PUT


def test_hull_example_15_6_call_and_put():
    # Hull, Options, Futures, and Other Derivatives, Example 15.6: c = 4.76, p = 0.81
    assert price(C, 42, 40, 0.5, 0.2, rate=0.1) == pytest.approx(4.7594, abs=1e-4)
    assert price("P", D(42), D(40), 0.5, 0.2, rate=0.1) == pytest.approx(0.8086, abs=1e-4)


def test_hull_example_17_1_index_call_with_dividend_yield():
    # S = 930, K = 900, r = 8 %, q = 3 %, vol = 20 %, T = 2 months: c = 51.83
    assert price("CALL", 930, 900, 2 / 12, 0.2, rate=0.08, q=0.03) == pytest.approx(51.83, abs=0.005)


def test_hull_chapter_19_greeks():
    # S = 49, K = 50, r = 5 %, vol = 20 %, T = 20 weeks: c = 2.40, delta 0.522, gamma 0.066,
    # theta -4.31 per year, vega 12.1 per unit vol
    t = 20 / 52
    assert price(C, 49, 50, t, 0.2, 0.05) == pytest.approx(2.40, abs=0.005)
    g = greeks(C, 49, 50, t, 0.2, 0.05)
    assert g.delta == pytest.approx(0.522, abs=5e-4)
    assert g.gamma == pytest.approx(0.066, abs=5e-4)
    assert g.theta * 365 == pytest.approx(-4.31, abs=0.005)
    assert g.vega == pytest.approx(0.121, abs=5e-4)


spots = st.floats(5, 1000)
moneyness = st.floats(0.5, 1.5)
years_ = st.floats(0.01, 3)
vols = st.floats(0.05, 1.5)
rates = st.floats(0, 0.1)
yields = st.floats(0, 0.06)


@given(spots, moneyness, years_, vols, rates, yields)
def test_put_call_parity(s, m, t, v, r, q):
    k = s * m
    lhs = price(C, s, k, t, v, r, q) - price(P, s, k, t, v, r, q)
    assert lhs == pytest.approx(s * math.exp(-q * t) - k * math.exp(-r * t), abs=1e-9 * s)


@given(spots, moneyness, years_, vols, rates, yields, st.sampled_from(OptionRight))
def test_greeks_match_finite_differences(s, m, t, v, r, q, right):
    k = s * m
    g = greeks(right, s, k, t, v, r, q)
    hs, hv, ht = s * 1e-5, 1e-5, 1e-6
    f = lambda s_=s, t_=t, v_=v: price(right, s_, k, t_, v_, r, q)  # noqa: E731
    assert g.delta == pytest.approx((f(s + hs) - f(s - hs)) / (2 * hs), abs=1e-6, rel=1e-5)
    assert g.gamma == pytest.approx((f(s + hs) - 2 * f() + f(s - hs)) / hs**2, abs=1e-4 / s, rel=1e-3)
    assert g.vega == pytest.approx((f(v_=v + hv) - f(v_=v - hv)) / (2 * hv) / 100, abs=1e-6 * s)
    assert g.theta == pytest.approx(-(f(t_=t + ht) - f(t_=t - ht)) / (2 * ht) / 365, abs=1e-5 * s)
    assert 0 <= g.delta <= 1 if right is C else -1 <= g.delta <= 0
    assert g.gamma >= 0 and g.vega >= 0


@given(spots, moneyness, years_, vols, rates, yields, st.sampled_from(OptionRight))
def test_implied_vol_inverts_price(s, m, t, v, r, q, right):
    k = s * m
    assume(greeks(right, s, k, t, v, r, q).vega * 100 > 1e-3 * s)  # price carries the vol
    iv = implied_vol(right, price(right, s, k, t, v, r, q), s, k, t, r, q)
    assert iv == pytest.approx(v, abs=1e-6)


def test_implied_vol_of_a_market_price():
    assert implied_vol("C", D("4.76"), D(42), D(40), 0.5, 0.1) == pytest.approx(0.2, abs=1e-3)
    # at the money with r = q = 0: p ~ 0.4 S vol sqrt(T) (Brenner & Subrahmanyam), exactly 0.20061
    assert implied_vol(P, 4.0, 100, 100, 0.25) == pytest.approx(0.20061, abs=1e-5)


@pytest.mark.parametrize("right, px, words", [
    (C, 1.0, "no-arbitrage"),  # below intrinsic 42 - 40 e^-0.05
    (C, 42.5, "no-arbitrage"),  # above the spot
    (P, 40.0, "no-arbitrage"),  # above the discounted strike
    (P, -0.1, "no-arbitrage"),
    (P, 0.0, "no-arbitrage"),
])
def test_implied_vol_refuses_impossible_prices(right, px, words):
    with pytest.raises(ValueError, match=words):
        implied_vol(right, px, 42, 40, 0.5, 0.1)


def test_implied_vol_outside_the_bracket_and_at_expiry():
    with pytest.raises(ValueError, match="under 0.01 %"):
        implied_vol(C, 0.001, 100, 100, 1)  # the value at vol 0.0001 is 0.004
    with pytest.raises(ValueError, match="over 500 %"):
        implied_vol(C, 99.9, 100, 100, 0.01)
    with pytest.raises(ValueError, match="at expiry"):
        implied_vol(C, 1.0, 100, 100, 0)


@pytest.mark.parametrize("kw, words", [
    (dict(spot=0), "greater than 0"), (dict(strike=-1), "greater than 0"), (dict(years=-0.1), "negative"),
    (dict(vol=-0.2), "negative"), (dict(vol=math.nan), "finite"), (dict(right="X"), "CALL or PUT"),
])
def test_bad_inputs_raise_value_error(kw, words):
    args = dict(right=C, spot=100, strike=100, years=0.5, vol=0.2) | kw
    with pytest.raises(ValueError, match=words):
        price(**args)


def test_expiry_day_is_intrinsic_value():
    assert price(C, 105, 100, 0, 0.3) == 5 and price(P, 105, 100, 0, 0.3) == 0
    assert greeks(C, 105, 100, 0, 0.3) == Greeks(delta=1, gamma=0, theta=0, vega=0)
    assert greeks(P, 95, 100, 0, 0.3).delta == -1 and greeks(C, 95, 100, 0, 0.3).delta == 0
    assert greeks(C, 100, 100, 0, 0.3).delta == 0 == price(C, 100, 100, 0, 0.3)
    # close to expiry the price approaches the intrinsic value
    assert price(C, 105, 100, 1e-9, 0.3) == pytest.approx(5, abs=1e-6)


def test_zero_vol_is_the_discounted_forward_intrinsic():
    assert price(C, 100, 90, 1, 0, rate=0.05) == pytest.approx(100 - 90 * math.exp(-0.05))
    assert price(P, 100, 90, 1, 0, rate=0.05) == 0
    assert greeks(C, 100, 90, 1, 0, rate=0.05).delta == 1
    assert price(C, 100, 90, 1, 1e-9, rate=0.05) == pytest.approx(price(C, 100, 90, 1, 0, rate=0.05))


def test_years_to_expiry_counts_to_the_new_york_close():
    feb = date(2025, 2, 21)  # EST: 16:00 = 21:00 UTC
    assert expiry_close_utc(feb) == datetime(2025, 2, 21, 21, tzinfo=timezone.utc)
    assert expiry_close_utc(date(2025, 6, 20)) == datetime(2025, 6, 20, 20, tzinfo=timezone.utc)
    assert years_to_expiry(feb, datetime(2025, 2, 20, 21, tzinfo=timezone.utc)) == pytest.approx(1 / 365)
    assert years_to_expiry(feb, date(2025, 1, 22)) == pytest.approx(30 / 365)
    assert years_to_expiry(feb, date(2025, 3, 1)) == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        years_to_expiry(feb, datetime(2025, 2, 20))


def test_quote_for_a_contract():
    contract = OptionContract(underlying="XYZ", expiry=date(2025, 8, 19), right=C, strike=D(40))
    value, g = quote_for(contract, D(42), date(2025, 2, 20), 0.2, rate=0.1)  # 180 days
    assert value == D("4.7281") and float(value) == pytest.approx(price(C, 42, 40, 180 / 365, 0.2, 0.1), abs=5e-5)
    assert g == greeks(C, 42, 40, 180 / 365, 0.2, 0.1)
    assert g.as_decimals(4)["delta"] == D(repr(g.delta)).quantize(D("0.0001"))
    expired, g = quote_for(contract, D("43.5"), datetime(2025, 8, 20, tzinfo=timezone.utc), 0.2)
    assert expired == D("3.5000") and g.delta == 1


def test_realized_volatility_of_known_series():
    closes = [D(100), D(110), D(100), D(110), D(100)]
    expected = math.log(1.1) * math.sqrt(4 / 3) * math.sqrt(252)
    assert realized_volatility(closes, window=4) == pytest.approx(expected)
    assert realized_volatility([1, 2, *closes], window=4) == pytest.approx(expected)  # only the last 4 returns
    assert realized_volatility(closes, window=None, periods_per_year=1) == pytest.approx(expected / math.sqrt(252))
    assert realized_volatility([100 * 1.01**i for i in range(61)], window=60) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("closes, window, words", [
    ([100] * 20, 20, "needs 21 closes"), ([100, 101], None, "needs 3"), ([100, 0, 100], 2, "positive"),
    ([100] * 5, 1, "at least 2"),
])
def test_realized_volatility_refuses_short_or_bad_series(closes, window, words):
    with pytest.raises(ValueError, match=words):
        realized_volatility(closes, window=window)


def test_realized_volatility_recovers_a_simulated_vol():
    import random

    rng = random.Random(7)
    closes, px = [], 100.0
    for _ in range(5001):
        closes.append(px)
        px *= math.exp(rng.gauss(0, 0.3 / math.sqrt(252)))
    assert realized_volatility(closes, window=5000) == pytest.approx(0.3, rel=0.05)
