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


def test_showing_the_main_window_leaves_pyqtgraph_for_after_the_first_paint(tmp_path):
    code = ("import sys, os; from PySide6.QtWidgets import QApplication; app = QApplication([]); "
            "from desktop.brokers.paper import PaperBroker; from desktop.ui.main_window import MainWindow; "
            "w = MainWindow(brokers=[PaperBroker(os.path.join(sys.argv[1], 'p.sqlite3'), autostart=False)]); "
            "made = 'pyqtgraph' in sys.modules; w.show(); w.chart.set_symbol('AAPL'); w.repaint(); "
            "print(made, w.portfolio.chart.plot_built, w.portfolio.chart.visibleRegion().isEmpty())")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "", "TRADEDESK_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False False True"  # the Portfolio tab is behind Accounts: not seen


def test_the_concentration_chart_draws_rows_given_before_it_was_shown(qtbot):
    from decimal import Decimal

    from desktop.domain.analytics import Concentration
    from desktop.ui.portfolio.chart import NORMAL, WARNING, ConcentrationChart

    chart = ConcentrationChart()
    qtbot.addWidget(chart)
    rows = [Concentration(symbol="AAPL", market_value=Decimal(700), share=Decimal(70)),
            Concentration(symbol="IBM", market_value=Decimal(300), share=Decimal(30))]
    chart.show_rows(rows, 50.0)
    assert chart.colours == [WARNING, NORMAL] and not chart.plot_built
    chart.resize(400, 250)
    chart.show()
    qtbot.waitUntil(lambda: chart.plot_built)
    ticks = chart.plot.getAxis("left")._tickLevels
    assert ticks == [[(1, "AAPL"), (0, "IBM")]]
    assert [b.color().name() for b in chart._bars.opts["brushes"]] == [WARNING, NORMAL]
