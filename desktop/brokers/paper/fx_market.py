"""Currency pairs on the paper market's replay (issue 14): the ECB-based daily bars
of :mod:`.fx_history`, played minute by minute by the same synthetic intraday
engine as the stocks, on the stocks' replay clock.

The intraday engine works on a cent grid of prices with at most four decimals. A
pair is therefore replayed *scaled*: EURUSD (5 decimals) times 1,000, USDJPY (3
decimals) times 10, so the engine's cent is the pair's last decimal (0.00001, a
tenth of a pip; 0.001 for JPY pairs), and every price leaving :class:`FxMarket` is
scaled back exactly (``Decimal.scaleb``). Daily prices are the ECB fixes (open =
the previous fix, close = the day's fix, high/low their max/min); the intraday path
is synthetic inside them, played in the same 09:30–16:00 New York session as the
stocks (a simplification: the real market trades around the clock) and on the
stocks' calendar (a day without an ECB fix does not trade). The ECB publishes no
volume: each day's is synthetic (deterministic, 2 to 8 million units).

Qt-free, nothing read at import. The paper broker lists the pairs beside its stocks
(:mod:`.markets`); so does the fake TradeLocker server (tests/fakes/tradelocker).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import numpy as np

from desktop.domain import AssetClass, Bar, Instrument, Interval, Quote

from .fx_history import PAIRS, SOURCE, decimals, fix_columns
from .date_column import DateColumn
from .daily_series import PRICE_DECIMALS, DailySeries, series_from_units
from .history import History
from .market import MarketSimulator
from .replay import ReplayClock

SCALE_DECIMALS = 2
"""Decimals a scaled pair price has (the engine's cent grid)."""
DESCRIPTIONS = {"EURUSD": "Euro / US Dollar", "GBPUSD": "British Pound / US Dollar",
                "USDJPY": "US Dollar / Japanese Yen", "EURGBP": "Euro / British Pound",
                "USDCHF": "US Dollar / Swiss Franc", "AUDUSD": "Australian Dollar / US Dollar"}


def scale_of(pair: str) -> int:
    """Powers of ten a pair's prices are multiplied by for the engine (EURUSD 3, USDJPY 1)."""
    return decimals(pair) - SCALE_DECIMALS


def _volume(pair: str, day: date) -> int:
    h = hashlib.blake2b(f"{pair}|{day.isoformat()}".encode(), digest_size=8).digest()
    return 2_000_000_000 + int.from_bytes(h, "big") % 6_000_000_000


def pair_series(pair: str, days: Sequence[int], units: Sequence[int]) -> DailySeries:
    """``pair``'s daily series, scaled for the engine, from its fixes: ``days`` their
    day ordinals and ``units`` their prices in units of the pair's last decimal
    (:func:`.fx_history.fix_columns`, any order: sorted here). Each day open = the
    previous fix, close = the day's, high / low their max / min
    (:func:`.fx_history.daily_rows`), computed on integers: a fix of ``decimals(pair)``
    decimals is ``price × 10**decimals``, the engine's unit ``price ×
    10**(scale_of(pair) + PRICE_DECIMALS)``, so ×10**(PRICE_DECIMALS − SCALE_DECIMALS);
    every scaled price has SCALE_DECIMALS decimals."""
    ordinals = np.asarray(days, dtype=np.int32)
    order = np.argsort(ordinals, kind="stable")
    ordinals, close = ordinals[order], np.asarray(units, dtype=np.int64)[order]
    opened = np.concatenate([close[:1], close[:-1]])
    ohlc = np.stack([opened, np.maximum(opened, close), np.minimum(opened, close), close], axis=1)
    volume = np.fromiter((_volume(pair, date.fromordinal(d)) for d in ordinals.tolist()), dtype=np.int64,
                         count=len(ordinals))
    return series_from_units(pair, DateColumn(ordinals), ohlc * 10 ** (PRICE_DECIMALS - SCALE_DECIMALS),
                             -SCALE_DECIMALS, volume)


class FxHistory(History):
    """The pairs' daily bars, scaled for the intraday engine (see the module docstring).
    :meth:`shared` is one instance per process (the file is read once)."""

    _shared: "FxHistory | None" = None

    def __init__(self) -> None:
        super().__init__("ecb-eurofxref (scaled pairs)")

    @property
    def loaded(self) -> bool:
        """Whether the rates have been read and the series built."""
        return self._series is not None

    @classmethod
    def shared(cls) -> "FxHistory":
        with cls._instances_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def _data(self):
        if self._series is None:
            with self._lock:
                if self._series is None:
                    series = {pair: pair_series(pair, *columns) for pair, columns in fix_columns().items()}
                    self._series = dict(sorted(series.items()))
        return self._series


def _descale_bar(bar: Bar, k: int) -> Bar:
    return bar.model_copy(update={"open": bar.open.scaleb(-k), "high": bar.high.scaleb(-k),
                                  "low": bar.low.scaleb(-k), "close": bar.close.scaleb(-k)})


def _scaled(value: Decimal | None, k: int) -> Decimal | None:
    return None if value is None else value.scaleb(-k)


class FxMarket:
    """The pairs' market on ``clock`` (the stocks' ReplayClock: it is stepped by the
    stock market, never here). Prices in the pairs' own units and decimals."""

    source = SOURCE

    def __init__(self, clock: ReplayClock, history: FxHistory | None = None) -> None:
        self.clock = clock
        self.sim = MarketSimulator(history or FxHistory.shared(), clock)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(sorted(PAIRS))

    @property
    def loaded(self) -> bool:
        """Whether the ECB rates have been read (any price asks for them, waiting
        until they are)."""
        return getattr(self.sim.history, "loaded", True)

    def instrument(self, pair: str) -> Instrument:
        """The FOREX Instrument of ``pair``: its quote currency, ticks of its last decimal."""
        return Instrument(symbol=pair, asset_class=AssetClass.FOREX, currency=pair[3:],
                          description=f"{DESCRIPTIONS[pair]} ({SOURCE})",
                          tick_size=Decimal(1).scaleb(-decimals(pair)))

    def last_price(self, pair: str) -> Decimal | None:
        return _scaled(self.sim.last_price(pair), scale_of(pair))

    def quote(self, pair: str) -> Quote:
        q, k = self.sim.quote(pair), scale_of(pair)
        return q.model_copy(update={"bid": _scaled(q.bid, k), "ask": _scaled(q.ask, k), "last": _scaled(q.last, k),
                                    "prev_close": _scaled(q.prev_close, k)})

    def minute_bar(self, pair: str) -> Bar | None:
        bar = self.sim.minute_bar(pair)
        return None if bar is None else _descale_bar(bar, scale_of(pair))

    def current_bar(self, pair: str, interval: Interval) -> Bar | None:
        bar = self.sim.current_bar(pair, interval)
        return None if bar is None else _descale_bar(bar, scale_of(pair))

    def played(self) -> list[tuple[str, Bar]]:
        """(pair, minute Bar) of the minute the clock just played, for each pair that
        trades today (what ``advance_one_minute`` returns for the stocks)."""
        out = []
        for pair in self.symbols:
            bar = self.minute_bar(pair)
            if bar is not None:
                out.append((pair, bar))
        return out

    def fetch_bars(self, pair: str, interval: Interval, start: datetime | None = None, end: datetime | None = None,
                   limit: int | None = None) -> list[Bar]:
        k = scale_of(pair)
        return [_descale_bar(b, k) for b in self.sim.fetch_bars(pair, interval, start, end, limit)]
