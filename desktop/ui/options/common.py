"""Small pure helpers shared by the option widgets: formatting, spans of OCC parts, colours."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication

from desktop.ui.display_clock import DISPLAY_CLOCK

OCC_PARTS = ("root", "expiry", "right", "strike", "length")
"""The parts an OccSymbolError names (``error.part``)."""


def fmt_strike(strike: Decimal | None) -> str:
    """200 -> "200", 202.50 -> "202.5"; "" for None."""
    if strike is None:
        return ""
    return f"{strike.normalize():f}"


def parse_strike(text: str) -> Decimal | None:
    """A typed strike as a Decimal (None when blank); ValueError with the reason otherwise."""
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"strike {text.strip()!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"strike {text.strip()!r} is not a number")
    if value <= 0:
        raise ValueError("strike must be greater than 0")
    return value


def days_to_expiry(expiry: date, today: date | None) -> int | None:
    """Calendar days from ``today`` to ``expiry`` (None when today is unknown)."""
    if today is None:
        return None
    return (expiry - today).days


def fmt_dte(days: int | None) -> str:
    """"12d", "0d" (expires today), "expired"; "" when unknown."""
    if days is None:
        return ""
    return "expired" if days < 0 else f"{days}d"


def as_date(moment: datetime | date | None) -> date | None:
    """The calendar date of a timestamp in the display zone (the exchange's during a replay)."""
    if moment is None:
        return None
    return DISPLAY_CLOCK.localize(moment).date() if isinstance(moment, datetime) else moment


def fmt_clock(moment: datetime) -> str:
    """HH:MM:SS of a timestamp in the display zone."""
    return DISPLAY_CLOCK.localize(moment).strftime("%H:%M:%S")


def occ_spans(text: str) -> dict[str, tuple[int, int]]:
    """Character ranges [start, end) of the parts of a typed OCC symbol.

    Normally the last 15 characters are yymmdd, C/P and the 8-digit strike, whatever
    the root's padding; when the right's place holds no letter (a strike of the wrong
    length) the right is the last letter after six digits, as the parser decides.
    Used to underline the part an OccSymbolError names.
    """
    n = len(text)
    whole = (0, n)
    right = None
    if n > 15 and text[-9].isalpha():
        right = n - 9
    else:
        for i in range(n - 1, 5, -1):
            if text[i].isalpha() and text[i - 6:i].isdigit():
                right = i
                break
    if right is None:
        return dict.fromkeys(("root", "expiry", "right", "strike", "length"), whole)
    root_end = len(text[:right - 6].rstrip(" ")) or right - 6
    return {
        "root": (0, root_end),
        "expiry": (right - 6, right),
        "right": (right, right + 1),
        "strike": (right + 1, n) if right + 1 < n else (right, n),
        "length": whole,
    }


def monospace_font():
    """The system's fixed-pitch font (for OCC symbols: 21 aligned characters)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(font.StyleHint.Monospace)
    return font


def is_dark() -> bool:
    """Whether the application palette is dark (the app's default theme)."""
    if QGuiApplication.instance() is None:
        return False
    return QGuiApplication.palette().base().color().lightness() < 128


# (light, dark) colour pairs. Chosen so that text keeps its contrast on either theme
# (dark: the app's #0d1117 base and #e6edf3 text), and so that the in-the-money shading,
# the strike column and the at-the-money highlight are told apart at a glance.
_ITM = (QColor("#fbf1cc"), QColor("#1b2a40"))
_STRIKE = (QColor("#e9edf2"), QColor("#262c36"))
_ATM = (QColor("#b9d4ff"), QColor("#1f6feb"))
_ATM_TEXT = (QColor("#0b2f6b"), QColor("#ffffff"))
_MUTED = (QColor("#57606a"), QColor("#9aa4af"))
_FAINT = (QColor("#b8bec6"), QColor("#464e59"))


def itm_background() -> QColor:
    """Shading of in-the-money cells (calls below, puts above the underlying price)."""
    return _ITM[is_dark()]


def strike_background() -> QColor:
    return _STRIKE[is_dark()]


def atm_background() -> QColor:
    """The at-the-money strike's highlight."""
    return _ATM[is_dark()]


def atm_text() -> QColor:
    return _ATM_TEXT[is_dark()]


def muted() -> QColor:
    return _MUTED[is_dark()]


def faint() -> QColor:
    """Barely there: calendar days that are not listed expiries."""
    return _FAINT[is_dark()]
