"""Currency pairs by symbol (desktop.domain.forex): the one rule the paper market, the
ledger and the widgets' decimals share."""

from decimal import Decimal

from desktop.domain.forex import pair_decimals, pip, split_pair


def test_pairs_are_two_different_known_currencies_in_any_spelling():
    assert split_pair("EURUSD") == split_pair("eur/usd") == split_pair(" EUR.USD ") == ("EUR", "USD")
    assert [split_pair(s) for s in ("AAPL", "EUREUR", "EURXXX", "EURUSDX")] == [None] * 4


def test_yen_pairs_have_3_decimals_and_a_pip_of_a_hundredth_on_either_side():
    assert [pair_decimals(p) for p in ("USDJPY", "JPYUSD", "EURUSD", "EURGBP")] == [3, 3, 5, 5]
    assert (pip("USDJPY"), pip("EURUSD")) == (Decimal("0.01"), Decimal("0.0001"))
