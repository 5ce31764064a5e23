"""OCC (OSI) option symbols: format, parse and canonicalise.

Source: OCC, *Options Symbology Initiative (OSI)* specification (2008-2010) - the
21-character symbol every US broker understands::

    AAPL  250221C00200000
    |     |     ||
    |     |     |+- strike x 1000 as 8 digits (00200000 = 200.000; 5 integer + 3 decimal)
    |     |     +-- right: C (call) or P (put)
    |     +-------- expiry YYMMDD (2000-2099)
    +-------------- root symbol, 1-6 upper-case letters/digits, padded with spaces to 6

Many brokers (Alpaca, Tradier, Schwab's API...) drop the padding: ``AAPL250221C00200000``.
Both forms are accepted by :func:`parse_occ`; :func:`format_occ` writes the padded form
unless ``padded=False``. The unpadded form is ambiguous to the eye for roots ending in
a digit (``AAPL1250221C00095000`` is root ``AAPL1``): the last 15 characters are always
the date, right and strike, and the root is whatever precedes them.

Parsing is strict: OCC symbols are upper case, so lower case is refused rather than
normalised; no surrounding whitespace; padding must make exactly 21 characters. Every
failure raises :class:`OccSymbolError` whose ``part`` names the wrong field.

The symbol carries neither the contract multiplier nor the exercise style: parsed
contracts get 100 shares and AMERICAN unless the caller passes what the broker says.
Adjusted contracts (after splits, mergers, special dividends; roots such as ``AAPL1``)
often deliver a different number of shares, so brokers must supply the multiplier.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from .options import OptionContract, OptionRight, OptionStyle

PARTS = ("root", "expiry", "right", "strike", "length")
"""Values of :attr:`OccSymbolError.part`, in the order they appear in a symbol."""

ROOT_WIDTH = 6
SYMBOL_LENGTH = 21
_TAIL = 15  # YYMMDD + right + 8-digit strike
_ROOT_RE = re.compile(r"[A-Z0-9]{1,6}")
_STRIKE_MAX = Decimal("99999.999")
_MILLI = Decimal("0.001")
_RIGHTS = {"C": OptionRight.CALL, "P": OptionRight.PUT, "CALL": OptionRight.CALL, "PUT": OptionRight.PUT}


class OccSymbolError(ValueError):
    """A malformed OCC symbol or an option that has no OCC symbol.

    ``part`` is one of :data:`PARTS` ("root", "expiry", "right", "strike", "length") so a
    UI can highlight the field; ``str(err)`` starts with the part's name and says why,
    e.g. ``"expiry: 250230 is not a date (February 2025 has 28 days)"``. ``text`` is
    the offending symbol (None when formatting).
    """

    def __init__(self, part: str, reason: str, text: str | None = None) -> None:
        self.part = part
        self.reason = reason
        self.text = text
        super().__init__(f"{part}: {reason}")


def _right_letter(right: OptionRight | str) -> str:
    if isinstance(right, OptionRight):
        return right.letter
    if isinstance(right, str) and right.upper() in _RIGHTS:
        return _RIGHTS[right.upper()].letter
    raise OccSymbolError("right", f"{right!r} is not a call or put (use C, P, CALL or PUT)")


def _strike_units(strike: Decimal | int | str) -> int:
    """Strike x 1000 as an int; OccSymbolError("strike") when it has no 8-digit form."""
    if isinstance(strike, (bool, float)):
        raise OccSymbolError("strike", f"pass the strike as a Decimal, int or str, not {type(strike).__name__}")
    try:
        value = Decimal(strike)
    except (InvalidOperation, TypeError, ValueError):
        raise OccSymbolError("strike", f"{strike!r} is not a number") from None
    if not value.is_finite():
        raise OccSymbolError("strike", f"{strike!r} is not a finite number")
    if value <= 0:
        raise OccSymbolError("strike", f"{value} must be greater than 0")
    if value > _STRIKE_MAX:
        raise OccSymbolError("strike", f"{value} is too large: OCC strikes go up to 99999.999")
    thousandths = value.quantize(_MILLI)  # at most 8 digits here, so exact
    if thousandths != value:
        raise OccSymbolError("strike", f"{value} has more than 3 decimals; OCC strikes are in 1/1000")
    return int(thousandths.scaleb(3))


def format_occ(underlying: str, expiry: date, right: OptionRight | str, strike: Decimal | int | str,
               *, padded: bool = True) -> str:
    """The OCC symbol of an option, e.g. ``format_occ("AAPL", date(2025, 2, 21), "C",
    Decimal(200)) == "AAPL  250221C00200000"`` (21 characters; ``padded=False`` gives
    ``AAPL250221C00200000``).

    ``underlying``: root of 1-6 ASCII letters/digits (lower case is upper-cased, as
    :class:`OptionContract` does); ``expiry``: a date in 2000-2099; ``right``: an
    :class:`OptionRight` or "C"/"P"/"CALL"/"PUT" (any case); ``strike``: Decimal, int or
    str (floats refused) above 0, at most 99999.999, at most 3 decimals.

    Raises :class:`OccSymbolError` with ``part`` naming the offending argument.
    Source: OCC Options Symbology Initiative specification.
    """
    root = underlying.upper() if isinstance(underlying, str) else ""
    if not _ROOT_RE.fullmatch(root):
        if isinstance(underlying, str) and len(underlying) > ROOT_WIDTH:
            raise OccSymbolError("root", f"{underlying!r} is longer than {ROOT_WIDTH} characters")
        raise OccSymbolError("root", f"{underlying!r} must be 1-{ROOT_WIDTH} letters or digits")
    if not isinstance(expiry, date):
        raise OccSymbolError("expiry", f"{expiry!r} is not a date")
    if not 2000 <= expiry.year <= 2099:
        raise OccSymbolError("expiry", f"year {expiry.year} is outside 2000-2099 (OCC writes a 2-digit year)")
    letter = _right_letter(right)
    units = _strike_units(strike)
    pad = root.ljust(ROOT_WIDTH) if padded else root
    return f"{pad}{expiry:%y%m%d}{letter}{units:08d}"


def _split(text: str) -> tuple[str, str, str, str]:
    """(head, date, right, strike) of ``text``; the right letter locates the fields.

    Normally the last 15 characters are date + right + strike. When the character in
    the right's place is no letter (a strike of the wrong length), the right is taken
    to be the last letter that follows six digits, so the strike can be blamed.
    """
    if len(text) > _TAIL and text[-9].isalpha():
        return text[:-_TAIL], text[-_TAIL:-9], text[-9], text[-8:]
    for i in range(len(text) - 1, 5, -1):
        if text[i].isalpha() and text[i - 6:i].isdigit():
            return text[:i - 6], text[i - 6:i], text[i], text[i + 1:]
    raise OccSymbolError("length", f"{len(text)} characters do not make an OCC symbol: expected a 1-6 character "
                                   "root, optional space padding to 6, YYMMDD, C or P and an 8-digit strike, "
                                   "e.g. 'AAPL  250221C00200000'", text)


def _check_root(head: str, text: str) -> str:
    root = head.rstrip(" ")
    if not root:
        raise OccSymbolError("root", "the root symbol is missing", text)
    if len(root) > ROOT_WIDTH:
        raise OccSymbolError("root", f"{root!r} is longer than {ROOT_WIDTH} characters", text)
    bad = [c for c in root if not ("A" <= c <= "Z" or "0" <= c <= "9")]
    if bad:
        if any(c.islower() for c in bad):
            raise OccSymbolError("root", f"{root!r} must be upper case (OCC symbols are upper case)", text)
        raise OccSymbolError("root", f"{root!r} contains {bad[0]!r}; only letters A-Z and digits are allowed", text)
    if len(head) != len(root) and len(head) != ROOT_WIDTH:
        raise OccSymbolError("length", f"{len(text)} characters: the padded form pads the root with spaces to "
                                       f"{ROOT_WIDTH} characters ({SYMBOL_LENGTH} in all); the unpadded form "
                                       "has no spaces", text)
    return root


def _check_expiry(digits: str, text: str) -> date:
    if not (len(digits) == 6 and digits.isascii() and digits.isdigit()):
        raise OccSymbolError("expiry", f"{digits!r} must be 6 digits YYMMDD", text)
    year, month, day = 2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:])
    if not 1 <= month <= 12:
        raise OccSymbolError("expiry", f"{digits} is not a date: month {digits[2:4]} is not 01-12", text)
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise OccSymbolError("expiry", f"{digits} is not a date ({calendar.month_name[month]} {year} has "
                                       f"{days} days)", text)
    return date(year, month, day)


def _check_right(letter: str, text: str) -> OptionRight:
    if letter in ("C", "P"):
        return _RIGHTS[letter]
    if letter in ("c", "p"):
        raise OccSymbolError("right", f"{letter!r} must be upper case C or P", text)
    raise OccSymbolError("right", f"{letter!r} is not C (call) or P (put)", text)


def _check_strike(digits: str, text: str) -> Decimal:
    if not (digits.isascii() and digits.isdigit()):
        stray = next(c for c in digits if not ("0" <= c <= "9")) if digits else ""
        what = f"contains {stray!r}" if stray else "is missing"
        raise OccSymbolError("strike", f"{digits!r} {what}; the strike is 8 digits (strike x 1000)", text)
    if len(digits) != 8:
        raise OccSymbolError("strike", f"{digits!r} has {len(digits)} digits; the strike is exactly 8 digits "
                                       "(strike x 1000, e.g. 00200000 for 200)", text)
    units = int(digits)
    if units == 0:
        raise OccSymbolError("strike", f"{digits} is a zero strike", text)
    return Decimal(units) / 1000


def parse_occ(text: str, *, multiplier: Decimal = Decimal(100),
              style: OptionStyle = OptionStyle.AMERICAN) -> OptionContract:
    """The :class:`OptionContract` of an OCC symbol, padded (``"AAPL  250221C00200000"``,
    exactly 21 characters) or unpadded (``"AAPL250221C00200000"``, 16-21 characters).

    The strike comes back as the exact Decimal (``00217500`` -> ``Decimal("217.5")``).
    The symbol carries no multiplier or style: pass the broker's ``multiplier`` (default
    100; adjusted contracts often differ) and ``style`` (default AMERICAN; cash-settled
    index options such as SPX/SPXW are EUROPEAN).

    Raises :class:`OccSymbolError` (a ValueError) whose ``part`` is "root", "expiry",
    "right", "strike" or "length" and whose message says why: lower case, surrounding
    whitespace, wrong padding or length, a root longer than 6, an impossible date such
    as 250230, a right other than C/P, a strike that is not 8 digits. TypeError if
    ``text`` is not a str. Source: OCC Options Symbology Initiative specification.
    """
    if not isinstance(text, str):
        raise TypeError(f"an OCC symbol is a str, not {type(text).__name__}")
    if not text:
        raise OccSymbolError("length", "the symbol is empty", text)
    if text != text.strip():
        raise OccSymbolError("length", f"{text!r} has leading or trailing whitespace", text)
    head, digits, letter, strike_digits = _split(text)
    root = _check_root(head, text)
    expiry = _check_expiry(digits, text)
    right = _check_right(letter, text)
    strike = _check_strike(strike_digits, text)
    return OptionContract(underlying=root, expiry=expiry, right=right, strike=strike,
                          multiplier=multiplier, style=style)


def canonical_occ(text: str, *, padded: bool = True) -> str:
    """``text`` rewritten as the canonical 21-character padded symbol (or the unpadded
    one with ``padded=False``): ``canonical_occ("AAPL250221C00200000") ==
    "AAPL  250221C00200000"``. Raises what :func:`parse_occ` raises."""
    c = parse_occ(text)
    return format_occ(c.underlying, c.expiry, c.right, c.strike, padded=padded)
