"""A column of trading dates kept as int32 day ordinals (issue 15, idle memory).

The paper market's daily history has one date per symbol and day: the stocks' 12,000
rows and the ECB pairs' 42,000. As ``datetime.date`` objects they cost 32 bytes each
plus a tuple slot, and, worse, being created one by one while the file is parsed, they
sit among the parser's short-lived objects and keep about 7 MiB of the parser's memory
from being given back (measured with tests/benchmarks/bench_memory.py). As ordinals
(``date.toordinal()``) they are 4 bytes each in one array; a ``date`` is built only
when one is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import overload

import numpy as np


class DateColumn(Sequence[date]):
    """Ascending dates as an int32 array of proleptic Gregorian ordinals
    (:meth:`datetime.date.toordinal`). Read-only, indexable, sliceable (a slice is a
    list of dates) and iterable like the tuple of dates it replaces; equal to a
    tuple, list or column of the same dates. :meth:`bisect_left` and
    :meth:`bisect_right` search it as :mod:`bisect` searches a sorted tuple."""

    __slots__ = ("ordinals",)

    def __init__(self, ordinals: np.ndarray) -> None:
        ordinals = np.ascontiguousarray(ordinals, dtype=np.int32)
        ordinals.flags.writeable = False
        self.ordinals = ordinals

    def __len__(self) -> int:
        return len(self.ordinals)

    @overload
    def __getitem__(self, i: int) -> date: ...

    @overload
    def __getitem__(self, i: slice) -> list[date]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [date.fromordinal(int(o)) for o in self.ordinals[i]]
        return date.fromordinal(int(self.ordinals[i]))  # numpy raises IndexError out of range

    def __iter__(self) -> Iterator[date]:
        return (date.fromordinal(o) for o in self.ordinals.tolist())

    def bisect_left(self, d: date) -> int:
        """Number of dates strictly before ``d``."""
        return int(np.searchsorted(self.ordinals, d.toordinal(), side="left"))

    def bisect_right(self, d: date) -> int:
        """Number of dates on or before ``d``."""
        return int(np.searchsorted(self.ordinals, d.toordinal(), side="right"))

    def find(self, d: date) -> int | None:
        """Index of ``d``, or None when it is not in the column."""
        i = self.bisect_left(d)
        return i if i < len(self.ordinals) and int(self.ordinals[i]) == d.toordinal() else None

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.find(d) is not None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DateColumn):
            return np.array_equal(self.ordinals, other.ordinals)
        if isinstance(other, (tuple, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like the list it stands for

    def __repr__(self) -> str:
        head = ", ".join(d.isoformat() for d in self[:3])
        return f"DateColumn([{head}{', …' if len(self) > 3 else ''}], n={len(self)})"
