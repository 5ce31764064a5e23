"""Commission model of the paper broker: IBKR-Pro-"fixed"-like per-share pricing.

The rule, per order (not per fill), in the account currency (USD):

* ``per_share`` x executed quantity (default $0.005 per share / per contract),
* at least ``minimum`` per order (default $1.00),
* at most ``max_rate`` of the order's executed trade value (default 1%); the cap wins
  over the minimum, so a $50 trade pays $0.50,
* rounded half-up to cents.

Because the minimum and the cap apply per order, an order filled in several parts
is charged incrementally: each fill pays ``total(after) - total(before)``, so the
fills of an order always add up to exactly what one fill of the same size would
cost. The total is monotone in quantity and value, so no fill ever pays a
negative commission (later fills may pay $0.00 while the minimum is still covered).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CommissionModel:
    """Per-share commission with a per-order minimum and a cap as a share of value.

    ``per_share`` in USD per share (per contract for options), ``minimum`` in USD per
    order, ``max_rate`` a fraction of trade value (0.01 = 1%). All Decimal.
    """

    per_share: Decimal = Decimal("0.005")
    minimum: Decimal = Decimal("1.00")
    max_rate: Decimal = Decimal("0.01")

    def order_total(self, quantity: Decimal, value: Decimal) -> Decimal:
        """Commission of an order that executed ``quantity`` for gross ``value``.

        ``value`` is the trade value in USD (sum of amount x price x multiplier).
        Returns USD rounded half-up to cents; 0.00 when nothing executed.
        """
        if quantity <= 0 or value <= 0:
            return _ZERO
        fee = max(quantity * self.per_share, self.minimum)
        fee = min(fee, value * self.max_rate)
        return fee.quantize(CENT, rounding=ROUND_HALF_UP)

    def __call__(self, amount: Decimal, price: Decimal, multiplier: Decimal = Decimal(1)) -> Decimal:
        """Commission of one order executing ``amount`` at ``price`` (x ``multiplier``), USD."""
        return self.order_total(amount, amount * price * multiplier)

    def for_fill(
        self,
        prior_quantity: Decimal,
        prior_value: Decimal,
        quantity: Decimal,
        price: Decimal,
        multiplier: Decimal = Decimal(1),
    ) -> Decimal:
        """Commission of one more fill of an order, given what the order executed before.

        ``prior_quantity`` / ``prior_value`` are the order's executed quantity and gross
        value (USD) before this fill; the fill adds ``quantity`` at ``price``. Returns
        the increase of :meth:`order_total`, in USD (>= 0, cents).
        """
        before = self.order_total(prior_quantity, prior_value)
        after = self.order_total(prior_quantity + quantity, prior_value + quantity * price * multiplier)
        return max(_ZERO, after - before)

    def to_state(self) -> dict[str, str]:
        """The model's parameters as a JSON-safe dict (Decimals as strings)."""
        return {"per_share": str(self.per_share), "minimum": str(self.minimum), "max_rate": str(self.max_rate)}

    @classmethod
    def from_state(cls, state: dict[str, str]) -> "CommissionModel":
        """Inverse of :meth:`to_state`. Raises KeyError / decimal errors on bad input."""
        return cls(Decimal(state["per_share"]), Decimal(state["minimum"]), Decimal(state["max_rate"]))


DEFAULT_COMMISSION = CommissionModel()

OPTION_COMMISSION = CommissionModel(per_share=Decimal("0.65"), minimum=Decimal("1.00"), max_rate=Decimal("1"))
"""Options: $0.65 per contract, at least $1.00 per order, capped at the premium paid
(100% of trade value, so a one-contract $0.01 option pays $1.00). Same per-order,
incremental-per-fill rule as shares. Exercise, assignment and expiry are free."""

FX_COMMISSION = CommissionModel(per_share=Decimal(0), minimum=Decimal(0), max_rate=Decimal(0))
"""Currency pairs (issue 14): no commission; the quoted spread is the cost. Would a
charge apply, the ledger takes it in the pair's quote currency."""


def commission(amount: Decimal, price: Decimal, multiplier: Decimal = Decimal(1)) -> Decimal:
    """Default-model commission of one order of ``amount`` at ``price``, USD in cents.

    E.g. 100 shares at $50 -> $1.00 (minimum); 1,000 at $50 -> $5.00; 10 at $5 -> $0.50
    (1% cap).
    """
    return DEFAULT_COMMISSION(amount, price, multiplier)
