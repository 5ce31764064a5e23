"""Fuzz: every IBKR REST payload reader, fed mutated representative payloads.

Each family starts from a payload shaped as IBKR's OpenAPI spec v2.29 and NOTES.md
show it (sections 3-6), mutated by tests/fuzz/conftest.py (hostile values such as
"1e999999999", "²", NaN, nested lists; dropped, duplicated, wrapped and deeply nested
keys): per family 1,000 seeded cases (``RandomChooser``, fast) and 200 hypothesis
cases (shrunk to a minimal payload when one fails). For each case the readers must return a value or
raise their documented error (PayloadError for a whole payload; the reply flow's
OrderRejectedError / UnknownOrderState), and the adapter's safety net must not have
caught anything (``PAYLOADS.caught``): an exception the net catches is a reader bug,
re-raised here with its traceback.
"""

from __future__ import annotations

import asyncio
import logging
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.brokers.errors import BrokerError, OrderRejectedError
from desktop.brokers.ibkr.accounts import (
    account_values_from,
    accounts_from,
    balances_from,
    group_from_single,
    group_list,
    group_names_of,
    is_fa_login,
)
from desktop.brokers.ibkr.contracts import ConidCache, search_row, stock_conid
from desktop.brokers.ibkr.marketdata import bars_from_history, quote_from_fields
from desktop.brokers.ibkr.order_body import fill_from_trade, orders_from_live, preview_from_whatif
from desktop.brokers.ibkr.parse import PAYLOADS
from desktop.brokers.ibkr.positions import fetch_positions, page_size, position_from_row
from desktop.brokers.ibkr.reply_flow import run_reply_flow
from desktop.brokers.ibkr.trades_book import TradesBook
from desktop.brokers.transport import PayloadError, SnapshotCache
from desktop.domain import Interval

from .conftest import RandomChooser, count_case, fuzz_settings, mutate, mutated

ISERVER_ACCOUNTS = {
    "accounts": ["DF100000", "DU100001", "DU100002"],
    "acctProps": {"DF100000": {"hasChildAccounts": True, "supportsCashQty": True, "supportsFractions": False}},
    "aliases": {"All": "All", "DF100000": "DF100000", "DU100001": "Harper", "DU100002": "DU100002"},
    "allowFeatures": {"allowFA": True, "allowedAssetTypes": "STK,OPT", "snapshotRefreshTimeout": 30},
    "chartPeriods": {"STK": ["*"]}, "groups": ["All", "Everyone", "ByNetLiq"], "profiles": [],
    "selectedAccount": "DF100000", "isFT": False, "isPaper": True, "sessionId": "65ee8a41.0000001e",
}
PORTFOLIO_ACCOUNT = {
    "id": "DU100001", "accountId": "DU100001", "accountVan": "DU100001", "accountTitle": "Harper Fund",
    "displayName": "Harper", "accountAlias": None, "accountStatus": 1644814800000, "currency": "USD", "type": "DEMO",
    "tradingType": "PMRGN", "faclient": True, "clearingStatus": "O", "covestor": False,
    "parent": {"mmc": [], "accountId": "DF100000", "isMParent": False, "isMChild": True, "isMultiplex": False},
    "desc": "DU100001",
}
MASTER_ACCOUNT = {**PORTFOLIO_ACCOUNT, "id": "DF100000", "accountId": "DF100000", "displayName": "Advisor",
                  "parent": {"mmc": [], "accountId": "", "isMParent": True, "isMChild": False, "isMultiplex": False}}
GROUPS = {"data": [{"allocation_method": "E", "name": "Everyone", "size": 4},
                   {"allocation_method": "N", "name": "ByNetLiq", "size": 4}]}
GROUP_SINGLE = {"name": "Shares", "default_method": "S",
                "accounts": [{"name": "DU100001", "amount": 40}, {"name": "DU100002", "amount": 30}]}
ALLOCATION_ACCOUNTS = {"accounts": [
    {"name": "DU100001", "data": [{"key": "NetLiquidation", "value": "1000000.00"},
                                  {"key": "AvailableEquity", "value": "999000.50"}]},
    {"name": "DU100002", "data": [{"key": "NetLiquidation", "value": "400000"}]}]}
