"""The Portfolio panel's momentum when the market-data source changes: the old
source's figure is not shown while the new one loads, and a late answer from the old
source never overwrites the new one."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.paper import PaperBroker
from desktop.desk import Desk
from desktop.ui.portfolio.panel import PortfolioPanel
from qt_helpers import run


class GatedBars:
    """Wraps a PaperBroker's fetch_bars: each call waits until :meth:`open` (per call)."""

    def __init__(self, broker: PaperBroker) -> None:
        self.broker, self.gates, self.answered = broker, [], 0
        self._fetch = broker.fetch_bars
        broker.fetch_bars = self.fetch_bars

    async def fetch_bars(self, *args, **kw):
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        bars = await self._fetch(*args, **kw)
        self.answered += 1  # the caller goes on in this same task step, before the loop runs anything else
        return bars


@pytest.fixture
def two_papers(qtbot, qloop, tmp_path):
    desk = Desk(poll_s=30, start_budget_s=2)
    gated = {}
    for cid in ("paper-a", "paper-b"):
        broker = PaperBroker(tmp_path / f"{cid}.sqlite3", autostart=False).bind(cid)
        gated[cid] = GatedBars(broker)
        run(qtbot, qloop, desk.attach(broker, cid.replace("paper-", "Paper ").title()))
    yield desk, gated
    run(qtbot, qloop, desk.shutdown())


def test_a_source_change_hides_the_old_figure_and_ignores_its_late_answer(qtbot, two_papers):
    desk, gated = two_papers
    panel = PortfolioPanel(desk)
    qtbot.addWidget(panel)
    desk.market.choose("paper-a")
    panel.set_watchlist(["AAPL"])
    qtbot.waitUntil(lambda: len(gated["paper-a"].gates) == 1)
    gated["paper-a"].gates[0].set()
    qtbot.waitUntil(lambda: panel.momentum["AAPL"][0] is not None)
    assert panel.momentum["AAPL"][1] == "Paper A"

    desk.market.choose("paper-b")
    panel.load_momentum()  # what the window does when the chart's source changes
    assert panel.momentum["AAPL"] == (None, "loading from Paper B…", 0)  # not Paper A's figure meanwhile
    panel.load_momentum()  # again before it arrives (a second change event)
    qtbot.waitUntil(lambda: len(gated["paper-b"].gates) == 2)

    desk.market.choose("paper-a")  # and back before either answer: Paper A's new load decides
    panel.load_momentum()
    qtbot.waitUntil(lambda: len(gated["paper-a"].gates) == 2)
    for gate in gated["paper-b"].gates:  # Paper B's answers arrive late
        gate.set()
    qtbot.waitUntil(lambda: gated["paper-b"].answered == 2)
    assert panel.momentum["AAPL"] == (None, "loading from Paper A…", 0)
    gated["paper-a"].gates[1].set()
    qtbot.waitUntil(lambda: panel.momentum["AAPL"][0] is not None)
    assert panel.momentum["AAPL"][1] == "Paper A"
