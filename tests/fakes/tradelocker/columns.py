"""The ``/trade/config`` answer of the fake (specs/tradelocker/NOTES.md section 4).

Column ids are those NOTES.md lists, but each config's ``columns`` come in an order
shuffled per server (seeded), never NOTES.md's listing: a client that zips rows with
a hard-coded order reads wrong fields. :func:`zip_row` is how the fake itself lays a
row out: by the config's column order.
"""

from __future__ import annotations

import random
from typing import Any

LISTED = {
    "positionsConfig": ["id", "tradableInstrumentId", "routeId", "side", "qty", "avgPrice", "stopLossId",
                        "takeProfitId", "openDate", "unrealizedPl", "strategyId"],
    "ordersConfig": ["id", "tradableInstrumentId", "routeId", "qty", "side", "type", "status", "filledQty",
                     "avgPrice", "price", "stopPrice", "validity", "expireDate", "createdDate", "lastModified",
                     "isOpen", "positionId", "stopLoss", "stopLossType", "takeProfit", "takeProfitType",
                     "strategyId"],
    "filledOrdersConfig": ["id", "price", "side", "createdDate", "qty", "orderId", "positionId",
                           "tradableInstrumentId"],
    "accountDetailsConfig": ["balance", "projectedBalance", "availableFunds", "blockedBalance", "cashBalance",
                             "unsettledCash", "withdrawalAvailable", "stocksValue", "optionValue",
                             "initialMarginReq", "maintMarginReq", "marginWarningLevel", "blockedForStocks",
                             "stockOrdersReq", "stopOutLevel", "warningMarginReq", "marginBeforeWarning",
                             "todayGross", "todayNet", "todayFees", "todayVolume", "todayTradesCount",
                             "openGrossPnL", "openNetPnL", "positionsCount", "ordersCount"],
}
LISTED["ordersHistoryConfig"] = list(LISTED["ordersConfig"])

RATE_LIMIT_TYPES = ("GET_ACCOUNTS", "GET_EXECUTIONS", "GET_INSTRUMENTS", "GET_ORDERS", "GET_ORDERS_HISTORY",
                    "GET_POSITIONS", "GET_ACCOUNTS_STATE", "GET_INSTRUMENT_DETAILS", "GET_TRADE_SESSIONS",
                    "GET_SESSION_STATUSES", "PLACE_ORDER", "MODIFY_ORDER", "MODIFY_POSITION", "DAILY_BAR", "QUOTES",
                    "DEPTH", "TRADES", "QUOTES_HISTORY")
"""NOTES.md section 4's rateLimitType values."""

DEFAULT_RATE = (20, "SECONDS", 1)
"""``(limit, measure, intervalNum)`` of every type not in ``rates`` (generous: tests
that check pacing set their own)."""


def shuffled_columns(seed: int) -> dict[str, list[str]]:
    """Each config's column ids in a seeded order that differs from NOTES.md's."""
    rng = random.Random(seed)
    out = {}
    for key, ids in LISTED.items():
        order = list(ids)
        while order == ids:
            rng.shuffle(order)
        out[key] = order
    return out


def config_body(columns: dict[str, list[str]], rates: dict[str, tuple[int, str, int]],
                history_bars: int) -> dict[str, Any]:
    """``d`` of ``GET /trade/config``: keys in NOTES.md's order."""
    def cfg(key: str) -> dict[str, Any]:
        return {"id": key.removesuffix("Config"), "title": key.removesuffix("Config"),
                "columns": [{"id": cid, "description": cid} for cid in columns[key]]}

    rate_limits = []
    for kind in RATE_LIMIT_TYPES:
        limit, measure, interval = rates.get(kind, DEFAULT_RATE)
        rate_limits.append({"rateLimitType": kind, "measure": measure, "intervalNum": interval, "limit": limit})
    return {
        "customerAccess": {"orders": True, "ordersHistory": True, "filledOrders": True, "positions": True,
                           "symbolInfo": True, "marketDepth": True},
        "positionsConfig": cfg("positionsConfig"),
        "ordersConfig": cfg("ordersConfig"),
        "ordersHistoryConfig": cfg("ordersHistoryConfig"),
        "filledOrdersConfig": cfg("filledOrdersConfig"),
        "accountDetailsConfig": cfg("accountDetailsConfig"),
        "rateLimits": rate_limits,
        "limits": [{"limitType": "QUOTES_HISTORY_BARS", "limit": history_bars}],
    }


def zip_row(columns: list[str], values: dict[str, Any]) -> list[Any]:
    """``values`` laid out in ``columns`` order (a missing value is null)."""
    return [values.get(cid) for cid in columns]
