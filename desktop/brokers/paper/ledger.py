"""The paper broker's account ledger: cash, positions, P&L and order reservations.

Pure bookkeeping over Decimal, no I/O. Positions are kept as a signed quantity and a
signed *cost basis* (sum of quantity x price x multiplier of the open lots) rather
than an average price, so that every identity holds exactly:

* cash == starting cash - sum(buy costs) + sum(sell proceeds) - sum(commissions)
* net liquidation at marks == starting cash + realized + unrealized - commissions

Average cost is basis / (quantity x multiplier): weighted on adds, unchanged on
reductions (the basis removed is proportional, rounded to 1e-10 USD), reset to the
fill price when a fill flips the position. Realized P&L is taken on reductions only
and excludes commissions, which are tallied separately.

Currency pairs (issue 14; :func:`.fx_rates.is_pair`): the ledger holds cash per
currency. A fill of ``amount`` EURUSD at ``price`` moves EUR by +amount (buy) and
USD by -amount x price, the commission taken in the quote currency; either side may
go below zero (a sell of EURUSD from a USD account goes short EUR). The pair's
holding (quantity = the base-currency amount, basis and realized P&L in the quote
currency) is a view for the positions blotter only: its value is already in the
currency balances, so net liquidation counts the cash of every currency converted
into the account currency at the pair prices (see :meth:`Ledger.equity`), never
the pair's market value on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from desktop.domain import Balance, Fill, Instrument, OrderSide, Position, utc_now

from .fx_rates import base_quote, is_pair, rate

ZERO = Decimal(0)
_FINE = Decimal("1e-10")
STATE_VERSION = 1


def tidy(value: Decimal) -> Decimal:
    """``value`` unchanged when it has at most 10 decimals, else rounded to 10."""
    exp = value.as_tuple().exponent
    return value if isinstance(exp, int) and exp >= -10 else value.quantize(_FINE)


@dataclass
class Holding:
    """One symbol's book entry: signed ``quantity``, signed ``cost_basis`` (USD) and
    cumulative ``realized_pnl`` (USD, before commissions)."""

    instrument: Instrument
    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO
    realized_pnl: Decimal = ZERO

    @property
    def average_cost(self) -> Decimal:
        """Average price per share (instrument currency); 0 when flat."""
        if self.quantity == 0:
            return ZERO
        return tidy(self.cost_basis / (self.quantity * self.instrument.multiplier))

    def market_value(self, mark: Decimal | None) -> Decimal:
        """quantity x mark x multiplier; the cost basis when there is no mark."""
        return self.cost_basis if mark is None else self.quantity * mark * self.instrument.multiplier


@dataclass(frozen=True)
class Equity:
    """What :meth:`Ledger.equity` returns, all in the account currency: ``net_liquidation``,
    ``realized_pnl``, ``unrealized_pnl``; ``unconverted``: currencies left out for want
    of a rate; ``rates``: currency -> the price each was converted at ("EURUSD 1.12")."""

    net_liquidation: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    unconverted: tuple[str, ...] = ()
    rates: dict[str, str] = field(default_factory=dict)


@dataclass
class Reservation:
    """What a working order holds back: ``cash`` (buys, USD) or ``quantity`` (sells)."""

    symbol: str
    cash: Decimal = ZERO
    quantity: Decimal = ZERO


@dataclass
class Ledger:
    """One cash account in ``currency``, holding other currencies from pair trades.

    ``cash`` is settled cash in ``currency`` (USD); ``foreign`` the cash in every
    other currency a pair fill touched (signed: below zero is short that currency). Working buy orders reserve cash, working sell
    orders reserve shares (see :meth:`reserve` / :meth:`release`); ``buying_power``
    is cash minus reserved cash. Fills are booked with :meth:`apply_fill`.
    """

    account_id: str = "PAPER"
    starting_cash: Decimal = Decimal("100000")
    currency: str = "USD"
    broker: str = "paper"
    cash: Decimal = field(default=None)  # type: ignore[assignment]
    total_commissions: Decimal = ZERO
    foreign: dict[str, Decimal] = field(default_factory=dict)
    holdings: dict[str, Holding] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cash is None:
            self.cash = self.starting_cash

    # -- fills ----------------------------------------------------------------
    def apply_fill(self, fill: Fill) -> None:
        """Book ``fill``: cash, position, average cost, realized P&L, commissions.

        Buys pay cost + commission, sells receive proceeds - commission. Raises
        ValueError when the fill belongs to another account or currency. The ledger
        itself accepts any fill (even one that goes short); the matching engine
        enforces the cash-account rules before filling. All or nothing: when it
        raises (also an arithmetic error), the ledger is unchanged.
        """
        if fill.account_id != self.account_id:
            raise ValueError(f"fill {fill.fill_id} is for account {fill.account_id}, not {self.account_id}")
        pair = is_pair(fill.instrument)
        if not pair and fill.instrument.currency != self.currency:
            raise ValueError(f"fill {fill.fill_id} is in {fill.instrument.currency}, not {self.currency}")
        signed = fill.amount * fill.side.sign
        if pair:  # base +amount, quote -amount x price - commission (see the module docstring)
            base, quote = base_quote(fill.symbol)
            moves = {base: signed, quote: -signed * fill.price * fill.instrument.multiplier - fill.commission}
            cash = self.cash + moves.get(self.currency, ZERO)
            foreign = {**self.foreign}
            for ccy, delta in moves.items():
                if ccy != self.currency:
                    foreign[ccy] = foreign.get(ccy, ZERO) + delta
            commissions = self.total_commissions + (fill.commission if quote == self.currency else ZERO)
        else:
            value = fill.cost
            cash = self.cash - (value + fill.commission) if fill.side is OrderSide.BUY else self.cash + (value - fill.commission)
            commissions, foreign = self.total_commissions + fill.commission, self.foreign
        old = self.holdings.get(fill.symbol) or Holding(fill.instrument)
        quantity, basis, realized = old.quantity, old.cost_basis, old.realized_pnl
        unit = fill.price * fill.instrument.multiplier
        if quantity == 0 or (quantity > 0) == (signed > 0):
            quantity, basis = quantity + signed, basis + signed * unit
        else:
            held = abs(quantity)
            sign = 1 if quantity > 0 else -1
            closing = min(abs(signed), held)
            removed = basis if closing == held else tidy(basis * closing / held)
            realized += sign * closing * unit - removed
            basis -= removed
            quantity -= sign * closing
            leftover = abs(signed) - closing
            if leftover:  # flipped: the rest opens a new position at the fill price
                quantity, basis = -sign * leftover, -sign * leftover * unit
        # every figure is computed: now book them (an arithmetic error above changed nothing)
        self.cash, self.total_commissions, self.foreign = cash, commissions, foreign
        holding = self.holdings.setdefault(fill.symbol, old)
        holding.quantity, holding.cost_basis, holding.realized_pnl = quantity, basis, realized

    # -- reservations ---------------------------------------------------------
    def reserve(self, order_id: str, symbol: str, *, cash: Decimal = ZERO, quantity: Decimal = ZERO) -> None:
        """Set (replace) what working order ``order_id`` holds back: USD or shares."""
        self.reservations[order_id] = Reservation(symbol, cash, quantity)

    def release(self, order_id: str) -> None:
        """Drop ``order_id``'s reservation (no error if it has none)."""
        self.reservations.pop(order_id, None)

    def reserved_cash(self, exclude: str | None = None) -> Decimal:
        """USD held back by working buy orders, leaving out order ``exclude``."""
        return sum((r.cash for oid, r in self.reservations.items() if oid != exclude), ZERO)

    def reserved_quantity(self, symbol: str, exclude: str | None = None) -> Decimal:
        """Shares of ``symbol`` held back by working sell orders, leaving out ``exclude``."""
        return sum((r.quantity for oid, r in self.reservations.items() if r.symbol == symbol and oid != exclude), ZERO)

    def buying_power(self, exclude: str | None = None) -> Decimal:
        """Cash minus cash reserved by working buys (other than ``exclude``), USD."""
        return self.cash - self.reserved_cash(exclude)

    def quantity(self, symbol: str) -> Decimal:
        """Signed position in ``symbol`` (0 when none)."""
        h = self.holdings.get(symbol)
        return h.quantity if h else ZERO

    def available_to_sell(self, symbol: str, exclude: str | None = None) -> Decimal:
        """Long shares of ``symbol`` not yet held back by working sells (>= 0)."""
        return max(ZERO, self.quantity(symbol) - self.reserved_quantity(symbol, exclude))

    # -- snapshots ------------------------------------------------------------
    def cash_by_currency(self) -> dict[str, Decimal]:
        """Cash in every currency the account holds: ``currency`` first, then the others
        sorted (a foreign currency back at exactly 0 is still listed)."""
        return {self.currency: self.cash, **dict(sorted(self.foreign.items()))}

    @property
    def realized_pnl(self) -> Decimal:
        """Realized P&L, account currency, before commissions, of the holdings priced in
        it (pairs quoted in another currency: see :meth:`equity`)."""
        return sum((h.realized_pnl for h in self.holdings.values() if h.instrument.currency == self.currency), ZERO)

    def unrealized_pnl(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Sum of market value - cost basis over open positions priced in the account
        currency; unmarked ones count 0 (pairs in another currency: :meth:`equity`)."""
        return sum((h.market_value(marks.get(s)) - h.cost_basis for s, h in self.holdings.items()
                    if h.quantity and h.instrument.currency == self.currency), ZERO)

    def net_liquidation(self, marks: Mapping[str, Decimal], prices: Mapping[str, Decimal] | None = None) -> Decimal:
        """:meth:`equity`'s net liquidation (what cannot be converted is left out: see
        ``Equity.unconverted``)."""
        return self.equity(marks, prices).net_liquidation

    def equity(self, marks: Mapping[str, Decimal], prices: Mapping[str, Decimal] | None = None) -> "Equity":
        """The account's worth in ``currency``: cash of every currency converted at the
        pair ``prices`` (default: ``marks``; see :func:`.fx_rates.rate`) plus the market
        value of positions other than pairs at ``marks`` (cost basis if unmarked);
        realized and unrealized P&L of every holding, converted the same way (each sum
        rounded to 10 decimals: an inverse rate has many). A currency without a rate
        is left out of the sums and named in ``unconverted``."""
        prices = {**marks, **(prices or {})}
        total = self.cash + sum((h.market_value(marks.get(s)) for s, h in self.holdings.items()
                                 if h.quantity and not is_pair(h.instrument)), ZERO)
        realized = unrealized = ZERO
        unconverted: set[str] = set()
        rates: dict[str, str] = {}

        def into(amount: Decimal, ccy: str) -> Decimal:
            found = rate(ccy, self.currency, prices)
            if found is None:
                unconverted.add(ccy)
                return ZERO
            if ccy != self.currency:
                rates[ccy] = found[1]
            return amount * found[0]

        for ccy, amount in self.foreign.items():
            total += into(amount, ccy) if amount else ZERO
        for s, h in self.holdings.items():
            ccy = h.instrument.currency
            realized += into(h.realized_pnl, ccy) if h.realized_pnl else ZERO
            if h.quantity:
                unrealized += into(h.market_value(marks.get(s)) - h.cost_basis, ccy)
        return Equity(tidy(total), tidy(realized), tidy(unrealized), tuple(sorted(unconverted)), rates)

    def positions(self, marks: Mapping[str, Decimal], now: datetime | None = None) -> list[Position]:
        """Open positions (quantity != 0) as domain Positions, marked where a mark exists.

        ``unrealized_pnl`` is market value - cost basis (exact), which can differ from
        (last - average_price) x quantity by the 1e-10 rounding of the average.
        """
        ts = now or utc_now()
        out = []
        for sym, h in self.holdings.items():
            if h.quantity == 0:
                continue
            mark = marks.get(sym)
            mv = h.market_value(mark) if mark is not None else None
            out.append(
                Position(
                    broker=self.broker,
                    account_id=self.account_id,
                    instrument=h.instrument,
                    quantity=h.quantity,
                    average_price=h.average_cost,
                    last_price=mark,
                    market_value=mv,
                    unrealized_pnl=None if mv is None else mv - h.cost_basis,
                    realized_pnl=h.realized_pnl,
                    timestamp=ts,
                )
            )
        return out

    def balances(self, marks: Mapping[str, Decimal], now: datetime | None = None, *,
                 prices: Mapping[str, Decimal] | None = None) -> list[Balance]:
        """One Balance per currency held: first the account currency's (:meth:`balance`:
        net liquidation and P&L of the whole account converted into it), then each
        other currency's cash (free = total = cash, used 0; its net liquidation and P&L
        None, as they are counted in the first row)."""
        ts = now or utc_now()
        out = [self.balance(marks, ts, prices=prices)]
        for ccy, amount in sorted(self.foreign.items()):
            out.append(Balance(broker=self.broker, account_id=self.account_id, currency=ccy, cash=amount,
                               buying_power=amount, free=amount, used=ZERO, total=amount, timestamp=ts))
        return out

    def balance(self, marks: Mapping[str, Decimal], now: datetime | None = None, *,
                prices: Mapping[str, Decimal] | None = None) -> Balance:
        """The account currency's Balance: cash, buying power, net liquidation of the
        whole account (every currency converted, see :meth:`equity`; ``unconverted``
        names the currencies without a rate), free (= buying power) / used (reserved
        cash) / total (= cash), realized and unrealized P&L. All in ``currency``."""
        used = self.reserved_cash()
        eq = self.equity(marks, prices)
        return Balance(
            broker=self.broker,
            account_id=self.account_id,
            currency=self.currency,
            cash=self.cash,
            buying_power=self.cash - used,
            net_liquidation=eq.net_liquidation,
            free=self.cash - used,
            used=used,
            total=self.cash,
            realized_pnl=eq.realized_pnl,
            unrealized_pnl=eq.unrealized_pnl,
            unconverted=eq.unconverted,
            timestamp=now or utc_now(),
        )

    # -- persistence ----------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """A JSON-safe plain dict of the whole ledger (Decimals as strings)."""
        return {
            "version": STATE_VERSION,
            "account_id": self.account_id,
            "currency": self.currency,
            "broker": self.broker,
            "starting_cash": str(self.starting_cash),
            "cash": str(self.cash),
            "total_commissions": str(self.total_commissions),
            "foreign": {ccy: str(v) for ccy, v in self.foreign.items()},
            "holdings": {
                sym: {
                    "instrument": h.instrument.model_dump(mode="json"),
                    "quantity": str(h.quantity),
                    "cost_basis": str(h.cost_basis),
                    "realized_pnl": str(h.realized_pnl),
                }
                for sym, h in self.holdings.items()
            },
            "reservations": {
                oid: {"symbol": r.symbol, "cash": str(r.cash), "quantity": str(r.quantity)}
                for oid, r in self.reservations.items()
            },
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "Ledger":
        """Rebuild a ledger from :meth:`to_state` output.

        Raises ValueError for an unknown state version, KeyError / pydantic errors /
        decimal errors for malformed input.
        """
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported ledger state version {state.get('version')!r}")
        return cls(
            account_id=state["account_id"],
            starting_cash=Decimal(state["starting_cash"]),
            currency=state["currency"],
            broker=state["broker"],
            cash=Decimal(state["cash"]),
            total_commissions=Decimal(state["total_commissions"]),
            foreign={str(ccy): Decimal(v) for ccy, v in state.get("foreign", {}).items()},
            holdings={
                sym: Holding(
                    Instrument.model_validate(h["instrument"]),
                    Decimal(h["quantity"]),
                    Decimal(h["cost_basis"]),
                    Decimal(h["realized_pnl"]),
                )
                for sym, h in state["holdings"].items()
            },
            reservations={
                oid: Reservation(r["symbol"], Decimal(r["cash"]), Decimal(r["quantity"]))
                for oid, r in state["reservations"].items()
            },
        )
