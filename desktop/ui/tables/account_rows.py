"""The rows of the accounts table: each account joined with its balance per currency.

:class:`AccountRow` is one (connection, account, currency) row; :class:`AccountJoin`
keeps the accounts and balances seen so far (by ``(connection_id, account_id)``) and
turns incoming :class:`Account` / :class:`Balance` objects into the rows to stage and
the keys to remove. Qt-free.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from desktop.domain import Account, Balance


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One row of the accounts table: an account and its balance in one currency.

    Either part may be missing until it arrives (an account without a balance yet,
    or a balance whose account has not been described). ``broker`` is the broker kind,
    ``connection_id`` the connection that reported it.
    """

    connection_id: str
    account_id: str
    currency: str
    account: Account | None = None
    balance: Balance | None = None
    broker: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """``(connection_id, account_id, currency)``."""
        return (self.connection_id, self.account_id, self.currency)

    @property
    def name(self) -> str:
        return self.account.name if self.account is not None else ""

    @staticmethod
    def of_balance(balance: Balance, account: Account | None = None) -> "AccountRow":
        return AccountRow(balance.connection_id, balance.account_id, balance.currency, account, balance, balance.broker)

    @staticmethod
    def of_account(account: Account) -> "AccountRow":
        return AccountRow(account.connection_id, account.account_id, account.currency, account, None, account.broker)


Ident = tuple[str, str]
"""``(connection_id, account_id)``."""


class AccountJoin:
    """Accounts and balances by ``(connection_id, account_id)``, joined into rows.

    :meth:`take` accepts :class:`Account`, :class:`Balance` and :class:`AccountRow`
    in any order and returns ``(rows to stage, keys to remove)``: an account without a
    balance is a placeholder row in its own currency until its first balance arrives
    (then the placeholder goes). Raises TypeError for anything else.
    """

    def __init__(self) -> None:
        self._accounts: dict[Ident, Account] = {}
        self._balances: dict[Ident, dict[str, Balance]] = {}
        self._placeholders: dict[Ident, tuple[str, str, str]] = {}

    def take(self, items: Iterable[Any]) -> tuple[list[AccountRow], list[Hashable]]:
        out: dict[Hashable, AccountRow] = {}
        gone: list[Hashable] = []
        for item in items:
            if isinstance(item, Account):
                new = self._on_account(item, out, gone)
            elif isinstance(item, Balance):
                new = [self._on_balance(item, out, gone)]
            elif isinstance(item, AccountRow):
                new = [item]
            else:
                raise TypeError(f"the accounts table cannot show {type(item).__name__}")
            out.update((r.key, r) for r in new)
        return list(out.values()), gone

    @staticmethod
    def _drop(key: Hashable, out: dict[Hashable, AccountRow], gone: list[Hashable]) -> None:
        out.pop(key, None)
        gone.append(key)

    def _on_account(self, account: Account, out: dict, gone: list) -> list[AccountRow]:
        ident = account.key
        self._accounts[ident] = account
        balances = self._balances.get(ident)
        if balances:
            return [AccountRow.of_balance(b, account) for b in balances.values()]
        row = AccountRow.of_account(account)
        old = self._placeholders.get(ident)
        if old is not None and old != row.key:
            self._drop(old, out, gone)
        self._placeholders[ident] = row.key
        return [row]

    def _on_balance(self, balance: Balance, out: dict, gone: list) -> AccountRow:
        ident = (balance.connection_id, balance.account_id)
        self._balances.setdefault(ident, {})[balance.currency] = balance
        row = AccountRow.of_balance(balance, self._accounts.get(ident))
        placeholder = self._placeholders.pop(ident, None)
        if placeholder is not None and placeholder != row.key:
            self._drop(placeholder, out, gone)
        return row

    def forget(self, connection_id: str, account_id: str) -> list[Hashable]:
        """Forget one account; returns the keys of its rows."""
        ident = (connection_id, account_id)
        self._accounts.pop(ident, None)
        keys: list[Hashable] = [(connection_id, account_id, c) for c in self._balances.pop(ident, {})]
        placeholder = self._placeholders.pop(ident, None)
        if placeholder is not None:
            keys.append(placeholder)
        return keys

    def forget_connections(self, connection_ids: Collection[str]) -> None:
        """Forget every account of ``connection_ids`` (their rows are removed by the caller)."""
        for store in (self._accounts, self._balances, self._placeholders):
            for ident in [i for i in store if i[0] in connection_ids]:
                del store[ident]
