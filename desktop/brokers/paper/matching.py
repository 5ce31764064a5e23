"""The paper broker's matching engine: orders against 1-minute bars, on a cash ledger.

Pure Python (no Qt, asyncio or I/O). Every method returns the events it caused,
oldest first: ``Order`` snapshots (full new states) and ``Fill``s, each fill already
booked on the engine's :class:`Ledger`. Rules:

* Bar prices run open -> nearer extreme (high on a tie) -> other extreme -> close,
  continuously. A buy limit fills at the open when the bar opens at or below it, else
  at the limit when touched (sells mirrored). A stop triggers at the open on a gap
  through it, else at the stop when touched; a STOP then fills there, a STOP_LIMIT
  works as a limit from that point of the path on. Working MARKET orders (and stops
  triggered in an earlier bar) fill at the open.
* On submit, MARKET, LIMIT at or better than ``last_price`` and stops already through
  last (buy stop <= last, sell stop >= last: accepted and TRIGGERED at once) fill at
  ``last_price``, within the forming ``current_bar``'s liquidity; with no current bar
  nothing fills now (IOC / FOK are then canceled). Rest: DAY / GTC work, IOC cancels,
  FOK fills all at once or is canceled.
* Per bar and symbol fills take at most ``participation`` (10%) of the bar's volume,
  shared in time priority (and with immediate fills in the same bar), rounded down
  to lots. An order trades only on bars starting at or after its ``created_at``.
* Rejects and the cash a working buy reserves: see :mod:`.risk`. A buy never spends
  cash reserved by other orders: if a gap makes it dearer, it fills what cash pays
  for and the rest is canceled.
* Commission: :class:`CommissionModel`, per order, charged incrementally per fill;
  options use ``option_commission`` ($0.65 per contract, $1.00 minimum); currency
  pairs trade free of commission (the spread is the cost, as at many forex brokers).
* Options fill at the quote of ``option_pricer`` (ask / bid), on submit and on each
  :meth:`on_option_quotes`; position-effect rules and the rest in :mod:`.fillmodel`.
* Failures: a fill is computed whole before anything is booked (an arithmetic error
  changes nothing); an order whose matching raises unexpectedly is canceled with a
  reason (logged) and the other orders match on; order numbers pass
  :mod:`.order_input` (field errors, never ``decimal`` exceptions).
* Persistence: :meth:`MatchingEngine.to_state` / :meth:`MatchingEngine.from_state`
  (see :mod:`.engine_state`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Union

from desktop.brokers.errors import InvalidRequestError, NotFoundError, OrderRejectedError
from desktop.domain import Bar, Fill, Order, OrderRequest, OrderSide, OrderStatus, TimeInForce, utc_now
from desktop.domain.order import order_from_request

from .commission import FX_COMMISSION, OPTION_COMMISSION, CommissionModel
from .engine_state import STATE_VERSION, engine_from_state, engine_to_state
from .fillmodel import (OptionPricer, bar_path, first_touch, marketable_price, match_on_path, option_quote, ref_price,
                        reference_price, touch_price, unfilled_reason)
from .fx_rates import is_pair
from .ledger import ZERO, Ledger, tidy
from .order_input import check_fields, number_arg
from .risk import Book, entry_reason, fill_fee, fill_quantity, reserve_cash, risk_reason

__all__ = ["STATE_VERSION", "Event", "MatchingEngine", "bar_path"]  # bar_path: imported from here by tests

log = logging.getLogger(__name__)

Event = Union[Order, Fill]
"""What the engine emits: a new Order snapshot or a Fill."""

_S, _T = OrderStatus, TimeInForce


class MatchingEngine:
    """Matches one paper account's orders against bars; owns its orders, fills and ledger.

    ``symbols``: the known symbols (None = any symbol with a price). ``participation``,
    ``max_deviation`` and ``market_buffer`` are fractions (see the module doc).
    """

    def __init__(self, ledger: Ledger | None = None, *, commission: CommissionModel | None = None,
                 symbols: Iterable[str] | None = None, participation: Decimal = Decimal("0.1"),
                 max_deviation: Decimal = Decimal("0.5"), market_buffer: Decimal = Decimal("0.05"),
                 option_commission: CommissionModel | None = None, option_pricer: OptionPricer | None = None) -> None:
        self.ledger = ledger or Ledger()
        self.commission = commission or CommissionModel()
        self.option_commission = option_commission or OPTION_COMMISSION
        self.option_pricer = option_pricer
        self.symbols = None if symbols is None else {s.upper() for s in symbols}
        self.participation, self.max_deviation, self.market_buffer = participation, max_deviation, market_buffer
        self._orders: dict[str, Order] = {}
        self._books: dict[str, Book] = {}
        self._by_cid: dict[str, str] = {}
        self._fills: list[Fill] = []
        self._last: dict[str, Decimal] = {}
        self._used: dict[str, tuple[str, Decimal]] = {}  # symbol -> (bar start ISO, qty taken)
        self._counters = {"order": 0, "fill": 0}
        self.id_prefix = ""  # put before every order / fill id (advisor demo: one engine per client)

    # -- queries ----------------------------------------------------------------
    def orders(self, status: Iterable[OrderStatus] | None = None) -> list[Order]:
        """Every order (working and closed) in submission order, optionally by status."""
        wanted = None if status is None else set(status)
        return [o for o in self._orders.values() if wanted is None or o.status in wanted]

    def working_orders(self, symbol: str | None = None) -> list[Order]:
        """Working orders in time priority, optionally of one symbol."""
        return [self._orders[i] for i in self._books if symbol is None or self._orders[i].symbol == symbol]

    def get_order(self, order_id: str) -> Order:
        """The order ``order_id``. Raises NotFoundError."""
        if order_id not in self._orders:
            raise NotFoundError(f"order {order_id} not found")
        return self._orders[order_id]

    def order_by_client_id(self, client_order_id: str) -> Order | None:
        """The order first submitted with ``client_order_id``, or None."""
        return self._orders.get(self._by_cid.get(client_order_id, ""))

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """Fills oldest first, those at or after ``since`` when given."""
        return [f for f in self._fills if since is None or f.timestamp >= since]

    def last_price(self, symbol: str) -> Decimal | None:
        """The last price the engine saw for ``symbol`` (submit's last, bar closes)."""
        return self._last.get(symbol)

    @property
    def marks(self) -> dict[str, Decimal]:
        """Last prices by symbol (a copy), for ``ledger.balance`` / ``ledger.positions``."""
        return dict(self._last)

    # -- order entry --------------------------------------------------------------
    def submit(self, request: OrderRequest, now: datetime, last_price: Decimal | None, current_bar: Bar | None = None,
               allocation_group: str = "") -> list[Event]:
        """Accept or reject ``request``; returns [ACCEPTED, fills..., final] or [REJECTED].

        ``last_price`` is the symbol's current price (None = unknown), ``current_bar``
        the forming 1-minute bar whose remaining participation the order may take.
        ``allocation_group``: the order is a group order's child (stamped on it and its fills).
        """
        sym, oid = request.symbol, self._next("order", "O")
        order = order_from_request(request, "paper", oid, _S.ACCEPTED, now=now)
        if allocation_group:
            order = order.model_copy(update={"allocation_group": allocation_group})
        option, bid, ask, why = request.instrument.is_option, None, None, ""
        if option:  # options ignore ``last_price`` / ``current_bar``: they trade on their own quote
            bid, ask, why = option_quote(self.option_pricer, request.instrument)
            last_price = reference_price(request.side, bid, ask)
        book = Book(ref_price=ref_price(order, last_price))
        reason = why or entry_reason(request, last_price, ledger=self.ledger, symbols=self.symbols, client_ids=self._by_cid)
        if not reason:
            self._last[sym] = last_price
            reason = self._risk_reason(order, book, last_price, None)
        if request.client_order_id not in self._by_cid:
            self._by_cid[request.client_order_id] = oid
        if reason:
            self._orders[oid] = order.model_copy(update={"status": _S.REJECTED, "message": reason})
            return [self._orders[oid]]
        self._orders[oid], self._books[oid] = order, book
        self._reserve(oid)
        events: list[Event] = [order]
        if order.type.needs_stop_price and first_touch([], 0, last_price, order.stop_price, up=order.side is OrderSide.BUY):
            book.triggered = True
            events.append(self._set(oid, now, status=_S.TRIGGERED))
        price = None if not book.triggered and order.type.needs_stop_price else marketable_price(order, last_price)
        price = touch_price(order, bid, ask) if option else price
        tif, possible, short_cash = order.time_in_force, ZERO, False
        if price is not None and (option or current_bar is not None):
            cap = order.remaining if option else self._capacity(sym, current_bar)
            possible, short_cash = self._fill_qty(oid, cap, price)
            if possible and (tif is not _T.FOK or possible == order.remaining):
                events += self._fill(oid, possible, price, now, current_bar)
        if oid in self._books and (tif in (_T.IOC, _T.FOK) or short_cash):
            why = unfilled_reason(self._orders[oid], price, current_bar, possible, short_cash, self._last[sym])
            events.append(self._close(oid, _S.CANCELED, why, now))
        return events

    def cancel(self, order_id: str, now: datetime | None = None, reason: str = "canceled") -> Order:
        """Cancel a working order (``reason`` becomes its message); returns it CANCELED.
        Raises NotFoundError / OrderRejectedError (already closed)."""
        self._working(order_id, "canceled")
        return self._close(order_id, _S.CANCELED, reason, now or utc_now())

    def modify(self, order_id: str, *, amount: Decimal | None = None, limit_price: Decimal | None = None,
               stop_price: Decimal | None = None, now: datetime | None = None) -> Order:
        """Change a working order's total ``amount`` and/or prices; returns the new state.

        Re-validated like a new order (against the engine's last price). Raises
        NotFoundError, OrderRejectedError (closed, or a failed check, with the
        reason), InvalidRequestError naming the field (nothing to change, not a
        number, NaN, infinity, zero or below, too large, price not allowed for the
        type, tick / lot size, amount not above what is filled). Takes effect from
        the next bar; time priority is kept.
        """
        changed, book = self.check_modify(order_id, amount=amount, limit_price=limit_price, stop_price=stop_price, now=now)
        self._orders[order_id], self._books[order_id] = changed, book
        self._reserve(order_id)
        return changed

    def check_modify(self, order_id: str, *, amount: Decimal | None = None, limit_price: Decimal | None = None,
                     stop_price: Decimal | None = None, now: datetime | None = None) -> tuple[Order, Book]:
        """What :meth:`modify` would make of the order (its new state and book),
        raising what :meth:`modify` raises; changes nothing."""
        order = self._working(order_id, "modified")
        amount, limit_price = number_arg("amount", amount), number_arg("limit_price", limit_price)
        stop_price = number_arg("stop_price", stop_price)
        if amount is None and limit_price is None and stop_price is None:
            raise InvalidRequestError("nothing to modify: give amount, limit_price or stop_price")
        new_amount = order.amount if amount is None else amount
        lp = order.limit_price if limit_price is None else limit_price
        sp = order.stop_price if stop_price is None else stop_price
        check_fields(order.instrument, order.type, new_amount, lp, sp)
        if new_amount <= order.filled:
            raise InvalidRequestError(f"amount {new_amount} must exceed the filled quantity {order.filled}", field="amount")
        ts = now or utc_now()
        changed = order.model_copy(update={"amount": new_amount, "remaining": new_amount - order.filled, "limit_price": lp, "stop_price": sp, "updated_at": ts})
        last = self._last.get(order.symbol)
        book = replace(self._books[order_id], ref_price=ref_price(changed, last))
        reason = self._risk_reason(changed, book, last, order_id)
        if reason:
            raise OrderRejectedError(reason)
        return changed, book

    # -- market events ----------------------------------------------------------
    def on_bar(self, symbol: str, bar: Bar, now: datetime | None = None) -> list[Event]:
        """Match ``symbol``'s working orders against a completed 1-minute ``bar``.

        ``now`` (default: the bar's end) stamps the events. Sets last price = close.
        """
        ts = now or bar.end
        self._last[symbol] = bar.close
        path, events = bar_path(bar), []
        for oid in [i for i in self._books if self._orders[i].symbol == symbol]:
            if oid in self._books and self._orders[oid].created_at <= bar.start:
                events += self._isolated(oid, ts, lambda oid=oid: self._match_bar(oid, symbol, bar, path, ts))
        return events

    def _match_bar(self, oid: str, symbol: str, bar: Bar, path: list[Decimal], ts: datetime) -> list[Event]:
        events: list[Event] = []
        book = self._books[oid]
        trig, price = match_on_path(self._orders[oid], book.triggered, path)
        if trig is not None:
            book.triggered = True
            if self._orders[oid].filled == 0:
                events.append(self._set(oid, ts, status=_S.TRIGGERED))
        if price is not None:
            events += self._trade(oid, self._capacity(symbol, bar), price, ts, bar)
        return events

    def on_option_quotes(self, now: datetime) -> list[Event]:
        """Match every working option order against its quote from ``option_pricer``,
        once per minute. Contracts without a quote (expired: the broker's expiry
        processing cancels their orders) do not trade."""
        events: list[Event] = []
        for oid in [i for i in self._books if self._orders[i].instrument.is_option]:
            events += self._isolated(oid, now, lambda oid=oid: self._match_quote(oid, now))
        return events

    def _match_quote(self, oid: str, now: datetime) -> list[Event]:
        order = self._orders[oid]
        bid, ask, why = option_quote(self.option_pricer, order.instrument)
        if why:
            return []
        if (ref := reference_price(order.side, bid, ask)) is not None:
            self._last[order.symbol] = ref
        price = touch_price(order, bid, ask)
        return self._trade(oid, order.remaining, price, now, None) if price is not None else []

    def book_fill(self, fill: Fill) -> Fill:
        """Record a fill made outside matching (exercise, assignment, expiry): booked on
        the ledger and kept with the fills. Ids come from :meth:`next_fill_id`."""
        self.ledger.apply_fill(fill)
        self._fills.append(fill)
        return fill

    def next_fill_id(self, prefix: str = "F") -> str:
        """A fresh fill id from the engine's fill counter, e.g. "EX000042"."""
        return self._next("fill", prefix)

    def fees(self, instrument) -> CommissionModel:
        """The commission model for ``instrument``: options, currency pairs (free) or shares."""
        if is_pair(instrument):
            return FX_COMMISSION
        return self.option_commission if instrument.is_option else self.commission

    def end_of_day(self, now: datetime) -> list[Event]:
        """Expire every working DAY order; returns their EXPIRED snapshots."""
        day = [i for i in self._books if self._orders[i].time_in_force is _T.DAY]
        return [self._close(i, _S.EXPIRED, "day order expired at the end of the trading day", now) for i in day]

    # -- checks -----------------------------------------------------------------
    def _risk_reason(self, order: Order, book: Book, last: Decimal | None, exclude: str | None) -> str:
        return risk_reason(order, book, last, exclude, ledger=self.ledger, working=self.working_orders(order.symbol),
                           max_deviation=self.max_deviation, market_buffer=self.market_buffer, fees=self.fees(order.instrument))

    def _reserve_cash(self, order: Order, book: Book) -> Decimal:
        """Cash a buy may still spend: remaining value at its reserve price + commission."""
        return reserve_cash(order, book, market_buffer=self.market_buffer, fees=self.fees(order.instrument))

    def _held(self, order: Order, book: Book) -> tuple[Decimal, Decimal]:
        """(cash, quantity) working ``order`` holds back: a buy its reserve cash, a sell its remaining shares."""
        if order.side is OrderSide.BUY:
            return reserve_cash(order, book, market_buffer=self.market_buffer, fees=self.fees(order.instrument)), ZERO
        return ZERO, ZERO if is_pair(order.instrument) else order.remaining

    def _reserve(self, oid: str) -> None:
        cash, quantity = self._held(self._orders[oid], self._books[oid])
        self.ledger.reserve(oid, self._orders[oid].symbol, cash=cash, quantity=quantity)

    def _working(self, oid: str, verb: str) -> Order:
        if (order := self.get_order(oid)).status.is_closed:
            raise OrderRejectedError(f"order {oid} is {order.status.value.lower()} and can no longer be {verb}")
        return order

    # -- filling ------------------------------------------------------------------
    def _capacity(self, symbol: str, bar: Bar) -> Decimal:
        start, used = self._used.get(symbol, ("", ZERO))
        return self.participation * bar.volume - (used if start == bar.start.isoformat() else ZERO)

    def _fill_qty(self, oid: str, capacity: Decimal, price: Decimal) -> tuple[Decimal, bool]:
        """(quantity to fill now, True when cash rather than liquidity limited it)."""
        order = self._orders[oid]
        return fill_quantity(order, self._books[oid], capacity, price, cash=self.ledger.buying_power(exclude=oid),
                             fees=self.fees(order.instrument))

    def _trade(self, oid: str, capacity: Decimal, price: Decimal, now: datetime, bar: Bar | None) -> list[Event]:
        """Fill what ``capacity`` and cash allow at ``price``; cancel the rest if cash ran out."""
        qty, short_cash = self._fill_qty(oid, capacity, price)
        events = self._fill(oid, qty, price, now, bar) if qty else []
        if short_cash and oid in self._books:
            events.append(self._close(oid, _S.CANCELED, f"canceled: not enough cash to buy the rest at {price}", now))
        return events

    def _fill(self, oid: str, qty: Decimal, price: Decimal, now: datetime, bar: Bar | None) -> list[Event]:
        """Fill ``qty`` of ``oid`` at ``price``: every figure is computed first, then
        booked, so an arithmetic error leaves the engine and ledger unchanged."""
        order, book = self._orders[oid], self._books[oid]
        fee = fill_fee(order, book, qty, price, self.fees(order.instrument))
        fill = Fill(broker="paper", account_id=order.account_id, fill_id=self._next("fill", "F"), order_id=oid,
                    client_order_id=order.client_order_id, instrument=order.instrument, side=order.side,
                    amount=qty, price=price, commission=fee, timestamp=now, allocation_group=order.allocation_group)
        notional, filled = book.notional + qty * price, order.filled + qty
        done = filled == order.amount
        snap = order.model_copy(update={"filled": filled, "remaining": order.amount - filled, "average": tidy(notional / filled),
                                        "commission": order.commission + fee, "updated_at": now,
                                        "status": _S.FILLED if done else _S.PARTIALLY_FILLED})
        held = None if done else self._held(snap, replace(book, notional=notional))
        self.ledger.apply_fill(fill)  # all or nothing; nothing below can fail
        self._fills.append(fill)
        if bar is not None:  # options take no share of bar volume
            start, used = self._used.get(order.symbol, ("", ZERO))
            key = bar.start.isoformat()
            self._used[order.symbol] = (key, (used if start == key else ZERO) + qty)
        book.notional = notional
        self._orders[oid] = snap
        if held is None:
            self.ledger.release(oid)
            del self._books[oid]
        else:
            self.ledger.reserve(oid, order.symbol, cash=held[0], quantity=held[1])
        return [fill, snap]

    def _isolated(self, oid: str, now: datetime, step: Callable[[], list[Event]]) -> list[Event]:
        """``step()`` (matching order ``oid``); an unexpected exception cancels that
        order with a reason (logged) instead of stopping the other orders, now and
        every minute after."""
        try:
            return step()
        except Exception as exc:  # noqa: BLE001 - one broken order must not stop the market
            log.exception("paper order %s could not be matched; canceling it", oid)
            if oid not in self._books:
                return []
            return [self._close(oid, _S.CANCELED, f"canceled: the paper broker could not match this order "
                                                  f"({type(exc).__name__})", now)]

    def _set(self, oid: str, now: datetime, **changes: Any) -> Order:
        self._orders[oid] = self._orders[oid].model_copy(update={**changes, "updated_at": now})
        return self._orders[oid]

    def _close(self, oid: str, status: OrderStatus, message: str, now: datetime) -> Order:
        self.ledger.release(oid)
        self._books.pop(oid, None)
        return self._set(oid, now, status=status, message=message)

    def _next(self, counter: str, prefix: str) -> str:
        self._counters[counter] += 1
        return f"{self.id_prefix}{prefix}{self._counters[counter]:06d}"

    # -- persistence ----------------------------------------------------------------
    def to_state(self, include_history: bool = True) -> dict[str, Any]:
        """JSON-safe plain dict of the engine, its working orders and its ledger.

        With ``include_history`` False, closed orders and fills are left out (persist
        them separately, e.g. in :class:`PaperStore`, and pass them to :meth:`from_state`).
        """
        return engine_to_state(self, include_history)

    @classmethod
    def from_state(cls, state: Mapping[str, Any], *, orders: Iterable[Order] = (), fills: Iterable[Fill] = ()) -> "MatchingEngine":
        """Rebuild an engine from :meth:`to_state`; ``orders`` / ``fills`` supply the
        history when it was saved without. Raises ValueError for an unknown version or
        a state the engine could not have written (see :func:`.engine_state.check_engine`),
        KeyError / TypeError / pydantic / decimal errors for malformed state."""
        return engine_from_state(cls, state, orders=orders, fills=fills)
