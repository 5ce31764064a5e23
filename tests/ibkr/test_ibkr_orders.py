"""The IBKR order pipeline (OrderDesk) against a scripted requester: reply flow,
declined questions, errors, reconcile after a POST timeout, modify, cancel, suppress.
Shapes follow the CPAPI v2.29 spec examples (see ``specs/ibkr-cpapi/NOTES.md`` s. 4)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from desktop.brokers.errors import NotFoundError, OrderRejectedError, UnavailableError
from desktop.brokers.ibkr.client import RequestTimeout
from desktop.brokers.ibkr.contracts import ConidCache
from desktop.brokers.ibkr.orders import OrderDesk
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderStatus, OrderType

AAPL = Instrument.equity("AAPL", broker_id="265598")


class Scripted:
    """A Requester answering from a script: {(method, path): [answer, ...]} consumed in
    turn (the last one repeats); an Exception answer is raised. Records every call."""

    def __init__(self, script):
        self.script = {k: list(v) for k, v in script.items()}
        self.calls = []

    async def request(self, method, path, *, params=None, json=None, idempotent=None):
        self.calls.append((method, path, params, json))
        answers = self.script.get((method, path))
        if not answers:
            raise AssertionError(f"unexpected {method} {path}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def count(self, method, path):
        return sum(1 for c in self.calls if c[0] == method and c[1] == path)


def _desk(client, **kw):
    async def no_sleep(_s):
        return None
    return OrderDesk(client, ConidCache(client), groups=lambda: {"ByNetLiq"}, client_accounts=lambda: {"DU100001"},
                     sleep=no_sleep, **kw)


def _req(account="ByNetLiq", **kw):
    kw.setdefault("client_order_id", "cid-1")
    return OrderRequest(connection_id="ibkr", account_id=account, instrument=AAPL, side=OrderSide.BUY, type=OrderType.LIMIT,
                        amount=Decimal(100), limit_price=Decimal(190), **kw)


Q1 = [{"id": "r-1", "message": ["The following order price exceeds the Percentage constraint of 3%.&#x0a;Sure?"],
       "isSuppressed": False, "messageIds": ["o163"]}]
Q2 = [{"id": "r-2", "message": ["This order will be distributed over multiple accounts."], "isSuppressed": False,
       "messageIds": ["p6"]}]
OK = [{"order_id": "1234567001", "order_status": "PreSubmitted", "encrypt_message": "1"}]
ORDERS = "/iserver/account/ByNetLiq/orders"
LIVE = {"orders": [{"acct": "ByNetLiq", "conid": 265598, "orderId": 1234567001, "order_ref": "cid-1",
                    "ticker": "AAPL", "totalSize": "100", "filledQuantity": "0", "price": "190",
                    "origOrderType": "LIMIT", "side": "BUY", "timeInForce": "DAY", "status": "Submitted"}],
        "snapshot": True}


def test_reply_flow_confirms_each_question(arun):
    client = Scripted({("POST", ORDERS): [Q1], ("POST", "/iserver/reply/r-1"): [Q2],
                       ("POST", "/iserver/reply/r-2"): [OK]})
    asked = []

    async def confirm(q):
        asked.append(q)
        return True

    order = arun(_desk(client).create(_req(), confirm))
    assert [q.message_ids for q in asked] == [("o163",), ("p6",)]
    assert asked[0].messages[0].endswith("3%.\nSure?")  # HTML entity decoded
    assert order.order_id == "1234567001" and order.status is OrderStatus.ACCEPTED
    assert order.account_id == "ByNetLiq" and order.allocation_group == "ByNetLiq"
    assert order.client_order_id == "cid-1"
    post = client.calls[0]
    assert post[3] == {"orders": [{"acctId": "ByNetLiq", "conid": 265598, "cOID": "cid-1", "orderType": "LMT",
                                   "side": "BUY", "tif": "DAY", "quantity": 100, "price": 190}]}
    assert [c[3] for c in client.calls[1:]] == [{"confirmed": True}, {"confirmed": True}]


@pytest.mark.parametrize("handler", [None, "no"])
def test_declined_question_rejects_and_says_no(arun, handler):
    client = Scripted({("POST", ORDERS): [Q1], ("POST", "/iserver/reply/r-1"): [{"error": "Order not confirmed "}]})

    async def no(_q):
        return False

    with pytest.raises(OrderRejectedError) as err:
        arun(_desk(client).create(_req(), no if handler else None))
    assert "declined" in err.value.message and "Percentage constraint" in err.value.message
    assert client.calls[-1][3] == {"confirmed": False}


def test_error_body_is_a_rejection(arun):
    client = Scripted({("POST", ORDERS): [{"error": "Order size exceeds available funds"}]})
    with pytest.raises(OrderRejectedError, match="available funds"):
        arun(_desk(client).create(_req()))


def test_timeout_after_send_reconciles_by_coid_and_never_posts_again(arun):
    client = Scripted({("POST", ORDERS): [RequestTimeout("timed out", maybe_sent=True)],
                       ("GET", "/iserver/account/orders"): [{"orders": [], "snapshot": True}, LIVE]})
    order = arun(_desk(client).create(_req()))
    assert order.order_id == "1234567001" and order.client_order_id == "cid-1"
    assert client.count("POST", ORDERS) == 1
    assert client.count("GET", "/iserver/account/orders") == 2


def test_timeout_not_found_is_unknown_state(arun):
    client = Scripted({("POST", ORDERS): [RequestTimeout("timed out", maybe_sent=True)],
                       ("GET", "/iserver/account/orders"): [{"orders": [], "snapshot": True}]})
    with pytest.raises(UnavailableError, match="state is unknown"):
        arun(_desk(client, reconcile_tries=3).create(_req()))
    assert client.count("POST", ORDERS) == 1
    assert client.count("GET", "/iserver/account/orders") == 3


def test_submissions_are_serialised(arun):
    """Two concurrent orders: the second POST waits until the first chain is done."""
    gate = asyncio.Event()

    class Slow(Scripted):
        async def request(self, method, path, **kw):
            if path == "/iserver/reply/r-1":
                await gate.wait()
            return await super().request(method, path, **kw)

    client = Slow({("POST", ORDERS): [Q1, OK], ("POST", "/iserver/reply/r-1"): [OK]})

    async def yes(_q):
        return True

    async def scenario():
        desk = _desk(client)
        first = asyncio.ensure_future(desk.create(_req(), yes))
        second = asyncio.ensure_future(desk.create(_req(client_order_id="cid-2"), yes))
        for _ in range(5):
            await asyncio.sleep(0)
        posts_before = client.count("POST", ORDERS)
        gate.set()
        await asyncio.gather(first, second)
        return posts_before

    assert arun(scenario()) == 1
    assert [c[1] for c in client.calls] == [ORDERS, "/iserver/reply/r-1", ORDERS]


def test_modify_repeats_fields_and_cancel_is_pending(arun):
    modify_path = "/iserver/account/ByNetLiq/order/1234567001"
    client = Scripted({("GET", "/iserver/account/orders"): [LIVE],
                       ("POST", modify_path): [OK],
                       ("DELETE", modify_path): [{"msg": "Request was submitted", "order_id": "1234567001"}]})
    desk = _desk(client)
    changed = arun(desk.modify("ByNetLiq", "1234567001", limit_price=Decimal("191.5"), amount=Decimal(120)))
    assert changed.limit_price == Decimal("191.5") and changed.amount == 120 and changed.remaining == 120
    body = [c for c in client.calls if c[0] == "POST"][0][3]
    assert body == {"acctId": "ByNetLiq", "conid": 265598, "orderType": "LMT", "side": "BUY", "tif": "DAY",
                    "quantity": 120, "cOID": "cid-1", "price": 191.5}
    cancelled = arun(desk.cancel("ByNetLiq", "1234567001"))
    assert cancelled.status is OrderStatus.PENDING_CANCEL


def test_cancel_unknown_order(arun):
    client = Scripted({("GET", "/iserver/account/orders"): [{"orders": [], "snapshot": True}]})
    with pytest.raises(NotFoundError):
        arun(_desk(client).cancel("DU100001", "999"))


def test_suppress_resends_the_whole_list(arun):
    client = Scripted({("POST", "/iserver/questions/suppress"): [{"status": "submitted"}]})
    desk = _desk(client)
    arun(desk.suppress(["o163"]))
    arun(desk.suppress(["p6", "o163"]))
    assert [c[3] for c in client.calls] == [{"messageIds": ["o163"]}, {"messageIds": ["o163", "p6"]}]


def test_order_poller_snapshot_changes_and_own_orders(arun):
    from desktop.brokers.ibkr.live_orders import OrderPoller
    from desktop.brokers.ibkr.order_body import orders_from_live

    row = LIVE["orders"][0]
    state = {"rows": []}
    fetched = asyncio.Event()

    async def fetch(account_id):
        fetched.set()
        return orders_from_live({"orders": list(state["rows"])}, account_id=account_id, groups={"ByNetLiq"})

    async def scenario():
        poller = OrderPoller(fetch, interval=60)
        watched = poller.watch("ByNetLiq")
        own = orders_from_live({"orders": [{**row, "orderId": 7, "order_ref": "mine"}]}, account_id="ByNetLiq",
                               groups={"ByNetLiq"})[0]
        first = asyncio.ensure_future(anext(watched))
        await fetched.wait()
        poller.remember(own)  # published while the snapshot was in flight: still delivered
        got = [await asyncio.wait_for(first, 2)]
        state["rows"] = [row]
        poller.wake()
        got.append(await asyncio.wait_for(anext(watched), 2))
        state["rows"] = [{**row, "status": "Filled", "filledQuantity": "100"}]
        poller.wake()
        got.append(await asyncio.wait_for(anext(watched), 2))
        await poller.close()
        rest = [o async for o in watched]
        return got, rest

    got, rest = arun(scenario())
    assert [(o.order_id, o.status) for o in got] == [("7", OrderStatus.ACCEPTED), ("1234567001", OrderStatus.ACCEPTED),
                                                     ("1234567001", OrderStatus.FILLED)]
    assert rest == []


# -- review fixes and closed gaps -------------------------------------------------------

def test_question_with_a_bare_message_id_string():
    from desktop.brokers.ibkr.reply_flow import question_from

    q = question_from({"id": "r-9", "message": "Sure?", "messageIds": "o163"})
    assert q.message_ids == ("o163",) and q.messages == ("Sure?",)
    assert question_from({"id": "r-9", "message": ["x"], "messageIds": {"o": 1}}).message_ids == ()


def test_reconcile_lookup_failing_with_any_error_still_says_unknown(arun):
    """A timed-out order whose look-up fails (here: the session needs a new login)
    must not surface as a plain AuthError the user might answer by re-sending."""
    from desktop.brokers.errors import AuthError

    client = Scripted({("POST", ORDERS): [RequestTimeout("timed out", maybe_sent=True)],
                       ("GET", "/iserver/account/orders"): [AuthError("not authenticated")]})
    with pytest.raises(UnavailableError, match="state is unknown"):
        arun(_desk(client).create(_req()))
    assert client.count("POST", ORDERS) == 1


MODIFY = "/iserver/account/ByNetLiq/order/1234567001"


def _live_with(price: str, size: str = "100"):
    row = dict(LIVE["orders"][0], price=price, totalSize=size)
    return {"orders": [row], "snapshot": True}


def test_modify_timeout_reads_the_order_back_and_never_resends(arun):
    client = Scripted({("GET", "/iserver/account/orders"): [LIVE, LIVE, _live_with("191")],
                       ("POST", MODIFY): [RequestTimeout("timed out", maybe_sent=True)]})
    order = arun(_desk(client).modify("ByNetLiq", "1234567001", limit_price=Decimal(191)))
    assert order.limit_price == Decimal(191) and order.order_id == "1234567001"
    assert client.count("POST", MODIFY) == 1


def test_modify_timeout_unconfirmed_change_is_unknown_state(arun):
    """The live order still shows the old price after every try: UnavailableError
    saying the state is unknown; the change was POSTed exactly once."""
    client = Scripted({("GET", "/iserver/account/orders"): [LIVE],
                       ("POST", MODIFY): [RequestTimeout("timed out", maybe_sent=True)]})
    with pytest.raises(UnavailableError, match="state is unknown"):
        arun(_desk(client).modify("ByNetLiq", "1234567001", limit_price=Decimal(191), amount=Decimal(150)))
    assert client.count("POST", MODIFY) == 1
    assert client.count("GET", "/iserver/account/orders") == 1 + 3  # the read before, then 3 tries


def test_modify_reply_timeout_is_reconciled_too(arun):
    """A timeout on the confirming reply of a modify question is handled the same way."""
    question = [{"id": "m-1", "message": ["Modify?"], "isSuppressed": False, "messageIds": ["o163"]}]
    client = Scripted({("GET", "/iserver/account/orders"): [LIVE, _live_with("189")],
                       ("POST", MODIFY): [question],
                       ("POST", "/iserver/reply/m-1"): [RequestTimeout("timed out", maybe_sent=True)]})

    async def yes(_q):
        return True

    order = arun(_desk(client).modify("ByNetLiq", "1234567001", limit_price=Decimal(189), confirm=yes))
    assert order.limit_price == Decimal(189)
    assert client.count("POST", MODIFY) == 1 and client.count("POST", "/iserver/reply/m-1") == 1


def test_placed_order_is_returned_even_if_the_details_lookup_fails(arun):
    """An order acknowledged as Filled at once is looked up for its details; if that
    look-up fails the order is still reported as placed (an error here would invite
    the user to place it again)."""
    filled = [{"order_id": "1234567001", "order_status": "Filled", "encrypt_message": "1"}]
    client = Scripted({("POST", ORDERS): [filled],
                       ("GET", "/iserver/account/orders"): [UnavailableError("gateway busy")]})
    order = arun(_desk(client).create(_req()))
    assert order.order_id == "1234567001" and order.status is OrderStatus.FILLED
    assert client.count("POST", ORDERS) == 1
