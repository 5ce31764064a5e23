"""The chart follows the app's theme: light colours on the light theme, dark on the
dark one, switched live when the theme changes in Settings (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QPushButton

from desktop.brokers.paper import PaperBroker
from desktop.domain.enums import Interval
from desktop.ui.chart import ChartWidget
from desktop.ui.chart.theme import DARK, LIGHT
from desktop.ui.main_window import MainWindow
from desktop.ui.theme import apply_theme
from qt_helpers import run, top_level
from test_chart import close_to, zigzag


@pytest.fixture
def app_theme():
    """Set the app's theme; the shared QApplication goes back to "system" after."""
    app = QApplication.instance()
    yield lambda name: apply_theme(app, name)
    apply_theme(app, "system")


def show(qtbot, chart):
    chart.resize(1000, 600)
    qtbot.addWidget(chart)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_bars("AAPL", Interval.M1, zigzag(40))
    chart.set_visible_range(-0.5, 59.5)
    return chart


def assert_drawn_in(chart, theme) -> None:
    """The plot's background, candles, volume, toolbar and readout are ``theme``'s."""
    view = chart.view
    img = view.grab().toImage()
    empty = view.map_to_viewport(50, 102.0)  # right of the last bar: background, maybe a grid line
    block = [img.pixelColor(empty + QPoint(dx, dy)) for dx in range(-6, 7, 3) for dy in range(-6, 7, 3)]
    assert sum(close_to(c, theme.background, tol=30) for c in block) >= len(block) // 2
    assert close_to(img.pixelColor(view.map_to_viewport(10, 102.0)), theme.up)  # even bars rise
    assert close_to(img.pixelColor(view.map_to_viewport(11, 102.0)), theme.down)
    assert view.volumes._cache[0].brush.color().name() != DARK.background
    toolbar = chart.toolbar.grab().toImage()
    assert close_to(toolbar.pixelColor(QPoint(toolbar.width() // 2, 1)), theme.panel, tol=20)
    readout = chart.readout.grab().toImage()
    assert close_to(readout.pixelColor(QPoint(readout.width() - 3, readout.height() // 2)), theme.background, tol=20)


def test_the_chart_follows_the_app_theme_live(qtbot, app_theme):
    app_theme("dark")
    chart = show(qtbot, ChartWidget())
    assert chart.theme() is DARK
    assert_drawn_in(chart, DARK)
    app_theme("light")
    qtbot.waitUntil(lambda: chart.theme() is LIGHT)
    assert_drawn_in(chart, LIGHT)
    assert chart.last_bar().close == 100.0 and chart.visible_range() == pytest.approx((-0.5, 59.5))  # data and view stay
    app_theme("dark")
    qtbot.waitUntil(lambda: chart.theme() is DARK)
    assert_drawn_in(chart, DARK)
    app_theme("system")  # the platform's palette (offscreen: light)
    light_platform = app.palette().window().color().lightness() >= 128 if (app := QApplication.instance()) else True
    qtbot.waitUntil(lambda: chart.theme() is (LIGHT if light_platform else DARK))


def test_a_pinned_theme_stays_until_released(qtbot, app_theme):
    app_theme("light")
    chart = show(qtbot, ChartWidget(theme="dark"))
    assert chart.theme() is DARK
    assert_drawn_in(chart, DARK)
    chart.set_theme(None)  # follow the app again
    assert chart.theme() is LIGHT
    assert_drawn_in(chart, LIGHT)
    chart.set_theme("dark")
    assert_drawn_in(chart, DARK)
    with pytest.raises(ValueError, match="Unknown chart theme 'sepia'"):
        chart.set_theme("sepia")


def test_the_theme_chosen_in_settings_reaches_the_chart(qtbot, qloop, tmp_path, app_theme):
    app_theme("dark")  # as the app starts with the default theme
    window = MainWindow(brokers=[PaperBroker(tmp_path / "paper.sqlite3", autostart=False)])
    window.show()
    qtbot.waitExposed(window)
    run(qtbot, qloop, window.start(), timeout=15_000)
    try:
        qtbot.waitUntil(lambda: window.chart.bar_count > 0)
        assert window.chart.theme() is DARK
        for name, theme in (("light", LIGHT), ("dark", DARK)):
            window.menus.settings_action.trigger()  # Edit → Settings…
            qtbot.waitUntil(lambda: top_level("settingsDialog") is not None)
            dialog = top_level("settingsDialog")
            combo = dialog.findChild(QComboBox, "themeCombo")
            combo.setFocus()
            while combo.currentData() != name:
                qtbot.keyClick(combo, Qt.Key.Key_Down if combo.findData(name) > combo.currentIndex() else Qt.Key.Key_Up)
            qtbot.mouseClick(dialog.findChild(QPushButton, "okButton"), Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: window.chart.theme() is theme)
            img = window.chart.view.grab().toImage()
            corner = window.chart.view.plot_rect().topLeft() + QPoint(4, 4)
            block = [img.pixelColor(corner + QPoint(dx, dy)) for dx in range(0, 13, 3) for dy in range(0, 13, 3)]
            assert sum(close_to(c, theme.background, tol=40) for c in block) >= len(block) // 2, name
    finally:
        run(qtbot, qloop, window.shutdown(), timeout=15_000)
        window.close()
        window.deleteLater()
