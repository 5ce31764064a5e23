"""Maybe sent against the IBKR gateway emulator (real loopback HTTPS), through the ticket:
a 5xx or a dropped connection after the order POST placed the order ends with that one
order, accepted (the adapter finds it by its cOID); a 500 before anything was placed
ends "not placed as far as IBKR shows", and Submit again sends the same cOID and places
it once."""

from __future__ import annotations

import pytest

from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.transport import Pacer
from qt_helpers import run
from test_maybe_sent import Harness
from test_three_connections import fast_ibkr, gw  # noqa: F401 - the emulator's fixtures

faults = pytest.importorskip("tests.fakes.ibkr.faults")

CLIENT = "DU100001"


@pytest.fixture
def ibkr(qtbot, qloop, gw):
    broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, poll_interval=0.1, session_poll=0.1,
                        reconcile_delay=0.05, pacer=Pacer(global_rate=1000), connection_id="ibkr")
    h = Harness(qtbot, qloop, broker, "IBKR", CLIENT, market=lambda: gw.paper.market,
                held=lambda: [o for o in gw.paper.engine_for(CLIENT).orders()], delays=(0.1, 0.2, 0.2))
    gw.paper.advance_minutes(1)
    yield h
    run(qtbot, qloop, h.desk.shutdown(), timeout=20_000)


@pytest.mark.parametrize("fault", [500, 502, 503, 504, "drop"])
def test_an_order_placed_but_answered_with_an_error_is_one_order_accepted(qtbot, gw, ibkr, fault):
    h = ibkr
    if fault == "drop":
        gw.faults.drop(faults.ORDER_PLACED)
    else:
        gw.faults.fail(faults.ORDER_PLACED, fault)
    h.fill()
    request = h.submit()
    h.until(lambda: h.status.text().startswith("Order accepted") or h.rejection(), timeout=15_000)
    assert h.rejection() == "" and h.status.text().startswith("Order accepted: Buy 10 AAPL at limit")
    assert [o.client_order_id for o in h.orders()] == [request.client_order_id]
    assert gw.faults.fired and not any("rejected" in m for m in h.messages)


def test_a_500_before_placing_is_not_placed_and_the_retry_places_it_once(qtbot, gw, ibkr):
    h = ibkr
    gw.faults.fail(faults.ORDER_POST, 500, after=False)
    h.fill()
    first = h.submit()
    h.until(lambda: h.rejection() != "", timeout=15_000)
    assert h.rejection().startswith("Not placed as far as IBKR shows (Buy 10 AAPL at limit")
    assert h.orders() == [] and not any("rejected" in m for m in h.messages)
    again = h.submit()
    assert again.client_order_id == first.client_order_id
    h.until(lambda: h.status.text().startswith("Order accepted"), timeout=15_000)
    assert [o.client_order_id for o in h.orders()] == [first.client_order_id]


def test_a_retry_of_an_order_ibkr_lists_late_is_not_placed_twice(qtbot, gw, ibkr):
    h = ibkr
    gw.faults.fail(faults.ORDER_PLACED, 502)  # placed, answered 502 ...
    gw.faults.fail(r"/iserver/account/orders", 504, method="GET", count=10_000)  # ... and not listed for a while
    h.fill()
    first = h.submit()
    h.until(lambda: h.rejection() != "", timeout=15_000)
    assert h.rejection().startswith("Not placed as far as IBKR shows")
    gw.faults.clear()  # IBKR lists it now
    again = h.submit()  # the same order: the same cOID; the gateway refuses it as "already registered"
    assert again.client_order_id == first.client_order_id
    h.until(lambda: h.status.text().startswith("Order accepted") or h.rejection().startswith("Order rejected"),
            timeout=15_000)
    assert h.status.text().startswith("Order accepted: Buy 10 AAPL at limit") and h.rejection() == ""
    assert [o.client_order_id for o in h.orders()] == [first.client_order_id]
