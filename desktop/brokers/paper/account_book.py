"""The paper broker's accounts: which there are, their engines, their snapshots.

:class:`AccountBook` is a mixin of :class:`~.broker.PaperBroker`. One cash account
``PAPER`` ($100,000), or in the advisor demo (:mod:`.advisor`) the master DF100000
(holds nothing) and four clients, each with its own :class:`MatchingEngine` and
ledger, saved in the same store under its own account id. Allocation group names
route to the group orders (:mod:`.group_orders`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from desktop.domain import Account, Balance, Fill, Order, OrderStatus, Position

from ..errors import NotFoundError, UnavailableError
from .advisor_accounts import advisor_accounts, advisor_groups, starting_cash
from .engine_rebuild import rebuild
from .group_orders import GroupDesk
from .ledger import Ledger
from .matching import MatchingEngine

log = logging.getLogger(__name__)

ACCOUNT_ID = "PAPER"
STARTING_CASH = Decimal(100_000)


class AccountBook:
    """Mixin: the broker's accounts and their engines. Relies on the broker's
    ``advisor``, ``_account_ids``, ``_engines``, ``_groups``, ``_store``, ``market``,
    ``options``, ``_option_desk``, ``_publish_events``, ``name``, ``owned`` and the advisor
    side's ``_is_master`` / ``_group_desk`` / ``_master_balance``."""

    @property
    def engine(self) -> MatchingEngine:
        """The engine of the (first) account: ``PAPER``, or client DU100001 in advisor mode."""
        return self.engine_for(self._account_ids[0])

    def engine_for(self, account_id: str) -> MatchingEngine:
        """The matching engine of account ``account_id``. Raises NotFoundError / UnavailableError."""
        if not self._engines:
            raise UnavailableError("the paper broker is not connected")
        if account_id not in self._engines:
            known = ", ".join(self._account_ids)
            raise NotFoundError(f"account {account_id} not found; the paper broker's trading accounts are {known}")
        return self._engines[account_id]

    def _restore(self) -> None:
        """Every account's engine and (advisor demo) the group orders from the store,
        then the options that expired while the broker was away settled (published
        and saved)."""
        self._engines.update({aid: self._restore_engine(aid) for aid in self._account_ids})
        if self.advisor:
            self._groups = GroupDesk(advisor_groups(), self._engines)
            self._groups.restore((o for g in self._groups.groups for o in self._store.load_history(g)[0]),
                                 counter_floor=self._store.id_floor(order_letter="G")[0])
        self._publish_events([e for eng in self._engines.values() for e in self._option_desk.settle_missed(eng)])

    def _restore_engine(self, account_id: str) -> MatchingEngine:
        """The account's saved engine; rebuilt from its stored orders and fills when
        the saved state is missing, unreadable or behind them (see
        :mod:`.engine_rebuild`); a fresh account when nothing is stored. Its id
        counters are past every stored id, even of rows that do not load."""
        orders, fills = self._store.load_history(account_id)
        floor = self._store.id_floor(self._id_prefix(account_id))
        engine = self._store.load_engine(account_id, orders, fills)
        if engine is None:
            if orders or fills or any(floor):
                log.error("paper account %s: rebuilding it from its orders and fills (%d orders, %d fills)",
                          account_id, len(orders), len(fills))
            engine = rebuild(self._fresh_engine(account_id), orders, fills, self._last_or_none, floor)
        engine._counters = {"order": max(engine._counters["order"], floor[0]), "fill": max(engine._counters["fill"], floor[1])}
        engine.option_pricer = self.options.bid_ask
        engine.id_prefix = self._id_prefix(account_id)
        if engine.symbols is not None:  # a state saved before the pairs were listed knows only the shares
            engine.symbols = set(engine.symbols) | set(self.markets.symbols)
        return engine

    def _last_or_none(self, symbol: str) -> Decimal | None:
        """The replayed last price of a share or pair, None for anything else."""
        try:
            return self.markets.last_price(symbol) if symbol in self.markets.symbols else None
        except Exception:  # noqa: BLE001 - a price is only a reservation estimate here
            return None

    def _fresh_engine(self, account_id: str) -> MatchingEngine:
        cash = starting_cash(account_id) if self.advisor else STARTING_CASH
        engine = MatchingEngine(Ledger(account_id=account_id, starting_cash=cash, broker=self.name), symbols=self.markets.symbols,
                                option_pricer=self.options.bid_ask)
        engine.id_prefix = self._id_prefix(account_id)
        return engine

    def _id_prefix(self, account_id: str) -> str:
        """Order / fill ids must be unique across the store: clients prefix theirs."""
        return f"{account_id}-" if self.advisor else ""

    def _all_accounts(self) -> list[Account]:
        if self.advisor:
            return advisor_accounts(self.name)
        return [Account(broker=self.name, account_id=ACCOUNT_ID, name="Paper account", currency="USD", kind="cash", is_paper=True)]

    def _marks(self, engine: MatchingEngine | None = None) -> dict[str, Decimal]:
        marks = {}
        for symbol, holding in (engine or self.engine).ledger.holdings.items():
            inst = holding.instrument
            if not holding.quantity:
                continue
            price = self.options.mark(inst) if inst.is_option else self.markets.last_price(symbol)
            if price is not None:
                marks[symbol] = price
        return marks

    def _valuation_marks(self, engine: MatchingEngine) -> dict[str, Decimal]:
        """:meth:`_marks` plus every pair's last price when the account holds another
        currency (the rates its net liquidation converts at)."""
        marks = self._marks(engine)
        return {**self.markets.pair_prices(), **marks} if engine.ledger.foreign else marks

    async def fetch_accounts(self) -> list[Account]:
        """``PAPER``; advisor demo: the master DF100000 then clients DU100001-4."""
        return self.owned_all(self._all_accounts())

    async def fetch_balances(self, account_id: str) -> list[Balance]:
        """The account's balances: its USD row first (net liquidation and P&L of the
        whole account, every currency converted into USD at the pairs' last prices),
        then one row per other currency its pair trades hold (see
        :meth:`Ledger.balances`); the advisor master's is all zero (it holds nothing)."""
        if self._is_master(account_id):
            return [self.owned(self._master_balance())]
        engine = self.engine_for(account_id)
        prices = self.markets.pair_prices() if engine.ledger.foreign else {}  # read the ECB rates only when needed
        rows = engine.ledger.balances(self._marks(engine), self.market.clock.now, prices=prices)
        return self.owned_all(rows)

    async def fetch_positions(self, account_id: str) -> list[Position]:
        if self._is_master(account_id):
            return []
        engine = self.engine_for(account_id)
        return self.owned_all(engine.ledger.positions(self._marks(engine), now=self.market.clock.now))

    async def fetch_orders(self, account_id: str, status: Sequence[OrderStatus] | None = None) -> list[Order]:
        """The account's orders; for an allocation group its group orders. A client's
        internal child orders of group orders are not listed (see :mod:`.advisor`)."""
        if (groups := self._group_desk(account_id)) is not None:
            return self.owned_all(groups.orders(account_id, status))
        if self._is_master(account_id):
            return []
        return self.owned_all(o for o in self.engine_for(account_id).orders(status) if not o.allocation_group)

    async def fetch_fills(self, account_id: str, since: datetime | None = None) -> list[Fill]:
        """The account's fills; a group order's fills carry the group order's id and
        client order id and ``allocation_group``. For a group: its fills in every client."""
        if (groups := self._group_desk(account_id)) is not None:
            fills = [f for aid in self._account_ids for f in self.engine_for(aid).fills(since) if f.allocation_group == account_id]
            return self.owned_all(sorted((groups.public_fill(f) for f in fills), key=lambda f: f.timestamp))
        if self._is_master(account_id):
            return []
        fills = self.engine_for(account_id).fills(since)
        return self.owned_all([self._groups.public_fill(f) for f in fills] if self._groups is not None else fills)
