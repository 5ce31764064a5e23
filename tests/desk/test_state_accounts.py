"""DeskState: an account a connection no longer lists leaves with its balances and
positions, and every feed is told (``accounts_removed``)."""

from __future__ import annotations

from decimal import Decimal

from desktop.desk.state import DeskState
from desktop.domain import Account, Balance, Instrument, Position


def _account(aid):
    return Account(broker="snaptrade", connection_id="snap", account_id=aid, name=aid)


def test_an_account_no_longer_listed_leaves_with_its_rows():
    state = DeskState()
    state.put_accounts("snap", [_account("A"), _account("B")])
    state.put_accounts("other", [Account(broker="paper", connection_id="other", account_id="B", name="B")])
    for aid in ("A", "B"):
        state.put_balances([Balance(broker="snaptrade", connection_id="snap", account_id=aid, cash=Decimal(1),
                                    buying_power=Decimal(1))])
        state.replace_positions("snap", aid, [Position(broker="snaptrade", connection_id="snap", account_id=aid,
                                                       instrument=Instrument.equity("AAPL"), quantity=Decimal(1),
                                                       average_price=Decimal(1))])
    feed = state.feed()
    feed.take()
    state.put_balances([Balance(broker="snaptrade", connection_id="snap", account_id="B", cash=Decimal(2),
                                buying_power=Decimal(2))])  # pending for B: must not arrive after its removal
    state.put_accounts("snap", [_account("A")])
    changes = feed.take()
    assert changes.accounts_removed == [("snap", "B")] and changes.balances == []
    assert changes.positions_removed == [("snap", "B", Instrument.equity("AAPL").key)]
    assert [a.key for a in state.accounts.values()] == [("snap", "A"), ("other", "B")]
    assert {b.account_id for b in state.balances.values()} == {"A"}
    assert {p.account_id for p in state.positions.values()} == {"A"}
    assert not feed.pending()
