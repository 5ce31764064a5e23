"""Every sample of the Connect Trade API Cookbook (reproduced in cookbook_samples.py,
source noted there) runs against the fake unmodified in its requests and in the
fields it reads, and prints what the fake's paper market says."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest

from tests.fakes.connecttrade import CREDENTIALS, READONLY_ACCOUNT, TRADING_ACCOUNT

from .cookbook_samples import Cookbook
from .threaded_fake import fake_in_thread


@pytest.fixture
def cookbook(tmp_path):
    with fake_in_thread(tmp_path, pacing=False) as (ct, call):
        yield Cookbook(ct.base_url, ct.mdstream_url, CREDENTIALS), ct, call


def _fill_market_order(book, ct, call) -> str:
    lines, order = book.market_order(TRADING_ACCOUNT.account_id)
    assert lines == [f"Order {order['order_id']} — status: {order['normalized_status']}"]
    for _ in range(30):
        if any(r.startswith("AAPL BUY filled 10.0") for r in book.filled_orders()):
            break
        call(ct.paper.advance_minutes, 1)
    return order["order_id"]


def test_accounts_balances_and_orders_samples(cookbook):
    book, ct, call = cookbook
    assert book.accounts() == [
        f"Alpaca — {TRADING_ACCOUNT.account_number} (id: {TRADING_ACCOUNT.account_id})",
        f"tastytrade — {READONLY_ACCOUNT.account_number} (id: {READONLY_ACCOUNT.account_id})"]
    assert book.balances() == [f"Account {TRADING_ACCOUNT.account_number}: cash=100000, buying_power=100000",
                               f"Account {READONLY_ACCOUNT.account_number}: cash=12500.0, buying_power=0"]
    _fill_market_order(book, ct, call)
    assert book.filled_orders() == ["AAPL BUY filled 10.0 shares"]
    last = call(ct.paper.market.last_price, "AAPL")
    far = (last * Decimal("0.7")).quantize(Decimal("0.01"))
    book.post("/orders", {"account_id": TRADING_ACCOUNT.account_id, "cl_order_id": str(uuid.uuid4())[:30],
                          "broker": "ALPACA", "side": "BUY", "order_qty": "5", "order_type": "LMT",
                          "limit_price": str(far), "order_tif": "DAY", "instrument": "STK", "symbol": "AAPL"})
    assert book.open_orders() == ["AAPL BUY 5 (LMT) — OPEN"]
    assert book.cancel_all() == ["Cancelled AAPL BUY — Cancel request accepted"]
    assert book.open_orders() == []


def test_positions_pnl_concentration_fills_and_vwap_samples(cookbook):
    book, ct, call = cookbook
    _fill_market_order(book, ct, call)
    _fill_market_order(book, ct, call)
    positions = book.get("/positions")
    lines = book.positions()
    assert "BND: 50 shares @ 72.8, unrealized P&L: None" in lines
    aapl = next(p for p in positions if p["symbol"] == "AAPL")
    assert aapl["quantity"] == "20"
    # hand computation from the fake's own truth: the paper position and the read-only holdings
    (paper_pos,) = call(ct.paper.fetch_positions, "PAPER")
    msft_last = call(ct.paper.market.last_price, "MSFT")
    expected_pl = float(paper_pos.unrealized_pnl) + float((msft_last - Decimal("25.10")) * 120) + 100.0
    _lines, total = book.total_unrealized()
    assert total == pytest.approx(expected_pl)
    out, values = book.concentration()
    assert [sym for sym, _ in values][0] in ("AAPL", "MSFT", "IBM")
    assert "GOOG" not in [sym for sym, _ in values]  # quantity 0: skipped as the sample does
    assert sorted(sym for sym, _ in values) == ["AAPL", "BND", "MSFT", "VTI"]
    assert sum(float(line.split("(")[1].rstrip("%)")) for line in out[1:]) == pytest.approx(100, abs=0.3)
    today = call(lambda: ct.paper.market.clock.now.strftime("%Y-%m-%dT00:00:00Z"))
    out, fills = book.fills_today(today)
    paper_fills = call(ct.paper.fetch_fills, "PAPER")
    assert out[0] == f"Total fills today: {len(paper_fills)}" and len(fills) == len(paper_fills) >= 2
    lines, vwap, qty = book.vwap(today)
    hand = sum(f.amount * f.price for f in paper_fills) / sum(f.amount for f in paper_fills)
    assert qty == 20 and vwap == pytest.approx(float(hand))
    assert lines == [f"AAPL execution VWAP: ${float(hand):.4f} (20 shares)"]
    yesterday_fills = book.fills_today("2099-01-01T00:00:00Z")[1]
    assert yesterday_fills == []


def test_transactions_sample(cookbook):
    book, ct, call = cookbook
    _fill_market_order(book, ct, call)
    day = call(lambda: ct.paper.market.clock.current_date)
    start = day.replace(day=1).isoformat() if day.day > 20 else f"{day.year - 1}-12-01"
    lines = book.transactions(start, day.isoformat())
    assert any(line.startswith("BUY: AAPL — -") for line in lines), lines
    assert any(line.startswith("DIVIDEND: MSFT — 9.60") for line in lines), lines
    assert book.transactions("1990-06-01", "1990-06-30") == []


def test_momentum_sample_over_mdstream(cookbook):
    book, ct, call = cookbook
    lines, closes, momentum = book.momentum(ct.connection_id)
    parts = [call(ct.paper.fetch_bars, s, "1d", None, None, 20) for s in ("AAPL", "MSFT", "IBM")]
    hand = [round(sum(float(p[i].close) for p in parts) / 3, 2) for i in range(20)]
    assert closes == pytest.approx(hand, abs=0.006)
    assert momentum == pytest.approx(hand[-1] / hand[0] - 1, abs=1e-3)
    assert lines == [f"SPY 20-day momentum: {momentum:+.2%}"]


def test_every_request_needs_the_four_headers(cookbook):
    book, ct, _call = cookbook
    for missing in CREDENTIALS:
        headers = {k: v for k, v in CREDENTIALS.items() if k != missing}
        r = httpx.get(f"{ct.base_url}/accounts", headers=headers)
        assert r.status_code == 401 and r.json() == {"message": f"Missing required header: {missing}"}
    r = httpx.get(f"{ct.base_url}/balances", headers={**CREDENTIALS, "user-secret": "wrong"})
    assert r.status_code == 401 and r.json()["message"] == "Invalid user-secret"
    with pytest.raises(httpx.HTTPStatusError):
        Cookbook(ct.base_url, ct.mdstream_url, {**CREDENTIALS, "client-secret": "x"}).balances()
