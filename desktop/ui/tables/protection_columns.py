"""Blotter columns of forex/CFD brokers (issue 14): a position's id, stop-loss and
take-profit, an order's attached stop-loss / take-profit.

They start hidden (paper and stock brokers have none) and :func:`reveal_when_used`
shows them the first time a row that has them arrives in the panel (a position with
an id, an order or position with a stop-loss or take-profit); after that the user's
header menu decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from desktop.domain import Order, ProtectionType

from .columns import Column
from .formatting import fmt_price

POSITION_IDS = ("stop_loss", "take_profit", "position_id")
POSITION_AFTER = "avg_price"
ORDER_AFTER = "limit_stop"
ORDER_IDS = ("sl_tp",)
_KIND = {ProtectionType.ABSOLUTE: "", ProtectionType.OFFSET: "±", ProtectionType.TRAILING_OFFSET: "trail "}


def price_for(row: Any, value: Any) -> str:
    """``value`` (a price of ``row``'s instrument) with the instrument's decimals
    (:attr:`Instrument.price_decimals`: forex EURUSD 1.08123, USDJPY in 3; see
    :func:`fmt_price`); options and rows without an instrument as fmt_price shows prices."""
    instrument = getattr(row, "instrument", None)
    decimals = getattr(instrument, "price_decimals", None) if not getattr(instrument, "is_option", True) else None
    return fmt_price(value, decimals if isinstance(decimals, int) else None)


def priced(row_value: Callable[[Any], Any]) -> Callable[[Any], str]:
    """A Column ``render`` showing ``row_value(row)`` with :func:`price_for`."""
    return lambda row: price_for(row, row_value(row))


def position_protection_columns() -> list[Column]:
    """SL, TP and Position ID of a positions row."""
    return [
        Column("stop_loss", "SL", lambda p: getattr(p, "stop_loss", None), fmt_price, numeric=True,
               render=priced(lambda p: getattr(p, "stop_loss", None)),
               header_tip="Stop-loss: the position is closed at the market when the price reaches it"),
        Column("take_profit", "TP", lambda p: getattr(p, "take_profit", None), fmt_price, numeric=True,
               render=priced(lambda p: getattr(p, "take_profit", None)),
               header_tip="Take-profit: the position is closed when the price reaches it"),
        Column("position_id", "Position ID", lambda p: getattr(p, "position_id", "") or "",
               header_tip="The broker's id of the position (hedging brokers hold several per instrument)"),
    ]


def sl_tp_text(o: Order) -> str:
    """"SL 1.08000 · TP 1.10000" of an order ("" without protection); offsets as
    "±0.00200", trailing as "trail 0.00200"."""
    parts = []
    if o.stop_loss is not None:
        parts.append(f"SL {_KIND[o.stop_loss_type]}{price_for(o, o.stop_loss)}")
    if o.take_profit is not None:
        parts.append(f"TP {_KIND[o.take_profit_type]}{price_for(o, o.take_profit)}")
    return " · ".join(parts)


def order_protection_columns() -> list[Column]:
    """The SL / TP cell of an orders row."""
    return [Column("sl_tp", "SL / TP", sl_tp_text,
                   header_tip="Stop-loss and take-profit attached to the order (± an offset from the fill, "
                              "trail a trailing stop)")]


def has_protection(row: Any) -> bool:
    """A row that uses the columns: a stop-loss, a take-profit or a position id."""
    return bool(getattr(row, "stop_loss", None) is not None or getattr(row, "take_profit", None) is not None
                or getattr(row, "position_id", ""))


def reveal_when_used(panel: Any, column_ids: Iterable[str], used: Callable[[Any], bool] = has_protection,
                     after: str | None = None) -> None:
    """Show ``column_ids`` of ``panel`` (a TablePanel) once, when its model first holds
    a row for which ``used(row)`` is true, moved to follow column ``after`` (in sight
    beside the prices rather than past the last column)."""
    ids = tuple(column_ids)
    model = panel.model

    first = [True]  # the first check looks at every row (some may predate this call)

    def check() -> None:  # then after each flush only the rows it applied (not 4,000 orders every 100 ms)
        rows = model.rows() if first[0] else model.applied_rows()
        first[0] = False
        if any(used(row) for row in rows):
            model.flushed.disconnect(check)
            header = panel.view.horizontalHeader()
            target = header.visualIndex(model.column_index(after)) if after else None
            for column_id in ids:
                logical = model.column_index(column_id)
                header.setSectionHidden(logical, False)
                if target is not None and target >= 0:
                    target += 1
                    header.moveSection(header.visualIndex(logical), target)
            panel.view.request_fit()

    model.flushed.connect(check)
