"""The concentration bar chart: each symbol's share of market value as a horizontal
bar (pyqtgraph), largest on top, in the warning colour above the threshold.

The pyqtgraph plot is made just after the chart is first painted (the Portfolio tab
sits behind Accounts at start, so it is not painted then), so that opening the window
does not wait for pyqtgraph (issue 15, first paint)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop.domain.analytics import Concentration

NORMAL, WARNING = "#4a90d9", "#e0a030"


class ConcentrationChart(QWidget):
    """``show_rows(rows, threshold)``: bars of ``rows`` (largest first), shares in
    percent; bars above ``threshold`` percent in :data:`WARNING`. ``colours`` are the
    last bars' colours (top to bottom; tests read them), known before the plot is
    made; :attr:`plot` is the pyqtgraph PlotWidget, made just after the first paint
    (a chart in a tab behind another is not painted) or on first use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("concentrationChart")
        self.setMinimumHeight(170)
        self.colours: list[str] = []
        self._rows: list[Concentration] = []
        self._threshold = 0.0
        self._plot: Any = None
        self._bars: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def plot_built(self) -> bool:
        """Whether the pyqtgraph plot exists yet."""
        return self._plot is not None

    @property
    def plot(self):
        """The pyqtgraph PlotWidget drawing the bars (made now if not yet)."""
        return self._ensure_plot()

    def _ensure_plot(self):
        if self._plot is None:
            from desktop.ui.pyqtgraph_lean import pg

            plot = pg.PlotWidget(self)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setLabel("bottom", "share of market value", units="%")
            plot.setBackground(None)  # the panel's own background
            self.layout().addWidget(plot)
            self._plot = plot
            self._draw()
        return self._plot

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._plot is None:
            QTimer.singleShot(0, self, self._ensure_plot)  # seen: the plot follows in the next loop turn

    def show_rows(self, rows: list[Concentration], threshold: float) -> None:
        """Show ``rows`` (largest first) against ``threshold`` percent."""
        self._rows, self._threshold = list(rows), threshold
        self.colours = [WARNING if float(r.share) > threshold else NORMAL for r in rows]
        if self._plot is not None:
            self._draw()

    def _draw(self) -> None:
        from desktop.ui.pyqtgraph_lean import pg

        plot, rows = self._plot, self._rows
        if self._bars is not None:
            plot.removeItem(self._bars)
            self._bars = None
        if not rows:
            plot.getAxis("left").setTicks([[]])
            return
        n = len(rows)
        ys = [n - 1 - i for i in range(n)]  # largest on top
        self._bars = pg.BarGraphItem(x0=[0] * n, y=ys, height=0.7, width=[float(r.share) for r in rows],
                                     brushes=[pg.mkBrush(c) for c in self.colours], pens=[pg.mkPen(None)] * n)
        plot.addItem(self._bars)
        plot.getAxis("left").setTicks([[(y, r.symbol) for y, r in zip(ys, rows)]])
        plot.setXRange(0, max(100.0, max(float(r.share) for r in rows)), padding=0.02)
        plot.setYRange(-0.6, n - 0.4, padding=0)
