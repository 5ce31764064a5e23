"""The place-order rules the fake enforces (specs/tradelocker/NOTES.md section 5,
"Rules"): required fields, IOC for market and GTC for limit/stop orders, stopPrice
for stop orders, the SL/TP types, strategyId up to 31 characters, the instrument's
TRADE route, and quantities in lots on the instrument's lot step and limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .catalog import FakeInstrument
from .engine import Refused
from .wire import decimal_field, int_field

REQUIRED = ("qty", "routeId", "side", "validity", "type", "tradableInstrumentId")
MAX_STRATEGY_ID = 31


def parse_order(body: Any, instruments: dict[int, FakeInstrument]) -> dict[str, Any]:
    """The engine's keyword arguments for a place-order ``body``. Raises Refused."""
    if not isinstance(body, dict):
        raise Refused("The body must be a JSON object")
    missing = [k for k in REQUIRED if body.get(k) in (None, "")]
    if missing:
        raise Refused(f"Missing required field(s): {', '.join(missing)}")
    tid = int_field(body["tradableInstrumentId"], "tradableInstrumentId")
    inst = instruments.get(tid)
    if inst is None:
        raise Refused(f"Unknown tradableInstrumentId {tid}")
    route = int_field(body["routeId"], "routeId")
    if route == inst.info_route:
        raise Refused(f"routeId {route} is an INFO route; orders need the instrument's TRADE route")
    if route != inst.trade_route:
        raise Refused(f"routeId {route} is not a route of instrument {tid}")
    side, kind, validity = str(body["side"]), str(body["type"]), str(body["validity"])
    if side not in ("buy", "sell"):
        raise Refused(f"side must be buy or sell, not {side!r}")
    if kind not in ("market", "limit", "stop"):
        raise Refused(f"type must be market, limit or stop, not {kind!r}")
    want = "IOC" if kind == "market" else "GTC"
    if validity != want:
        raise Refused(f"validity must be {want} for {kind} orders, not {validity!r}")
    qty = decimal_field(body, "qty")
    if qty is None or qty <= 0:
        raise Refused("qty must be greater than 0")
    if qty < inst.min_lot or qty > inst.max_lot:
        raise Refused(f"qty {qty} must be between {inst.min_lot} and {inst.max_lot} lots")
    if qty % inst.lot_step:
        raise Refused(f"qty {qty} is not a multiple of the lot step {inst.lot_step}")
    price, stop_price = decimal_field(body, "price"), decimal_field(body, "stopPrice")
    if kind == "limit" and (price is None or price <= 0):
        raise Refused("price is required for limit orders")
    if kind == "stop" and (stop_price is None or stop_price <= 0):
        raise Refused("stopPrice is required for stop orders")
    for name, value in (("price", price), ("stopPrice", stop_price)):
        if value is not None and value > 0 and value % inst.tick:
            raise Refused(f"{name} {value} is not a multiple of the tick size {inst.tick}")
    sl, tp = decimal_field(body, "stopLoss"), decimal_field(body, "takeProfit")
    sl_type, tp_type = body.get("stopLossType"), body.get("takeProfitType")
    if sl is not None and sl_type not in ("absolute", "offset", "trailingOffset"):
        raise Refused(f"stopLossType must be absolute, offset or trailingOffset, not {sl_type!r}")
    if tp is not None and tp_type not in ("absolute", "offset"):
        raise Refused(f"takeProfitType must be absolute or offset, not {tp_type!r}")
    for name, value in (("stopLoss", sl), ("takeProfit", tp)):
        if value is not None and value <= 0:
            raise Refused(f"{name} must be greater than 0")
    strategy = body.get("strategyId")
    if strategy is not None and (not isinstance(strategy, str) or len(strategy) > MAX_STRATEGY_ID):
        raise Refused(f"strategyId must be text of at most {MAX_STRATEGY_ID} characters")
    position = body.get("positionId")
    return {"inst": inst, "qty": qty, "side": side, "type": kind, "validity": validity,
            "price": price if kind == "limit" else None, "stop_price": stop_price if kind == "stop" else None,
            "stop_loss": sl, "stop_loss_type": sl_type if sl is not None else None, "take_profit": tp,
            "take_profit_type": tp_type if tp is not None else None, "strategy_id": strategy,
            "position_id": int_field(position, "positionId") if position not in (None, "", "0", 0) else None}


def zero() -> Decimal:
    return Decimal(0)
