"""Start-up: the window paints before the chart's plot exists (pytest-qt, offscreen).
Importing the main window does not import pyqtgraph or numpy; a ChartWidget builds its
plot right after its first paint (or when first used), and history given before that
is drawn."""

from __future__ import annotations

import subprocess
import sys

from desktop.domain import Interval
from desktop.ui.chart import ChartWidget


def test_importing_the_main_window_leaves_pyqtgraph_and_numpy_for_later():
    code = ("import sys; import desktop.ui.main_window; "
            "print(sorted(m for m in ('pyqtgraph', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_plot_is_built_after_the_first_paint(qtbot):
    chart = ChartWidget()
    qtbot.addWidget(chart)
    assert not chart.view_built and chart.frames_painted == 0 and chart.bar_count == 0
    chart.resize(800, 500)
    chart.show()
    qtbot.waitUntil(lambda: chart.view_built)
    qtbot.waitUntil(lambda: chart.frames_painted > 0)
    assert chart.view.isVisible() and chart.view.width() > 700


def test_history_before_the_plot_exists_is_drawn(qtbot):
    import numpy as np

    chart = ChartWidget()
    qtbot.addWidget(chart)
    t = 1_735_000_000 + np.arange(50) * 60
    price = np.linspace(10, 20, 50)
    chart.set_arrays("AAPL", Interval.M1, t, price, price + 1, price - 1, price, np.full(50, 100.0))
    chart.resize(800, 500)
    chart.show()
    qtbot.waitUntil(lambda: chart.frames_painted > 0)
    assert chart.bar_count == 50 and chart.shown() == ("AAPL", Interval.M1)
    assert chart.view.candles.drawn_count == 50
