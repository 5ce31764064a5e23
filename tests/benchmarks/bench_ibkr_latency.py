"""IBKR fill latency benchmark: paper fill -> FILLED on watch_orders(group) and ->
every client's fills via fetch_fills, against the gateway emulator at IBKR's real
pacing (``/iserver/account/orders`` and ``/iserver/account/trades``: 1 request per 5 s).

Per run: start the emulator (tests/fakes/ibkr, enforcing the limits) and an
``IbkrBroker`` with its default (real) pacing; load what the advisor UI loads at start
(fetch_orders of the 5 accounts and 5 groups while watching each, fetch_fills of the
5 accounts); place a 100-share limit buy above the market to the group ByNetLiq; move
the paper market a minute at a time until it fills. Then it times (seconds from the
paper fill) the FILLED order on ``watch_orders("ByNetLiq")``, and, starting at that
moment as the UI does, ``fetch_fills`` of each client of the group until all its
allocations are listed. Meanwhile, as the UI does, every account's fills are polled
in turn every 2 s (BrokerService's poll loop), which keeps the trades endpoint busy.

    .venv/bin/python tests/benchmarks/bench_ibkr_latency.py [--runs 3] [--no-sor] [--settle]

``--no-sor``: the emulator sends no websocket ``sor`` frames (as some gateway builds
reportedly do), so only REST polling finds the fill. ``--settle``: place the order
only after the start-up loads finished (steady state) instead of at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from desktop.brokers.ibkr import IbkrBroker  # noqa: E402
from desktop.domain import OrderRequest, OrderSide, OrderStatus, OrderType  # noqa: E402
from tests.fakes.ibkr import running_gateway  # noqa: E402

GROUP = "ByNetLiq"
CLIENTS = ["DU100001", "DU100002", "DU100003", "DU100004"]
QUANTITY = Decimal(100)


async def one_run(*, sor: bool, settle: bool) -> dict[str, float]:
    """One measured fill; returns seconds from the paper fill to each event."""
    with tempfile.TemporaryDirectory() as tmp:
        async with running_gateway(tmp, authenticated=True) as gw:
            gw.state.pacing = True
            if not sor:
                gw.state.sor_frames = False
            broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint)
            await broker.connect()
            try:
                return await _measure(gw, broker, settle)
            finally:
                await broker.close()


async def _measure(gw, broker: IbkrBroker, settle: bool) -> dict[str, float]:
    accounts = [a.account_id for a in await broker.fetch_accounts()]
    groups = [g.name for g in await broker.fetch_allocation_groups()]
    filled_at: dict[str, float] = {}
    order_id: list[str] = []

    async def watch(source: str) -> None:
        async for order in broker.watch_orders(source):
            if order_id and order.order_id == order_id[0] and order.status is OrderStatus.FILLED:
                filled_at.setdefault("order", time.monotonic())

    async def ui_poll_loop() -> None:
        """What BrokerService._poll_loop does: every 2 s, each account's fills in turn."""
        while True:
            await asyncio.sleep(2.0)
            for account in accounts:
                await broker.fetch_fills(account)

    watchers = [asyncio.ensure_future(watch(s)) for s in accounts + groups]
    watchers.append(asyncio.ensure_future(ui_poll_loop()))
    start_loads = asyncio.gather(*[broker.fetch_orders(s) for s in accounts + groups],
                                 *[broker.fetch_fills(a) for a in accounts])
    if settle:
        await start_loads
    await broker.suppress_questions(["o163", "p6", "o354"])
    inst = (await broker.search_instruments("AAPL"))[0]
    last = gw.paper.market.last_price("AAPL")
    request = OrderRequest(connection_id="ibkr", account_id=GROUP, instrument=inst, side=OrderSide.BUY, type=OrderType.LIMIT,
                           amount=QUANTITY, limit_price=(last * Decimal("1.02")).quantize(Decimal("0.01")))
    order = await broker.create_order(request)
    order_id.append(order.order_id)
    for _ in range(30):
        gw.paper.advance_minutes(1)
        if all(o.status is OrderStatus.FILLED for o in await gw.paper.fetch_orders(GROUP)):
            break
    paper_fill = time.monotonic()
    while "order" not in filled_at:
        await asyncio.sleep(0.01)

    async def client_fills(client: str) -> None:
        while True:
            fills = await broker.fetch_fills(client)
            if any(f.order_id == order.order_id for f in fills):
                filled_at[client] = time.monotonic()
                return
            await asyncio.sleep(0.5)

    await asyncio.gather(*(client_fills(c) for c in CLIENTS))
    for w in watchers:
        w.cancel()
    start_loads.cancel()
    await asyncio.gather(*watchers, start_loads, return_exceptions=True)
    return {"order FILLED": filled_at["order"] - paper_fill,
            "all client fills": max(filled_at[c] for c in CLIENTS) - paper_fill}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-sor", action="store_true", help="the emulator sends no sor frames")
    parser.add_argument("--settle", action="store_true", help="order after the start-up loads finished")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results = []
    for i in range(args.runs):
        result = asyncio.run(one_run(sor=not args.no_sor, settle=args.settle))
        results.append(result)
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.items()), flush=True)
    print(f"IBKR fill latency over {args.runs} runs (seconds from the paper fill; real pacing; "
          f"sor frames {'off' if args.no_sor else 'on'}; {'steady state' if args.settle else 'right after start'})")
    print(f"{'figure':<20}{'median':>10}{'worst':>10}")
    for key in results[0]:
        values = [r[key] for r in results]
        print(f"{key:<20}{statistics.median(values):>10.2f}{max(values):>10.2f}")


if __name__ == "__main__":
    main()
