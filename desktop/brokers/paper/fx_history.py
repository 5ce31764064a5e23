"""Daily currency-pair bars from the European Central Bank's euro reference rates
(``resources/ecb-eurofxref.csv.gz``: eurofxref-hist, 1999 to the file's last day;
see resources/NOTICE), for the paper market's forex pairs (issue 14).

The ECB publishes one fix a day per currency against the euro (about 14:15 CET).
Pairs: EURUSD, EURGBP from the rates themselves; GBPUSD = USD/GBP, USDJPY = JPY/USD,
USDCHF = CHF/USD, AUDUSD = USD/AUD (crosses computed from the euro rates). Each
day's bar is built honestly from consecutive fixes: open = the previous day's fix,
close = the day's fix, high / low = their max / min (the ECB gives no intraday
range); the first day has open = close. Prices are rounded half-even to the pair's
conventional decimals (JPY pairs 3, others 5); volume is 0 (the ECB publishes
none). A day on which a rate is missing ("N/A") is skipped for the pairs that need it.

Pure and Qt-free; nothing is read at import. Replayed minute by minute, scaled to the
intraday engine's cent grid, by :mod:`.fx_market`.
"""

from __future__ import annotations

import csv
import gzip
import logging
from array import array
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

from desktop.brokers.errors import UnavailableError
from desktop.domain import Bar, Interval
from desktop.domain.forex import pair_decimals as decimals

from .daily_series import day_start_utc

log = logging.getLogger(__name__)

DATA_FILE = "ecb-eurofxref.csv.gz"
SOURCE = "ECB reference rates, intraday synthetic"
"""How the UI labels the pairs' source."""
PAIRS: dict[str, tuple[str, str | None]] = {
    "EURUSD": ("USD", None), "EURGBP": ("GBP", None), "GBPUSD": ("USD", "GBP"), "USDJPY": ("JPY", "USD"),
    "USDCHF": ("CHF", "USD"), "AUDUSD": ("USD", "AUD"),
}
"""pair -> (numerator, denominator) euro rates: the pair's price is num / den (den
None: the euro rate itself)."""


@dataclass(frozen=True)
class Fix:
    """One day's fix of a pair."""

    day: date
    price: Decimal


def _rate(text: str | None) -> Decimal | None:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def fix_columns(path: Path | None = None) -> dict[str, tuple[array, array]]:
    """Every pair's daily fixes, in the file's order, as two typed arrays per pair:
    (day ordinals ``array('i')``, :meth:`datetime.date.toordinal`; prices in units of
    the pair's last decimal ``array('q')``: EURUSD 1.08123 is 108123). Read row by row
    into the arrays, so that nothing is left of the reader once it is done (issue 15,
    idle memory). Raises UnavailableError when the file cannot be read; an unreadable
    day is logged and skipped."""
    if path is None:
        from desktop.paths import resources_dir

        path = resources_dir() / DATA_FILE
    out: dict[str, tuple[array, array]] = {pair: (array("i"), array("q")) for pair in PAIRS}
    places = {pair: decimals(pair) for pair in PAIRS}
    quanta = {pair: Decimal(1).scaleb(-places[pair]) for pair in PAIRS}
    currencies = sorted({c for num, den in PAIRS.values() for c in (num, den) if c})
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = [name.strip() for name in next(reader, [])]
            where = {name: i for i, name in enumerate(header)}
            date_at = where.get("Date")
            columns = [(c, where.get(c)) for c in currencies]
            for row in reader:
                try:
                    day = date.fromisoformat(row[date_at].strip() if date_at is not None and date_at < len(row) else "")
                except ValueError:
                    log.warning("%s: a row without a date skipped", path.name)
                    continue
                rates = {c: _rate(row[i]) if i is not None and i < len(row) else None for c, i in columns}
                for pair, (num, den) in PAIRS.items():
                    top, bottom = rates[num], rates[den] if den else Decimal(1)
                    if top is None or bottom is None:
                        continue
                    try:
                        price = (top / bottom).quantize(quanta[pair], rounding=ROUND_HALF_EVEN)
                        unit = int(price.scaleb(places[pair]))
                        if not 0 < unit < 2**62:
                            raise OverflowError(unit)
                    except ArithmeticError:  # an absurd rate ("1e999999"): that pair's day is skipped
                        log.warning("%s %s: %s rate not usable, skipped", path.name, day, pair)
                        continue
                    days, units = out[pair]
                    days.append(day.toordinal())
                    units.append(unit)
    except (OSError, EOFError, csv.Error, UnicodeDecodeError) as exc:
        raise UnavailableError(f"Cannot read the ECB reference rates {path}: {exc}") from exc
    return out


def load_fixes(path: Path | None = None) -> dict[str, list[Fix]]:
    """Every pair's daily fixes as :class:`Fix` objects, oldest first (see
    :func:`fix_columns`, which the paper market reads them with)."""
    out: dict[str, list[Fix]] = {}
    for pair, (days, units) in fix_columns(path).items():
        fixes = [Fix(date.fromordinal(d), Decimal(u).scaleb(-decimals(pair))) for d, u in zip(days, units)]
        fixes.sort(key=lambda f: f.day)
        out[pair] = fixes
    return out


def daily_rows(fixes: list[Fix]) -> list[tuple[date, tuple[Decimal, Decimal, Decimal, Decimal]]]:
    """(day, (open, high, low, close)) of each fix, built from consecutive ``fixes``
    (see the module docstring); plain tuples, for the replay's history (no Bar objects)."""
    rows = []
    previous: Decimal | None = None
    for fix in fixes:
        opened = previous if previous is not None else fix.price
        rows.append((fix.day, (opened, max(opened, fix.price), min(opened, fix.price), fix.price)))
        previous = fix.price
    return rows


def daily_bars(pair: str, fixes: list[Fix]) -> list[Bar]:
    """``pair``'s daily Bars from consecutive ``fixes`` (see the module docstring)."""
    return [Bar(symbol=pair, interval=Interval.D1, start=day_start_utc(day), open=o, high=h, low=l, close=c,
                volume=Decimal(0), synthetic=False) for day, (o, h, l, c) in daily_rows(fixes)]
