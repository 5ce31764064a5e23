"""Group orders of the paper advisor demo: one order split over client accounts.

A group order (``account_id`` == ``allocation_group`` == the group's name) is split
with :meth:`AllocationGroup.allocate` into one *child* order per client that gets a
quantity (accounts allocated 0 get none). Each child is an ordinary order of the
client's own :class:`MatchingEngine`, stamped with the group's name and the group
order's ``client_order_id``; it matches and books fills in that client's ledger.
Children are internal: callers see the group order, whose state aggregates them
(:func:`aggregate`), and the clients' fills, re-labelled with the group order's id
(:meth:`GroupDesk.public_fill`).

Pure bookkeeping over the engines: no asyncio, Qt or I/O. The group orders themselves
are persisted by the broker (they are ordinary Order rows); which children belong to
which group order is rebuilt from the engines on restore (same client order id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from desktop.domain import AccountValues, AllocationError, AllocationGroup, Bar, Fill, Order, OrderRequest, OrderStatus
from desktop.domain.order import order_from_request

from ..errors import InvalidRequestError, NotFoundError, OrderRejectedError
from .ledger import ZERO, tidy
from .matching import Event, MatchingEngine

_S = OrderStatus


@dataclass
class GroupRecord:
    """A group order's latest snapshot and its children (client id -> child order id)."""

    order: Order
    children: dict[str, str] = field(default_factory=dict)


def aggregate(group_order: Order, children: Sequence[Order], now: datetime | None = None) -> Order:
    """``group_order`` with filled / average / commission / status / message from ``children``.

    ``filled`` and ``commission`` are sums, ``average`` the fill-weighted average
    price. Status: no child or every child REJECTED -> REJECTED; any child working ->
    PARTIALLY_FILLED when something filled, else TRIGGERED when a child triggered,
    else ACCEPTED; all closed -> FILLED when the whole amount filled, else EXPIRED
    when a child expired, else CANCELED (e.g. a child was canceled or rejected).
    The message names every rejected / canceled child: "DU100004: <reason>".
    """
    filled = sum((c.filled for c in children), ZERO)
    notional = sum((c.filled * c.average for c in children if c.filled and c.average is not None), ZERO)
    statuses = [c.status for c in children]
    if not children or all(s is _S.REJECTED for s in statuses):
        status = _S.REJECTED
    elif any(s.is_working for s in statuses):
        status = (_S.PARTIALLY_FILLED if filled else _S.TRIGGERED if _S.TRIGGERED in statuses else _S.ACCEPTED)
    elif filled >= group_order.amount:
        status = _S.FILLED
    else:
        status = _S.EXPIRED if _S.EXPIRED in statuses else _S.CANCELED
    notes = [f"{c.account_id}: {c.message}" for c in children
             if c.status in (_S.REJECTED, _S.CANCELED, _S.EXPIRED) and c.message]
    if not children and group_order.message:
        notes = [group_order.message]
    stamps = [c.updated_at for c in children] or [now or group_order.updated_at]
    return group_order.model_copy(update={
        "filled": filled, "remaining": group_order.amount - filled,
        "average": tidy(notional / filled) if filled else None,
        "commission": sum((c.commission for c in children), ZERO),
        "status": status, "message": "; ".join(notes), "updated_at": max(stamps)})


