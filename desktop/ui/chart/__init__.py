"""Candlestick chart panel: numpy bar storage, LOD, clipped primitive-array items.

Public entry point: :class:`ChartWidget` (``from desktop.ui.chart import ChartWidget``).
Qt-free parts: :mod:`.series`, :mod:`.lod`, :mod:`.timeticks`, :mod:`.fmt`,
:mod:`.viewrange` (where zoom and pan may go), :mod:`.loadstate` (what the chart says
while loading or empty) and :mod:`.theme` (the DARK and LIGHT palettes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["BarRow", "BarSeries", "ChartWidget"]

if TYPE_CHECKING:
    from .series import BarRow, BarSeries
    from .widget import ChartWidget


def __getattr__(name: str):
    # Lazy, so importing the Qt-free submodules does not pull in Qt.
    if name == "ChartWidget":
        from .widget import ChartWidget

        return ChartWidget
    if name in ("BarRow", "BarSeries"):
        from . import series

        return getattr(series, name)
    raise AttributeError(name)
