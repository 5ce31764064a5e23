"""A position whose broker sent no cost (Connect Trade's ``unrealized_pl`` null, the
cookbook's edge case) keeps its unrealized P&L unknown when a quote marks it: the
market value follows the price, the P&L is never made up from a placeholder average."""

from __future__ import annotations

from decimal import Decimal as D

from desktop.brokers.connecttrade.wire import read_position
from desktop.desk.state import DeskState
from desktop.domain import Quote
from desktop.domain.analytics import total_unrealized_pnl
from desktop.domain.consolidation import consolidate_positions


def test_a_null_unrealized_pl_stays_unknown_when_a_quote_marks_the_position():
    pos = read_position({"symbol": "BND", "quantity": "40", "last_price": "72.50", "unrealized_pl": None},
                        "CT-2", "ct")
    assert pos.unrealized_pnl is None and not pos.average_price_known and pos.average is None
    state = DeskState()
    state.replace_positions("ct", "CT-2", [pos])
    state.put_quote(Quote(symbol="BND", connection_id="ct", last=D("73.00")))
    (marked,) = state.positions.values()
    assert marked.last_price == D("73.00")
    assert marked.market_value == D("2920.00")  # 40 × 73.00
    assert marked.unrealized_pnl is None  # not (73.00 − 72.50) × 40 = 20
    assert total_unrealized_pnl([marked]) == 0


def test_a_known_unrealized_pl_is_remarked_from_its_derived_average():
    pos = read_position({"symbol": "AAPL", "quantity": "10", "last_price": "190", "unrealized_pl": "50"}, "CT-1", "ct")
    assert pos.average_price_known and pos.average == D(185)  # 190 − 50 / 10
    assert pos.marked(D(200)).unrealized_pnl == D(150)  # (200 − 185) × 10


def test_consolidating_an_unknown_cost_leaves_the_sum_unknown():
    known = read_position({"symbol": "AAPL", "quantity": "10", "last_price": "190", "unrealized_pl": "50"}, "A", "ct")
    unknown = read_position({"symbol": "AAPL", "quantity": "5", "last_price": "190", "unrealized_pl": None}, "B", "ct")
    (row,) = consolidate_positions([known, unknown])
    assert row.quantity == 15 and not row.average_price_known and row.average is None
    assert row.marked(D(200)).unrealized_pnl is None
    (both_known,) = consolidate_positions([known, known.model_copy(update={"account_id": "C"})])
    assert both_known.average == D(185)