class GroupDesk:
    """The advisor demo's group orders over the clients' ``engines`` (a live mapping
    client id -> engine, owned by the broker) and ``groups`` (by name)."""

    def __init__(self, groups: Iterable[AllocationGroup], engines: Mapping[str, MatchingEngine]) -> None:
        self.groups = {g.name: g for g in groups}
        self.engines = engines
        self._records: dict[str, GroupRecord] = {}
        self._by_cid: dict[str, str] = {}
        self._child_group: dict[str, str] = {}  # child order id -> group order id
        self._counter = 0

    # -- queries ----------------------------------------------------------------
    def group(self, name: str) -> AllocationGroup | None:
        """The group called ``name`` (exact spelling), or None."""
        return self.groups.get(name)

    def orders(self, group: str, status: Iterable[OrderStatus] | None = None) -> list[Order]:
        """The group orders of ``group`` in placement order, optionally by status."""
        wanted = None if status is None else set(status)
        return [r.order for r in self._records.values()
                if r.order.account_id == group and (wanted is None or r.order.status in wanted)]

    def by_client_id(self, client_order_id: str) -> Order | None:
        """The group order placed with ``client_order_id``, or None."""
        oid = self._by_cid.get(client_order_id)
        return self._records[oid].order if oid else None

    def get(self, group: str, order_id: str) -> GroupRecord:
        """The record of group order ``order_id`` of ``group``. Raises NotFoundError."""
        rec = self._records.get(order_id)
        if rec is None or rec.order.account_id != group:
            raise NotFoundError(f"order {order_id} not found in group {group}")
        return rec

    def children(self, rec: GroupRecord) -> list[Order]:
        """The child orders of ``rec`` in member order (their latest snapshots)."""
        return [self.engines[aid].get_order(oid) for aid, oid in rec.children.items()]

    def public_fill(self, fill: Fill) -> Fill:
        """A child's fill as callers see it: ``order_id`` = the group order's id."""
        gid = self._child_group.get(fill.order_id)
        return fill.model_copy(update={"order_id": gid}) if gid else fill

    # -- restore ----------------------------------------------------------------
    def restore(self, group_orders: Iterable[Order], counter_floor: int = 0) -> None:
        """Rebuild from the saved group orders and the engines' child orders; then
        re-aggregate (a child may have moved on after the group row was saved).
        ``counter_floor``: the highest group order number stored (also in rows that
        did not load), so that no group order id is issued twice."""
        self._counter = max(self._counter, counter_floor)
        for order in group_orders:
            self._records[order.order_id] = GroupRecord(order)
            self._by_cid[order.client_order_id] = order.order_id
            self._counter = max(self._counter, _number(order.order_id))
        for aid, engine in self.engines.items():
            for child in engine.orders():
                gid = self._by_cid.get(child.client_order_id) if child.allocation_group else None
                if gid is not None:
                    self._records[gid].children[aid] = child.order_id
                    self._child_group[child.order_id] = gid
        for rec in self._records.values():
            members = list(self.groups[rec.order.account_id].account_ids) if rec.order.account_id in self.groups else []
            rec.children = dict(sorted(rec.children.items(), key=lambda kv: members.index(kv[0]) if kv[0] in members else 99))
            if rec.children:
                rec.order = aggregate(rec.order, self.children(rec))

    # -- placing ----------------------------------------------------------------
    def split(self, group: AllocationGroup, amount: Decimal, values: Sequence[AccountValues],
              price: Decimal | None) -> dict[str, Decimal]:
        """``group.allocate`` of ``amount``; AllocationError becomes OrderRejectedError."""
        try:
            return group.allocate(amount, values, price=price)
        except AllocationError as exc:
            raise OrderRejectedError(f"cannot allocate {amount} over group {group.name}: {exc}", code="ALLOCATION") from None

    def place(self, request: OrderRequest, split: Mapping[str, Decimal], now: datetime, last: Decimal | None,
              bar: Bar | None) -> tuple[Order, list[Event]]:
        """Place group order ``request`` (account_id = the group) as one child per
        account of ``split`` with a quantity > 0. Returns (the aggregated group order,
        the child engines' events). Children are placed in member order."""
        group = request.account_id
        self._counter += 1
        gid = f"G{self._counter:06d}"
        order = order_from_request(request, "paper", gid, _S.ACCEPTED, now=now)
        rec = GroupRecord(order.model_copy(update={"allocation_group": group}))
        self._records[gid], self._by_cid[request.client_order_id] = rec, gid
        events: list[Event] = []
        for aid, qty in split.items():
            if qty <= 0:
                continue
            events += self._submit_child(rec, aid, request, qty, now, last, bar)
        if not rec.children:
            rec.order = rec.order.model_copy(update={"status": _S.REJECTED, "message": "no account was allocated a quantity"})
        return self.refresh(rec, now), events

    def _submit_child(self, rec: GroupRecord, aid: str, request: OrderRequest, qty: Decimal, now: datetime,
                      last: Decimal | None, bar: Bar | None) -> list[Event]:
        child = request.model_copy(update={"account_id": aid, "amount": qty})
        events = self.engines[aid].submit(child, now, last, bar, allocation_group=rec.order.account_id)
        rec.children[aid] = events[0].order_id
        self._child_group[events[0].order_id] = rec.order.order_id
        return events

    def refresh(self, rec: GroupRecord, now: datetime | None = None) -> Order:
        """Re-aggregate ``rec`` from its children; returns (and stores) the new snapshot."""
        if rec.children:
            rec.order = aggregate(rec.order, self.children(rec), now)
        return rec.order

    def on_events(self, events: Iterable[Event]) -> list[Order]:
        """The new snapshots of the group orders whose children appear in ``events``
        (only those that changed), in first-affected order."""
        touched: dict[str, None] = {}
        for ev in events:
            if isinstance(ev, Order) and (gid := self._child_group.get(ev.order_id)):
                touched[gid] = None
        out = []
        for gid in touched:
            rec = self._records[gid]
            before = rec.order
            if self.refresh(rec) != before:
                out.append(rec.order)
        return out

    # -- cancel / modify --------------------------------------------------------
    def cancel(self, group: str, order_id: str, now: datetime) -> list[Event]:
        """Cancel every working child of group order ``order_id``; returns their
        snapshots. Raises NotFoundError, OrderRejectedError (nothing left working)."""
        rec = self.get(group, order_id)
        working = [c for c in self.children(rec) if c.status.is_working]
        if not working:
            raise OrderRejectedError(f"order {order_id} is {rec.order.status.value.lower()} and can no longer be canceled")
        return [self.engines[c.account_id].cancel(c.order_id, now) for c in working]

    def modify(self, group: str, order_id: str, split: Mapping[str, Decimal] | None, *, amount: Decimal | None,
               limit_price: Decimal | None, stop_price: Decimal | None, now: datetime, last: Decimal | None,
               bar: Bar | None) -> list[Event]:
        """Change group order ``order_id``: prices go to every working child; a new
        ``amount`` (the new total, > filled) is re-split as ``split`` (the allocation
        of ``amount``) and applied child by child (see :func:`modify_targets`): a
        child whose target equals its filled quantity is canceled, an account with
        no child that now gets shares gets a new child. Every child's change is
        checked first: when one is refused nothing changes (OrderRejectedError naming
        the account). Returns the children's events. Raises NotFoundError,
        OrderRejectedError, InvalidRequestError (amount, prices)."""
        rec = self.get(group, order_id)
        if rec.order.status.is_closed:
            raise OrderRejectedError(f"order {order_id} is {rec.order.status.value.lower()} and can no longer be modified")
        children = {c.account_id: c for c in self.children(rec)}
        targets = ({aid: c.amount for aid, c in children.items()} if amount is None or split is None
                   else modify_targets(split, children, amount))
        changes = {}  # child account -> its modify arguments; all checked before any is applied
        for aid, target in targets.items():
            child = children.get(aid)
            if child is not None and child.status.is_working and target > child.filled and (
                    target != child.amount or limit_price is not None or stop_price is not None):
                changes[aid] = dict(amount=None if target == child.amount else target, limit_price=limit_price,
                                    stop_price=stop_price, now=now)
                try:
                    self.engines[aid].check_modify(child.order_id, **changes[aid])
                except OrderRejectedError as exc:
                    raise OrderRejectedError(f"{aid}: {exc.message}; nothing was changed", code=exc.code) from None
        events: list[Event] = []
        for aid, target in targets.items():
            child = children.get(aid)
            if child is None:
                if target > 0:
                    req = OrderRequest(connection_id=rec.order.connection_id or "paper", account_id=group,
                                       instrument=rec.order.instrument, side=rec.order.side, type=rec.order.type,
                                       amount=target, time_in_force=rec.order.time_in_force,
                                       limit_price=rec.order.limit_price if limit_price is None else limit_price,
                                       stop_price=rec.order.stop_price if stop_price is None else stop_price,
                                       client_order_id=rec.order.client_order_id)
                    events += self._submit_child(rec, aid, req, target, now, last, bar)
            elif child.status.is_working and target <= child.filled:
                events.append(self.engines[aid].cancel(child.order_id, now, "canceled: group order reduced"))
            elif aid in changes:
                events.append(self.engines[aid].modify(child.order_id, **changes[aid]))
        update = {k: v for k, v in (("amount", amount), ("limit_price", limit_price), ("stop_price", stop_price)) if v is not None}
        if update:
            if amount is not None:
                update["remaining"] = amount - rec.order.filled
            rec.order = rec.order.model_copy(update={**update, "updated_at": now})
        return events


