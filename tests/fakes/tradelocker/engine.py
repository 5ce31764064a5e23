"""The fake's trading engine: hedging accounts on the paper market.

Every fill of an entry order opens a position of its own with an id (hedging, as
TradeLocker's forex/CFD accounts do); a stop-loss and a take-profit attached to the
order become orders of their own linked to that position (``stopLossId`` /
``takeProfitId`` of the position row, ``positionId`` of the order row) and fill when
the market's minute bar crosses them, closing the position and removing the other
one. Market orders fill at once at the ask (buy) / bid (sell); limit and stop orders
work until the market reaches them. Ids start above 2**53 (real ones do:
specs/tradelocker/NOTES.md section 7).

Margin: notional / leverage in the account currency (USD); an order whose margin
exceeds the available funds is refused ("Not enough margin"). Times are the replay
clock's (epoch milliseconds on the wire).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop.brokers.paper.market import MarketSimulator

from .catalog import FakeInstrument

ID_BASE = 7_349_874_591_890_625_910
"""First order id: above 2**53, so a client that parses ids as floats loses digits."""


class Refused(Exception):
    """A request the server refuses: ``str(exc)`` is the errmsg; ``status`` HTTP."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class FakeAccount:
    account_id: str
    acc_num: str
    name: str
    currency: str
    cash: Decimal
    status: str = "ACTIVE"
    today_gross: Decimal = Decimal(0)
    today_volume: Decimal = Decimal(0)
    today_trades: int = 0


@dataclass
class FakeOrder:
    oid: int
    account_id: str
    inst: FakeInstrument
    route_id: int
    qty: Decimal
    side: str
    type: str
    validity: str
    price: Decimal | None = None
    stop_price: Decimal | None = None
    status: str = "New"
    filled_qty: Decimal = Decimal(0)
    avg_price: Decimal | None = None
    created: int = 0
    modified: int = 0
    position_id: int | None = None
    stop_loss: Decimal | None = None
    stop_loss_type: str | None = None
    take_profit: Decimal | None = None
    take_profit_type: str | None = None
    strategy_id: str | None = None
    role: str = "entry"  # entry | sl | tp | close

    @property
    def is_open(self) -> bool:
        return self.status in ("New", "PartiallyFilled")


@dataclass
class FakePosition:
    pid: int
    account_id: str
    inst: FakeInstrument
    route_id: int
    side: str
    qty: Decimal
    avg_price: Decimal
    opened: int
    strategy_id: str | None = None
    sl_order: int | None = None
    tp_order: int | None = None
    trail: Decimal | None = None


@dataclass
class FakeExecution:
    eid: int
    price: Decimal
    side: str
    created: int
    qty: Decimal
    order_id: int
    position_id: int
    tid: int