SUMMARY = {
    "netliquidation": {"amount": 1000000.5, "currency": "USD", "isNull": False, "timestamp": 1712000000000,
                       "value": None, "severity": 0},
    "buyingpower": {"amount": 4000000, "currency": "USD", "isNull": False, "timestamp": 1712000000000},
    "availablefunds": {"amount": 990000, "currency": "USD", "isNull": False},
    "totalcashvalue": {"amount": 950000.25, "currency": "USD", "isNull": False},
    "accountcode": {"amount": 0, "currency": None, "isNull": False, "value": "DU100001"},
}
LEDGER = {
    "USD": {"acctcode": "DU100001", "currency": "USD", "key": "LedgerList", "cashbalance": 950000.25,
            "settledcash": 950000.25, "netliquidationvalue": 1000000.5, "stockmarketvalue": 50000.25,
            "unrealizedpnl": 1200.5, "realizedpnl": 0.0, "exchangerate": 1, "timestamp": 1712000000},
    "EUR": {"acctcode": "DU100001", "currency": "EUR", "cashbalance": 1000.0, "netliquidationvalue": 1000.0,
            "timestamp": 1712000000},
    "BASE": {"currency": "BASE", "cashbalance": 951080.25, "netliquidationvalue": 1001080.5},
}
POSITION = {
    "acctId": "DU100001", "conid": 265598, "contractDesc": "AAPL", "position": 100.0, "mktPrice": 190.5,
    "mktValue": 19050.0, "currency": "USD", "avgCost": 180.25, "avgPrice": 180.25, "realizedPnl": 0.0,
    "unrealizedPnl": 1025.0, "assetClass": "STK", "ticker": "AAPL", "name": "APPLE INC", "listingExchange": "NASDAQ",
    "pageSize": 100, "incrementRules": [{"lowerEdge": 0.0, "increment": 0.01}],
}
OPTION_POSITION = {**POSITION, "conid": 730679583, "assetClass": "OPT", "contractDesc": "AAPL NOV2026 200 C",
                   "expiry": "20261120", "strike": "200", "putOrCall": "C", "multiplier": "100", "undSym": "AAPL",
                   "avgPrice": None, "avgCost": 520.0}
LIVE_ORDER = {
    "acct": "DU100001", "conidex": "265598", "conid": 265598, "account": "DU100001", "orderId": 1234567001,
    "cashCcy": "USD", "sizeAndFills": "40/100", "orderDesc": "Buy 100 Limit 190.00, Day", "description1": "AAPL",
    "ticker": "AAPL", "secType": "STK", "listingExchange": "NASDAQ", "remainingQuantity": "60.0",
    "filledQuantity": "40.0", "totalSize": "100.0", "companyName": "APPLE INC", "status": "Submitted",
    "order_ccp_status": "Submitted", "avgPrice": "189.50", "origOrderType": "LIMIT", "supportsTaxOpt": "1",
    "lastExecutionTime": "240115143000", "orderType": "Limit", "bgColor": "#FFFFFF", "fgColor": "#000000",
    "order_ref": "c0ffee", "timeInForce": "CLOSE", "lastExecutionTime_r": 1705329000000, "side": "BUY",
    "price": "190.00",
}
STOP_LIMIT_ORDER = {**LIVE_ORDER, "orderId": 1234567002, "origOrderType": "STOP_LIMIT", "orderType": "Stop Limit",
                    "price": "191.00", "auxPrice": "190.50", "status": "PreSubmitted", "filledQuantity": "0.0"}
LIVE_ORDERS = {"orders": [LIVE_ORDER, STOP_LIMIT_ORDER], "snapshot": True}
TRADE = {
    "execution_id": "0000e0d5.6576fd38.01.01", "symbol": "AAPL", "supports_tax_opt": "1", "side": "B",
    "order_description": "Bought 40 @ 189.50 on ISLAND", "trade_time": "20240115-14:30:00",
    "trade_time_r": 1705329000000, "size": 40.0, "price": "189.50", "order_ref": "c0ffee", "submitter": "user",
    "exchange": "ISLAND", "commission": "1.00", "net_amount": 7580.0, "account": "DU100001",
    "accountCode": "DU100001", "account_allocation_name": "ByNetLiq", "company_name": "APPLE INC",
    "contract_description_1": "AAPL", "sec_type": "STK", "listing_exchange": "NASDAQ", "conid": 265598,
    "conidEx": "265598", "clearing_id": "IB", "clearing_name": "IB", "liquidation_trade": "0",
    "is_event_trading": "0", "order_id": 1234567001,
}
TRADES = [TRADE, {**TRADE, "execution_id": "0000e0d5.6576fd38.01.02", "account": "DU100002",
                  "accountCode": "DU100002", "size": 30.0}]
