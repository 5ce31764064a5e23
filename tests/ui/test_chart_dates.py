"""Bars are labelled by their exchange trading date (daily) or their time in the
chart's exchange zone (intraday): the time axis, the readout and the crosshair's
time tag, for every interval, with bars built as the paper broker builds them and as
the IBKR adapter parses them (from the real gateway's and from the emulator's
payloads). Driven through the widgets: interval buttons clicked, the mouse moved
over bars (pytest-qt, offscreen)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt

from desktop.brokers.ibkr.marketdata import bars_from_history
from desktop.brokers.paper.market import MarketSimulator
from desktop.domain.enums import Interval
from desktop.ui.chart import ChartWidget
from desktop.ui.chart.toolbar import INTERVAL_LABELS
from tests.fakes.ibkr.payloads import bar_point

NY = ZoneInfo("America/New_York")
MINUTES_PLAYED = 30  # the replay at 2012-03-01 10:00 New York time


@pytest.fixture(scope="module")
def paper():
    """The paper market at its default start (2012-03-01), 30 minutes played."""
    sim = MarketSimulator.from_resources()
    for _ in range(MINUTES_PLAYED):
        sim.advance_one_minute()
    return sim


def paper_bars(sim, interval: Interval):
    """AAPL bars exactly as the paper broker's fetch_bars returns them."""
    return sim.fetch_bars("AAPL", interval, limit=300)


def ibkr_gateway_bars(sim, interval: Interval):
    """The same bars as IBKR's adapter parses them from a Client Portal Gateway
    history payload. The gateway stamps a daily bar with the session's opening time
    (NOTES.md §6: ``t`` 1747229400000 = 13:30 UTC, 09:30 New York, for a 1d bar), an
    intraday bar with its start; ``volumeFactor`` 100."""
    data = []
    for b in paper_bars(sim, interval):
        t = b.start + timedelta(hours=13, minutes=30) if interval is Interval.D1 else b.start
        data.append({"o": float(b.open), "h": float(b.high), "l": float(b.low), "c": float(b.close),
                     "v": float(b.volume) / 100, "t": int(t.timestamp() * 1000)})
    return bars_from_history("AAPL", interval, {"symbol": "AAPL", "volumeFactor": 100, "data": data})


def ibkr_emulator_bars(sim, interval: Interval):
    """The bars as the adapter parses them from the gateway emulator's payload (its
    points are the paper broker's bars, daily ones at midnight UTC)."""
    payload = {"symbol": "AAPL", "volumeFactor": 1, "data": [bar_point(b) for b in paper_bars(sim, interval)]}
    return bars_from_history("AAPL", interval, payload)


SOURCES = {"paper": paper_bars, "ibkr-gateway": ibkr_gateway_bars, "ibkr-emulator": ibkr_emulator_bars}


@pytest.fixture
def chart(qtbot, paper, request):
    """A chart in the exchange's zone (as the chart link sets it from the broker's
    capabilities) whose interval buttons load bars from ``request.param``'s source."""
    w = ChartWidget(theme="dark")
    w.set_timezone(NY)
    w.resize(1200, 640)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    source = SOURCES[request.param]
    w.loaded = {}

    def load(*_args):
        iv = Interval(w.interval())
        bars = source(paper, iv)
        w.loaded[iv] = bars
        w.set_bars("AAPL", iv, bars)

    w.intervalChanged.connect(load)
    w.symbolChanged.connect(load)
    w.set_symbol("AAPL")
    return w


def trading_label(bar, interval: Interval) -> str:
    """What a bar should be called: its trading date for daily bars, its start in New
    York time for intraday ones."""
    if interval is Interval.D1:
        return f"{bar.start.date():%a %Y-%m-%d}"
    return f"{bar.start.astimezone(NY):%a %Y-%m-%d %H:%M}"


def allowed_tick_labels(bars, i: int, interval: Interval) -> set[str]:
    """The labels a tick at bar ``i`` may carry: its time, day, month or year in the
    exchange's calendar (daily bars: no time of day)."""
    if interval is Interval.D1:
        d = bars[i].start.date()
        return {f"{d:%b} {d.day}", f"{d:%b}", f"{d.year}"}
    local = bars[i].start.astimezone(NY)
    return {f"{local:%H:%M}", f"{local:%b} {local.day}", f"{local:%b}", f"{local.year}"}


