"""Colours and sizes of the chart, as plain data: a dark trading-terminal palette
(:data:`DARK`) and a light one (:data:`LIGHT`).

Colours are ``#rrggbb`` strings so this module needs no Qt. :func:`theme_for_window`
picks the chart theme that suits an application window colour (the app's palette),
which is how a chart that follows the app's theme chooses.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartTheme:
    """Palette and metrics of the chart panel (sizes in device-independent pixels).

    ``name`` is "dark" or "light"; ``tag_text``/``tag_background`` colour the
    crosshair's price and time tags; ``message_*`` the messages laid over the plot
    ("Loading …", "No price history …", errors in ``error``).
    """

    name: str = "dark"
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
    tag_text: str = "#ffffff"
    tag_background: str = "#363a45"
    notice: str = "#e0a040"
    error: str = "#ef5350"
    message_background: str = "#1e2230"
    message_border: str = "#363a45"
    accent: str = "#2962ff"  # checked interval button
    body_width: float = 0.7  # candle body width as a fraction of the bar slot
    axis_width: int = 72  # right (price / volume) axis width, px
    font_px: int = 11


DARK = ChartTheme()

LIGHT = ChartTheme(
    name="light",
    background="#ffffff",
    panel="#f3f4f6",  # the light app theme's window colour
    grid="#eceef2",
    axis_line="#d0d7de",
    text="#1f2328",
    text_dim="#656d76",
    up="#089981",
    down="#f23645",
    doji="#50565e",
    volume_mix=0.40,
    crosshair="#8c959f",
    tag_text="#ffffff",
    tag_background="#50565e",
    notice="#9a6700",
    error="#cf222e",
    message_background="#f6f8fa",
    message_border="#d0d7de",
    accent="#0969da",
)

THEMES = {"dark": DARK, "light": LIGHT}
"""Chart themes by name."""


def lightness(color: str) -> float:
    """Perceived lightness of a ``#rrggbb`` colour, 0.0 (black) .. 1.0 (white)."""
    r, g, b = (int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255.0


def theme_for_window(window_color: str) -> ChartTheme:
    """:data:`LIGHT` for a light application window colour (``#rrggbb``), else :data:`DARK`."""
    return LIGHT if lightness(window_color) >= 0.5 else DARK


def blend(color: str, other: str, t: float) -> str:
    """Mix two ``#rrggbb`` colours: ``t`` of ``color`` and ``1 - t`` of ``other``."""
    a = [int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    b = [int(other.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x * t + y * (1 - t)):02x}" for x, y in zip(a, b))
