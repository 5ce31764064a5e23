"""Base model and validation-error helpers shared by every domain model."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError


class DomainModel(BaseModel):
    """Frozen pydantic v2 model: immutable, hashable by value, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=False)


class BrokerModel(DomainModel):
    """A domain model that may have come from a broker.

    ``raw`` keeps the broker's original payload (a decoded JSON object, or None for
    locally made objects) for debugging; it takes no part in equality, hashing or repr.
    """

    raw: Any = Field(default=None, repr=False, exclude=True)

    def _identity(self) -> tuple:
        return tuple(v for k, v in self.__dict__.items() if k != "raw")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._identity() == other._identity()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._identity()))


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error raised from a model validator that still names its field.

    ``message`` must name the field itself (e.g. "limit_price is required for LIMIT
    orders"); :func:`field_errors` reads ``field`` back for the UI.
    """
    return PydanticCustomError("field_rule", message, {"field": field})


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Map a ValidationError to ``{field name: first message}``.

    Field-level errors use the first element of ``loc``; model-level errors raised
    with :func:`field_error` use their ``field`` context. Anything else goes under "".
    """
    out: dict[str, str] = {}
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        field = ctx.get("field") or (str(err["loc"][0]) if err.get("loc") else "")
        msg = err["msg"]
        if err.get("type") != "field_rule" and field and not msg.startswith(field):
            msg = f"{field}: {msg}"
        out.setdefault(field, msg)
    return out


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def require_utc(value: datetime, field: str) -> datetime:
    """Return ``value`` converted to UTC; naive datetimes are refused."""
    if value.tzinfo is None:
        raise ValueError(f"{field} must be timezone-aware (UTC)")
    return value.astimezone(timezone.utc)


ZERO = Decimal(0)