def axis_ticks(chart) -> list[tuple[int, str]]:
    """The (bar index, text) of each label the time axis draws at its current range."""
    ax = chart.view.time_axis
    lo, hi = chart.visible_range()
    values = ax.tickValues(lo, hi, ax.geometry().width())[0][1]
    return list(zip((int(v) for v in values), ax.tickStrings(values, 1.0, 1.0)))


def hover(qtbot, chart, i: int, y: float | None = None) -> QPoint:
    """Move the mouse over bar ``i`` (at price ``y``, else mid-bar) until the chart has
    seen it: pyqtgraph drops mouse moves closer than 10 ms apart (mouseRateLimit).
    Returns where the mouse is (viewport pixels)."""
    bar = chart.series.row(i)
    pos = chart.view.map_to_viewport(i, (bar.high + bar.low) / 2 if y is None else y)
    nudge = [0]

    def seen() -> bool:
        if chart.hover_index != i:
            nudge[0] ^= 1
            qtbot.mouseMove(chart.view.viewport(), pos + QPoint(0, nudge[0]))
        return chart.hover_index == i

    qtbot.waitUntil(seen)
    return pos + QPoint(0, nudge[0])


@pytest.mark.parametrize("chart", list(SOURCES), indirect=True)
@pytest.mark.parametrize("interval", list(Interval))
def test_every_interval_is_labelled_by_trading_date_and_exchange_time(qtbot, chart, interval):
    if Interval(chart.interval()) is not interval:
        qtbot.mouseClick(chart.toolbar.interval_buttons[interval], Qt.MouseButton.LeftButton)
    bars = chart.loaded[interval]
    assert chart.shown() == ("AAPL", interval) and chart.bar_count == len(bars) > 100

    # the last bar: the replayed 2012-03-01 (a Thursday), never "Wed 2012-02-29"
    last = {Interval.M1: "Thu 2012-03-01 09:59", Interval.M5: "Thu 2012-03-01 09:55",
            Interval.M15: "Thu 2012-03-01 09:45", Interval.H1: "Thu 2012-03-01 09:30",
            Interval.D1: "Thu 2012-03-01"}[interval]
    assert chart.readout_text().startswith(f"AAPL · {INTERVAL_LABELS[interval]}  {last}  O ")

    ticks = axis_ticks(chart)
    assert len(ticks) >= 4
    for i, text in ticks:
        assert text in allowed_tick_labels(bars, i, interval), (i, text, bars[i].start)
    if interval is Interval.D1:
        assert (len(bars) - 1, "Mar") in ticks  # March begins with the last bar
    else:
        first_today = next(i for i, b in enumerate(bars) if b.start.astimezone(NY).date() == date(2012, 3, 1))
        assert bars[first_today].start.astimezone(NY).strftime("%H:%M") == "09:30"
        if interval is not Interval.H1:  # 1h: a week per label at this zoom
            assert (first_today, "Mar") in ticks  # the session of March 1 starts the month

    x0, x1 = chart.visible_range()
    for i in sorted({len(bars) - 1, len(bars) - 2, len(bars) - 4, int(x0) + 3, (int(x0) + len(bars)) // 2}):
        hover(qtbot, chart, i)
        expected = trading_label(bars[i], interval)
        assert chart.readout_text().startswith(f"AAPL · {INTERVAL_LABELS[interval]}  {expected}  O "), i
        tag = chart.view.crosshair.time_tag
        assert tag.isVisible() and tag.text() == expected
        assert expected[:3] not in ("Sat", "Sun")


@pytest.mark.parametrize("chart", ["paper"], indirect=True)
def test_a_monday_is_a_monday_in_any_zone(qtbot, chart):
    """2012-02-27 (Monday) midnight UTC is Sunday evening in New York: the bar's label
    is the trading date, whatever zone the chart shows intraday times in."""
    qtbot.mouseClick(chart.toolbar.interval_buttons[Interval.D1], Qt.MouseButton.LeftButton)
    bars = chart.loaded[Interval.D1]
    monday = next(i for i, b in enumerate(bars) if b.start == datetime(2012, 2, 27, tzinfo=timezone.utc))
    for zone in (NY, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles"), None):
        chart.set_timezone(zone)
        hover(qtbot, chart, monday)
        assert "Mon 2012-02-27" in chart.readout_text()
        assert chart.view.crosshair.time_tag.text() == "Mon 2012-02-27"
        hover(qtbot, chart, monday - 1)
        assert "Fri 2012-02-24" in chart.readout_text()
