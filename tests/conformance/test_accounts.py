"""Accounts, balances and positions: domain types, Decimal numbers, the adapter's
connection id and name on every object, unique keys."""

from __future__ import annotations

from decimal import Decimal

from desktop.domain import Account, Balance, Position

from .checks import assert_exact_numbers, assert_unique_keys


def test_accounts_and_balances(run):
    async def scenario(s):
        accounts = await s.broker.fetch_accounts()
        balances = {a.account_id: await s.broker.fetch_balances(a.account_id) for a in accounts}
        for item in [*accounts, *(b for bs in balances.values() for b in bs)]:
            s.check_owned(item)
            assert_exact_numbers(item)
        return s.account_id, accounts, balances

    trading, accounts, balances = run(scenario)
    assert accounts and all(isinstance(a, Account) for a in accounts), accounts
    assert_unique_keys(accounts, "accounts")
    by_id = {a.account_id: a for a in accounts}
    assert trading in by_id and not by_id[trading].is_master
    every = [b for bs in balances.values() for b in bs]
    assert all(isinstance(b, Balance) for b in every)
    assert_unique_keys(every, "balances")
    for account_id, bs in balances.items():
        assert all(b.account_id == account_id for b in bs), f"balances of {account_id} name other accounts"
        assert all(len(b.currency) == 3 and b.currency.isupper() for b in bs), [b.currency for b in bs]
    mine = balances[trading]
    assert mine, f"no balance for the trading account {trading}"
    assert mine[0].cash > 0 and mine[0].buying_power > 0, mine[0]


def test_positions_after_a_fill(run):
    async def scenario(s):
        before = await s.broker.fetch_positions(s.account_id)
        filled = await s.fill(await s.marketable(amount=10))
        after = await s.broker.fetch_positions(s.account_id)
        for item in after:
            s.check_owned(item)
            assert_exact_numbers(item)
        return s.account_id, s.symbol, before, filled, after

    account_id, symbol, before, filled, after = run(scenario)
    assert all(isinstance(p, Position) for p in after), after
    assert_unique_keys(after, "positions")
    held_before = sum((p.quantity for p in before if p.symbol == symbol), Decimal(0))
    mine = [p for p in after if p.symbol == symbol]
    assert len(mine) == 1, after
    position = mine[0]
    assert position.account_id == account_id
    assert position.quantity == held_before + filled.filled == held_before + Decimal(10)
    assert position.average_price > 0
    assert all(p.quantity != 0 for p in after), "a position with quantity 0 is listed"