def modify_targets(split: Mapping[str, Decimal], children: Mapping[str, Order], total: Decimal) -> dict[str, Decimal]:
    """New child quantities when a group order's total becomes ``total``.

    Start from ``split`` (the allocation of ``total``); a child never goes below its
    filled quantity and closed children (filled, canceled, rejected) keep what they
    filled (0 for a rejected child). The difference this makes to the sum is taken
    from (or given to) the working children and the accounts without a child, last
    member first for a surplus, first member first for a shortfall, so the targets
    sum to ``total``. Raises InvalidRequestError when ``total`` is not above the
    filled quantity or there is no working child to absorb the difference.
    """
    filled = sum((c.filled for c in children.values()), ZERO)
    if total <= filled:
        raise InvalidRequestError(f"amount {total} must exceed the filled quantity {filled}", field="amount")
    targets, floors, flexible = {}, {}, []
    for aid, share in split.items():
        child = children.get(aid)
        if child is not None and not child.status.is_working:
            targets[aid] = floors[aid] = child.filled
            continue
        floors[aid] = child.filled if child is not None else ZERO
        targets[aid] = max(share, floors[aid])
        flexible.append(aid)
    diff = sum(targets.values(), ZERO) - total
    if diff and not flexible:
        raise InvalidRequestError("no working child order can take the new amount", field="amount")
    for aid in reversed(flexible) if diff > 0 else flexible:
        if diff > 0:
            take = min(diff, targets[aid] - floors[aid])
            targets[aid] -= take
            diff -= take
        elif diff < 0:
            targets[aid] -= diff
            diff = ZERO
    return targets


def _number(order_id: str) -> int:
    digits = order_id.lstrip("G")
    return int(digits) if digits.isdigit() else 0


__all__ = ["GroupDesk", "GroupRecord", "aggregate", "modify_targets"]
