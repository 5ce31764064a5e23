"""Colours and sizes of the chart (a dark trading-terminal palette), as plain data.

Colours are ``#rrggbb`` / ``#aarrggbb`` strings so this module needs no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartTheme:
    """Palette and metrics of the chart panel (sizes in device-independent pixels)."""

    background: str = "#131722"
    panel: str = "#1a1e2b"  # toolbar and readout row
    grid: str = "#2a2e39"
    axis_line: str = "#363a45"
    text: str = "#b2b5be"
    text_dim: str = "#787b86"
    up: str = "#26a69a"
    down: str = "#ef5350"
    doji: str = "#b2b5be"
    volume_mix: float = 0.45  # volume bars: up/down colour blended this much into background
    crosshair: str = "#9598a1"
    notice: str = "#e0a040"
    accent: str = "#2962ff"  # checked interval button
    body_width: float = 0.7  # candle body width as a fraction of the bar slot
    axis_width: int = 72  # right (price / volume) axis width, px
    font_px: int = 11


DARK = ChartTheme()


def blend(color: str, other: str, t: float) -> str:
    """Mix two ``#rrggbb`` colours: ``t`` of ``color`` and ``1 - t`` of ``other``."""
    a = [int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    b = [int(other.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x * t + y * (1 - t)):02x}" for x, y in zip(a, b))
