"""The Connect Trade API Cookbook's samples, reproduced call for call and field for
field (source: the cookbook, /work/shared/seeds/000_22acd433f5b2ef22.txt; laid out in
specs/connecttrade/NOTES.md section 3). Not read at run time: copied here.

Changes, all outside the requests and the fields read: ``requests`` is httpx (the
same ``get/post/delete/patch(url, headers=, params=, json=)`` calls, ``raise_for_status``
and ``json()``); ``BASE_URL``, the mdstream URL, ``YOUR_ACCOUNT_ID`` and
``YOUR_CONNECTION_ID`` are the fake's; each sample is a function that returns what it
printed (lines) instead of printing; "today" is a parameter (the cookbook takes
``datetime.now(timezone.utc)``; the fake's market runs on the paper replay's clock).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx as requests
import websockets


class Cookbook:
    """The samples against ``base_url`` / ``mdstream_url`` with ``headers``."""

    def __init__(self, base_url: str, mdstream_url: str, headers: dict[str, str]) -> None:
        self.BASE_URL = base_url
        self.MDSTREAM = mdstream_url
        self.HEADERS = dict(headers)

    # -- the cookbook's helpers -----------------------------------------------------
    def get(self, path, params=None):
        r = requests.get(f"{self.BASE_URL}{path}", headers=self.HEADERS, params=params)
        r.raise_for_status()
        return r.json()

    def post(self, path, body):
        r = requests.post(f"{self.BASE_URL}{path}", headers={**self.HEADERS, "Content-Type": "application/json"},
                          json=body)
        r.raise_for_status()
        return r.json()

    def delete(self, path):
        r = requests.delete(f"{self.BASE_URL}{path}", headers=self.HEADERS)
        r.raise_for_status()
        return r.json()

    def patch(self, path, body):
        r = requests.patch(f"{self.BASE_URL}{path}", headers={**self.HEADERS, "Content-Type": "application/json"},
                           json=body)
        r.raise_for_status()
        return r.json()

    # -- samples --------------------------------------------------------------------
    def balances(self):
        out = []
        balances = self.get("/balances")
        for bal in balances:
            out.append(f"Account {bal['account_number']}: "
                       f"cash={bal['cash']}, buying_power={bal['buying_power']}")
        return out

    def positions(self):
        out = []
        positions = self.get("/positions")
        for pos in positions:
            out.append(f"{pos['symbol']}: {pos['quantity']} shares @ {pos['last_price']}, "
                       f"unrealized P&L: {pos['unrealized_pl']}")
        return out

    def open_orders(self):
        out = []
        orders = self.get("/orders", params={"status": "open"})
        for order in orders:
            out.append(f"{order['symbol']} {order['side']} {order['order_qty']} "
                       f"({order['order_type']}) — {order['normalized_status']}")
        return out

    def filled_orders(self):
        out = []
        orders = self.get("/orders", params={"status": "filled", "sort": "last_exec_time:desc", "limit": "20"})
        for order in orders:
            fills = order.get("fills", [])
            total_filled = sum(float(f["quantity"]) for f in fills)
            out.append(f"{order['symbol']} {order['side']} filled {total_filled} shares")
        return out

    def accounts(self):
        out = []
        accounts = self.get("/accounts")
        for acct in accounts:
            out.append(f"{acct['institution_name']} — {acct['account_number']} (id: {acct['account_id']})")
        return out

    def transactions(self, start_date="2025-06-01", end_date="2025-06-30"):
        out = []
        txns = self.get("/transactions", params={
            "start_date": start_date,
            "end_date": end_date
        })
        for txn in txns:
            out.append(f"{txn['transaction_type']}: {txn.get('symbol', 'N/A')} — {txn.get('amount', 'N/A')}")
        return out

    def market_order(self, account_id):
        order = self.post("/orders", {
            "account_id": account_id,
            "cl_order_id": str(uuid.uuid4())[:30],
            "broker": "ALPACA",
            "side": "BUY",
            "order_qty": "10",
            "order_type": "MKT",
            "order_tif": "DAY",
            "instrument": "STK",
            "symbol": "AAPL"
        })
        return [f"Order {order['order_id']} — status: {order['normalized_status']}"], order

    def cancel_all(self):
        out = []
        orders = self.get("/orders", params={"status": "open"})
        for order in orders:
            result = self.delete(f"/accounts/{order['account_id']}/orders/{order['order_id']}")
            out.append(f"Cancelled {order['symbol']} {order['side']} — {result['message']}")
        return out

    def total_unrealized(self):
        positions = self.get("/positions")
        total_pl = sum(
            float(p["unrealized_pl"])
            for p in positions
            if p.get("unrealized_pl") is not None
        )
        return [f"Total unrealized P&L: ${total_pl:,.2f}"], total_pl

    def fills_today(self, today):
        out = []
        orders = self.get("/orders", params={
            "status": "all",
            "start_time": today,
            "sort": "last_exec_time:desc",
            "limit": "500"
        })
        fills = []
        for order in orders:
            for fill in order.get("fills", []):
                fills.append({
                    "symbol": order["symbol"],
                    "side": order["side"],
                    "price": fill["price"],
                    "quantity": fill["quantity"],
                    "time": fill["time"],
                })
        out.append(f"Total fills today: {len(fills)}")
        for f in fills[:10]:
            out.append(f" {f['time']} {f['symbol']} {f['side']} {f['quantity']} @ {f['price']}")
        return out, fills

    def momentum(self, connection_id):
        async def spy_momentum():
            token_resp = self.get(f"/connections/{connection_id}/token")
            access_token = token_resp["access_token"]
            async with websockets.connect(self.MDSTREAM) as ws:
                await ws.send(json.dumps({
                    "action": "authenticate",
                    "access_token": access_token,
                    "request_id": str(uuid.uuid4()),
                    "version": "v1.0"
                }))
                auth = json.loads(await ws.recv())
                assert auth["type"] == "auth_success"
                await ws.send(json.dumps({
                    "action": "subscribe",
                    "channel": "bars",
                    "symbol": "SPY",
                    "interval": "1d",
                    "session": "USEqCore",
                    "request_id": str(uuid.uuid4()),
                    "backfill_nbars": 20
                }))
                bars = []
                async for raw in ws:
                    msg = json.loads(raw)
                    if msg.get("type") == "subscribed":
                        continue
                    if "c" in msg:
                        bars.append(float(msg["c"]))
                    if len(bars) >= 20:
                        momentum = (bars[-1] / bars[0]) - 1
                        return [f"SPY 20-day momentum: {momentum:+.2%}"], bars, momentum
            return [], bars, None

        return asyncio.run(spy_momentum())

    def vwap(self, today):
        orders = self.get("/orders", params={
            "status": "filled",
            "symbols": "AAPL",
            "start_time": today,
            "limit": "500"
        })
        total_qty = 0
        total_cost = 0
        for order in orders:
            for fill in order.get("fills", []):
                qty = float(fill["quantity"])
                px = float(fill["price"])
                total_qty += qty
                total_cost += qty * px
        if total_qty > 0:
            vwap = total_cost / total_qty
            return [f"AAPL execution VWAP: ${vwap:.4f} ({total_qty:.0f} shares)"], vwap, total_qty
        return [], None, total_qty

    def concentration(self):
        out = []
        positions = self.get("/positions")
        values = []
        for pos in positions:
            if pos.get("last_price") and pos.get("quantity"):
                mv = float(pos["last_price"]) * float(pos["quantity"])
                values.append((pos["symbol"], mv))
        total = sum(v for _, v in values)
        values.sort(key=lambda x: -x[1])
        out.append("Portfolio concentration:")
        for sym, mv in values:
            pct = mv / total * 100 if total else 0
            out.append(f" {sym}: ${mv:,.0f} ({pct:.1f}%)")
        return out, values
