"""AccountRefresher: snapshots of one account are applied in the order they were read.

The race this guards against (seen as a flaky advisor walkthrough under CPU load): an
order's fill schedules a refresh of a client account, which reads the positions just
before the fill lands and then waits on its (paced) fills request; meanwhile the poll
loop's refresh of the same account reads the filled position and shows it; then the
first refresh finishes and applied its older, empty snapshot: the position vanished
until the next poll round.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from desktop.desk.polling import AccountRefresher
from desktop.desk.state import DeskState
from desktop.domain import Instrument, Position

CONNECTION = "c1"
ACCOUNT = "DU100003"


class SlowFillsBroker:
    """Holds ``holding`` (positions); its first ``fetch_fills`` waits for ``release``
    (a request queued behind the broker's pacing), later ones answer at once."""

    def __init__(self) -> None:
        self.holding: list[Position] = []
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()  # the first fetch_fills is waiting
        self.reads: list[int] = []  # quantity of AAPL each fetch_positions saw, in order
        self._fills_calls = 0

    async def fetch_balances(self, account_id: str) -> list:
        return []

    async def fetch_positions(self, account_id: str) -> list[Position]:
        self.reads.append(sum(int(p.quantity) for p in self.holding))
        return list(self.holding)

    async def fetch_fills(self, account_id: str, since=None) -> list:
        self._fills_calls += 1
        if self._fills_calls == 1:
            self.waiting.set()
            await self.release.wait()
        return []


def aapl(quantity: int) -> Position:
    return Position(broker="ibkr", connection_id=CONNECTION, account_id=ACCOUNT, instrument=Instrument.equity("AAPL"),
                    quantity=D(quantity), average_price=D("190.00"))


def refresher_of(broker, state: DeskState, tasks: list) -> AccountRefresher:
    return AccountRefresher(
        connection_id=CONNECTION, name="IBKR", broker=broker, state=state, remember=lambda _i: None,
        new_holdings=lambda _s: None, spawn=lambda coro, name: tasks.append(asyncio.ensure_future(coro)),
        poll_interval=lambda: 30.0, advisor=lambda: False, load_allocation=lambda: asyncio.sleep(0))


def test_a_slow_refresh_never_undoes_a_newer_snapshot_of_the_same_account(arun):
    async def scenario():
        broker, state, tasks = SlowFillsBroker(), DeskState(), []
        shown: list[int] = []  # the account's AAPL quantity in the desk after each snapshot applied
        replace = state.replace_positions

        def recording(connection_id, account_id, positions):
            new = replace(connection_id, account_id, positions)
            shown.append(sum(int(p.quantity) for p in state.positions_of(connection_id) if p.account_id == account_id))
            return new

        state.replace_positions = recording
        refresher = refresher_of(broker, state, tasks)
        refresher.schedule(ACCOUNT)  # the fill's refresh: reads no position yet, then waits on fills
        await asyncio.wait_for(broker.waiting.wait(), 5)
        broker.holding = [aapl(14)]  # the fill lands
        poll = asyncio.ensure_future(refresher.refresh(ACCOUNT))  # the poll loop's round of this account
        for _ in range(10):  # every await of this broker but the first fills request returns at once
            await asyncio.sleep(0)
        broker.release.set()
        await asyncio.wait_for(asyncio.gather(poll, *tasks), 5)
        return broker.reads, shown, state.positions_of(CONNECTION)

    reads, shown, held = arun(scenario())
    assert [(p.account_id, p.symbol, p.quantity) for p in held] == [(ACCOUNT, "AAPL", 14)]
    assert sorted(reads) == [0, 14]  # one read before the fill, one after
    assert shown == sorted(shown)  # shown once, never taken away again by the older read
