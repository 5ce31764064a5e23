"""Messages in a trader's words: what the ticket, its dialogs and the order actions show.

The domain's rules name their fields as the code does ("limit_price is required for
LIMIT orders", "amount must be greater than 0") and transport errors carry exception
class names ("Cannot reach the IBKR gateway (ConnectError)"). :func:`trader_words`
rewrites such a message into what a trader reads ("Enter a limit price", "Quantity
must be more than 0"); :func:`unreachable_words` words a broker that could not be
reached ("the IBKR gateway at https://localhost:5000 is not reachable"). No Qt here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

FIELD_WORDS = {
    "limit_price": "limit price",
    "stop_price": "stop price",
    "amount": "quantity",
    "notional": "dollar amount",
    "account_id": "account",
    "time_in_force": "time in force",
    "position_effect": "open or close",
    "client_order_id": "client order id",
    "order_type": "order type",
    "instrument": "symbol",
}
"""A domain field name -> the words a trader knows it by."""

_TYPE_WORDS = {"MARKET": "market", "LIMIT": "limit", "STOP": "stop", "STOP_LIMIT": "stop limit"}
_FIELD = r"(?P<field>limit_price|stop_price|amount|notional|account_id|time_in_force|position_effect)"
_CLASS_NAME = re.compile(r"\s*\((?:[A-Za-z_.]*?)(?:Error|Exception|Timeout|Exit|Refused|Reset)\)")
"""An exception class name in parentheses ("(ConnectError)", "(httpx.ReadTimeout)")."""


def _word(field: str) -> str:
    return FIELD_WORDS.get(field, field.replace("_", " "))


def _title(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lot(m: re.Match) -> str:
    lot = m["step"]
    if lot in ("1", "1.0"):
        return "Quantity must be a whole number"
    return f"Quantity must be a multiple of {lot} (the lot size): {m['value']} is not"


def _tick(m: re.Match) -> str:
    return f"{_title(_word(m['field']))} must be in steps of {m['step']} (the tick size): {m['value']} is not"


_RULES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(rf"^{_FIELD} is required(?: for (?P<type>\w+) orders)?(?::.*)?$"),
     lambda m: f"Enter a {_word(m['field'])}"),
    (re.compile(rf"^{_FIELD} must be a number(?:, not .*)?$"), lambda m: f"{_title(_word(m['field']))} must be a number"),
    (re.compile(rf"^{_FIELD} must be greater than 0$"), lambda m: f"{_title(_word(m['field']))} must be more than 0"),
    (re.compile(r"^amount must be greater than the (?P<filled>.+) already filled$"),
     lambda m: f"Quantity must be more than the {m['filled']} already filled"),
    (re.compile(r"^amount (?P<value>\S+) is not a multiple of the lot size (?P<step>\S+)$"), _lot),
    (re.compile(rf"^{_FIELD} (?P<value>\S+) is not a multiple of the tick size (?P<step>\S+)$"), _tick),
    (re.compile(rf"^{_FIELD}(?: \S+)? is too large$"), lambda m: f"{_title(_word(m['field']))} is too large"),
    (re.compile(rf"^{_FIELD} is not allowed for (?P<type>\w+) orders$"),
     lambda m: f"A {_TYPE_WORDS.get(m['type'], m['type'].lower())} order has no {_word(m['field'])}"),
    (re.compile(r"^position_effect is only for option orders$"), lambda m: "Open or close is only for option orders"),
    (re.compile(r"^account is required.*$"), lambda m: "Choose an account"),
    (re.compile(r"^symbol is required.*$"), lambda m: "Enter a symbol"),
    (re.compile(r"^symbol (?P<symbol>.+) is not known to (?P<name>.+)$"),
     lambda m: f"{m['symbol']} is not known to {m['name']}"),
    (re.compile(r"^symbol (?P<symbol>.+) could not be looked up: (?P<why>.*)$"),
     lambda m: f"{m['symbol']} could not be looked up: {m['why']}"),
    (re.compile(r"^a number is out of range$"), lambda m: "A number is out of range"),
]


def _segment(text: str) -> str:
    """One message (or one ": "-separated part of one) in words."""
    stripped = text.strip()
    for pattern, words in _RULES:
        m = pattern.match(stripped)
        if m:
            return words(m)
    out = re.sub(r"\b(limit_price|stop_price|account_id|time_in_force|position_effect|client_order_id|order_type)\b",
                 lambda m: _word(m[1]), stripped)
    return re.sub(r"^amount\b", "quantity", out)


def without_class_names(message: str) -> str:
    """``message`` without exception class names in parentheses:
    "Cannot reach the IBKR gateway (ConnectError)" -> "Cannot reach the IBKR gateway"."""
    return _CLASS_NAME.sub("", message).strip()


def trader_words(message: str, *, capital: bool = True) -> str:
    """``message`` as a trader reads it (see the module docstring).

    Each part of a message ("DU100004: amount must be greater than 0") is rewritten on
    its own; exception class names are dropped; with ``capital`` the first letter is
    upper case (off for a message that follows "Order rejected: "). A message that
    names no field comes back as it was.
    """
    message = without_class_names(message or "")
    if not message:
        return ""
    words = _words(message)
    return _title(words) if capital else words


def _words(message: str) -> str:
    if any(p.match(message.strip()) for p, _ in _RULES):  # one rule with its own ": why"
        return _segment(message)
    head, sep, rest = message.partition(": ")
    if sep and not _looks_like_rule(head):
        return f"{_segment(head)}: {_words(rest)}" if rest else _segment(head)
    return _segment(message)


def _looks_like_rule(text: str) -> bool:
    """Whether ``text`` (a message's first part) is itself a rule to reword."""
    return any(p.match(text.strip()) for p, _ in _RULES) or bool(re.match(rf"^{_FIELD}\b", text.strip()))


_UNREACHABLE = re.compile(r"^Cannot reach (?P<who>.+?)(?: at (?P<at>\S+))?$")


def origin(url: str | None) -> str:
    """"https://localhost:5000" for "https://localhost:5000/v1/api" ("" when not a URL)."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def unreachable_words(message: str, address: str = "") -> str:
    """A "Cannot reach …" refusal in words: "the IBKR gateway at https://localhost:5000
    is not reachable" (``address``, a URL, names where; its origin is shown). Other
    messages come back through :func:`trader_words`. A hint the message carries ("Is
    the Client Portal Gateway running?") stays after it."""
    plain = without_class_names(message or "")
    main, sep, rest = plain.partition(". ")
    m = _UNREACHABLE.match(main.rstrip("."))
    if m is None:
        return trader_words(message)
    where = origin(address) or m["at"] or ""
    text = f"{m['who']} at {where} is not reachable" if where else f"{m['who']} is not reachable"
    return f"{text}. {rest.strip()}" if sep and rest.strip() else text
