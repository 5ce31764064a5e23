"""Ad-hoc FA allocation: an order's ``jsonPayload.allocation_profile`` is honoured.

Spec (``singleOrderSubmissionRequest``): ``"jsonPayload": {"allocation_profile":
{"alloc_type": "SHARE" | "CASH", "allocations": [{"account": "U1", "amount": 60},
...]}}`` - "how the order should be allocated amongst subaccount(s)" (NOTES.md
section 3). The fake honours it the way it honours a saved group of method S (SHARE:
``amount`` shares each) or C (CASH: ``amount`` money each, whole shares at the limit
price, else the market: ask for a buy, bid for a sell), with
:meth:`desktop.domain.AllocationGroup.allocate`; the order's ``quantity`` must be the
size the allocations add up to, as for S/C groups (TWS: "the order size is calculated
by adding together the number of shares").

It is refused (``{"error": ...}``, HTTP 200, nothing placed), never ignored, when:
the order is not placed to the advisor account (an order goes to one account, one
group, or the advisor's account with an allocation, NOTES.md section 9 item 10), the
profile is not an object, ``alloc_type`` is not in the spec's enum, an allocation
names no client of the advisor or a non-positive amount, or the sizes disagree.

One IBKR order stands for it: a child paper order per client account allocated
shares, same client order id. Callers see only the IBKR order: under the advisor
account in live orders (status/filled/average aggregated, as a group order's), its
id on every client's trades with ``account_allocation_name`` = the advisor account;
the children stay out of the clients' live orders. Cancel cancels every child; a
modify may change the prices (every working child), not the size (refused: cancel
and place again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.brokers.errors import BrokerError
from desktop.brokers.paper.group_orders import aggregate
from desktop.domain import AllocationError, AllocationGroup, AllocationMember, Order, OrderRequest, OrderSide, OrderStatus
from desktop.domain.order import order_from_request

from .payloads import STATUS

PROFILE_METHODS = {"SHARE": "S", "CASH": "C"}
"""``alloc_type`` (spec enum) -> the allocation method it is split by."""


class AllocationProfileError(ValueError):
    """The ``allocation_profile`` cannot be honoured (the message is the gateway's error)."""


@dataclass
class AdhocOrder:
    """One order placed with an ``allocation_profile``: ``account`` (the advisor
    account it went to), ``base`` (the order as placed, total size), ``children``
    (client account -> paper order id)."""

    ibkr_id: int
    account: str
    base: Order
    children: dict[str, str] = field(default_factory=dict)


def _number(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise AllocationProfileError(f"allocation_profile: {what} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise AllocationProfileError(f"allocation_profile: {what} must be a number, got {value!r}")
    return number


def _price(gw, request: OrderRequest) -> Decimal | None:
    if request.limit_price is not None:
        return request.limit_price
    try:
        quote = gw.paper.market.quote(request.symbol)
    except BrokerError:
        return None
    price = quote.ask if request.side is OrderSide.BUY else quote.bid
    return price if price is not None and price > 0 else quote.last


def split_of(gw, account: str, request: OrderRequest, body: dict[str, Any]) -> dict[str, Decimal] | None:
    """The allocation (client account -> shares > 0) ``body``'s ``allocation_profile``
    asks for, or None when it has none. Raises AllocationProfileError (see module doc)."""
    payload = body.get("jsonPayload")
    profile = payload.get("allocation_profile") if isinstance(payload, dict) else None
    if profile is None:
        return None
    if not isinstance(profile, dict):
        raise AllocationProfileError("allocation_profile must be an object with alloc_type and allocations")
    if gw.group(account) is not None:
        raise AllocationProfileError(f"an order goes to one account, one group or one allocation_profile: "
                                     f"{account} is a group, remove the allocation_profile or place it to {gw.master_id}")
    if account != gw.master_id or len(gw.client_ids) == 0:
        raise AllocationProfileError(f"allocation_profile needs the advisor account {gw.master_id} as accountId, "
                                     f"not {account}")
    method = PROFILE_METHODS.get(str(profile.get("alloc_type", "")).upper())
    if method is None:
        raise AllocationProfileError(f"allocation_profile.alloc_type must be SHARE or CASH, "
                                     f"got {profile.get('alloc_type')!r}")
    rows = profile.get("allocations")
    if not isinstance(rows, list) or not rows:
        raise AllocationProfileError("allocation_profile.allocations must list at least one {account, amount}")
    members = []
    for row in rows:
        aid = str(row.get("account", "")) if isinstance(row, dict) else ""
        if aid not in gw.client_ids:
            raise AllocationProfileError(f"allocation_profile: {aid or row!r} is not a client account of {gw.master_id} "
                                         f"({', '.join(gw.client_ids)})")
        members.append(AllocationMember(account_id=aid, amount=_number(row.get("amount"), f"amount of {aid}")))
    try:
        group = AllocationGroup(name="allocation_profile", method=method, members=tuple(members))
        split = group.allocate(request.amount if method == "S" else None, price=_price(gw, request))
    except (AllocationError, ValueError) as exc:
        raise AllocationProfileError(f"allocation_profile: {exc}") from None
    total = sum(split.values(), Decimal(0))
    if total != request.amount:
        raise AllocationProfileError(f"allocation_profile: the CASH amounts buy {total} shares at "
                                     f"{_price(gw, request)}; quantity is {request.amount}")
    return {aid: qty for aid, qty in split.items() if qty > 0}


async def place(gw, account: str, request: OrderRequest, split: dict[str, Decimal],
                confirm: Callable[[Any], Awaitable[bool]]) -> list[dict] | dict:
    """Place one child order per allocated client; the success list or ``{"error"}``
    (a child the paper broker refuses cancels the others: nothing stays placed)."""
    key = f"adhoc-{len(gw.state.adhoc) + 1}"
    ibkr_id = gw.state.ibkr_order_id(account, key)
    base = order_from_request(request, gw.paper.name, key, OrderStatus.ACCEPTED, now=gw.paper.replay_now)
    rec = AdhocOrder(ibkr_id, account, base)
    for aid, qty in split.items():
        try:
            child = await gw.paper.create_order(request.model_copy(update={"account_id": aid, "amount": qty}),
                                                confirm=confirm)
        except BrokerError as exc:
            for placed_to, pid in rec.children.items():
                try:
                    await gw.paper.cancel_order(placed_to, pid)
                except BrokerError:
                    pass
            return {"error": f"{aid}: {exc}"}
        rec.children[aid] = child.order_id
        gw.state.ibkr_ids[child.order_id] = ibkr_id  # fills of the child carry the IBKR order's id
    gw.state.adhoc[ibkr_id] = rec
    gw.state.placements += 1
    view = await view_of(gw, rec)
    return [{"order_id": str(ibkr_id), "order_status": STATUS[view.status], "encrypt_message": "1"}]


def parent_of(gw, paper_id: str) -> AdhocOrder | None:
    """The ad-hoc order whose child is paper order ``paper_id``, or None."""
    ibkr_id = gw.state.ibkr_ids.get(paper_id)
    rec = gw.state.adhoc.get(ibkr_id) if ibkr_id is not None else None
    return rec if rec is not None and paper_id in rec.children.values() else None


async def children_of(gw, rec: AdhocOrder) -> dict[str, Order]:
    """Client account -> the child order as the paper broker has it now."""
    out = {}
    for aid, pid in rec.children.items():
        try:
            out[aid] = next(o for o in await gw.paper.fetch_orders(aid) if o.order_id == pid)
        except (BrokerError, StopIteration):
            continue
    return out


async def view_of(gw, rec: AdhocOrder) -> Order:
    """The IBKR order: ``base`` with status / filled / average of its children."""
    return aggregate(rec.base, list((await children_of(gw, rec)).values()), gw.paper.replay_now)


async def cancel(gw, rec: AdhocOrder) -> None:
    """Cancel every working child."""
    for aid, child in (await children_of(gw, rec)).items():
        if child.is_open:
            await gw.paper.cancel_order(aid, child.order_id)


async def modify(gw, rec: AdhocOrder, wanted: OrderRequest, confirm: Callable[[Any], Awaitable[bool]]) -> Order:
    """New prices for every working child; raises AllocationProfileError for a new size."""
    if wanted.amount != rec.base.amount:
        raise AllocationProfileError(f"the size of an allocation_profile order cannot change ({rec.base.amount}); "
                                     f"cancel it and place a new one")
    for aid, child in (await children_of(gw, rec)).items():
        if child.is_open:
            await gw.paper.modify_order(aid, child.order_id, limit_price=wanted.limit_price,
                                        stop_price=wanted.stop_price, confirm=confirm)
    rec.base = rec.base.model_copy(update={"limit_price": wanted.limit_price, "stop_price": wanted.stop_price})
    return await view_of(gw, rec)
