"""Every AccountOrderRecord status of api.yaml (and the v2 names) maps onto an
OrderStatus, served by the fake and read by the adapter."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from desktop.brokers.snaptrade.statuses import STATUS
from desktop.domain import OrderStatus


from .helpers import limit, linked_broker, tick

SPEC = Path(__file__).resolve().parent.parent / "contracts" / "snaptrade" / "snaptrade-api-subset.json"
EXPECTED = {
    "NONE": OrderStatus.SUBMITTED, "PENDING": OrderStatus.SUBMITTED, "QUEUED": OrderStatus.SUBMITTED,
    "PENDING_RISK_REVIEW": OrderStatus.SUBMITTED, "ACCEPTED": OrderStatus.ACCEPTED,
    "CONTINGENT_ORDER": OrderStatus.ACCEPTED, "ACTIVATED": OrderStatus.ACCEPTED, "SUSPENDED": OrderStatus.ACCEPTED,
    "TRIGGERED": OrderStatus.TRIGGERED, "STOPPED": OrderStatus.TRIGGERED, "PARTIAL": OrderStatus.PARTIALLY_FILLED,
    "EXECUTED": OrderStatus.FILLED, "CANCEL_PENDING": OrderStatus.PENDING_CANCEL,
    "REPLACE_PENDING": OrderStatus.PENDING_UPDATE, "CANCELED": OrderStatus.CANCELED,
    "PARTIAL_CANCELED": OrderStatus.CANCELED, "REPLACED": OrderStatus.CANCELED, "EXPIRED": OrderStatus.EXPIRED,
    "REJECTED": OrderStatus.REJECTED, "FAILED": OrderStatus.REJECTED,
}


def test_the_map_covers_every_status_of_the_spec():
    spec = json.loads(SPEC.read_text())
    statuses = spec["components"]["schemas"]["AccountOrderRecordStatus"]["enum"]
    assert len(statuses) == 20 and set(statuses) == set(EXPECTED)
    assert {s: STATUS[s] for s in statuses} == EXPECTED
    for v2 in ("PENDING", "REJECTED", "CANCELED", "CANCEL_PENDING", "PARTIAL_CANCELED", "EXECUTED",
               "PARTIALLY_EXECUTED", "REPLACED", "REPLACE_PENDING", "EXPIRED"):
        assert v2 in STATUS


def test_each_status_the_fake_serves_reads_as_its_order_status(tmp_path, arun):
    async def scenario():
        async with linked_broker(tmp_path) as (fake, broker):
            account = fake.account_for("ALPACA").id
            price = fake.paper.market.last_price("AAPL")
            order = await broker.create_order(limit(account, tick(price * Decimal("0.7"))))
            seen = {}
            for status in EXPECTED:
                fake.state.status_override[order.order_id] = status
                broker._cache.invalidate()
                found = {o.order_id: o for o in await broker.fetch_orders(account)}[order.order_id]
                seen[status] = (found.status, found.message)
            return seen

    seen = arun(scenario(), timeout=60)
    assert {s: v[0] for s, v in seen.items()} == EXPECTED
    assert "replaced" in seen["REPLACED"][1] and "suspended" in seen["SUSPENDED"][1]
