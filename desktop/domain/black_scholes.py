"""Black-Scholes-Merton option prices, greeks, implied and realized volatility.

Formulas: F. Black & M. Scholes, "The Pricing of Options and Corporate Liabilities",
J. Political Economy 81 (1973); R. Merton, "Theory of Rational Option Pricing", Bell J.
Economics 4 (1973) for the continuous dividend yield ``q``; as written in J. Hull,
*Options, Futures, and Other Derivatives* (10th ed.), eq. 15.20-15.21 and 17.4-17.5
(prices), table 19.6 (greeks), section 15.4 (historical volatility)::

    d1 = (ln(S/K) + (r - q + vol^2/2) T) / (vol sqrt(T)),  d2 = d1 - vol sqrt(T)
    call = S e^-qT N(d1) - K e^-rT N(d2),   put = K e^-rT N(-d2) - S e^-qT N(-d1)

Units: ``spot`` and ``strike`` in the same currency per share; ``years`` to expiry
(calendar days / 365); ``vol``, ``rate`` and ``q`` annualised fractions, continuously
compounded (0.25 = 25 %). Theta is per calendar day, vega per 1 vol point (0.01),
matching :class:`~desktop.domain.options.OptionQuote`. Prices are European; for
American contracts they are the usual approximation (exact for calls without dividends).

Arithmetic is in floats (math + statistics.NormalDist); spot/strike may be Decimals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from statistics import NormalDist, stdev

from .base import DomainModel
from .options import OptionContract, OptionRight

_N = NormalDist()
VOL_MIN, VOL_MAX = 1e-4, 5.0
"""The bracket :func:`implied_vol` searches (0.01 % to 500 %)."""
DAYS_PER_YEAR = 365.0
_EPS = 2.220446049250313e-16

Number = Decimal | float | int


class Greeks(DomainModel):
    """Sensitivities of one option, per share: ``delta`` (d price / d spot), ``gamma``
    (d delta / d spot, per currency unit), ``theta`` (price change per calendar day,
    usually negative), ``vega`` (price change per 1 vol point, i.e. vol + 0.01)."""

    delta: float
    gamma: float
    theta: float
    vega: float

    def as_decimals(self, places: int = 6) -> dict[str, Decimal]:
        """``{"delta": Decimal, ...}`` rounded to ``places`` decimals, e.g. for
        ``OptionQuote(contract=c, **greeks.as_decimals())``."""
        quantum = Decimal(1).scaleb(-places)
        return {k: Decimal(repr(v)).quantize(quantum) for k, v in self.model_dump().items()}


def _is_call(right: OptionRight | str) -> bool:
    if isinstance(right, OptionRight):
        return right is OptionRight.CALL
    r = str(right).upper()
    if r in ("C", "CALL"):
        return True
    if r in ("P", "PUT"):
        return False
    raise ValueError(f"right must be CALL or PUT (or C/P), not {right!r}")


def _inputs(spot: Number, strike: Number, years: float, vol: float, rate: float, q: float):
    s, k, t, v, r, q = float(spot), float(strike), float(years), float(vol), float(rate), float(q)
    for name, x in (("spot", s), ("strike", k), ("years", t), ("vol", v), ("rate", r), ("q", q)):
        if not math.isfinite(x):
            raise ValueError(f"{name} must be a finite number, not {x}")
    if s <= 0 or k <= 0:
        raise ValueError(f"spot and strike must be greater than 0 (spot={s}, strike={k})")
    if t < 0 or v < 0:
        raise ValueError(f"years and vol must not be negative (years={t}, vol={v})")
    return s, k, t, v, r, q


def _bsm(call: bool, s: float, k: float, t: float, v: float, r: float, q: float) -> tuple[float, Greeks]:
    """Price and greeks. At expiry (t == 0) the intrinsic value, delta 0 or +-1 (an
    option exactly at the money expires worthless); with vol == 0 the discounted
    intrinsic value of the forward (the vol -> 0 limit)."""
    if t == 0:
        itm = s > k if call else s < k
        intrinsic = max(s - k, 0.0) if call else max(k - s, 0.0)
        return intrinsic, Greeks(delta=(1.0 if call else -1.0) if itm else 0.0, gamma=0.0, theta=0.0, vega=0.0)
    dq, dr = math.exp(-q * t), math.exp(-r * t)
    sq = math.sqrt(t)
    if v == 0:  # the vol -> 0 limit: N(+-d1) = N(+-d2) = 1 when the forward is in the money
        fwd_itm = s * dq > k * dr if call else s * dq < k * dr
        n1 = n2 = 1.0 if fwd_itm else 0.0
        pdf = 0.0
    else:
        d1 = (math.log(s / k) + (r - q + 0.5 * v * v) * t) / (v * sq)
        d2 = d1 - v * sq
        sign = 1.0 if call else -1.0  # puts use N(-d1), N(-d2) directly (no 1 - N cancellation)
        n1, n2, pdf = _N.cdf(sign * d1), _N.cdf(sign * d2), _N.pdf(d1)
    decay = -s * dq * pdf * v / (2 * sq)
    if call:
        value = s * dq * n1 - k * dr * n2
        delta = dq * n1
        theta = decay + q * s * dq * n1 - r * k * dr * n2
    else:
        value = k * dr * n2 - s * dq * n1
        delta = -dq * n1
        theta = decay - q * s * dq * n1 + r * k * dr * n2
    gamma = dq * pdf / (s * v * sq) if v > 0 else 0.0
    vega = s * dq * pdf * sq
    return max(value, 0.0), Greeks(delta=delta, gamma=gamma, theta=theta / DAYS_PER_YEAR, vega=vega / 100)


def price(right: OptionRight | str, spot: Number, strike: Number, years: float, vol: float,
          rate: float = 0.0, q: float = 0.0) -> float:
    """Black-Scholes-Merton value per share of a European call or put.

    ``right``: OptionRight or "C"/"P"/"CALL"/"PUT"; ``years`` >= 0 (0: intrinsic value);
    ``vol`` >= 0. Raises ValueError on a bad right, non-positive spot/strike, negative
    years/vol or non-finite inputs. Source: Hull eq. 17.4-17.5 (q = 0: eq. 15.20-15.21).
    """
    return _bsm(_is_call(right), *_inputs(spot, strike, years, vol, rate, q))[0]


def greeks(right: OptionRight | str, spot: Number, strike: Number, years: float, vol: float,
           rate: float = 0.0, q: float = 0.0) -> Greeks:
    """Delta, gamma, theta (per calendar day) and vega (per vol point) per share; inputs
    and errors as :func:`price`. Source: Hull table 19.6 (theta / 365, vega / 100)."""
    return _bsm(_is_call(right), *_inputs(spot, strike, years, vol, rate, q))[1]


def _brent(f: Callable[[float], float], a: float, b: float, fa: float, fb: float,
           xtol: float = 1e-12, maxiter: int = 200) -> float:
    """Root of ``f`` in [a, b] where fa, fb have opposite signs: Brent's method (inverse
    quadratic interpolation safeguarded by bisection; R. Brent, *Algorithms for
    Minimization without Derivatives*, 1973, ch. 4; Numerical Recipes ``zbrent``)."""
    c, fc = b, fb
    d = e = b - a
    for _ in range(maxiter):
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2 * _EPS * abs(b) + 0.5 * xtol
        xm = 0.5 * (c - b)
        if abs(xm) <= tol or fb == 0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:
                p, qq = 2 * xm * s, 1 - s
            else:
                qq, rr = fa / fc, fb / fc
                p = s * (2 * xm * qq * (qq - rr) - (b - a) * (rr - 1))
                qq = (qq - 1) * (rr - 1) * (s - 1)
            if p > 0:
                qq = -qq
            p = abs(p)
            if 2 * p < min(3 * xm * qq - abs(tol * qq), abs(e * qq)):
                e, d = d, p / qq
            else:
                d = e = xm
        else:
            d = e = xm
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, xm)
        fb = f(b)
    return b


def implied_vol(right: OptionRight | str, option_price: Number, spot: Number, strike: Number, years: float,
                rate: float = 0.0, q: float = 0.0) -> float:
    """The vol at which :func:`price` equals ``option_price`` (per share), searched in
    [VOL_MIN, VOL_MAX] = [0.0001, 5] with Brent's method (to ~1e-12 in vol).

    Raises ValueError when ``years`` is 0, when the price violates the no-arbitrage
    bounds (call: max(S e^-qT - K e^-rT, 0) < c < S e^-qT; put: max(K e^-rT - S e^-qT,
    0) < p < K e^-rT; Hull section 11.3) or when it needs a vol outside the bracket;
    the message gives the bound. Other input errors as :func:`price`.
    """
    call = _is_call(right)
    s, k, t, _, r, q = _inputs(spot, strike, years, 0.0, rate, q)
    target = float(option_price)
    if not math.isfinite(target):
        raise ValueError(f"option price must be a finite number, not {target}")
    if t == 0:
        raise ValueError("implied volatility is undefined at expiry (years = 0)")
    fwd_s, fwd_k = s * math.exp(-q * t), k * math.exp(-r * t)
    lower = max(fwd_s - fwd_k, 0.0) if call else max(fwd_k - fwd_s, 0.0)
    upper = fwd_s if call else fwd_k
    kind = "call" if call else "put"
    if not lower < target < upper:
        raise ValueError(f"{kind} price {target:.6g} is outside the no-arbitrage bounds "
                         f"({lower:.6g}, {upper:.6g}): no implied volatility")

    def f(vol: float) -> float:
        return _bsm(call, s, k, t, vol, r, q)[0] - target

    f_lo, f_hi = f(VOL_MIN), f(VOL_MAX)
    if f_lo > 0:
        raise ValueError(f"{kind} price {target:.6g} is below the value at vol {VOL_MIN} "
                         f"({f_lo + target:.6g}): implied volatility under 0.01 %")
    if f_hi < 0:
        raise ValueError(f"{kind} price {target:.6g} is above the value at vol {VOL_MAX:g} "
                         f"({f_hi + target:.6g}): implied volatility over 500 %")
    return _brent(f, VOL_MIN, VOL_MAX, f_lo, f_hi)


def expiry_close_utc(expiry: date) -> datetime:
    """16:00 New York time on ``expiry`` (when US options stop trading) as aware UTC,
    using the US DST rule in force since 2007 (2nd Sunday of March to 1st Sunday of
    November) so no time-zone database is needed."""
    def sunday(month: int, n: int) -> date:
        first = date(expiry.year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))

    dst = sunday(3, 2) <= expiry < sunday(11, 1)
    return datetime.combine(expiry, time(20 if dst else 21), tzinfo=timezone.utc)


def years_to_expiry(expiry: date, now: datetime | date) -> float:
    """Calendar years (days / 365) from ``now`` to ``expiry``, never negative.

    ``now`` as a date counts whole days (0 on the expiry day); as an aware datetime it
    counts to 16:00 New York on the expiry day. Raises ValueError for naive datetimes.
    """
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        seconds = (expiry_close_utc(expiry) - now).total_seconds()
        return max(seconds, 0.0) / (DAYS_PER_YEAR * 86400)
    return max((expiry - now).days, 0) / DAYS_PER_YEAR


def quote_for(contract: OptionContract, spot: Number, now: datetime | date, vol: float,
              rate: float = 0.0, q: float = 0.0, places: int = 4) -> tuple[Decimal, Greeks]:
    """Theoretical value per share of ``contract`` (Decimal rounded to ``places``
    decimals; multiply by ``contract.multiplier`` for money) and its :class:`Greeks`,
    at ``spot`` and ``now`` (see :func:`years_to_expiry`). On and after expiry: the
    intrinsic value. Errors as :func:`price`."""
    years = years_to_expiry(contract.expiry, now)
    value, g = _bsm(contract.right is OptionRight.CALL, *_inputs(spot, contract.strike, years, vol, rate, q))
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places)), g


def realized_volatility(closes: Sequence[Number], window: int | None = 20, periods_per_year: float = 252) -> float:
    """Annualised volatility of ``closes`` (oldest first): the sample standard deviation
    of the last ``window`` log returns ln(c_i / c_i-1) times sqrt(periods_per_year)
    (Hull section 15.4). ``window=None`` uses every return; 252 suits daily closes.

    Raises ValueError when there are fewer than ``window + 1`` closes (or fewer than 3
    with ``window=None``), when ``window`` < 2, or when a close is not positive.
    """
    if window is not None and window < 2:
        raise ValueError(f"window must be at least 2 returns, not {window}")
    need = 3 if window is None else window + 1
    if len(closes) < need:
        raise ValueError(f"realized volatility needs {need} closes, got {len(closes)}")
    values = [float(c) for c in (closes if window is None else closes[-need:])]
    if any(not (math.isfinite(c) and c > 0) for c in values):
        raise ValueError("closes must be positive finite prices")
    returns = [math.log(b / a) for a, b in zip(values, values[1:])]
    return stdev(returns) * math.sqrt(periods_per_year)
