"""Paper options: the listed chain, option orders in the matching engine, expiry, persistence."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.brokers import InvalidRequestError, NotFoundError, OrderRejectedError
from desktop.brokers.paper import ACCOUNT_ID, PaperBroker
from desktop.brokers.paper.fillmodel import WRITING_REFUSED
from desktop.brokers.paper.ledger import Ledger
from desktop.brokers.paper.market import MarketSimulator
from desktop.brokers.paper.matching import MatchingEngine
from desktop.brokers.paper.options_market import (
    RISK_FREE_RATE,
    OptionsMarket,
    grid_strikes,
    on_grid,
    spread_quote,
    strike_step,
    third_friday,
)
from desktop.domain import (
    Fill,
    Instrument,
    OptionContract,
    OptionRight,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionEffect,
    TimeInForce,
)

CALL, PUT = OptionRight.CALL, OptionRight.PUT
BUY, SELL = OrderSide.BUY, OrderSide.SELL
OPEN, CLOSE = PositionEffect.OPEN, PositionEffect.CLOSE
THU, FRI = date(2012, 3, 1), date(2012, 3, 2)  # the default first replay day and the first expiry
AAPL_FRI_CLOSE = D("545.18")  # AAPL's real close on Friday 2 March 2012


# -- the listed market ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def options() -> OptionsMarket:
    market = MarketSimulator.from_resources()
    for _ in range(60):
        market.advance_one_minute()
    return OptionsMarket(market)


def test_expiries_are_weeklies_and_monthlies_from_the_replay_date(options):
    listed = options.expiries("AAPL")
    assert list(listed) == sorted(set(listed)) and listed[0] == FRI and all(d >= THU for d in listed)
    weeklies = [FRI + timedelta(weeks=k) for k in range(5)]
    monthlies = [third_friday(2012, m) for m in (3, 4, 5, 6)]
    assert set(listed) == set(weeklies) | set(monthlies)
    assert date(2012, 4, 20) in listed and date(2012, 6, 15) in listed  # monthly only
    assert date(2012, 3, 23) in listed and date(2012, 3, 23) != third_friday(2012, 3)  # weekly only


def test_holiday_friday_expires_the_trading_day_before():
    market = MarketSimulator.from_resources()
    market.clock.seek(date(2012, 3, 19))
    listed = OptionsMarket(market).expiries()
    assert date(2012, 4, 5) in listed and date(2012, 4, 6) not in listed  # Good Friday 2012


def test_chain_shape_strikes_quotes_and_greeks(options):
    chain = options.chain("aapl")
    spot = chain.underlying_price
    assert chain.underlying == "AAPL" and spot == options.market.last_price("AAPL")
    assert chain.expiries == options.expiries() and len(chain.strikes) > 20
    assert list(chain.strikes) == sorted(chain.strikes)
    assert all(on_grid(k) and spot * D("0.7") <= k <= spot * D("1.3") for k in chain.strikes)
    assert all(b - a == 10 for a, b in zip(chain.strikes, chain.strikes[1:]))  # $10 steps above $200
    assert len(chain.quotes) == 2 * len(chain.strikes)
    assert [(q.contract.strike, q.contract.right) for q in chain.quotes] == [(k, r) for k in chain.strikes for r in (CALL, PUT)]
    for q in chain.quotes:
        assert q.contract.expiry == FRI and q.contract.multiplier == 100
        assert 0 <= q.bid < q.ask and q.last == q.mid and q.underlying_price == spot
        assert q.volume is not None and q.open_interest is not None and q.iv > 0
        assert q.gamma >= 0 and q.vega >= 0
        assert (0 <= q.delta <= 1) if q.contract.right is CALL else (-1 <= q.delta <= 0)
    atm = min(chain.strikes, key=lambda k: abs(k - spot))
    later = options.chain("AAPL", date(2012, 4, 20))
    atm_call = next(q for q in later.quotes if q.contract.strike == atm and q.contract.right is CALL)
    assert D("0.4") < atm_call.delta < D("0.65") and atm_call.theta < 0


def test_put_call_parity_holds_on_mids(options):
    expiry = date(2012, 4, 20)
    chain = options.chain("AAPL", expiry)
    spot, years = float(chain.underlying_price), options._years(expiry)
    by_key = {(q.contract.strike, q.contract.right): q for q in chain.quotes}
    near = [k for k in chain.strikes if abs(float(k) / float(spot) - 1) < 0.1]
    assert near
    for k in near:
        call, put = by_key[(k, CALL)], by_key[(k, PUT)]
        parity = spot - float(k) * math.exp(-RISK_FREE_RATE * years)
        spreads = float(call.ask - call.bid + put.ask - put.bid)
        assert abs(float(call.mid - put.mid) - parity) <= spreads / 2 + 0.01


def test_quotes_are_deterministic_and_volume_grows_through_the_day():
    market = MarketSimulator.from_resources()
    opts = OptionsMarket(market)
    for _ in range(30):
        market.advance_one_minute()
    contract = OptionContract(underlying="MSFT", expiry=date(2012, 3, 16), right=CALL, strike=D(32))
    first, again = opts.quote(contract), opts.quote(contract)
    assert first == again
    for _ in range(200):
        market.advance_one_minute()
    later = opts.quote(contract)
    assert later.open_interest == first.open_interest and later.volume >= first.volume


def test_unknown_underlying_expiry_and_strike_are_not_found(options):
    with pytest.raises(NotFoundError, match="ZZZ"):
        options.chain("ZZZ")
    with pytest.raises(NotFoundError, match="2012-03-03"):
        options.chain("AAPL", date(2012, 3, 3))
    off_grid = OptionContract(underlying="AAPL", expiry=FRI, right=CALL, strike=D(545))
    with pytest.raises(NotFoundError, match="strike 545 is not on the strike grid"):
        options.quote(off_grid)
    with pytest.raises(NotFoundError, match="no expiry on 2012-03-05"):
        options.quote(off_grid.model_copy(update={"expiry": date(2012, 3, 5), "strike": D(550)}))
    with pytest.raises(InvalidRequestError) as info:
        options.contract_for("AAPL120302X00550000")
    assert info.value.field == "symbol"
    contract = options.contract_for("aapl120302c00550000")
    assert contract == OptionContract(underlying="AAPL", expiry=FRI, right=CALL, strike=D(550))
    assert options.contract_for(contract.occ_symbol) == contract
    inst = options.instrument(contract)
    assert inst.is_option and inst.symbol == "AAPL  120302C00550000" and inst.multiplier == 100


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=D("0.0001"), max_value=D(3000), places=4))
def test_spread_quote_brackets_the_value_on_ticks(value):
    bid, ask = spread_quote(value)
    assert 0 <= bid < ask and bid <= value <= ask
    assert ask - bid >= D("0.05") or bid == 0
    if value >= 3:
        assert bid % D("0.05") == 0 and ask % D("0.05") == 0


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=D(1), max_value=D(2000), places=2), st.decimals(min_value=D("0.01"), max_value=D(1), places=2))
def test_grid_strikes_are_contiguous_grid_points(low, width):
    high = low * (1 + width)
    strikes = grid_strikes(low, high)
    assert all(on_grid(k) and low <= k <= high for k in strikes)
    assert all(b - a == strike_step(a) for a, b in zip(strikes, strikes[1:]))
    if strikes:  # nothing on the grid between low and the first strike
        assert strikes[0] - strike_step(strikes[0] - D("0.001")) < low


# -- option orders in the engine, with a scripted quote ---------------------------------------------
T0 = datetime(2012, 3, 1, 15, 0, tzinfo=timezone.utc)
CONTRACT = OptionContract(underlying="AAPL", expiry=date(2012, 3, 16), right=CALL, strike=D(550))
OPT = Instrument.for_option(CONTRACT)


def option_order(side=BUY, kind=OrderType.LIMIT, amount=1, limit="2.50", effect=OPEN, tif=TimeInForce.DAY, inst=OPT):
    return OrderRequest(connection_id="paper", account_id="PAPER", instrument=inst, side=side, type=kind, amount=D(amount),
                        limit_price=None if limit is None else D(limit), time_in_force=tif, position_effect=effect)


class Pricer:
    def __init__(self, bid="2.00", ask="2.10"):
        self.bid, self.ask = D(bid), D(ask)

    def __call__(self, inst):
        if inst.symbol != OPT.symbol:
            raise NotFoundError(f"{inst.symbol} is not listed")
        return self.bid, self.ask


def test_engine_fills_option_orders_at_the_touch_and_rests_the_rest():
    pricer = Pricer()
    eng = MatchingEngine(Ledger(), symbols=["AAPL"], option_pricer=pricer)
    ev = eng.submit(option_order(limit="3.00", amount=2), T0, None)
    fill = next(e for e in ev if isinstance(e, Fill))
    assert fill.price == D("2.10") and fill.commission == D("1.30") and ev[-1].status is OrderStatus.FILLED
    resting = eng.submit(option_order(limit="1.95"), T0, None)[-1]
    assert resting.status is OrderStatus.ACCEPTED
    assert eng.on_option_quotes(T0 + timedelta(minutes=1)) == []
    pricer.ask = D("1.90")
    ev = eng.on_option_quotes(T0 + timedelta(minutes=2))
    assert [e.price for e in ev if isinstance(e, Fill)] == [D("1.90")] and ev[-1].status is OrderStatus.FILLED
    sell = eng.submit(option_order(SELL, OrderType.MARKET, amount=3, limit=None, effect=CLOSE), T0, None)
    assert sell[-1].status is OrderStatus.FILLED and sell[1].price == D("2.00")
    assert eng.ledger.quantity(OPT.symbol) == 0
    assert eng.ledger.holdings[OPT.symbol].realized_pnl == (D("2.00") * 3 - D("2.10") * 2 - D("1.90")) * 100
    ioc = eng.submit(option_order(limit="1.00", tif=TimeInForce.IOC), T0, None)[-1]
    assert ioc.status is OrderStatus.CANCELED and "not marketable at the ask 1.90" in ioc.message


def test_engine_option_rejections_and_state_round_trip():
    eng = MatchingEngine(Ledger(starting_cash=D(500)), symbols=["AAPL"], option_pricer=Pricer())
    reasons = {
        "write": eng.submit(option_order(SELL, effect=OPEN), T0, None)[-1].message,
        "close": eng.submit(option_order(SELL, effect=CLOSE), T0, None)[-1].message,
        "implicit": eng.submit(option_order(SELL, effect=None), T0, None)[-1].message,
        "cover": eng.submit(option_order(BUY, effect=CLOSE), T0, None)[-1].message,
        "cash": eng.submit(option_order(amount=3), T0, None)[-1].message,
        "stop": eng.submit(OrderRequest(connection_id="paper", account_id="PAPER", instrument=OPT, side=BUY, type=OrderType.STOP, amount=D(1),
                                        stop_price=D(3)), T0, None)[-1].message,
        "unknown": eng.submit(option_order(inst=Instrument.for_option(CONTRACT.model_copy(update={"strike": D(560)}))),
                              T0, None)[-1].message,
    }
    assert reasons["write"] == WRITING_REFUSED == reasons["implicit"] and "margin account" in reasons["write"]
    assert "SELL_TO_CLOSE needs a long position" in reasons["close"]
    assert "BUY_TO_CLOSE needs a short position" in reasons["cover"]
    assert reasons["cash"].startswith("insufficient buying power: this order needs $751.95")  # 3 x 2.50 x 100 + 1.95
    assert "stop orders are not available for options" in reasons["stop"]
    assert "is not listed" in reasons["unknown"]
    assert all(o.status is OrderStatus.REJECTED for o in eng.orders())
    eng.submit(option_order(amount=1), T0, None)
    held = eng.submit(option_order(SELL, limit="5.00", effect=CLOSE, tif=TimeInForce.GTC), T0, None)[-1]
    assert held.status is OrderStatus.ACCEPTED
    more = eng.submit(option_order(SELL, limit="5.00", effect=CLOSE), T0, None)[-1]
    assert more.status is OrderStatus.REJECTED and "1 held by working sell orders" in more.message
    again = MatchingEngine.from_state(eng.to_state(), orders=(), fills=())
    again.option_pricer = Pricer(bid="5.00", ask="5.10")
    assert again.option_commission == eng.option_commission and again.ledger.quantity(OPT.symbol) == 1
    ev = again.on_option_quotes(T0 + timedelta(minutes=5))
    assert [e.price for e in ev if isinstance(e, Fill)] == [D("5.00")]


# -- through the PaperBroker ----------------------------------------------------------------------
@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "paper.sqlite3"


async def connected(path, minutes=30) -> PaperBroker:
    broker = PaperBroker(path, autostart=False)
    await broker.connect()
    broker.advance_minutes(minutes)
    return broker


async def option(broker, strike, right=CALL, expiry=FRI):
    contract = OptionContract(underlying="AAPL", expiry=expiry, right=right, strike=D(strike))
    [inst] = await broker.search_instruments(contract.occ_symbol)
    return inst, broker.options.quote(contract)


def request(inst, side=BUY, amount=1, effect=OPEN, kind=OrderType.LIMIT, limit=None, **kw):
    return OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=inst, side=side, type=kind, amount=D(amount),
                        limit_price=limit, position_effect=effect, **kw)


async def to_friday_close(broker):
    """Play the rest of Thursday and all of Friday 2 March 2012 (the first expiry)."""
    broker.advance_minutes(390 - broker.market.clock.minute + 1 + 390)
    assert broker.market.clock.current_date == FRI and broker.market.clock.session_closed


def test_broker_lists_options_and_chains(arun, store_path):
    async def body():
        broker = await connected(store_path)
        assert broker.capabilities.options
        chain = await broker.fetch_option_chain("IBM")
        assert chain.expiries[0] == FRI and {q.contract.right for q in chain.quotes} == {CALL, PUT}
        assert await broker.search_instruments("AAPL  120302C00545000") == []  # off the grid
        [inst] = await broker.search_instruments("aapl120302p00550000")
        assert inst.option.right is PUT and inst.multiplier == 100
        assert [i.symbol for i in await broker.search_instruments("AAPL")] == ["AAPL"]
        assert broker.estimate_commission(request(inst, amount=3, limit=D(1)), D(1)) == D("1.95")
        with pytest.raises(NotFoundError):
            await broker.fetch_option_chain("NOPE")
        await broker.close()

    arun(body())


def test_buy_to_open_fills_at_the_ask_and_sell_to_close_realises(arun, store_path):
    async def body():
        broker = await connected(store_path)
        inst, quote = await option(broker, 540)
        placed = await broker.create_order(request(inst, amount=2, limit=quote.ask + 1))
        assert placed.status is OrderStatus.FILLED and placed.average == quote.ask and placed.commission == D("1.30")
        [pos] = await broker.fetch_positions(ACCOUNT_ID)
        assert pos.instrument.multiplier == 100 and pos.quantity == 2 and pos.average_price == quote.ask
        assert pos.last_price == quote.mid and pos.market_value == 2 * quote.mid * 100
        [bal] = await broker.fetch_balances(ACCOUNT_ID)
        assert bal.cash == D(100_000) - 2 * quote.ask * 100 - D("1.30")
        broker.advance_minutes(5)
        bid = broker.options.quote(inst.option).bid
        sold = await broker.create_order(request(inst, SELL, amount=2, effect=CLOSE, kind=OrderType.MARKET))
        assert sold.status is OrderStatus.FILLED and sold.average == bid
        assert await broker.fetch_positions(ACCOUNT_ID) == []
        [bal] = await broker.fetch_balances(ACCOUNT_ID)
        assert bal.realized_pnl == (bid - quote.ask) * 200
        assert bal.cash == D(100_000) + (bid - quote.ask) * 200 - D("2.60")
        await broker.close()

    arun(body())


def test_broker_rejections_say_why(arun, store_path):
    async def body():
        broker = await connected(store_path)
        inst, quote = await option(broker, 540)
        cases = [
            (request(inst, SELL, effect=OPEN, limit=quote.bid), "margin account"),
            (request(inst, SELL, effect=CLOSE, limit=quote.bid), "SELL_TO_CLOSE needs a long position"),
            (request(inst, amount=200, limit=quote.ask), "insufficient buying power"),
            (request(Instrument.for_option(inst.option.model_copy(update={"strike": D(545)})), limit=D(1)), "not on the strike grid"),
        ]
        for req, reason in cases:
            with pytest.raises(OrderRejectedError, match=reason):
                await broker.create_order(req)
        assert [o.status for o in await broker.fetch_orders(ACCOUNT_ID)] == [OrderStatus.REJECTED] * len(cases)
        await broker.close()

    arun(body())


def test_expiry_exercises_itm_and_expires_otm(arun, store_path):
    async def body():
        broker = await connected(store_path)
        itm, itm_q = await option(broker, 520)  # AAPL closes Friday at 545.18
        otm, otm_q = await option(broker, 600)
        put, put_q = await option(broker, 560, PUT)
        for inst, q, n in ((itm, itm_q, 1), (otm, otm_q, 2), (put, put_q, 1)):
            await broker.create_order(request(inst, amount=n, limit=q.ask))
        far = await broker.create_order(request(itm, amount=1, limit=D("1.00"), time_in_force=TimeInForce.GTC))
        [bal] = await broker.fetch_balances(ACCOUNT_ID)
        cash_before = bal.cash
        await to_friday_close(broker)
        fills = [f for f in await broker.fetch_fills(ACCOUNT_ID) if f.note]
        # settled in the order the positions were opened: the put then delivers the shares the call bought
        assert [(f.fill_id[:2], f.symbol, f.side, f.amount, f.price, f.note) for f in fills] == [
            ("EX", itm.symbol, SELL, 1, 0, "exercised"),
            ("EX", "AAPL", BUY, 100, 520, f"exercise of {itm.display_name}"),
            ("EX", otm.symbol, SELL, 2, 0, "expired worthless"),
            ("EX", put.symbol, SELL, 1, 0, "exercised"),
            ("EX", "AAPL", SELL, 100, 560, f"exercise of {put.display_name}"),
        ]
        assert fills[2].fill_id.startswith("EXP") and all(f.commission == 0 and f.order_id == "" for f in fills)
        assert await broker.fetch_positions(ACCOUNT_ID) == []
        [bal] = await broker.fetch_balances(ACCOUNT_ID)
        assert bal.cash == cash_before + (560 - 520) * 100
        canceled = next(o for o in await broker.fetch_orders(ACCOUNT_ID) if o.order_id == far.order_id)
        assert canceled.status is OrderStatus.CANCELED and "expired on 2012-03-02" in canceled.message
        assert FRI not in (await broker.fetch_option_chain("AAPL")).expiries
        with pytest.raises(OrderRejectedError, match="no expiry on 2012-03-02"):
            await broker.create_order(request(itm, limit=D(30)))
        await broker.close()

    arun(body())


def test_expiry_cash_settles_what_the_cash_account_cannot_exercise(arun, store_path):
    async def body():
        broker = await connected(store_path)
        put, pq = await option(broker, 560, PUT)
        call, cq = await option(broker, 500)
        await broker.create_order(request(put, amount=1, limit=pq.ask))  # no shares to deliver
        await broker.create_order(request(call, amount=2, limit=cq.ask))  # cash for 100 shares at 500, not 200
        await to_friday_close(broker)
        settled = [(f.fill_id[:2], f.symbol, f.side, f.amount, f.price, f.note) for f in await broker.fetch_fills(ACCOUNT_ID) if f.note]
        assert settled == [
            ("CS", put.symbol, SELL, 1, D(560) - AAPL_FRI_CLOSE, "cash-settled at intrinsic value: no AAPL shares to deliver"),
            ("EX", call.symbol, SELL, 1, 0, "exercised"),
            ("EX", "AAPL", BUY, 100, 500, f"exercise of {call.display_name}"),
            ("CS", call.symbol, SELL, 1, AAPL_FRI_CLOSE - 500, "cash-settled at intrinsic value: not enough cash to exercise"),
        ]
        [pos] = await broker.fetch_positions(ACCOUNT_ID)
        assert (pos.symbol, pos.quantity, pos.average_price) == ("AAPL", 100, 500)
        await broker.close()

    arun(body())


def test_long_put_exercise_delivers_held_shares(arun, store_path):
    async def body():
        broker = await connected(store_path)
        shares = next(i for i in await broker.search_instruments("AAPL") if i.symbol == "AAPL")
        await broker.create_order(OrderRequest(connection_id="paper", account_id=ACCOUNT_ID, instrument=shares, side=BUY, type=OrderType.MARKET, amount=D(100)))
        put, q = await option(broker, 560, PUT)
        await broker.create_order(request(put, amount=1, limit=q.ask))
        await to_friday_close(broker)
        ex = [f for f in await broker.fetch_fills(ACCOUNT_ID) if f.note]
        assert [(f.symbol, f.side, f.amount, f.price, f.note) for f in ex] == [
            (put.symbol, SELL, 1, 0, "exercised"),
            ("AAPL", SELL, 100, 560, f"exercise of {put.display_name}"),
        ]
        assert await broker.fetch_positions(ACCOUNT_ID) == []
        await broker.close()

    arun(body())


def test_option_positions_and_expiry_fills_survive_a_restart(arun, store_path):
    async def body():
        broker = await connected(store_path)
        later, lq = await option(broker, 550, expiry=date(2012, 3, 16))
        soon, sq = await option(broker, 600)
        await broker.create_order(request(later, amount=3, limit=lq.ask))
        await broker.create_order(request(soon, amount=1, limit=sq.ask))
        await to_friday_close(broker)
        before = (await broker.fetch_positions(ACCOUNT_ID), await broker.fetch_fills(ACCOUNT_ID), await broker.fetch_balances(ACCOUNT_ID))
        await broker.close()

        again = PaperBroker(store_path, autostart=False)
        await again.connect()
        positions, fills, balances = (await again.fetch_positions(ACCOUNT_ID), await again.fetch_fills(ACCOUNT_ID),
                                      await again.fetch_balances(ACCOUNT_ID))
        assert [(p.instrument, p.quantity, p.average_price, p.last_price) for p in positions] == \
               [(p.instrument, p.quantity, p.average_price, p.last_price) for p in before[0]]
        assert positions[0].instrument.option.expiry == date(2012, 3, 16) and positions[0].instrument.multiplier == 100
        assert fills == before[1] and fills[-1].note == "expired worthless" and fills[-1].price == 0
        assert balances[0].cash == before[2][0].cash and balances[0].net_liquidation == before[2][0].net_liquidation
        sold = await again.create_order(request(later, SELL, amount=3, effect=CLOSE, kind=OrderType.MARKET))
        assert sold.status is OrderStatus.FILLED
        await again.close()

    arun(body())


def test_watch_quotes_streams_option_quotes(arun, store_path):
    async def body():
        broker = await connected(store_path, minutes=5)
        inst, _ = await option(broker, 550)
        stream = broker.watch_quotes([inst.symbol, "AAPL"])
        seen = {}
        async for quote in stream:
            seen.setdefault(quote.symbol, []).append(quote)
            if len(seen.get(inst.symbol, [])) == 1 and len(seen) == 2:
                broker.advance_minutes(1)
            if len(seen.get(inst.symbol, [])) >= 2:
                break
        await stream.aclose()
        first, second = seen[inst.symbol][:2]
        assert first.bid < first.ask and first.last == (first.bid + first.ask) / 2 and second.timestamp > first.timestamp
        assert broker._option_watch == {}
        await broker.close()

    arun(body())


def test_a_missed_expiry_is_settled_on_connect_at_the_expiry_close(arun, store_path):
    async def body():
        broker = await connected(store_path)
        itm, q = await option(broker, 520)
        await broker.create_order(request(itm, amount=1, limit=q.ask))
        clock = broker.market.clock.to_state()
        await broker.close()
        from desktop.brokers.paper.store import PaperStore

        with PaperStore(store_path) as store:  # as if the replay had jumped past Friday's close
            store.save_clock({**clock, "date": "2012-03-05", "minute": 0})
        again = PaperBroker(store_path, autostart=False)
        await again.connect()
        settled = [(f.symbol, f.side, f.amount, f.price, f.note) for f in await again.fetch_fills(ACCOUNT_ID) if f.note]
        assert settled == [(itm.symbol, SELL, 1, 0, "exercised"), ("AAPL", BUY, 100, 520, f"exercise of {itm.display_name}")]
        [pos] = await again.fetch_positions(ACCOUNT_ID)
        assert pos.symbol == "AAPL" and pos.quantity == 100
        await again.close()

    arun(body())


def test_fill_price_zero_only_for_settled_options():
    base = dict(broker="paper", account_id="PAPER", fill_id="EXP1", order_id="", side=SELL, amount=D(1), price=D(0))
    assert Fill(instrument=OPT, note="expired worthless", **base).price == 0
    assert Fill(instrument=OPT, note="exercised", **base).note == "exercised"
    for inst, note in ((OPT, ""), (OPT, "whatever"), (Instrument.equity("AAPL"), "expired worthless")):
        with pytest.raises(ValueError, match="price must be greater than 0"):
            Fill(instrument=inst, note=note, **base)
    with pytest.raises(ValueError, match="price must be greater than 0"):
        Fill(instrument=OPT, note="exercised", **{**base, "price": D(-1)})
