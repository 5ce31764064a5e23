"""The domain and interface additions TradeLocker needs (issue 14): positions with
ids (hedging), attached stop-loss / take-profit, lots, routes, close_position."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from pydantic import ValidationError

from desktop.brokers.capabilities import BrokerCapabilities
from desktop.brokers.errors import InvalidRequestError
from desktop.domain import (AssetClass, Instrument, OrderRequest, OrderSide, OrderType, Position, ProtectionType,
                            QuantityUnit, field_errors, order_from_request, OrderStatus)

EURUSD = Instrument(symbol="EURUSD", asset_class=AssetClass.FOREX, tick_size=Decimal("0.00001"),
                    lot_size=Decimal("0.01"), min_amount=Decimal("0.01"), multiplier=Decimal(100000),
                    quantity_unit=QuantityUnit.LOTS, broker_id="278", routes=(("INFO", "11"), ("TRADE", "22")))


def _request(**kw) -> OrderRequest:
    base = dict(connection_id="tl", account_id="1", instrument=EURUSD, side=OrderSide.BUY, type=OrderType.LIMIT,
                amount=Decimal("0.5"), limit_price=Decimal("1.10000"))
    base.update(kw)
    return OrderRequest(**base)


def _errors(**kw) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        _request(**kw)
    return field_errors(info.value)


def test_instrument_keeps_routes_and_lots():
    assert EURUSD.route("INFO") == "11" and EURUSD.route("TRADE") == "22" and EURUSD.route("DEPTH") is None
    assert EURUSD.unit is QuantityUnit.LOTS
    assert Instrument.equity("AAPL").unit is QuantityUnit.SHARES
    assert "0.5 lots of EURUSD" in _request().describe()


def test_protection_on_a_request_is_checked_against_the_entry():
    ok = _request(stop_loss=Decimal("1.09000"), take_profit=Decimal("1.12000"))
    assert ok.has_protection and "stop-loss at 1.09000 and take-profit at 1.12000" in ok.describe()
    assert "below the entry price" in _errors(stop_loss=Decimal("1.11000"))["stop_loss"]
    assert "above the entry price" in _errors(take_profit=Decimal("1.05000"))["take_profit"]
    sell = _request(side=OrderSide.SELL, stop_loss=Decimal("1.12"), take_profit=Decimal("1.05"))
    assert sell.stop_loss == Decimal("1.12")
    assert "tick size" in _errors(stop_loss=Decimal("1.090001"))["stop_loss"]
    assert "greater than 0" in _errors(stop_loss=Decimal("0"), stop_loss_type=ProtectionType.OFFSET)["stop_loss"]
    assert "trailing" in _errors(take_profit=Decimal("0.001"),
                                 take_profit_type=ProtectionType.TRAILING_OFFSET)["take_profit_type"]
    trailing = _request(type=OrderType.MARKET, limit_price=None, stop_loss=Decimal("0.00200"),
                        stop_loss_type=ProtectionType.TRAILING_OFFSET)
    assert "trailing by 0.00200" in trailing.describe()
    order = order_from_request(ok, "tradelocker", "9007199254740993", OrderStatus.ACCEPTED)
    assert (order.stop_loss, order.take_profit) == (Decimal("1.09000"), Decimal("1.12000"))


def test_positions_with_ids_are_separate_rows():
    a = Position(broker="tl", connection_id="c", account_id="1", instrument=EURUSD, quantity=Decimal("0.5"),
                 average_price=Decimal("1.1"), position_id="9007199254740993", take_profit=Decimal("1.2"))
    b = a.model_copy(update={"position_id": "9007199254740995"})
    netting = a.model_copy(update={"position_id": ""})
    assert a.key != b.key and len({a.key, b.key}) == 2
    assert netting.key == ("c", "1", "EURUSD")


def test_capabilities_default_to_no_position_ids():
    caps = BrokerCapabilities()
    assert not (caps.close_position or caps.hedging or caps.protection or caps.trailing_stop)


def test_base_broker_refuses_close_position_in_words():
    from desktop.brokers.paper import PaperBroker

    broker = PaperBroker(None, autostart=False)
    with pytest.raises(InvalidRequestError, match="does not close positions by id"):
        asyncio.run(broker.close_position("PAPER", "1"))
    with pytest.raises(InvalidRequestError, match="stop-loss"):
        asyncio.run(broker.modify_position("PAPER", "1", take_profit=Decimal(1)))


def test_a_custom_environment_is_real_money_unless_the_form_says_demo():
    from desktop.connections.adapters.tradelocker import SPEC

    base = {"environment": "custom", "custom_url": "https://bsb.tradelocker.com", "email": "a@b.c", "server": "X"}
    assert not SPEC.factory(base, {"password": "p"}).demo  # nothing said: live
    assert SPEC.factory({**base, "custom_kind": "demo"}, {"password": "p"}).demo
    assert not SPEC.factory({**base, "custom_kind": "live"}, {"password": "p"}).demo
    assert SPEC.factory({"environment": "demo", "email": "a@b.c", "server": "X"}, {"password": "p"}).demo
    assert not SPEC.factory({"environment": "live", "email": "a@b.c", "server": "X"}, {"password": "p"}).demo