WHATIF = {
    "amount": {"amount": "1,977.60 USD (10 Shares)", "commission": "1 USD", "total": "1,978.60 USD"},
    "equity": {"current": "1,000,000", "change": "-1,978", "after": "998,022"},
    "initial": {"current": "0", "change": "989", "after": "989"},
    "maintenance": {"current": "0", "change": "899", "after": "899"},
    "position": {"current": "0", "change": "10", "after": "10"},
    "warn": "21/You are trying to submit an order without having market data for this instrument.",
    "error": None,
}
REPLY_QUESTION = [{"id": "99097238-9824-4830-84ef-46979aa22593", "isSuppressed": False, "messageIds": ["o163"],
                   "message": ["The following order exceeds the price percentage limit &#x7F8E;"]}]
REPLY_SUCCESS = [{"order_id": "1234567001", "order_status": "PreSubmitted", "encrypt_message": "1"}]
HISTORY = {
    "serverId": "20477", "symbol": "AAPL", "text": "APPLE INC", "priceFactor": 100, "startTime": "20250513-13:30:00",
    "high": "21394/266616/2", "low": "21058/266616/0", "timePeriod": "3d", "barLength": 86400, "mdAvailability": "S",
    "mktDataDelay": 0, "outsideRth": False, "volumeFactor": 1, "priceDisplayRule": 1, "priceDisplayValue": "2",
    "negativeCapable": False, "messageVersion": 2, "points": 3, "travelTime": 48,
    "data": [{"o": 212.43, "c": 212.33, "h": 213.94, "l": 210.58, "v": 266616.18, "t": 1747229400000},
             {"o": 212.33, "c": 211.45, "h": 212.96, "l": 209.54, "v": 314051.25, "t": 1747315800000},
             {"o": 210.95, "c": 211.26, "h": 212.57, "l": 209.77, "v": 398232.0, "t": 1747402200000}],
}
SECDEF_SEARCH = [
    {"conid": "265598", "companyHeader": "APPLE INC - NASDAQ", "companyName": "APPLE INC", "symbol": "AAPL",
     "description": "NASDAQ", "restricted": None, "fop": None, "opt": "20261120;20261218", "war": None,
     "sections": [{"secType": "STK"}, {"secType": "OPT", "months": "NOV26;DEC26", "exchange": "SMART;AMEX"}]},
    {"conid": "38708077", "companyHeader": "APPLE INC - MEXI", "companyName": "APPLE INC", "symbol": "AAPL",
     "description": "MEXI", "sections": [{"secType": "STK"}]},
]
TRSRV_STOCKS = {"AAPL": [{"name": "APPLE INC", "chineseName": "&#x82F9;&#x679C;", "assetClass": "STK",
                          "contracts": [{"conid": 38708077, "exchange": "MEXI", "isUS": False},
                                        {"conid": 265598, "exchange": "NASDAQ", "isUS": True}]}]}


SEEDED_CASES = 1000
HYPOTHESIS_CASES = 200

_LOOP: asyncio.AbstractEventLoop | None = None


def _run(coro):
    """Run ``coro`` on this module's event loop (one loop for thousands of cases)."""
    global _LOOP
    if _LOOP is None or _LOOP.is_closed():
        _LOOP = asyncio.new_event_loop()
    return _LOOP.run_until_complete(coro)


@pytest.fixture(autouse=True, scope="module")
def _close_loop():
    yield
    if _LOOP is not None:
        _LOOP.close()


@pytest.fixture(autouse=True)
def _quiet(caplog):
    """Unreadable payloads are logged once each; thousands of lines need not be kept."""
    caplog.set_level(logging.CRITICAL, logger="desktop.brokers.ibkr")


