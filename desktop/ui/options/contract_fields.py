"""From the builder's field values (or a typed OCC symbol) to an OptionContract, with a
message per field for whatever is wrong. Pure: no widgets.

Field keys: occ, underlying, expiry, right, strike (the builder shows each message
under that field).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from pydantic import ValidationError

from desktop.domain import OptionContract, OptionRight, field_errors
from desktop.domain.occ import OccSymbolError, parse_occ

from .common import parse_strike

PART_TO_KEY = {"root": "underlying", "expiry": "expiry", "right": "right", "strike": "strike", "length": "occ"}
"""OccSymbolError.part -> the builder field that shows the message."""

FIELD_TO_KEY = {"underlying": "underlying", "expiry": "expiry", "right": "right", "strike": "strike"}
"""OptionContract field -> the builder field that shows its validation message."""


class OccProblem(NamedTuple):
    """What an OccSymbolError says: the wrong ``part``, the field ``key`` to show ``message`` under."""

    part: str
    key: str
    message: str


def occ_problem(exc: ValueError) -> OccProblem:
    """The part, field key and message of an OccSymbolError (part "length" when unnamed)."""
    part = getattr(exc, "part", None) or "length"
    return OccProblem(part, PART_TO_KEY.get(part, "occ"), getattr(exc, "reason", None) or str(exc))


def contract_from_occ(text: str) -> tuple[OptionContract | None, OccProblem | None]:
    """(contract, None) for a valid OCC symbol, padded or not; (None, problem) otherwise."""
    try:
        return parse_occ(text), None
    except OccSymbolError as exc:
        return None, occ_problem(exc)


def contract_from_fields(underlying: str, expiry: date, right: OptionRight,
                         strike_text: str) -> tuple[OptionContract | None, dict[str, str]]:
    """(contract, {}) when the fields make a contract whose OCC symbol can be written,
    else (None, {field key: message})."""
    errors: dict[str, str] = {}
    if not underlying:
        errors["underlying"] = "underlying is required: type a symbol, e.g. AAPL"
    try:
        strike = parse_strike(strike_text)
    except ValueError as exc:
        errors["strike"] = str(exc)
        strike = None
    else:
        if strike is None:
            errors["strike"] = "strike is required: pick or type one"
    values = {
        "underlying": underlying or "X",
        "expiry": expiry,
        "right": right,
        "strike": strike if strike is not None else Decimal(1),
    }
    try:
        contract = OptionContract(**values)
    except ValidationError as exc:
        for name, message in field_errors(exc).items():
            errors.setdefault(FIELD_TO_KEY.get(name, "occ"), message)
        return None, errors
    if errors:
        return None, errors
    try:
        contract.occ_symbol  # noqa: B018 - formatting checks the strike and expiry fit
    except ValueError as exc:  # OccSymbolError
        problem = occ_problem(exc)
        errors[problem.key] = problem.message
        return None, errors
    return contract, {}
