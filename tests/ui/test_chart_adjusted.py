"""The chart's "Adjusted" button on the paper broker (replay in March 2012): daily bars
adjusted for splits and dividends by default, as traded after a click, the toolbar
saying which, the choice remembered; intraday bars say they are not adjusted; a source
without the capability shows no button (pytest-qt, offscreen, through the widgets)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest
from PySide6.QtCore import Qt

from desktop.brokers.paper import PaperBroker
from desktop.domain.enums import Interval
from desktop.ui.main_window import MainWindow
from qt_helpers import run

SPLIT_2005 = int(datetime(2005, 2, 28, tzinfo=timezone.utc).timestamp())


@pytest.fixture
def window(qtbot, qloop, tmp_path):
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    w = MainWindow(brokers=[broker])
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    run(qtbot, qloop, w.start(), timeout=15_000)
    broker.advance_minutes(5)
    qtbot.waitUntil(lambda: w.chart.bar_count > 0 and w.chart.shown()[0] == "AAPL", timeout=10_000)
    yield w
    run(qtbot, qloop, w.shutdown(), timeout=15_000)
    w.close()
    w.deleteLater()


def split_day_change(chart) -> float:
    """Close of the 2005-02-28 bar over the close before it, as drawn."""
    s = chart.series
    i = int(np.searchsorted(s.time, SPLIT_2005))
    assert s.time[i] == SPLIT_2005
    return float(s.close[i] / s.close[i - 1])


def test_adjusted_daily_bars_by_default_and_as_traded_after_a_click(qtbot, window):
    chart, toolbar = window.chart, window.chart.toolbar
    button, label = chart.adjusted_button, toolbar.basis_label
    qtbot.mouseClick(toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.shown() == ("AAPL", Interval.D1) and chart.bar_count > 2000)
    qtbot.waitUntil(lambda: chart.price_basis_text() == "Adjusted for splits and dividends")
    assert button.isVisible() and button.isEnabled() and button.isChecked() and label.isVisible()
    assert button.text() == "Adjusted"
    assert 0.98 < split_day_change(chart) < 1.02  # no false crash at the 2005 split
    adjusted_last = chart.last_bar().close
    first_adjusted = float(chart.series.close[0])
    chart.set_visible_range(1200, 1300)  # looking at 2005

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.price_basis_text() == "Unadjusted prices")
    qtbot.waitUntil(lambda: split_day_change(chart) < 0.55)  # reloaded as traded: the split is a halving
    assert not button.isChecked() and label.isVisible() and button.text() == "Unadjusted"
    # AAPL's first close in the file, 130.31; adjusted to March 2012: ÷ 4 for the 2000 and 2005 splits
    assert float(chart.series.close[0]) == 130.31 and first_adjusted == 32.5775
    assert chart.last_bar().close == adjusted_last  # the replay's day is the same either way
    assert chart.visible_range() == pytest.approx((1200, 1300))  # the view stayed on 2005
    assert window.settings.value("chart/adjusted") in (False, "false")

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.price_basis_text() == "Adjusted for splits and dividends")
    qtbot.waitUntil(lambda: 0.98 < split_day_change(chart) < 1.02)
    assert button.isChecked() and button.text() == "Adjusted"
    assert window.settings.value("chart/adjusted") in (True, "true")


def test_intraday_bars_say_they_are_not_adjusted(qtbot, window):
    chart, button = window.chart, window.chart.adjusted_button
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.M5], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.shown() == ("AAPL", Interval.M5))
    qtbot.waitUntil(lambda: chart.price_basis_text() == "Unadjusted prices (intraday bars are not adjusted)")
    assert not button.isVisible()  # nothing to choose for intraday bars: the button does not cover them
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: chart.price_basis_text() == "Adjusted for splits and dividends")
    assert button.isVisible() and button.isEnabled() and button.text() == "Adjusted"


def test_the_choice_is_remembered_for_the_next_window(qtbot, qloop, tmp_path):
    from desktop.ui.settings import app_settings

    settings = app_settings()
    settings.setValue("chart/adjusted", False)
    settings.setValue("chart/interval", "1d")
    settings.sync()
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    w = MainWindow(brokers=[broker])
    w.show()
    qtbot.waitExposed(w)
    try:
        run(qtbot, qloop, w.start(), timeout=15_000)
        qtbot.waitUntil(lambda: w.chart.shown() == ("AAPL", Interval.D1) and w.chart.bar_count > 2000, timeout=10_000)
        qtbot.waitUntil(lambda: w.chart.price_basis_text() == "Unadjusted prices")
        assert not w.chart.adjusted_button.isChecked() and split_day_change(w.chart) < 0.55
        assert w.chart.adjusted_button.text() == "Unadjusted"
    finally:
        w.settings.remove("chart/adjusted")
        run(qtbot, qloop, w.shutdown(), timeout=15_000)
        w.close()
        w.deleteLater()


def test_a_source_without_adjusted_prices_shows_no_button(qtbot):
    from desktop.ui.chart import ChartWidget
    from test_chart import bar

    chart = ChartWidget()
    qtbot.addWidget(chart)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_bars("AAPL", Interval.D1, [bar(i, 100, 101, 99, 100.5) for i in range(5)])
    assert not chart.adjusted_button.isVisible() and chart.price_basis_text() == ""
    chart.set_adjusted_control(True, True)
    chart.set_price_basis("adjusted")
    qtbot.waitUntil(chart.adjusted_button.isVisible)  # the plot is shown a loop turn after it is built
    assert chart.price_basis_text() == "Adjusted for splits and dividends"
    with qtbot.waitSignal(chart.adjustedToggled) as sig:
        qtbot.mouseClick(chart.adjusted_button, Qt.MouseButton.LeftButton)
    assert sig.args == [False]
    assert chart.adjusted_button.text() == "Unadjusted"
    chart.set_adjusted_control(False, False)
    chart.set_price_basis(None)
    assert not chart.adjusted_button.isVisible() and chart.price_basis_text() == ""


def test_a_split_during_the_replay_rescales_the_drawn_history(qtbot, qloop, tmp_path):
    """Replay from 2005-02-25 15:55 into the 2:1 split of 2005-02-28: the adjusted
    history drawn in the 25th's prices is redrawn in the 28th's, with no false halving."""
    from desktop.brokers.paper.history import History
    from desktop.brokers.paper.market import MarketSimulator
    from desktop.brokers.paper.replay import ReplayClock
    from desktop.paths import resources_dir
    from desktop.ui.settings import app_settings

    history = History.open(resources_dir() / "stocks.csv.gz")
    clock = ReplayClock(history.calendar(), start=datetime(2005, 2, 25).date())
    clock.seek(datetime(2005, 2, 25).date(), 385)
    app_settings().setValue("chart/interval", "1d")
    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False, market=MarketSimulator(history, clock))
    w = MainWindow(brokers=[broker])
    w.show()
    qtbot.waitExposed(w)
    chart = w.chart
    try:
        run(qtbot, qloop, w.start(), timeout=15_000)
        qtbot.waitUntil(lambda: chart.shown() == ("AAPL", Interval.D1) and chart.bar_count > 1000, timeout=10_000)
        qtbot.waitUntil(lambda: chart.price_basis_text() == "Adjusted for splits and dividends")
        assert chart.last_bar().start.date().isoformat() == "2005-02-25"
        chart.set_visible_range(1200, 1250)
        broker.advance_minutes(10)  # the close of the 25th, then 09:30-09:35 on the 28th
        qtbot.waitUntil(lambda: chart.last_bar().start.date().isoformat() == "2005-02-28")
        qtbot.waitUntil(lambda: 0.98 < split_day_change(chart) < 1.02)  # redrawn in post-split prices
        assert float(chart.series.close[-2]) == 44.495  # the 25th's 88.99 ÷ 2
        assert chart.visible_range() == pytest.approx((1200, 1250))  # the user's view stays
    finally:
        app_settings().remove("chart/interval")
        run(qtbot, qloop, w.shutdown(), timeout=15_000)
        w.close()
        w.deleteLater()


def test_the_label_is_drawn_whole_or_not_at_all_and_never_widens_the_toolbar(qtbot):
    from desktop.ui.chart import ChartWidget

    chart = ChartWidget()
    qtbot.addWidget(chart)
    chart.set_source_label("Paper (synthetic intraday)")
    chart.resize(1400, 400)
    chart.show()
    qtbot.waitExposed(chart)
    bare = chart.toolbar.minimumSizeHint().width()
    chart.set_adjusted_control(True, True)
    chart.set_price_basis("adjusted")
    button = chart.adjusted_button
    # the button sits on the plot; the label gives way (only the layout's 3-px spacing stays)
    assert chart.toolbar.minimumSizeHint().width() <= bare + chart.toolbar.layout().spacing()
    qtbot.waitUntil(lambda: chart.view.plot_rect().contains(button.geometry()))  # once the plot is laid out
    qtbot.waitUntil(lambda: chart.toolbar.basis_label.fits())  # wide: the whole sentence
    chart.resize(560, 400)
    qtbot.waitUntil(lambda: not chart.toolbar.basis_label.fits())  # narrow: the button alone says it
    assert button.isVisible() and button.text() == "Adjusted" and button.width() >= button.sizeHint().width()