@dataclass
class Engine:
    """Accounts, orders, positions and executions over ``market``."""

    market: MarketSimulator
    instruments: dict[int, FakeInstrument]
    accounts: dict[str, FakeAccount] = field(default_factory=dict)
    orders: dict[int, FakeOrder] = field(default_factory=dict)
    positions: dict[int, FakePosition] = field(default_factory=dict)
    executions: list[FakeExecution] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._order_ids = itertools.count(ID_BASE, 3)
        self._position_ids = itertools.count(ID_BASE + 1_000_000_007, 5)
        self._execution_ids = itertools.count(ID_BASE + 2_000_000_011, 7)

    # -- market ---------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.market.clock.now.timestamp() * 1000)

    def bid_ask(self, inst: FakeInstrument) -> tuple[Decimal, Decimal]:
        quote = self.market.quote(inst.symbol)
        if quote.bid is None or quote.ask is None:
            raise Refused(f"No price for {inst.symbol} now")
        return quote.bid, quote.ask

    def to_account(self, amount: Decimal, currency: str) -> Decimal:
        """``amount`` of ``currency`` in USD, through the market's pairs."""
        if currency == "USD":
            return amount
        symbols = self.market.symbols
        if f"{currency}USD" in symbols:
            return amount * (self.market.last_price(f"{currency}USD") or 0)
        if f"USD{currency}" in symbols:
            price = self.market.last_price(f"USD{currency}") or 0
            return amount / price if price else Decimal(0)
        return amount

    def margin_of(self, inst: FakeInstrument, qty: Decimal, price: Decimal) -> Decimal:
        notional = qty * inst.lot_size * price
        return self.to_account(notional, inst.quote) / inst.leverage

    def pnl(self, pos: FakePosition) -> Decimal:
        bid, ask = self.bid_ask(pos.inst)
        exit_price = bid if pos.side == "buy" else ask
        sign = 1 if pos.side == "buy" else -1
        return self.to_account((exit_price - pos.avg_price) * pos.qty * pos.inst.lot_size * sign, pos.inst.quote)

    def used_margin(self, account_id: str) -> Decimal:
        total = Decimal(0)
        for pos in self.positions.values():
            if pos.account_id == account_id:
                total += self.margin_of(pos.inst, pos.qty, pos.avg_price)
        for order in self.orders.values():
            if order.account_id == account_id and order.is_open and order.role == "entry":
                price = order.price or order.stop_price or self.bid_ask(order.inst)[1]
                total += self.margin_of(order.inst, order.qty, price)
        return total

    def equity(self, account_id: str) -> Decimal:
        acct = self.accounts[account_id]
        return acct.cash + sum((self.pnl(p) for p in self.positions.values() if p.account_id == account_id),
                               Decimal(0))

    # -- orders ---------------------------------------------------------------------
    def new_order(self, account_id: str, inst: FakeInstrument, **fields: Any) -> FakeOrder:
        now = self.now_ms()
        order = FakeOrder(oid=next(self._order_ids), account_id=account_id, inst=inst, created=now, modified=now,
                          **fields)
        self.orders[order.oid] = order
        return order

    def place(self, account_id: str, inst: FakeInstrument, *, qty: Decimal, side: str, type: str, validity: str,
              price: Decimal | None, stop_price: Decimal | None, stop_loss: Decimal | None,
              stop_loss_type: str | None, take_profit: Decimal | None, take_profit_type: str | None,
              strategy_id: str | None, position_id: int | None) -> FakeOrder:
        """Accept an order (validated by the route) and fill it if it can be now."""
        bid, ask = self.bid_ask(inst)
        if position_id is not None:
            pos = self.position(account_id, position_id)
            if side == pos.side:
                raise Refused(f"The closing side must be the opposite of position {pos.pid}'s side ({pos.side})")
            if qty > pos.qty:
                raise Refused(f"qty {qty} exceeds position {pos.pid}'s {pos.qty}")
        else:
            entry = price or stop_price or (ask if side == "buy" else bid)
            need = self.margin_of(inst, qty, entry)
            free = self.equity(account_id) - self.used_margin(account_id)
            if need > free:
                raise Refused(f"Not enough margin: the order needs {need:.2f} USD, {max(free, 0):.2f} USD available")
        self._check_protection_side(side, ask if side == "buy" else bid, price or stop_price, stop_loss,
                                    stop_loss_type, take_profit, take_profit_type)
        order = self.new_order(account_id, inst, route_id=inst.trade_route, qty=qty, side=side, type=type,
                               validity=validity, price=price, stop_price=stop_price, stop_loss=stop_loss,
                               stop_loss_type=stop_loss_type, take_profit=take_profit,
                               take_profit_type=take_profit_type, strategy_id=strategy_id,
                               position_id=position_id, role="close" if position_id is not None else "entry")
        if type == "market":
            self._fill(order, ask if side == "buy" else bid)
        elif type == "limit" and ((side == "buy" and ask <= price) or (side == "sell" and bid >= price)):
            self._fill(order, ask if side == "buy" else bid)
        return order

    @staticmethod
    def _check_protection_side(side: str, market: Decimal, entry: Decimal | None, sl: Decimal | None,
                               sl_type: str | None, tp: Decimal | None, tp_type: str | None) -> None:
        ref = entry or market
        if sl is not None and sl_type == "absolute":
            if (side == "buy" and sl >= ref) or (side == "sell" and sl <= ref):
                raise Refused(f"Invalid stopLoss {sl}: it must be {'below' if side == 'buy' else 'above'} {ref}")
        if tp is not None and tp_type == "absolute":
            if (side == "buy" and tp <= ref) or (side == "sell" and tp >= ref):
                raise Refused(f"Invalid takeProfit {tp}: it must be {'above' if side == 'buy' else 'below'} {ref}")

    def order(self, account_id: str, oid: int) -> FakeOrder:
        order = self.orders.get(oid)
        if order is None or order.account_id != account_id:
            raise Refused(f"Order {oid} not found", 404)
        return order

    def position(self, account_id: str, pid: int) -> FakePosition:
        pos = self.positions.get(pid)
        if pos is None or pos.account_id != account_id:
            raise Refused(f"Position {pid} not found", 404)
        return pos

    def cancel(self, account_id: str, oid: int) -> None:
        order = self.order(account_id, oid)
        if not order.is_open:
            raise Refused(f"Order {oid} is {order.status} and can no longer be cancelled")
        order.status = "Cancelled"
        order.modified = self.now_ms()
        pos = self.positions.get(order.position_id or -1)
        if pos is not None and order.role in ("sl", "tp"):
            if pos.sl_order == oid:
                pos.sl_order, pos.trail = None, None
            if pos.tp_order == oid:
                pos.tp_order = None

    def modify(self, account_id: str, oid: int, body: dict[str, Any], parse) -> None:
        order = self.order(account_id, oid)
        if not order.is_open:
            raise Refused(f"Order {oid} is {order.status} and can no longer be modified")
        if "qty" in body:
            qty = parse(body, "qty")
            if qty is None or qty <= 0:
                raise Refused("qty must be greater than 0")
            order.qty = qty
        if "price" in body and order.type == "limit":
            order.price = parse(body, "price")
        if "stopPrice" in body and order.type == "stop":
            order.stop_price = parse(body, "stopPrice")
        for key, attr in (("stopLoss", "stop_loss"), ("takeProfit", "take_profit")):
            if key in body:
                setattr(order, attr, parse(body, key))
                if getattr(order, attr) is not None:
                    setattr(order, attr + "_type", body.get(key + "Type") or getattr(order, attr + "_type")
                            or "absolute")
        order.modified = self.now_ms()

    def set_protection(self, account_id: str, pid: int, sl: Decimal | None, tp: Decimal | None,
                       clear_sl: bool, clear_tp: bool, sl_type: str = "absolute") -> None:
        """``PATCH /trade/positions/{id}``: create, move or remove the SL/TP orders."""
        pos = self.position(account_id, pid)
        bid, ask = self.bid_ask(pos.inst)
        market = bid if pos.side == "buy" else ask
        closing = "sell" if pos.side == "buy" else "buy"
        if sl is not None and sl_type == "absolute":
            if (pos.side == "buy" and sl >= market) or (pos.side == "sell" and sl <= market):
                raise Refused(f"Invalid stopLoss {sl}: it must be {'below' if pos.side == 'buy' else 'above'} "
                              f"the market {market}")
        if tp is not None:
            if (pos.side == "buy" and tp <= market) or (pos.side == "sell" and tp >= market):
                raise Refused(f"Invalid takeProfit {tp}: it must be {'above' if pos.side == 'buy' else 'below'} "
                              f"the market {market}")
        if clear_sl and pos.sl_order:
            self._remove(pos.sl_order)
            pos.sl_order, pos.trail = None, None
        if clear_tp and pos.tp_order:
            self._remove(pos.tp_order)
            pos.tp_order = None
        if sl is not None:
            price = sl
            if sl_type in ("offset", "trailingOffset"):
                price = market - sl if pos.side == "buy" else market + sl
                pos.trail = sl if sl_type == "trailingOffset" else None
            if pos.sl_order and self.orders[pos.sl_order].is_open:
                self.orders[pos.sl_order].stop_price = price
                self.orders[pos.sl_order].modified = self.now_ms()
            else:
                pos.sl_order = self.new_order(account_id, pos.inst, route_id=pos.route_id, qty=pos.qty, side=closing,
                                              type="stop", validity="GTC", stop_price=price, position_id=pos.pid,
                                              role="sl").oid
        if tp is not None:
            if pos.tp_order and self.orders[pos.tp_order].is_open:
                self.orders[pos.tp_order].price = tp
                self.orders[pos.tp_order].modified = self.now_ms()
            else:
                pos.tp_order = self.new_order(account_id, pos.inst, route_id=pos.route_id, qty=pos.qty, side=closing,
                                              type="limit", validity="GTC", price=tp, position_id=pos.pid,
                                              role="tp").oid

    def _remove(self, oid: int) -> None:
        order = self.orders.get(oid)
        if order is not None and order.is_open:
            order.status = "Removed"
            order.modified = self.now_ms()

    def close_position(self, account_id: str, pid: int, qty: Decimal) -> FakeOrder:
        """Close ``qty`` (0: all) of position ``pid`` at the market."""
        pos = self.position(account_id, pid)
        if qty < 0 or qty > pos.qty:
            raise Refused(f"qty {qty} must be between 0 and the position's {pos.qty}")
        qty = qty or pos.qty
        bid, ask = self.bid_ask(pos.inst)
        side = "sell" if pos.side == "buy" else "buy"
        order = self.new_order(account_id, pos.inst, route_id=pos.route_id, qty=qty, side=side, type="market",
                               validity="IOC", position_id=pos.pid, role="close")
        self._fill(order, bid if side == "sell" else ask)
        return order

    # -- fills ----------------------------------------------------------------------
    def _fill(self, order: FakeOrder, price: Decimal) -> None:
        now = self.now_ms()
        order.status, order.filled_qty, order.avg_price, order.modified = "Filled", order.qty, price, now
        acct = self.accounts[order.account_id]
        acct.today_trades += 1
        acct.today_volume += order.qty
        if order.position_id is not None and order.position_id in self.positions:
            pos = self.positions[order.position_id]
            self._reduce(pos, order, price, now)
            return
        pos = FakePosition(pid=next(self._position_ids), account_id=order.account_id, inst=order.inst,
                           route_id=order.route_id, side=order.side, qty=order.qty, avg_price=price, opened=now,
                           strategy_id=order.strategy_id)
        self.positions[pos.pid] = pos
        order.position_id = pos.pid
        self.executions.append(FakeExecution(next(self._execution_ids), price, order.side, now, order.qty, order.oid,
                                             pos.pid, order.inst.tid))
        if order.stop_loss is not None or order.take_profit is not None:
            sl, tp, kind = order.stop_loss, order.take_profit, order.stop_loss_type or "absolute"
            if order.take_profit is not None and order.take_profit_type == "offset":
                tp = price + tp if order.side == "buy" else price - tp
            if sl is not None and kind == "offset":
                sl = price - sl if order.side == "buy" else price + sl
                kind = "absolute"
            self.set_protection(order.account_id, pos.pid, sl, tp, False, False,
                                sl_type=kind if kind == "trailingOffset" else "absolute")

    def _reduce(self, pos: FakePosition, order: FakeOrder, price: Decimal, now: int) -> None:
        sign = 1 if pos.side == "buy" else -1
        realized = self.to_account((price - pos.avg_price) * order.qty * pos.inst.lot_size * sign, pos.inst.quote)
        acct = self.accounts[pos.account_id]
        acct.cash += realized
        acct.today_gross += realized
        self.executions.append(FakeExecution(next(self._execution_ids), price, order.side, now, order.qty, order.oid,
                                             pos.pid, pos.inst.tid))
        pos.qty -= order.qty
        if pos.qty <= 0:
            del self.positions[pos.pid]
            for oid in (pos.sl_order, pos.tp_order):
                if oid is not None and oid != order.oid:
                    self._remove(oid)
            return
        for oid in (pos.sl_order, pos.tp_order):
            if oid is not None and oid in self.orders:
                self.orders[oid].qty = pos.qty

    def step(self, bars: dict[str, Any]) -> int:
        """Match working orders against the minute ``bars`` just played (symbol ->
        Bar); returns how many filled."""
        filled = 0
        for pos in list(self.positions.values()):
            bar = bars.get(pos.inst.symbol)
            if pos.trail is not None and pos.sl_order and bar is not None:
                sl = self.orders[pos.sl_order]
                best = bar.high - pos.trail if pos.side == "buy" else bar.low + pos.trail
                if (pos.side == "buy" and best > sl.stop_price) or (pos.side == "sell" and best < sl.stop_price):
                    sl.stop_price = best
        for order in sorted(self.orders.values(), key=lambda o: o.oid):
            if not order.is_open:
                continue
            bar = bars.get(order.inst.symbol)
            if bar is None:
                continue
            if order.role in ("sl", "tp") and order.position_id not in self.positions:
                self._remove(order.oid)
                continue
            price = None
            if order.type == "limit":
                if order.side == "buy" and bar.low <= order.price:
                    price = min(order.price, bar.open)
                elif order.side == "sell" and bar.high >= order.price:
                    price = max(order.price, bar.open)
            elif order.type == "stop":
                if order.side == "buy" and bar.high >= order.stop_price:
                    price = max(order.stop_price, bar.open)
                elif order.side == "sell" and bar.low <= order.stop_price:
                    price = min(order.stop_price, bar.open)
            if price is not None:
                self._fill(order, price)
                filled += 1
        return filled

    def time_of(self, ms: int) -> datetime:  # pragma: no cover - debugging aid
        from datetime import timezone

        return datetime.fromtimestamp(ms / 1000, timezone.utc)
