"""Listed equity options on the paper market's underlyings, priced by Black-Scholes.

Everything is deterministic, derived from the replay clock and the real daily
history (no randomness per call):

* **Underlyings**: every symbol of the market with at least :data:`MIN_CLOSES` real
  daily closes before the replay date (AAPL, GOOG, IBM, MSFT; FB some weeks after its
  IPO).
* **Expiries** (relative to the clock's date): the next :data:`WEEKLY_COUNT` weekly
  Fridays plus the next :data:`MONTHLY_COUNT` standard monthly expiries (the third
  Friday). A Friday that is not a trading day of the history calendar (an exchange
  holiday such as Good Friday) moves to the previous trading day. An expiry stays
  listed until its session closes (16:00 New York on the expiry day); once listed it
  stays listed until then, as the windows only slide forward.
* **Strikes**: one fixed grid, stepped by the strike's own level (CBOE-like):
  :data:`STRIKE_STEPS` = $1 below $50, $2.50 from $50, $5 from $100, $10 from $200
  (so AAPL at ~$550 has $10 strikes, MSFT at ~$30 $1 strikes). Chains show the grid
  strikes within :data:`STRIKE_RANGE` (±30%) of the underlying's price; any grid strike
  of a listed expiry can be quoted and traded (so a held contract stays tradable when
  the stock moves away).
* **Value**: Black-Scholes (:mod:`desktop.domain.black_scholes`) with the underlying's
  realised volatility of the last :data:`VOL_WINDOW` (30) daily log returns of real
  closes *before* today (no look-ahead), each return capped at ±25% so the splits in
  the unadjusted history do not read as volatility, clamped to [10%, 200%] and flat
  across strikes; rate :data:`RISK_FREE_RATE` (1% a year, continuous), no dividends;
  time = calendar time to 16:00 New York on the expiry day / 365. Never below the
  intrinsic value (the contracts are American).
* **Quote**: spread = max($0.05, 3% of value); bid = value - spread/2 rounded down,
  ask = value + spread/2 rounded up, to the tick: $0.01 below $3, $0.05 from $3 (the
  penny-pilot rule). A bid below one tick is 0: no bid. ``last`` = mid. ``iv`` is the
  pricing volatility; greeks are the model's (theta per calendar day, vega per vol
  point), rounded to 4 decimals.
* **Volume / open interest**: from a hash of the OCC symbol and the date, largest
  near the money (measured against the previous close); volume grows through the
  session.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from desktop.brokers.errors import InvalidRequestError, NotFoundError
from desktop.domain import Instrument, OptionChain, OptionContract, OptionQuote, OptionRight, OptionStyle
from desktop.domain import black_scholes as bs
from desktop.domain.occ import OccSymbolError, parse_occ

from .intraday import SESSION_MINUTES, session_open_utc
from .market import MarketSimulator

RISK_FREE_RATE = 0.01
"""Annual risk-free rate (continuously compounded) used for every price: 1%."""
VOL_WINDOW = 30
"""Daily log returns in the realised volatility."""
VOL_FLOOR, VOL_CAP = 0.10, 2.0
RETURN_CAP = 0.25
"""Largest daily log return counted (splits in the unadjusted data are capped)."""
MIN_CLOSES = 10
"""Real daily closes an underlying needs before options are listed on it."""
WEEKLY_COUNT = 5
MONTHLY_COUNT = 4
STRIKE_RANGE = Decimal("0.30")
STRIKE_STEPS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal(50), Decimal(1)),
    (Decimal(100), Decimal("2.5")),
    (Decimal(200), Decimal(5)),
    (Decimal("Infinity"), Decimal(10)),
)
"""(strikes below this level, step) pairs of the strike grid."""
MULTIPLIER = Decimal(100)
MIN_SPREAD = Decimal("0.05")
SPREAD_RATE = Decimal("0.03")
PENNY_LIMIT = Decimal(3)
CENT, NICKEL = Decimal("0.01"), Decimal("0.05")
_GREEK_PLACES = 4


def strike_step(strike: Decimal) -> Decimal:
    """The grid step at ``strike``'s level (see :data:`STRIKE_STEPS`)."""
    return next(step for bound, step in STRIKE_STEPS if strike < bound)


def on_grid(strike: Decimal) -> bool:
    """True when ``strike`` is a listed strike level (> 0 and a multiple of its step)."""
    return strike > 0 and strike % strike_step(strike) == 0


