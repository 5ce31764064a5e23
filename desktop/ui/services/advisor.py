"""The advisor side of BrokerService: allocation groups, group orders, client accounts.

Kept apart from :mod:`desktop.ui.services.broker_service` so each file has one purpose;
:class:`AdvisorMixin` is only meaningful mixed into ``BrokerService``, whose state
(``broker``, ``accounts``, ``orders``, ``positions``, ``groups``,
``allocation_values``, ``_order_sources``, ``_timer``, ``allocationChanged``) it uses.
"""

from __future__ import annotations

import asyncio

from desktop.domain import Account, Order, Position

from desktop.domain.consolidation import consolidate_positions


class AdvisorMixin:
    """Allocation groups and group orders of an advisor login (CPAPI FA endpoints
    ``/iserver/account/allocation/group`` and ``/iserver/account/allocation/accounts``
    behind ``Broker.fetch_allocation_groups`` / ``fetch_allocation_values``)."""

    @property
    def is_advisor(self) -> bool:
        """Whether the broker declares advisor allocation groups."""
        return bool(self.broker.capabilities.allocation_groups)

    # -- advisor: allocation groups ------------------------------------------
    async def _load_allocation(self) -> None:
        """Fetch groups and client values; emit allocationChanged when either changed,
        and start following the orders of a group seen for the first time."""
        groups = await self.broker.fetch_allocation_groups()
        values = await self.broker.fetch_allocation_values()
        by_name = {g.name: g for g in groups}
        by_account = {v.account_id: v for v in values}
        if by_name == self.groups and by_account == self.allocation_values:
            return
        self.groups, self.allocation_values = by_name, by_account
        self.allocationChanged.emit(list(groups), list(values))
        if self._timer.isActive():  # after start: a new group's orders
            for name in by_name:
                if name not in self._order_sources:
                    self._spawn(self._follow_orders(name), f"orders:{name}")

    async def _follow_orders(self, source: str) -> None:
        """Watch and snapshot the orders of an account or group (once per source).

        Subscribe first, then take the snapshot: a change in between arrives on the
        stream, and the snapshot never overwrites an update the stream already gave."""
        if source in self._order_sources:
            return
        self._order_sources.add(source)
        self._spawn(self._watch_orders(source), f"watch_orders:{source}")
        await asyncio.sleep(0)
        for order in await self.broker.fetch_orders(source):
            if order.key not in self.orders:
                self._remember(order.instrument)
                self.orders[order.key] = order
                self._dirty["orders"][order.key] = order

    def group_orders(self) -> list[Order]:
        """Orders placed to an allocation group (their ``account_id`` is the group)."""
        return [o for o in self.orders.values() if o.account_id in self.groups]

    def client_accounts(self) -> list[Account]:
        """Accounts that hold positions: every account but an advisor's master."""
        return [a for a in self.accounts.values() if not a.is_master]

    def consolidated_positions(self) -> list[Position]:
        """The clients' positions summed per instrument (see :func:`consolidate_positions`)."""
        clients = {a.account_id for a in self.client_accounts()}
        return consolidate_positions(p for p in self.positions.values() if p.account_id in clients)