class Scripted:
    """A Requester answering every request with ``answer`` (or raising it)."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.calls = 0

    async def request(self, method, path, *, params=None, json=None, idempotent=None):
        self.calls += 1
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def accounts_case(iserver, rows) -> None:
    is_fa_login(iserver)
    group_names_of(iserver)
    accounts_from(iserver, rows if isinstance(rows, list) else [], [])


def subaccounts_case(subs, groups, single, values) -> None:
    accounts_from({}, [], subs if isinstance(subs, list) else [])
    group_list(groups)
    group_from_single(single)
    account_values_from(values)


def positions_case(rows) -> None:
    for row in _listed(rows):
        position_from_row(row, "DU100001")
    if isinstance(rows, list):
        page_size(rows)
    _run(fetch_positions(Scripted(rows), "DU100001"))


def trades_case(rows) -> None:
    for row in _listed(rows):
        fill_from_trade(row, accounts={"DU100001", "DU100002"})

    async def book():
        trades = TradesBook(Scripted(rows), SnapshotCache(5.0), groups=lambda: {"ByNetLiq"},
                            client_accounts=lambda: {"DU100001", "DU100002"})
        trades.note_group_fill("ByNetLiq")
        await trades.fills("DU100001")
        await trades.fills("ByNetLiq")
    _run(book())


async def _yes(_question) -> bool:
    return True


def reply_case(whatif, question, success) -> None:
    preview_from_whatif(whatif)
    _run(run_reply_flow(Scripted(success), question, _yes))


def history_case(payload) -> None:
    for interval in (Interval.M1, Interval.D1):
        bars_from_history("AAPL", interval, payload)


def secdef_case(rows, stocks) -> None:
    for row in _listed(rows):
        search_row(row)
    stock_conid(stocks, "AAPL")

    async def lookups():
        await ConidCache(Scripted(rows)).search("AAPL")
        try:
            await ConidCache(Scripted(stocks)).conid("AAPL")  # search answers the stocks payload: falls back
        except BrokerError:
            pass
    _run(lookups())


QUOTE = {"31": "C168.42", "84": "168.41", "86": "168.43", "88": "1,300", "85": "600", "7762": "1.2M", "7741": "167.00",
         "55": "AAPL", "_updated": 1712596911593, "conid": "265598"}

FAMILIES = {
    "accounts (/iserver/accounts, /portfolio/accounts)": ((ISERVER_ACCOUNTS, [PORTFOLIO_ACCOUNT, MASTER_ACCOUNT]),
                                                          accounts_case, (PayloadError,)),
    "subaccounts and allocation groups": (([PORTFOLIO_ACCOUNT, MASTER_ACCOUNT], GROUPS, GROUP_SINGLE,
                                           ALLOCATION_ACCOUNTS), subaccounts_case, (PayloadError,)),
    "summary/ledger": ((SUMMARY, LEDGER), lambda summary, ledger: balances_from("DU100001", summary, ledger),
                       (PayloadError,)),
    "positions": (([POSITION, OPTION_POSITION],), positions_case, (PayloadError,)),
    "live orders": ((LIVE_ORDERS,), lambda p: orders_from_live(p, account_id="ByNetLiq", groups={"ByNetLiq"}),
                    (PayloadError,)),
    "trades": ((TRADES,), trades_case, (PayloadError,)),
    "what-if/reply": ((WHATIF, REPLY_QUESTION, REPLY_SUCCESS), reply_case,
                      (PayloadError, OrderRejectedError, BrokerError)),
    "history bars": ((HISTORY,), history_case, (PayloadError,)),
    "secdef search": ((SECDEF_SEARCH, TRSRV_STOCKS), secdef_case, (PayloadError,)),
    "quote fields (smd/snapshot)": ((QUOTE,), lambda fields: quote_from_fields("AAPL", fields), (PayloadError,)),
}
"""family -> (representative payloads, the case run on their mutations, errors allowed)."""


def check(family: str, call, allowed: tuple[type[BaseException], ...]) -> None:
    """Run one case: ``call()`` returns or raises one of ``allowed``; the safety net
    caught nothing (else its exception is re-raised here)."""
    count_case(family)
    before = PAYLOADS.caught
    try:
        call()
    except allowed:
        pass
    if PAYLOADS.caught != before:
        what, exc = PAYLOADS.last_caught[-1]
        raise AssertionError(f"the net caught an exception reading a {what}") from exc


@pytest.mark.parametrize("family", list(FAMILIES))
def test_seeded_mutations(family):
    """1,000 seeded mutations of the family's payloads (the same every run)."""
    bases, case, allowed = FAMILIES[family]
    chooser = RandomChooser(zlib.crc32(family.encode()))
    for _ in range(SEEDED_CASES):
        payloads = [mutate(base, chooser) for base in bases]
        check(family, lambda: case(*payloads), allowed)


@pytest.mark.parametrize("family", list(FAMILIES))
@fuzz_settings(HYPOTHESIS_CASES)
@given(data=st.data())
def test_hypothesis_mutations(family, data):
    """Hypothesis-driven mutations (a failure is shrunk to a minimal payload)."""
    bases, case, allowed = FAMILIES[family]
    payloads = [data.draw(mutated(base)) for base in bases]
    check(family, lambda: case(*payloads), allowed)