def _clean(value: Decimal) -> Decimal:
    """Whole numbers without a fraction part (55 rather than 55.0)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def grid_strikes(low: Decimal, high: Decimal) -> tuple[Decimal, ...]:
    """Every grid strike in [low, high], ascending."""
    low = max(low, Decimal("0.01"))
    step = strike_step(low)
    k = (low / step).to_integral_value(rounding=ROUND_CEILING) * step
    out = []
    while k <= high:
        out.append(_clean(k))
        k += strike_step(k)
    return tuple(out)


def tick_for(price: Decimal) -> Decimal:
    """Quote tick: $0.01 below $3, $0.05 from $3."""
    return CENT if price < PENNY_LIMIT else NICKEL


def spread_quote(value: Decimal) -> tuple[Decimal, Decimal]:
    """(bid, ask) around a theoretical ``value``: spread max($0.05, 3%), rounded outward
    to the tick; bid 0 when it would be below one tick (no bid)."""
    half = max(MIN_SPREAD, value * SPREAD_RATE) / 2
    tick = tick_for(value)
    bid = ((value - half) / tick).to_integral_value(rounding=ROUND_FLOOR) * tick
    ask = ((value + half) / tick).to_integral_value(rounding=ROUND_CEILING) * tick
    bid = bid if bid >= CENT else Decimal("0.00")
    ask = max(ask, bid + tick, CENT)
    return bid.quantize(CENT), ask.quantize(CENT)


def third_friday(year: int, month: int) -> date:
    """The standard monthly expiry of ``month``: its third Friday."""
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


class OptionsMarket:
    """The listed options of ``market`` at its clock's now. Not thread-safe; cheap.

    Methods taking an underlying or a contract raise NotFoundError naming what is not
    listed (unknown underlying, expiry not listed, strike off the grid).
    """

    def __init__(self, market: MarketSimulator) -> None:
        self.market = market
        self._vols: dict[tuple[str, date], float] = {}
        self._expiries: dict[tuple[date, bool], tuple[date, ...]] = {}
        self._trading_days = frozenset(market.clock.calendar)

    # -- listing ------------------------------------------------------------------
    @property
    def today(self) -> date:
        return self.market.clock.current_date

    def underlyings(self) -> tuple[str, ...]:
        """Symbols with options listed today, sorted."""
        return tuple(s for s in self.market.symbols if self._closes_before(s, self.today, MIN_CLOSES))

    def _underlying(self, underlying: str) -> str:
        sym = underlying.strip().upper() if isinstance(underlying, str) else ""
        if sym not in self.market.history or not self._closes_before(sym, self.today, MIN_CLOSES):
            listed = ", ".join(self.underlyings()) or "none"
            raise NotFoundError(f"no options are listed on {underlying!r} in the paper market (options on: {listed})")
        return sym

    def _closes_before(self, sym: str, day: date, count: int) -> list[float]:
        series = self.market.history.series(sym)
        i = series.index_before(day)
        return [] if i < count else series.close_f[max(0, i - VOL_WINDOW - 1):i].tolist()

    def expiries(self, underlying: str | None = None) -> tuple[date, ...]:
        """Listed expiries, ascending (the same for every underlying)."""
        if underlying is not None:
            self._underlying(underlying)
        clock = self.market.clock
        key = (clock.current_date, clock.session_closed)
        if key not in self._expiries:
            self._expiries = {key: self._list_expiries(*key)}
        return self._expiries[key]

    def _list_expiries(self, today: date, closed: bool) -> tuple[date, ...]:
        def live(d: date) -> bool:
            return d > today or (d == today and not closed)

        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        weekly = [d for d in (self._trading_day(friday + timedelta(weeks=k)) for k in range(WEEKLY_COUNT + 2)) if live(d)]
        monthly = []
        for m in range(MONTHLY_COUNT + 2):
            y, mo = divmod(today.month - 1 + m, 12)
            d = self._trading_day(third_friday(today.year + y, mo + 1))
            if live(d):
                monthly.append(d)
        return tuple(sorted(set(weekly[:WEEKLY_COUNT]) | set(monthly[:MONTHLY_COUNT])))

    def _trading_day(self, friday: date) -> date:
        """``friday``, or the trading day before it when it is a holiday in the history
        calendar (dates after the calendar's end are kept)."""
        cal = self.market.clock.calendar
        if friday > cal[-1] or friday in self._trading_days:
            return friday
        i = bisect.bisect_left(cal, friday)
        return cal[i - 1] if i > 0 else friday

    def check_listed(self, contract: OptionContract) -> None:
        """Raise NotFoundError unless ``contract`` is listed now."""
        self._underlying(contract.underlying)
        name = contract.describe()
        if contract.multiplier != MULTIPLIER or contract.style is not OptionStyle.AMERICAN:
            raise NotFoundError(f"{name} is not listed: paper options are American with {MULTIPLIER} shares per contract")
        listed = self.expiries()
        if contract.expiry not in listed:
            shown = ", ".join(d.isoformat() for d in listed)
            raise NotFoundError(f"{name} is not listed: {contract.underlying} has no expiry on "
                                f"{contract.expiry.isoformat()} (listed: {shown})")
        if not on_grid(contract.strike):
            raise NotFoundError(f"{name} is not listed: strike {contract.strike} is not on the strike grid "
                                f"(steps of $1 below $50, $2.50 to $100, $5 to $200, $10 above; "
                                f"nearest {_clean(self._nearest_strike(contract.strike))})")

    @staticmethod
    def _nearest_strike(strike: Decimal) -> Decimal:
        step = strike_step(max(strike, CENT))
        return max(step, (strike / step).to_integral_value() * step)

    def is_listed(self, contract: OptionContract) -> bool:
        try:
            self.check_listed(contract)
        except NotFoundError:
            return False
        return True

    def contract_for(self, symbol: str) -> OptionContract:
        """The listed contract of an OCC ``symbol`` (padded or not, any case). Raises
        InvalidRequestError (field "symbol") for a malformed symbol, NotFoundError when
        it is not listed."""
        text = symbol.strip().upper() if isinstance(symbol, str) else symbol
        try:
            contract = parse_occ(text)
        except (OccSymbolError, TypeError) as exc:
            raise InvalidRequestError(f"{symbol!r} is not an OCC option symbol: {exc}", field="symbol") from None
        self.check_listed(contract)
        return contract

    def instrument(self, contract: OptionContract) -> Instrument:
        """The Instrument of a listed ``contract``: ``Instrument.for_option(contract)``
        (OCC symbol, multiplier 100, cent ticks), equal to one a client builds itself."""
        self.check_listed(contract)
        return Instrument.for_option(contract)

    # -- prices -------------------------------------------------------------------
    def volatility(self, underlying: str) -> float:
        """Realised volatility (annual fraction) pricing ``underlying`` today (module doc)."""
        sym, day = self._underlying(underlying), self.today
        key = (sym, day)
        if key not in self._vols:
            closes = self._closes_before(sym, day, 3)
            if len(closes) < 3:
                vol = VOL_FLOOR
            else:
                rets = [max(-RETURN_CAP, min(RETURN_CAP, math.log(b / a))) for a, b in zip(closes, closes[1:])]
                level = [1.0]
                for r in rets:
                    level.append(level[-1] * math.exp(r))
                vol = bs.realized_volatility(level, window=len(rets), periods_per_year=252)
            self._vols[key] = min(VOL_CAP, max(VOL_FLOOR, vol))
        return self._vols[key]

    def underlying_price(self, underlying: str) -> Decimal:
        """The underlying's price now (the last replayed minute's close)."""
        sym = self._underlying(underlying)
        price = self.market.last_price(sym)
        if price is None:
            raise NotFoundError(f"no price for {sym} yet")
        return price

    def _years(self, expiry: date) -> float:
        close = session_open_utc(expiry) + timedelta(minutes=SESSION_MINUTES)
        return max(0.0, (close - self.market.clock.now).total_seconds()) / (365 * 86400)

    def _value(self, contract: OptionContract, spot: Decimal) -> tuple[Decimal, bs.Greeks, float]:
        vol = self.volatility(contract.underlying)
        years = self._years(contract.expiry)
        args = (contract.right, spot, contract.strike, years, vol, RISK_FREE_RATE)
        intrinsic = max(spot - contract.strike, 0) if contract.right is OptionRight.CALL else max(contract.strike - spot, 0)
        value = max(Decimal(repr(bs.price(*args))).quantize(Decimal("0.0001")), intrinsic)
        return value, bs.greeks(*args), vol

    def bid_ask(self, instrument: Instrument) -> tuple[Decimal | None, Decimal | None]:
        """(bid, ask) per share of an option instrument now; bid None when there is no
        bid. The matching engine's :data:`~.fillmodel.OptionPricer`. Raises NotFoundError
        for an instrument that is not a listed paper option."""
        contract = self._contract_of(instrument)
        value, _, _ = self._value(contract, self.underlying_price(contract.underlying))
        bid, ask = spread_quote(value)
        return (bid or None), ask

    def _contract_of(self, instrument: Instrument) -> OptionContract:
        contract = instrument.option
        if contract is None:
            raise NotFoundError(f"{instrument.symbol} is not an option")
        if instrument.symbol != contract.occ_symbol or instrument.multiplier != contract.multiplier:
            raise NotFoundError(f"{instrument.symbol} does not match its contract {contract.occ_symbol}")
        self.check_listed(contract)
        return contract

    def quote(self, contract: OptionContract) -> OptionQuote:
        """Quote, greeks, IV, volume and open interest of a listed ``contract`` now."""
        self.check_listed(contract)
        return self._quote(contract, self.underlying_price(contract.underlying))

    def mark(self, instrument: Instrument) -> Decimal | None:
        """Mid price of an option instrument now, None when it is not listed."""
        try:
            bid, ask = self.bid_ask(instrument)
        except NotFoundError:
            return None
        return ((bid or Decimal(0)) + ask) / 2

    def _quote(self, contract: OptionContract, spot: Decimal) -> OptionQuote:
        value, g, vol = self._value(contract, spot)
        bid, ask = spread_quote(value)
        volume, open_interest = self._activity(contract)
        q = Decimal(1).scaleb(-_GREEK_PLACES)
        return OptionQuote(
            contract=contract,
            bid=bid,
            ask=ask,
            last=(bid + ask) / 2,
            volume=volume,
            open_interest=open_interest,
            iv=Decimal(repr(vol)).quantize(q),
            delta=Decimal(repr(g.delta)).quantize(q),
            gamma=Decimal(repr(g.gamma)).quantize(q),
            theta=Decimal(repr(g.theta)).quantize(q),
            vega=Decimal(repr(g.vega)).quantize(q),
            underlying_price=spot,
            timestamp=self.market.clock.now,
        )

    def _activity(self, contract: OptionContract) -> tuple[Decimal, Decimal]:
        """(volume so far today, open interest): hashed per contract and day, weighted
        towards the money (previous close) and nearer expiries."""
        day = self.today
        ref = self.market.history.prev_close(contract.underlying, day) or contract.strike
        h = hashlib.blake2b(f"{contract.occ_symbol}|{day.isoformat()}".encode(), digest_size=8).digest()
        moneyness = abs(math.log(float(contract.strike) / float(ref)))
        weeks = max(1.0, (contract.expiry - day).days / 7)
        weight = math.exp(-moneyness / 0.06) / math.sqrt(weeks)
        open_interest = int((100 + int.from_bytes(h[:4], "big") % 19_900) * weight)
        day_volume = int((20 + int.from_bytes(h[4:], "big") % 4_980) * weight)
        played = self.market.clock.minute / SESSION_MINUTES
        return Decimal(int(day_volume * played)), Decimal(open_interest)

    # -- chains -------------------------------------------------------------------
    def strikes(self, underlying: str, spot: Decimal | None = None) -> tuple[Decimal, ...]:
        """Grid strikes within ±30% of the underlying's price, ascending."""
        spot = self.underlying_price(underlying) if spot is None else spot
        return grid_strikes(spot * (1 - STRIKE_RANGE), spot * (1 + STRIKE_RANGE))

    def chain(self, underlying: str, expiry: date | None = None) -> OptionChain:
        """The chain of ``underlying``: every listed expiry, the strikes around the
        money, and a call and a put quote per strike of ``expiry`` (nearest when None),
        ordered by strike then right (CALL first). Raises NotFoundError for an unknown
        underlying or an expiry that is not listed."""
        sym = self._underlying(underlying)
        listed = self.expiries()
        if not listed:
            raise NotFoundError(f"no expiries are listed on {sym} after the end of the replay data")
        if expiry is None:
            expiry = listed[0]
        elif expiry not in listed:
            shown = ", ".join(d.isoformat() for d in listed)
            raise NotFoundError(f"{sym} has no expiry on {expiry.isoformat()} (listed: {shown})")
        spot = self.underlying_price(sym)
        strikes = self.strikes(sym, spot)
        quotes = tuple(
            self._quote(OptionContract(underlying=sym, expiry=expiry, right=right, strike=k), spot)
            for k in strikes
            for right in (OptionRight.CALL, OptionRight.PUT)
        )
        return OptionChain(underlying=sym, underlying_price=spot, expiries=listed, strikes=strikes, quotes=quotes,
                           timestamp=self.market.clock.now)

