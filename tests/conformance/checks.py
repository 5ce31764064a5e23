"""Shape checks shared by the conformance tests: Decimal money, unique keys."""

from __future__ import annotations

import typing
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


def _declares_decimal(annotation: Any) -> bool:
    return annotation is Decimal or Decimal in typing.get_args(annotation)


def assert_exact_numbers(model: BaseModel, where: str = "") -> None:
    """No field of ``model`` (nested models included, ``raw`` excluded) is a float, and
    every field declared Decimal holds a finite Decimal (or None where optional)."""
    where = where or type(model).__name__
    for name, info in type(model).model_fields.items():
        if name == "raw":
            continue
        value = getattr(model, name)
        assert not isinstance(value, float), f"{where}.{name} is a float: {value!r}"
        if _declares_decimal(info.annotation) and value is not None:
            assert isinstance(value, Decimal) and value.is_finite(), f"{where}.{name} is not a finite Decimal: {value!r}"
        if isinstance(value, BaseModel):
            assert_exact_numbers(value, f"{where}.{name}")


def assert_unique_keys(items: Iterable[Any], what: str) -> None:
    """Every item's ``key`` is unique (as the desk stores them)."""
    counts = Counter(item.key for item in items)
    repeated = [key for key, n in counts.items() if n > 1]
    assert not repeated, f"{what}: keys repeated: {repeated}"
