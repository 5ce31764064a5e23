"""Number and readout formatting for the chart (Qt-free)."""

from __future__ import annotations

import html
import math
from datetime import tzinfo
from typing import TYPE_CHECKING

from .theme import DARK, ChartTheme

if TYPE_CHECKING:
    from .series import BarRow  # numpy: not imported for the first frame


def price_decimals(price: float) -> int:
    """Decimals to show for a price of this size: 2 from 1.0 up, 4 below, 6 below 0.01."""
    p = abs(price)
    if p >= 1 or p == 0:
        return 2
    return 4 if p >= 0.01 else 6


def format_price(price: float, decimals: int | None = None) -> str:
    """``123.45``; decimals from :func:`price_decimals` unless given."""
    if not math.isfinite(price):
        return "–"
    d = price_decimals(price) if decimals is None else decimals
    return f"{price:,.{d}f}"


def format_volume(volume: float) -> str:
    """Compact volume: ``950``, ``12.3K``, ``4.56M``, ``1.2B``."""
    v = abs(volume)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= limit:
            x = volume / limit
            return f"{x:.{2 if abs(x) < 10 else 1}f}{suffix}"
    return f"{volume:.0f}"


def change_pct(row: BarRow, prev_close: float | None) -> float | None:
    """Percent change of the bar's close from the previous bar's close (from its own
    open for the first bar); None if the base is zero."""
    base = prev_close if prev_close is not None else row.open
    return None if not base else (row.close / base - 1.0) * 100.0


def format_time(t: int, intraday: bool, tz: tzinfo | None) -> str:
    """Readout time of a bar starting at epoch second ``t``: ``Fri 2025-03-14 10:35``
    intraday (in ``tz``; None: local), ``Fri 2025-03-14`` daily: the trading date,
    whatever ``tz`` (see :func:`~.timeticks.bar_zone`)."""
    from .timeticks import bar_zone, local_datetime  # numpy: not imported for the first frame

    d = local_datetime(t, bar_zone(intraday, tz))
    return f"{d:%a %Y-%m-%d %H:%M}" if intraday else f"{d:%a %Y-%m-%d}"


def readout_parts(
    row: BarRow, prev_close: float | None, intraday: bool, tz: tzinfo | None, decimals: int | None = None
) -> list[tuple[str, str, str]]:
    """``[(label, value, tone)]`` for one bar: time, O, H, L, C, change %, volume.

    ``tone`` is "up", "down" or "" (neutral), for colouring. ``decimals``: the
    instrument's price decimals (EURUSD 5, USDJPY 3); None: :func:`price_decimals`.
    """
    d = price_decimals(row.close) if decimals is None else decimals
    tone = "up" if row.close > row.open else "down" if row.close < row.open else ""
    chg = change_pct(row, prev_close)
    chg_tone = "" if chg is None or chg == 0 else ("up" if chg > 0 else "down")
    return [
        ("", format_time(row.time, intraday, tz), ""),
        ("O", format_price(row.open, d), tone),
        ("H", format_price(row.high, d), tone),
        ("L", format_price(row.low, d), tone),
        ("C", format_price(row.close, d), tone),
        ("", "–" if chg is None else f"{chg:+.2f}%", chg_tone),
        ("V", format_volume(row.volume), ""),
    ]


def readout_text(parts: list[tuple[str, str, str]]) -> str:
    """Plain text of :func:`readout_parts`: ``Fri 2025-03-14 10:35  O 1.00  H ...``."""
    return "  ".join(f"{label} {value}" if label else value for label, value, _ in parts)


def readout_html(title: str, parts: list[tuple[str, str, str]], theme: ChartTheme = DARK) -> str:
    """Rich text for the readout label, values coloured by tone."""
    colour = {"up": theme.up, "down": theme.down, "": theme.text}
    out = [f'<span style="color:{theme.text}"><b>{html.escape(title)}</b></span>'] if title else []
    for label, value, tone in parts:
        lab = f'<span style="color:{theme.text_dim}">{label}</span>&nbsp;' if label else ""
        out.append(f'{lab}<span style="color:{colour[tone]}">{html.escape(value)}</span>')
    return "&nbsp;&nbsp;&nbsp;".join(out)
