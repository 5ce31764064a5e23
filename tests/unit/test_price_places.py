"""Price decimals for widgets (issue 14): a remembered instrument's, a pair's
conventional ones by symbol, the formatters honouring them, the ticket's tick step."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop.domain import AssetClass, Instrument
from desktop.ui import price_places
from desktop.ui.tables.formatting import fmt_price, set_number_format
from desktop.ui.ticket.price_step import stepped


@pytest.fixture(autouse=True)
def clean():
    price_places.forget_all()
    yield
    price_places.forget_all()
    set_number_format()


def test_pairs_by_symbol_and_remembered_instruments():
    assert price_places.places("EURUSD") == 5 and price_places.places("usd/jpy") == 3
    assert price_places.places("AAPL") is None and price_places.places("GOOGLE") is None
    price_places.remember(Instrument(symbol="US30", asset_class=AssetClass.CFD,
                                     tick_size=D("0.1")))
    assert price_places.places("US30") == 1
    price_places.remember(Instrument(symbol="EURUSD", asset_class=AssetClass.FOREX, tick_size=D("0.0001")))
    assert price_places.places("EURUSD") == 4  # the broker's own tick wins over the convention


def test_fmt_price_with_the_instruments_decimals():
    assert fmt_price(D("1.1"), 5) == "1.10000" and fmt_price(D("1.102351"), 5) == "1.10235"
    assert fmt_price(D("110.12"), 3) == "110.120"
    assert fmt_price(D("512.3"), 2) == fmt_price(D("512.3")) == "512.30"
    assert fmt_price(D("0.1234")) == "0.1234"
    set_number_format(price_decimals=2)  # the Settings level never hides a pair's pips
    assert fmt_price(D("1.1"), 5) == "1.10000" and fmt_price(D("512.346")) == "512.35"


def test_ticket_steps_prices_by_the_tick():
    assert stepped("1.30000", D("0.00001"), 1) == "1.30001"
    assert stepped("110.1", D("0.001"), -1) == "110.099"
    assert stepped("1,234.5", D("0.01"), 2) == "1234.52"
    assert stepped("", D("0.01"), 1) is None and stepped("abc", D("0.01"), 1) is None
    assert stepped("0.01", D("0.01"), -1) is None


def test_a_pair_buy_is_not_held_to_buying_power_but_a_share_is():
    from desktop.domain import Balance, OrderRequest, OrderSide, OrderType
    from desktop.ui.ticket.estimate import Estimate
    from desktop.ui.ticket.order_warnings import order_warnings

    usdjpy = Instrument(symbol="USDJPY", asset_class=AssetClass.FOREX, currency="JPY", tick_size=D("0.001"))
    short_yen = Balance(broker="paper", account_id="PAPER", currency="JPY", cash=D(-500_000), buying_power=D(-500_000))
    cost = Estimate(side=OrderSide.BUY, currency="JPY", price=D(110), notional=D(110_000), commission=D(0), total=D(110_000))
    request = OrderRequest(connection_id="paper", account_id="PAPER", instrument=usdjpy, side=OrderSide.BUY, type=OrderType.MARKET, amount=D(1_000))
    assert [w.kind for w in order_warnings(request, cost, None, balance=short_yen)] == []
    share = request.model_copy(update={"instrument": Instrument.equity("AAPL")})
    assert [w.kind for w in order_warnings(share, cost, None, balance=short_yen)] == ["buyingPower"]
