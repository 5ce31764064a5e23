"""The sequence behaviour shared by the paper history's compact columns
(:class:`~.price_column.PriceColumn`, :class:`~.factor_column.FactorColumn`): each
keeps numbers in arrays and builds a Decimal only for the item asked for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import overload


class LazyDecimalColumn(Sequence[Decimal]):
    """A read-only sequence of Decimals built on access by :meth:`_at` (index in
    range, not negative): indexable (negative indices too; IndexError naming
    :attr:`item_name` out of range), sliceable (a slice is a list), iterable, and equal
    to a tuple, list or column of the same numbers. Unhashable, like the list it
    resembles. Subclasses define ``__len__`` and ``_at``."""

    __slots__ = ()
    item_name = "item"
    """What an item is, for the IndexError ("price index out of range")."""

    def _at(self, i: int) -> Decimal:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> Decimal: ...

    @overload
    def __getitem__(self, i: slice) -> list[Decimal]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"{self.item_name} index out of range")
        return self._at(i)

    def __iter__(self) -> Iterator[Decimal]:
        return (self._at(j) for j in range(len(self)))

    def __eq__(self, other: object) -> bool:
        """Equal to a tuple, list or column of the same numbers (compared as numbers)."""
        if not isinstance(other, (tuple, list, LazyDecimalColumn)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]
