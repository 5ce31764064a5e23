"""Mapping of spec-shaped CPAPI payloads to domain models.

Payloads follow the examples of IBKR's OpenAPI spec v2.29.0 (``specs/ibkr-cpapi``;
IBKR's material, reproduced in part here as test fixtures for interoperability) and
``NOTES.md``; FA values are the paper advisor demo's.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from desktop.brokers.errors import InvalidRequestError
from desktop.brokers.ibkr.accounts import (
    account_values_from,
    accounts_from,
    balances_from,
    group_from_single,
    group_list,
    is_fa_login,
)
from desktop.brokers.ibkr.marketdata import bars_from_history, history_period, quote_from_fields, select_bars
from desktop.brokers.ibkr.order_body import (
    fill_from_trade,
    modify_body,
    order_body,
    order_from_live,
    orders_from_live,
    preview_from_whatif,
)
from desktop.brokers.ibkr.positions import position_from_row
from desktop.domain import (
    AllocationMethod,
    AssetClass,
    Instrument,
    Interval,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)

AAPL = Instrument.equity("AAPL", broker_id="265598")
WARN = logging.WARNING
LOGGER = "desktop.brokers.ibkr"

ISERVER_FA = {
    "accounts": ["DF100000", "DU100001", "DU100002"],
    "acctProps": {"DF100000": {"hasChildAccounts": True}},
    "aliases": {"DF100000": "DF100000", "DU100001": "Harper", "DU100002": "DU100002"},
    "allowFeatures": {"allowFA": True},
    "groups": ["All", "Everyone", "ByNetLiq"],
    "profiles": [],
    "isPaper": True,
    "selectedAccount": "DF100000",
}


def _portfolio_row(aid, title, parent=None, is_parent=False):
    return {"id": aid, "accountId": aid, "accountAlias": None, "displayName": title, "accountTitle": title,
            "currency": "USD", "type": "DEMO", "faclient": parent is not None,
            "parent": {"accountId": parent or "", "isMChild": parent is not None, "isMParent": is_parent,
                       "isMultiplex": False, "mmc": []}}


def test_fa_detection_from_any_signal():
    assert is_fa_login(ISERVER_FA)
    single = {"accounts": ["U1234567"], "acctProps": {"U1234567": {"hasChildAccounts": False}},
              "allowFeatures": {"allowFA": False}, "groups": ["All"], "profiles": []}
    assert not is_fa_login(single)
    assert is_fa_login({**single, "groups": ["All", "G1"]})
    assert is_fa_login({**single, "accounts": ["U1", "U2"]})
    assert is_fa_login({**single, "acctProps": {"U1": {"hasChildAccounts": True}}})
    assert is_fa_login(single, is_master=True)
    assert not is_fa_login(None)


def test_accounts_master_clients_and_alias_fallback():
    rows = [_portfolio_row("DF100000", "Advisor (master)", is_parent=True)]
    subs = [_portfolio_row("DU100001", "Harper Family Trust", parent="DF100000"), {"bad": "row"},
            _portfolio_row("DF100000", "duplicate")]
    accounts = accounts_from(ISERVER_FA, rows, subs)
    by_id = {a.account_id: a for a in accounts}
    assert list(by_id) == ["DF100000", "DU100001", "DU100002"]
    assert by_id["DF100000"].is_master and by_id["DF100000"].parent_id is None
    assert by_id["DF100000"].name == "Advisor (master)"
    assert by_id["DU100001"].parent_id == "DF100000" and not by_id["DU100001"].is_master
    assert by_id["DU100001"].name == "Harper Family Trust" and by_id["DU100001"].is_paper
    assert by_id["DU100002"].name == "DU100002"  # only in /iserver/accounts: alias
    assert all(a.broker == "ibkr" for a in accounts)
    assert "Everyone" not in by_id


def test_groups_and_values(caplog):
    assert group_list({"data": [{"allocation_method": "E", "name": "Everyone", "size": 4}, {"size": 2}]}) == [
        ("Everyone", "E")]
    shares = group_from_single({"name": "Shares", "default_method": "S", "accounts": [
        {"name": "DU100001", "amount": 40}, {"name": "DU100002", "amount": "30"}]})
    assert shares.method is AllocationMethod.SHARES
    assert [(m.account_id, m.amount) for m in shares.members] == [("DU100001", 40), ("DU100002", 30)]
    equal = group_from_single({"name": "group1", "default_method": "E",
                               "accounts": [{"name": "U1234567"}, {"name": "U1234568"}]})
    assert equal.account_ids == ("U1234567", "U1234568")
    with caplog.at_level(WARN, logger=LOGGER):
        assert group_from_single({"name": "Bad", "default_method": "P", "accounts": [
            {"name": "DU1", "amount": 50}, {"name": "DU2", "amount": 20}]}) is None  # not 100 %
        assert group_from_single({"name": "Bad2", "default_method": "Z", "accounts": [{"name": "DU1"}]}) is None
        assert group_from_single(["nope"]) is None
    assert "Bad" in caplog.text and "Bad2" in caplog.text

    values = account_values_from({"accounts": [
        {"name": "U1234567", "data": [{"key": "NetLiquidation", "value": "230013224.04"},
                                      {"key": "AvailableEquity", "value": "229617260.41"}]},
        {"data": []},
        {"name": "U2", "data": [{"key": "NetLiquidation", "value": "n/a"}]}]})
    assert values[0].net_liquidation == Decimal("230013224.04")
    assert values[0].available_equity == Decimal("229617260.41")
    assert values[1].account_id == "U2" and values[1].net_liquidation is None


def _amount(v, ccy="USD"):
    return {"amount": v, "currency": ccy, "isNull": False, "severity": 0, "timestamp": 1712156105000, "value": None}


def test_balances_from_summary_and_ledger():
    summary = {"netliquidation": _amount(219449280.0), "buyingpower": _amount(821079744.0),
               "availablefunds": _amount(205266944.0), "totalcashvalue": _amount(218093824.0),
               "accountcode": {"amount": 0.0, "currency": None, "value": "DU123456"}}
    ledger = {
        "USD": {"currency": "USD", "cashbalance": 213375440.0, "netliquidationvalue": 214730048.0,
                "unrealizedpnl": 154673.2, "realizedpnl": 0.0, "timestamp": 1754948718, "key": "LedgerList"},
        "AUD": {"currency": "AUD", "cashbalance": 223911.11, "netliquidationvalue": 223994.16,
                "unrealizedpnl": 0.0, "realizedpnl": 0.0, "timestamp": 1754948718},
        "BASE": {"currency": "BASE", "cashbalance": 218093824.0},
        "EUR": {"currency": "EUR", "cashbalance": "garbage"},
    }
    balances = {b.currency: b for b in balances_from("DU123456", summary, ledger)}
    assert set(balances) == {"USD", "AUD"}
    usd = balances["USD"]
    assert usd.cash == Decimal("213375440.0") and usd.buying_power == Decimal("821079744.0")
    assert usd.free == Decimal("205266944.0") and usd.net_liquidation == Decimal("214730048.0")
    assert usd.unrealized_pnl == Decimal("154673.2")
    assert usd.timestamp == datetime.fromtimestamp(1754948718, timezone.utc)
    assert balances["AUD"].buying_power == Decimal("223911.11")  # cash: buying power is reported in USD only

    only_summary = balances_from("DU1", summary, {})
    assert len(only_summary) == 1 and only_summary[0].cash == Decimal("218093824.0")
    assert balances_from("DU1", {}, {}) == []


def test_positions_stock_option_and_bad_rows(caplog):
    stock = {"acctId": "DU123456", "assetClass": "STK", "conid": 8314, "ticker": "IBM", "currency": "USD",
             "position": 1412.0, "mktPrice": 185.17599485, "mktValue": 261468.5, "avgPrice": 144.46141,
             "avgCost": 144.46141, "realizedPnl": 0.0, "unrealizedPnl": 57488.99, "pageSize": 100}
    pos = position_from_row(stock, "DU123456")
    assert pos.instrument.symbol == "IBM" and pos.instrument.broker_id == "8314"
    assert pos.quantity == Decimal("1412.0") and pos.average_price == Decimal("144.46141")
    assert pos.unrealized_pnl == Decimal("57488.99")
    option = {"acctId": "DU123456", "assetClass": "OPT", "conid": 584891614, "ticker": "SPY", "undSym": "SPY",
              "expiry": "20250117", "strike": "440", "putOrCall": "C", "multiplier": 100.0, "position": 1.0,
              "avgPrice": 58.010401, "avgCost": 5801.0401, "mktPrice": 95.70706175, "currency": "USD"}
    opt = position_from_row(option, "DU123456")
    assert opt.instrument.asset_class is AssetClass.OPTION
    assert opt.instrument.symbol == "SPY   250117C00440000"
    with caplog.at_level(WARN, logger=LOGGER):
        assert position_from_row({**stock, "position": "x"}, "DU1") is None
        assert position_from_row({**stock, "assetClass": "CRYPTO"}, "DU1") is None
        assert position_from_row("nope", "DU1") is None
    assert "8314" in caplog.text
    assert position_from_row({**stock, "position": 0}, "DU1") is None


def _req(**kw):
    base = dict(connection_id="ibkr", account_id="ByNetLiq", instrument=AAPL, side=OrderSide.BUY, type=OrderType.LIMIT,
                amount=Decimal(100), limit_price=Decimal("190.05"), client_order_id="cid-1")
    base.update(kw)
    return OrderRequest(**base)


def test_order_bodies_per_type():
    body = order_body(_req(), 265598)
    assert body == {"acctId": "ByNetLiq", "conid": 265598, "cOID": "cid-1", "orderType": "LMT", "side": "BUY",
                    "tif": "DAY", "quantity": 100, "price": 190.05}
    mkt = order_body(_req(type=OrderType.MARKET, limit_price=None, side=OrderSide.SELL,
                          time_in_force=TimeInForce.IOC), 265598)
    assert mkt["orderType"] == "MKT" and "price" not in mkt and mkt["tif"] == "IOC" and mkt["side"] == "SELL"
    stp = order_body(_req(type=OrderType.STOP, limit_price=None, stop_price=Decimal(180),
                          time_in_force=TimeInForce.GTC), 265598)
    assert stp["orderType"] == "STP" and stp["price"] == 180 and "auxPrice" not in stp and stp["tif"] == "GTC"
    stl = order_body(_req(type=OrderType.STOP_LIMIT, stop_price=Decimal(181)), 265598)
    assert stl["orderType"] == "STOP_LIMIT" and stl["price"] == 190.05 and stl["auxPrice"] == 181
    with pytest.raises(InvalidRequestError) as err:
        order_body(_req(time_in_force=TimeInForce.FOK), 265598)
    assert err.value.field == "time_in_force"


LIVE_ROW = {"acct": "DU100001", "conid": 265598, "orderId": 1234567001, "order_ref": "cid-1", "ticker": "AAPL",
            "companyName": "APPLE INC", "totalSize": "100.0", "filledQuantity": "40.0", "remainingQuantity": "60.0",
            "avgPrice": "189.50", "price": "190.05", "orderType": "Limit", "origOrderType": "LIMIT",
            "side": "BUY", "timeInForce": "GTC", "status": "Submitted", "lastExecutionTime_r": 1714061006000}


@pytest.mark.parametrize(("status", "filled", "expected"), [
    ("Inactive", "0", OrderStatus.REJECTED), ("PendingSubmit", "0", OrderStatus.SUBMITTED),
    ("PreSubmitted", "0", OrderStatus.ACCEPTED), ("Submitted", "0", OrderStatus.ACCEPTED),
    ("Submitted", "40", OrderStatus.PARTIALLY_FILLED), ("Filled", "100", OrderStatus.FILLED),
    ("PendingCancel", "0", OrderStatus.PENDING_CANCEL), ("Cancelled", "0", OrderStatus.CANCELED),
    ("WarnState", "0", OrderStatus.ACCEPTED),
])
def test_live_order_status_map(status, filled, expected):
    order = order_from_live({**LIVE_ROW, "status": status, "filledQuantity": filled})
    assert order.status is expected


def test_live_orders_of_a_group_and_bad_rows(caplog):
    order = order_from_live(LIVE_ROW, account_id="ByNetLiq", groups={"ByNetLiq"})
    assert order.account_id == "ByNetLiq" and order.allocation_group == "ByNetLiq"
    assert order.order_id == "1234567001" and order.client_order_id == "cid-1"
    assert order.amount == 100 and order.filled == 40 and order.remaining == 60
    assert order.average == Decimal("189.50") and order.limit_price == Decimal("190.05")
    assert order.type is OrderType.LIMIT and order.time_in_force is TimeInForce.GTC
    assert order.instrument.broker_id == "265598"
    plain = order_from_live(LIVE_ROW, account_id="DU100001", groups={"ByNetLiq"})
    assert plain.account_id == "DU100001" and plain.allocation_group == ""
    stop_limit = order_from_live({**LIVE_ROW, "origOrderType": "STOP_LIMIT", "orderType": "Stop Limit",
                                  "auxPrice": "185"})
    assert stop_limit.type is OrderType.STOP_LIMIT and stop_limit.stop_price == 185
    stop = order_from_live({**LIVE_ROW, "origOrderType": "STOP", "orderType": "Stop", "price": "180"})
    assert stop.stop_price == 180 and stop.limit_price is None
    with caplog.at_level(WARN, logger=LOGGER):
        orders = orders_from_live({"orders": [LIVE_ROW, {**LIVE_ROW, "orderId": None},
                                              {**LIVE_ROW, "totalSize": "lots", "remainingQuantity": None},
                                              {**LIVE_ROW, "side": "X"}, 5], "snapshot": True})
    assert len(orders) == 1
    assert caplog.text.count("skipped") >= 4


def test_modify_body_repeats_every_field():
    order = order_from_live(LIVE_ROW, account_id="DU100001")
    body = modify_body(order, 265598, limit_price=Decimal("191"))
    assert body == {"acctId": "DU100001", "conid": 265598, "orderType": "LMT", "side": "BUY", "tif": "GTC",
                    "quantity": 100, "cOID": "cid-1", "price": 191}
    assert modify_body(order, 265598, amount=Decimal(150))["quantity"] == 150
    with pytest.raises(InvalidRequestError):
        modify_body(order, 265598, stop_price=Decimal(1))
    with pytest.raises(InvalidRequestError):
        modify_body(order, 265598, amount=Decimal(40))  # not above filled


TRADE = {"account": "DU100001", "accountCode": "DU100001", "account_allocation_name": "ByNetLiq",
         "commission": "1.01", "conid": 265598, "execution_id": "0000e0d5.6576fd38.01.01", "order_id": 1234567001,
         "order_ref": "cid-1", "price": "192.26", "sec_type": "STK", "side": "B", "size": 5.0, "symbol": "AAPL",
         "trade_time": "20231211-18:00:49", "trade_time_r": 1702317649000}


def test_trades_to_fills(caplog):
    fill = fill_from_trade(TRADE, accounts={"DU100001"})
    assert fill.account_id == "DU100001" and fill.allocation_group == "ByNetLiq"
    assert fill.client_order_id == "cid-1" and fill.order_id == "1234567001"
    assert fill.fill_id == "0000e0d5.6576fd38.01.01" and fill.side is OrderSide.BUY
    assert fill.amount == 5 and fill.price == Decimal("192.26") and fill.commission == Decimal("1.01")
    assert fill.timestamp == datetime(2023, 12, 11, 18, 0, 49, tzinfo=timezone.utc)
    own = fill_from_trade({**TRADE, "account_allocation_name": "DU100001", "side": "S"})
    assert own.allocation_group == "" and own.side is OrderSide.SELL
    no_ms = fill_from_trade({**TRADE, "trade_time_r": None})
    assert no_ms.timestamp == fill.timestamp
    with caplog.at_level(WARN, logger=LOGGER):
        assert fill_from_trade({**TRADE, "price": "?"}) is None
        assert fill_from_trade({**TRADE, "side": "Q"}) is None
        assert fill_from_trade({**TRADE, "execution_id": ""}) is None
    assert "0000e0d5" in caplog.text


def test_whatif_preview():
    payload = {"amount": {"amount": "1,977.60 USD (10 Shares)", "commission": "1 USD", "total": "1,978.60 USD"},
               "equity": {"after": "123,455", "change": "-1", "current": "123,456"}, "error": None,
               "initial": {"after": "1652", "change": "652", "current": "1000"},
               "maintenance": {"after": "1490", "change": "590\"\"", "current": "900"},
               "position": {"after": "30", "change": "10", "current": "20"},
               "warn": "21/You are trying to submit an order without having market data for this instrument."}
    p = preview_from_whatif(payload)
    assert p.amount == Decimal("1977.60") and p.commission == 1 and p.total == Decimal("1978.60")
    assert p.currency == "USD"
    assert (p.equity_before, p.equity_after) == (123456, 123455)
    assert (p.initial_margin_before, p.initial_margin_after) == (1000, 1652)
    assert (p.maintenance_margin_before, p.maintenance_margin_after) == (900, 1490)
    assert p.warning.startswith("You are trying") and p.error == ""
    assert ("Amount", "1,977.60 USD (10 Shares)") in p.lines
    assert preview_from_whatif({"error": "No trading permissions"}).error == "No trading permissions"


def test_history_and_quotes(caplog):
    payload = {"symbol": "AAPL", "volumeFactor": 100, "data": [
        {"o": 212.43, "h": 213.94, "l": 210.58, "c": 212.33, "v": 266616.18, "t": 1747229400000},
        {"o": 210.95, "h": 212.96, "l": 209.54, "c": 211.45, "v": 256847.25, "t": 1747315800000},
        {"o": 1, "h": 0.5, "l": 1, "c": 1, "v": 1, "t": 1747402200000},  # high < open: skipped
        {"o": "x", "t": 1747402200000}]}
    with caplog.at_level(WARN, logger=LOGGER):
        bars = bars_from_history("AAPL", Interval.D1, payload)
    assert [b.start for b in bars] == [datetime(2025, 5, 14, tzinfo=timezone.utc),
                                      datetime(2025, 5, 15, tzinfo=timezone.utc)]
    assert bars[0].open == Decimal("212.43") and bars[0].volume == Decimal("26661618.00")
    assert len(select_bars(bars, None, None, 1)) == 1
    assert select_bars(bars, bars[1].start, None, None) == [bars[1]]
    intraday = bars_from_history("AAPL", Interval.M5, {"data": [{"o": 1, "h": 1, "l": 1, "c": 1, "t": 1747229400000}]})
    assert intraday[0].start == datetime(2025, 5, 14, 13, 30, tzinfo=timezone.utc)
    assert history_period(Interval.M1, 390) == "2d"
    assert history_period(Interval.D1, 250) == "353d"
    assert history_period(Interval.D1, 5000).endswith("y")

    q = quote_from_fields("AAPL", {"31": "C168.42", "84": "168.41", "86": "168.43", "88": "1,300", "85": "600",
                                   "7762": "12.5K", "conid": "265598", "_updated": 1712596911593})
    assert q.last == Decimal("168.42") and q.bid == Decimal("168.41") and q.ask == Decimal("168.43")
    assert q.bid_size == 1300 and q.ask_size == 600 and q.volume == 12500
    assert q.timestamp == datetime.fromtimestamp(1712596911.593, timezone.utc)
    assert quote_from_fields("AAPL", {"31": "H-"}).last is None
