"""Contiguous blocks of row positions: how the keyed model groups its change signals."""

from __future__ import annotations

from collections.abc import Iterable


def contiguous_ranges(positions: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted inclusive (first, last) ranges covering ``positions``: [1,2,3,7] -> [(1,3),(7,7)]."""
    out: list[tuple[int, int]] = []
    for p in sorted(set(positions)):
        if out and p == out[-1][1] + 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out
