"""Bad numbers in every public order method of the paper broker (create, preview,
modify; the advisor demo's group variants; the commission estimate): NaN,
infinity, negative zero, zero, negatives, numbers beyond the domain's limit and
values that are not numbers are field errors (InvalidRequestError naming the
field); values over the account's limits are OrderRejectedError with the reason;
never decimal.InvalidOperation or another ArithmeticError. Requests built without
validation (model_construct) are validated again."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from desktop.brokers import InvalidRequestError, OrderRejectedError
from desktop.brokers.paper import PaperBroker
from desktop.domain import OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce

BAD = [D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"), D("-0"), D(0), D(-5), D("1e15"), D("1e999999"),
       D("1e-30"), float("nan"), float("inf"), "abc", None]
"""Each is refused as a field error wherever a number is asked for (None where the
field is required); 1e-30 is below the lot / tick size."""
NOT_EXACT = ["12", 1.5]
"""Text and floats: a request coerces them as OrderRequest does; modify refuses them."""
ACCOUNTS = ["DU100001", "Everyone"]  # a client account and an allocation group


async def yes(question):
    return True


@pytest.fixture
def desk(arun, tmp_path):
    """A connected advisor demo with a resting GTC limit buy in DU100001 and in group Everyone."""
    async def start():
        broker = PaperBroker(tmp_path / "adv.sqlite3", autostart=False, advisor=True)
        await broker.connect()
        await broker.suppress_questions(["p6"])
        broker.advance_minutes(10)
        resting = {a: await broker.create_order(limit_request(broker, a)) for a in ACCOUNTS}
        return broker, resting

    broker, resting = arun(start())
    yield broker, resting
    arun(broker.close())


def limit_request(broker, account, **changes) -> OrderRequest:
    last = broker.market.last_price("AAPL")
    fields = dict(connection_id="paper", account_id=account, instrument=broker.market.instrument("AAPL"), side=OrderSide.BUY,
                  type=OrderType.LIMIT, amount=D(8), limit_price=(last * D("0.9")).quantize(D("0.01")),
                  time_in_force=TimeInForce.GTC)
    return OrderRequest(**fields).model_copy(update=changes) if changes else OrderRequest(**fields)


def unvalidated(broker, account, field, value) -> OrderRequest:
    """A request carrying ``value`` in ``field``, built without validation (as a caller
    bypassing OrderRequest's checks would)."""
    good = limit_request(broker, account)
    return OrderRequest.model_construct(**{**dict(good), "client_order_id": f"bad-{field}-{value!r}", field: value})


def refused_as_field(arun, coro, field, what: object = ""):
    """Run ``coro``; it must raise InvalidRequestError naming ``field`` (``what``: for the failure message)."""
    try:
        arun(coro)
    except InvalidRequestError as exc:
        assert exc.field == field, f"{what!r}: {exc} names field {exc.field}, not {field}"
        assert exc.message and "Invalid" not in exc.message
        return exc
    raise AssertionError(f"{what!r} in {field} was not refused")


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("field", ["amount", "limit_price"])
def test_create_and_preview_refuse_bad_numbers_as_field_errors(arun, desk, account, field):
    broker, _ = desk
    before = {a: len(arun(broker.fetch_orders(a))) for a in ACCOUNTS}
    for value in BAD:
        refused_as_field(arun, broker.create_order(unvalidated(broker, account, field, value), confirm=yes), field, value)
        refused_as_field(arun, broker.preview_order(unvalidated(broker, account, field, value)), field, value)
    assert {a: len(arun(broker.fetch_orders(a))) for a in ACCOUNTS} == before  # nothing placed


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("field", ["amount", "limit_price", "stop_price"])
def test_modify_refuses_bad_numbers_as_field_errors_and_changes_nothing(arun, desk, account, field):
    broker, resting = desk
    order = resting[account]
    for value in [v for v in BAD if v is not None] + NOT_EXACT:
        error = refused_as_field(arun, broker.modify_order(account, order.order_id, **{field: value}), field, value)
        if field == "stop_price" and isinstance(value, D) and value.is_finite() and 0 < value < D("1e15"):
            assert "not allowed for LIMIT" in error.message
    [still] = [o for o in arun(broker.fetch_orders(account)) if o.order_id == order.order_id]
    assert (still.amount, still.limit_price, still.status) == (order.amount, order.limit_price, OrderStatus.ACCEPTED)


def test_the_messages_say_what_is_wrong(arun, desk):
    broker, resting = desk
    oid = resting["DU100001"].order_id
    cases = {D("NaN"): "amount must be a number, not NaN", D("-0"): "amount must be greater than 0",
             D("1e15"): "amount 1E+15 is too large", D("Infinity"): "amount must be a number, not Infinity"}
    for value, words in cases.items():
        assert refused_as_field(arun, broker.modify_order("DU100001", oid, amount=value), "amount").message == words
    assert "must be a number" in refused_as_field(arun, broker.modify_order("DU100001", oid, amount=1.5), "amount").message


@pytest.mark.parametrize("account", ACCOUNTS)
def test_values_over_the_account_limits_are_rejections_with_a_reason(arun, desk, account):
    broker, resting = desk
    huge = D("1e14")  # a valid number, far beyond any client's buying power
    with pytest.raises(OrderRejectedError) as info:
        arun(broker.create_order(limit_request(broker, account, amount=huge), confirm=yes))
    assert "buying power" in info.value.message
    far = (broker.market.last_price("AAPL") * 3).quantize(D("0.01"))
    with pytest.raises(OrderRejectedError) as info:
        arun(broker.modify_order(account, resting[account].order_id, limit_price=far))
    assert "away from the last price" in info.value.message
    preview = arun(broker.preview_order(limit_request(broker, account, amount=huge)))
    assert "buying power" in preview.error


def test_a_group_modify_one_child_refuses_changes_no_child(arun, desk):
    broker, resting = desk
    group = resting["Everyone"]
    children = {aid: [o for o in broker.engine_for(aid).orders() if o.client_order_id == group.client_order_id][0]
                for aid in ("DU100001", "DU100002", "DU100003", "DU100004")}
    cash = broker.engine_for("DU100004").ledger.buying_power()
    price = group.limit_price
    amount = (cash / price * 4 * D("1.2")).to_integral_value()  # DU100004's equal share is over its buying power
    with pytest.raises(OrderRejectedError) as info:
        arun(broker.modify_order("Everyone", group.order_id, amount=amount))
    assert info.value.message.startswith("DU100004: insufficient buying power") and "nothing was changed" in info.value.message
    after = {aid: broker.engine_for(aid).get_order(o.order_id) for aid, o in children.items()}
    assert after == children


def test_commission_estimate_is_none_for_unusable_numbers(arun, desk):
    broker, _ = desk
    request = limit_request(broker, "DU100001")
    assert broker.estimate_commission(request, D("100")) == D("1.00")
    for price in (D("NaN"), D("Infinity"), D("-0"), D(0), D("1e15"), 1.5):
        assert broker.estimate_commission(request, price) is None
    assert broker.estimate_commission(OrderRequest.model_construct(**{**dict(request), "amount": D("NaN")}), D(100)) is None
