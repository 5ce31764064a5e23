"""The paper ledger holding currencies (issue 14): pair fills move two currencies,
balances per currency, net liquidation converted into the account currency."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D
from itertools import count

import pytest

from desktop.brokers.paper.fx_rates import base_quote, convert, rate
from desktop.brokers.paper.ledger import Ledger
from desktop.domain import AssetClass, Fill, Instrument, OrderSide

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=timezone.utc)
_ids = count(1)


def pair(symbol: str) -> Instrument:
    return Instrument(symbol=symbol, asset_class=AssetClass.FOREX, currency=symbol[3:],
                      tick_size=D("0.001") if symbol.endswith("JPY") else D("0.00001"))


def fill(side: str, amount, price, inst: Instrument, comm="0") -> Fill:
    return Fill(broker="paper", account_id="PAPER", fill_id=f"F{next(_ids)}", order_id="O1", instrument=inst,
                side=OrderSide(side), amount=D(str(amount)), price=D(str(price)), commission=D(comm), timestamp=T0)


EURUSD, USDJPY, EURGBP = pair("EURUSD"), pair("USDJPY"), pair("EURGBP")


def test_buying_eurusd_adds_euros_and_spends_dollars_and_net_liq_converts_at_the_rate():
    led = Ledger(starting_cash=D(100_000))
    led.apply_fill(fill("BUY", 10_000, "1.10000", EURUSD))
    assert led.cash == D("89000.00000")
    assert led.cash_by_currency() == {"USD": D(89_000), "EUR": D(10_000)}
    # hand-computed: 89,000 USD + 10,000 EUR x 1.12 = 100,200 USD
    eq = led.equity({"EURUSD": D("1.12")})
    assert eq.net_liquidation == D(100_200)
    assert eq.unrealized_pnl == D(200)  # (1.12 - 1.10) x 10,000, USD
    assert eq.rates == {"EUR": "EURUSD 1.12"} and eq.unconverted == ()
    rows = led.balances({"EURUSD": D("1.12")}, now=T0)
    assert [(b.currency, b.cash, b.free, b.used, b.total) for b in rows] == [
        ("USD", D(89_000), D(89_000), D(0), D(89_000)), ("EUR", D(10_000), D(10_000), D(0), D(10_000))]
    assert rows[0].net_liquidation == D(100_200) and rows[1].net_liquidation is None
    (pos,) = led.positions({"EURUSD": D("1.12")}, now=T0)
    assert pos.symbol == "EURUSD" and pos.quantity == D(10_000) and pos.average_price == D("1.1")


def test_usdjpy_round_trip_spends_yen_then_buys_it_back_and_realizes_in_yen():
    led = Ledger(starting_cash=D(100_000))
    led.apply_fill(fill("BUY", 10_000, "110.000", USDJPY))
    assert led.cash_by_currency() == {"USD": D(110_000), "JPY": D(-1_100_000)}
    led.apply_fill(fill("SELL", 10_000, "111.000", USDJPY))
    # +1,110,000 JPY back: 10,000 JPY left, USD back to 100,000
    assert led.cash_by_currency() == {"USD": D(100_000), "JPY": D(10_000)}
    assert led.holdings["USDJPY"].realized_pnl == D(10_000)  # JPY
    eq = led.equity({}, {"USDJPY": D("125")})
    assert eq.net_liquidation == D(100_080)  # 10,000 JPY / 125 = 80 USD
    assert eq.realized_pnl == D(80) and eq.rates == {"JPY": "1 / USDJPY 125"}
    assert led.positions({}) == []


def test_selling_eurusd_goes_short_euros():
    led = Ledger(starting_cash=D(100_000))
    led.apply_fill(fill("SELL", 5_000, "1.20000", EURUSD))
    assert led.cash_by_currency() == {"USD": D(106_000), "EUR": D(-5_000)}
    assert led.equity({"EURUSD": D("1.10")}).net_liquidation == D(100_500)  # 106,000 - 5,500
    (pos,) = led.positions({"EURUSD": D("1.10")})
    assert pos.quantity == D(-5_000) and pos.unrealized_pnl == D(500)


def test_a_cross_moves_two_foreign_currencies_and_commission_is_taken_in_the_quote_currency():
    led = Ledger(starting_cash=D(100_000))
    led.apply_fill(fill("BUY", 1_000, "0.85000", EURGBP, comm="2"))
    assert led.cash_by_currency() == {"USD": D(100_000), "EUR": D(1_000), "GBP": D(-852)}
    assert led.total_commissions == 0  # it is counted in GBP, not in the USD tally
    eq = led.equity({}, {"EURUSD": D("1.10"), "GBPUSD": D("1.25")})
    assert eq.net_liquidation == D(100_000) + D(1_100) - D(852) * D("1.25")


def test_a_currency_without_a_rate_is_reported_not_dropped_silently():
    led = Ledger(starting_cash=D(100_000))
    led.apply_fill(fill("BUY", 1_000, "0.85000", EURGBP))
    eq = led.equity({}, {"EURUSD": D("1.10")})
    assert eq.unconverted == ("GBP",) and eq.net_liquidation == D(101_100)
    bal = led.balance({}, prices={"EURUSD": D("1.10")})
    assert bal.unconverted == ("GBP",)


def test_shares_still_book_as_before_beside_currencies_and_state_round_trips():
    led = Ledger(starting_cash=D(100_000))
    led.apply_fill(Fill(broker="paper", account_id="PAPER", fill_id="S1", order_id="O2", instrument=Instrument.equity("AAPL"),
                        side=OrderSide.BUY, amount=D(10), price=D(100), commission=D(1), timestamp=T0))
    led.apply_fill(fill("BUY", 10_000, "1.10000", EURUSD))
    marks = {"AAPL": D(110), "EURUSD": D("1.12")}
    assert led.net_liquidation(marks) == D(87_999) + D(1_100) + D(11_200)
    assert led.unrealized_pnl(marks) == D(300)  # AAPL 100 + EURUSD 200 (both priced in USD)
    back = Ledger.from_state(led.to_state())
    assert back.cash_by_currency() == led.cash_by_currency() and back.net_liquidation(marks) == led.net_liquidation(marks)
    old = led.to_state()
    del old["foreign"]  # a state written before issue 14
    assert Ledger.from_state(old).foreign == {}


def test_a_share_in_another_currency_is_still_refused():
    with pytest.raises(ValueError, match="in EUR, not USD"):
        Ledger().apply_fill(fill("BUY", 1, 10, Instrument.equity("SAP").model_copy(update={"currency": "EUR"})))


def test_rates_direct_inverse_and_missing():
    assert rate("EUR", "USD", {"EURUSD": D("1.1")}) == (D("1.1"), "EURUSD 1.1")
    assert convert(D(500), "JPY", "USD", {"USDJPY": D(125)}) == D(4)
    assert rate("CHF", "JPY", {"USDJPY": D(125)}) is None
    assert base_quote("gbpusd") == ("GBP", "USD")
    with pytest.raises(ValueError):
        base_quote("AAPL")
