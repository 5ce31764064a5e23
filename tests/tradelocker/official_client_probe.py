"""Drive the official TradeLocker Python client (PyPI ``tradelocker``) against the
fake, printing one JSON line of what it saw. Run by test_official_client.py in a
process of its own: this test package is importable as ``tradelocker`` under pytest,
which would shadow the client."""

from __future__ import annotations

import asyncio
import json
import threading


def main() -> None:
    from tradelocker import TLAPI

    from tests.fakes.tradelocker import FakeTradeLocker

    fake = FakeTradeLocker()
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        fake.advance_minutes(5)
        started.set()
        loop.run_forever()
        loop.run_until_complete(fake.stop())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(30)
    try:
        tl = TLAPI(environment=fake.environment, username=fake.credentials["email"],
                   password=fake.credentials["password"], server=fake.credentials["server"], log_level="warning")
        accounts = tl.get_all_accounts()
        iid = tl.get_instrument_id_from_symbol_name("AAPL")
        ask = tl.get_latest_asking_price(iid)
        order_id = tl.create_order(iid, quantity=0.5, side="buy", type_="market")
        positions = tl.get_all_positions()
        print(json.dumps({"accNums": sorted(int(a) for a in accounts["accNum"]), "iid": int(iid), "ask": ask,
                          "fake_ask": float(fake.market.quote("AAPL").ask),
                          "fake_iid": next(i.tid for i in fake.catalog if i.symbol == "AAPL"),
                          "order_id": str(order_id), "positions": len(positions),
                          "qty": float(positions["qty"].iloc[0]) if len(positions) else None}))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


if __name__ == "__main__":
    main()
