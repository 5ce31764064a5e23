"""Websocket account topics of the fake gateway: trades, account summary, ledger.

Source: NOTES.md section 6 (IBKR Campus "WebSockets", [WSDOC]); the spec has no
websocket schemas. Each is one coroutine run as a subscription task of a
:class:`~.ws.Connection` (cancelled by its unsubscribe message or the socket's end):

- ``str+{"realtimeUpdatesOnly": false, "days": 1}`` (unsubscribe ``utr``): the
  executions of the account selected when subscribing (as ``GET
  /iserver/account/trades``: :func:`~.routes_orders.trade_rows`), first the last
  ``days`` (1-7) of them unless ``realtimeUpdatesOnly``, then each new one:
  ``{"topic": "str", "args": [<trade row>, ...]}`` (same rows as the REST answer).
- ``ssd+<acct>+{"keys": [...], "fields": [...]}`` (unsubscribe ``usd+<acct>+{}``,
  answered ``{"result": "unsubscribed from summary"}``): ``{"topic": "ssd+<acct>",
  "result": [{"key", "currency", "monetaryValue", "severity", "timestamp"}]}``, all
  requested keys first, then only the keys whose value changed. Keys are IBKR's
  account-summary tags (``NetLiquidation``, ``AvailableFunds``, ... and the
  securities segment ``-S``: :data:`SUMMARY_KEYS`); ``keys`` empty or absent: all;
  ``fields`` limits the entry fields sent besides ``key``.
- ``sld+<acct>+{"keys": ["LedgerListBASE"]}`` (unsubscribe ``uld+<acct>+{}``):
  ``{"topic": "sld+<acct>", "result": [<ledger row>]}``, each row the REST ledger's
  currency entry (``GET /portfolio/{accountId}/ledger``) with ``key``
  ``LedgerList<CCY>``; the requested currencies first, then every
  ``state.ledger_interval`` seconds (IBKR: 10) the currencies that changed.

An account that is neither a client nor the advisor account gets ``{"topic":
"ssd+<acct>", "error": ...}`` (``sld`` likewise) and no subscription.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

from .payloads import BY_CONID, ledger, summary

SUMMARY_KEYS: dict[str, str] = {
    "netliquidation": "NetLiquidation", "totalcashvalue": "TotalCashValue", "settledcash": "SettledCash",
    "availablefunds": "AvailableFunds", "buyingpower": "BuyingPower", "excessliquidity": "ExcessLiquidity",
    "equitywithloanvalue": "EquityWithLoanValue", "grosspositionvalue": "GrossPositionValue",
    "initmarginreq": "InitMarginReq", "maintmarginreq": "MaintMarginReq", "accruedcash": "AccruedCash",
    "cushion": "Cushion", "sma": "SMA", "daytradesremaining": "DayTradesRemaining",
}
"""REST summary key -> websocket summary key (``-s`` segment keys become ``-S``)."""


def parse_args(text: str) -> dict[str, Any]:
    """The JSON object after the topic ("" -> {}); raises ValueError for anything else."""
    args = json.loads(text) if text.strip() else {}
    if not isinstance(args, dict):
        raise ValueError(f"arguments must be a JSON object, got {text[:80]!r}")
    return args


def summary_entries(gw, balance, account: str) -> dict[str, dict]:
    """Websocket summary entries by key, from the REST summary of ``balance``."""
    now = gw.paper.replay_now
    out = {}
    for rest_key, entry in summary(balance, account, now).items():
        base, _, segment = rest_key.partition("-")
        name = SUMMARY_KEYS.get(base)
        if name is None:
            continue
        key = f"{name}-{segment.upper()}" if segment else name
        out[key] = {"key": key, "currency": balance.currency, "monetaryValue": entry["amount"], "severity": 0,
                    "timestamp": entry["timestamp"]}
    return out


async def summary_stream(conn, account: str, args: dict[str, Any]) -> None:
    """``ssd``: every requested key once, then the changed ones on each market move."""
    from .routes_portfolio import balance_of

    gw = conn.gw
    keys = {str(k) for k in args.get("keys") or []}
    fields = {str(f) for f in args.get("fields") or []}
    sent: dict[str, Any] = {}
    async for _quote in gw.paper.watch_quotes([c.symbol for c in BY_CONID.values()]):
        entries = summary_entries(gw, await balance_of(gw, account), account)
        changed = []
        for key, entry in entries.items():
            if keys and key not in keys:
                continue
            if sent.get(key) != entry["monetaryValue"]:
                sent[key] = entry["monetaryValue"]
                changed.append({k: v for k, v in entry.items() if k == "key" or not fields or k in fields})
        if changed:
            await conn.send({"topic": f"ssd+{account}", "result": changed})


async def ledger_stream(conn, account: str, args: dict[str, Any]) -> None:
    """``sld``: the requested currencies, then every ``ledger_interval`` the changed ones."""
    from .routes_portfolio import balance_of

    gw = conn.gw
    keys = {str(k) for k in args.get("keys") or []}
    sent: dict[str, dict] = {}
    while True:
        rows = ledger(await balance_of(gw, account), account, gw.paper.replay_now)
        changed = []
        for currency, row in rows.items():
            key = f"LedgerList{currency}"
            entry = dict(row, key=key)
            comparable = {k: v for k, v in entry.items() if k != "timestamp"}
            if (keys and key not in keys) or sent.get(key) == comparable:
                continue
            sent[key] = comparable
            changed.append(entry)
        if changed:
            await conn.send({"topic": f"sld+{account}", "result": changed})
        await asyncio.sleep(gw.state.ledger_interval)


async def trades_stream(conn, args: dict[str, Any]) -> None:
    """``str``: the selected account's executions, the last ``days`` then each new one."""
    from .routes_orders import trade_rows

    gw = conn.gw
    target = gw.state.selected_account
    try:
        days = max(1, min(7, int(args.get("days", 1))))
    except (TypeError, ValueError):
        days = 1
    since = gw.paper.replay_now - timedelta(days=days)
    seen: set[str] = set()
    if args.get("realtimeUpdatesOnly") is True:
        seen = {r["execution_id"] for r in await trade_rows(gw, target, since)}
    queue: asyncio.Queue = asyncio.Queue()

    async def pump(account: str) -> None:
        async for _order in gw.paper.watch_orders(account):
            queue.put_nowait(account)

    pumps = [asyncio.ensure_future(pump(a)) for a in [*gw.client_ids, *gw.group_names]]  # groups: their fills
    try:
        while True:
            rows = [r for r in await trade_rows(gw, target, since) if r["execution_id"] not in seen]
            if rows:
                seen.update(r["execution_id"] for r in rows)
                await conn.send({"topic": "str", "args": rows})
            await queue.get()
            while not queue.empty():  # one look per burst of order updates
                queue.get_nowait()
    finally:
        for p in pumps:
            p.cancel()


def tic_reply(gw) -> dict:
    """The answer to ``tic``: ``{"topic": "tic", "alive": true, "id": <tickle session>,
    "lastAccessed": <ms>}`` (as a live capture shows; not in the spec or NOTES.md)."""
    return {"topic": "tic", "alive": True, "id": gw.state.session, "lastAccessed": int(time.time() * 1000)}
