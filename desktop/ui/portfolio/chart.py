"""The concentration bar chart: each symbol's share of market value as a horizontal
bar (pyqtgraph), largest on top, in the warning colour above the threshold."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from desktop.domain.analytics import Concentration

NORMAL, WARNING = "#4a90d9", "#e0a030"


class ConcentrationChart(pg.PlotWidget):
    """``show_rows(rows, threshold)``: bars of ``rows`` (largest first), shares in
    percent; bars above ``threshold`` percent in :data:`WARNING`. ``colours`` are the
    last bars' colours (top to bottom; tests read them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("concentrationChart")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setLabel("bottom", "share of market value", units="%")
        self.setMinimumHeight(170)
        self.setBackground(None)  # the panel's own background
        self.colours: list[str] = []
        self._bars: pg.BarGraphItem | None = None

    def show_rows(self, rows: list[Concentration], threshold: float) -> None:
        if self._bars is not None:
            self.removeItem(self._bars)
            self._bars = None
        self.colours = [WARNING if float(r.share) > threshold else NORMAL for r in rows]
        if not rows:
            self.getAxis("left").setTicks([[]])
            return
        n = len(rows)
        ys = [n - 1 - i for i in range(n)]  # largest on top
        self._bars = pg.BarGraphItem(x0=[0] * n, y=ys, height=0.7, width=[float(r.share) for r in rows],
                                     brushes=[pg.mkBrush(c) for c in self.colours], pens=[pg.mkPen(None)] * n)
        self.addItem(self._bars)
        self.getAxis("left").setTicks([[(y, r.symbol) for y, r in zip(ys, rows)]])
        self.setXRange(0, max(100.0, max(float(r.share) for r in rows)), padding=0.02)
        self.setYRange(-0.6, n - 0.4, padding=0)
