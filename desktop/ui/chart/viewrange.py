"""Where the chart's x view may go (Qt-free): zoom and pan stay on the data.

x is in bar-index units (bar i spans i-0.5 .. i+0.5) over ``n`` bars; a view is
``x0 .. x1`` of width ``w = x1 - x0`` slots.

- ``w`` is at least :data:`MIN_BARS` and at most :func:`max_width`: every bar, the
  right margin and a pad of :data:`EDGE_PAD` of the view on each side;
- the left edge is at most ``EDGE_PAD * w`` slots before the first bar, the right
  edge at most ``RIGHT_MARGIN + EDGE_PAD * w`` slots after the last one, so the
  view never wanders into empty time before the first bar or after the last;
- a short history (the view is wider than its bars and margins) is laid out from
  its first bar, the empty slots on the right (at least :data:`MIN_SPAN` slots, so a
  few bars are not drawn as wide blocks);
- "following" (the live bar scrolls into view) is on while the last bar is in view.
"""

from __future__ import annotations

DEFAULT_BARS = 150
"""Bars shown after a history load, a double-click or the "latest" control."""
RIGHT_MARGIN = 5
"""Empty slots kept right of the last bar when following the live bar."""
MIN_BARS = 10
"""Fewest bars across the view (the deepest zoom)."""
MIN_SPAN = 60
"""A short history is laid out as if it had this many slots."""
EDGE_PAD = 0.05
"""Empty room allowed beyond the data on each side, as a fraction of the view width."""


def max_width(n: int) -> float:
    """The widest view over ``n`` bars, in slots: all bars, the right margin and the
    edge pads (at least :data:`MIN_SPAN`)."""
    return max(float(MIN_SPAN), (max(0, n) + RIGHT_MARGIN) / (1.0 - 2.0 * EDGE_PAD))


def clamp(x0: float, x1: float, n: int) -> tuple[float, float]:
    """The view ``x0 .. x1`` moved (and if need be narrowed or widened around its
    centre) so that it obeys the rules of the module doc; unchanged when ``n`` is 0."""
    if n <= 0:
        return x0, x1
    w = x1 - x0
    limited = min(max(w, float(MIN_BARS)), max_width(n))
    if limited != w:
        mid = (x0 + x1) / 2.0
        x0, x1, w = mid - limited / 2.0, mid + limited / 2.0, limited
    lo = -0.5 - EDGE_PAD * w
    hi = n - 0.5 + RIGHT_MARGIN + EDGE_PAD * w
    if hi - lo < w - 1e-9:  # short history: from the first bar
        return -0.5, -0.5 + w
    if x0 < lo:
        return lo, lo + w
    if x1 > hi:
        return hi - w, hi
    return x0, x1


def latest_range(width: float, n: int) -> tuple[float, float]:
    """A view ``width`` slots wide (limited as :func:`clamp` does) whose right edge is
    :data:`RIGHT_MARGIN` slots after the last bar (short history: from bar 0)."""
    x1 = n - 0.5 + RIGHT_MARGIN
    return clamp(x1 - width, x1, n)


def follows(x0: float, x1: float, n: int) -> bool:
    """Whether the last of ``n`` bars is in the view ``x0 .. x1`` (its centre), so live
    bars scroll the view; True for an empty series."""
    return n == 0 or x0 <= n - 1 <= x1
