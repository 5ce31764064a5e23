"""Order submission as the gateway does it: parse the CPAPI order, ask the reply
questions in turn, then hand the order to the paper broker.

Spec: ``POST /iserver/account/{accountId}/orders`` (``singleOrderSubmissionRequest``;
answer is one of: ``[{"order_id","order_status","encrypt_message"}]``, a question
``[{"id","message":[...],"isSuppressed":false,"messageIds":[...]}]`` or
``{"error": ...}``) and ``POST /iserver/reply/{replyId}`` with ``{"confirmed": bool}``
(always HTTP 200: an unknown or used reply id answers ``{"error": "reply id not
found: '<id>'"}``, the spec's ``orderReplyNotFound``).

Questions (:func:`questions_for`), in IBKR's order: ``o354`` (no market data
requested for the conid this session), ``o163`` (IBKR's precautionary "Percentage"
setting: a limit price more than ``state.price_percentage`` percent, 3 by default,
from the market price, the ask for a buy and the bid for a sell: IBKR Campus glossary
"Precautionary Settings", TWS "Order Presets"), ``p6`` (an order distributed over
several accounts: a group, or an ad-hoc ``allocation_profile``; spec
``suppressOrderReplies``). A far limit is *warned about*, never refused: the paper
engines' price band is lifted (see :mod:`.app`).
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from desktop.brokers.errors import BrokerError
from desktop.domain import Instrument, OrderRequest, OrderSide, OrderType, TimeInForce

from . import adhoc
from .app import FakeGateway
from .payloads import BY_CONID, REQUEST_TYPES, STATUS
from .state import MESSAGES, PendingReply

TIFS = {"DAY": TimeInForce.DAY, "GTC": TimeInForce.GTC, "IOC": TimeInForce.IOC}


class OrderInputError(ValueError):
    """The CPAPI order body cannot be turned into an order (message is the gateway's error)."""


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise OrderInputError(f"invalid {name}: {value!r}") from exc


def conid_of(body: dict[str, Any]) -> int:
    """``conid`` or the conid part of ``conidex`` ("265598@SMART"). Raises OrderInputError."""
    raw = body.get("conid")
    if raw is None and body.get("conidex"):
        raw = str(body["conidex"]).split("@", 1)[0]
    try:
        return int(raw)
    except (TypeError, ValueError) as exc:
        raise OrderInputError("conid is required") from exc


def parse_order(body: dict[str, Any], account: str) -> OrderRequest:
    """A CPAPI order object -> OrderRequest for ``account`` (an account or group).

    LMT uses ``price``; STP puts the trigger in ``price`` (IBKR's examples);
    STOP_LIMIT takes ``price`` = limit and ``auxPrice`` = stop. ``cOID`` becomes the
    client order id. Raises OrderInputError with the message the gateway returns.
    """
    conid = conid_of(body)
    contract = BY_CONID.get(conid)
    if contract is None:
        raise OrderInputError(f"invalid conid: {conid}")
    order_type = REQUEST_TYPES.get(str(body.get("orderType", "")).upper())
    if order_type is None:
        raise OrderInputError(f"unsupported orderType: {body.get('orderType')!r}")
    side = str(body.get("side", "")).upper()
    if side not in ("BUY", "SELL"):
        raise OrderInputError(f"invalid side: {body.get('side')!r}")
    tif = TIFS.get(str(body.get("tif", "DAY")).upper())
    if tif is None:
        raise OrderInputError(f"unsupported tif: {body.get('tif')!r}")
    if "quantity" not in body:
        raise OrderInputError("quantity is required")
    price = _decimal(body["price"], "price") if body.get("price") is not None else None
    aux = _decimal(body["auxPrice"], "auxPrice") if body.get("auxPrice") is not None else None
    limit = stop = None
    if order_type is OrderType.LIMIT:
        limit = price
    elif order_type is OrderType.STOP:
        stop = price if price is not None else aux
    elif order_type is OrderType.STOP_LIMIT:
        limit, stop = price, aux
    fields: dict[str, Any] = {}
    if body.get("cOID"):
        fields["client_order_id"] = str(body["cOID"])
    try:
        return OrderRequest(connection_id="paper", account_id=account, instrument=Instrument.equity(contract.symbol, broker_id=str(conid)),
                            side=OrderSide(side), type=order_type, amount=_decimal(body["quantity"], "quantity"),
                            limit_price=limit, stop_price=stop, time_in_force=tif, **fields)
    except ValidationError as exc:
        raise OrderInputError("; ".join(e["msg"] for e in exc.errors())) from exc


async def confirm_all(_question) -> bool:
    """The paper broker's own questions are answered yes: the gateway already asked
    its questions over the reply flow before placing the order."""
    return True


def price_question(gw: FakeGateway, request: OrderRequest) -> tuple[str, ...] | None:
    """``("o163",)`` when ``request``'s limit price is more than ``price_percentage``
    percent from the market (ask for a buy, bid for a sell, else last); else None."""
    pct = gw.state.price_percentage
    if pct is None or request.limit_price is None:
        return None
    try:
        quote = gw.paper.market.quote(request.symbol)
    except BrokerError:
        return None
    market = quote.ask if request.side is OrderSide.BUY else quote.bid
    market = market if market is not None and market > 0 else quote.last
    if market is None or market <= 0:
        return None
    return ("o163",) if abs(request.limit_price - market) > market * Decimal(pct) / 100 else None


def questions_for(gw: FakeGateway, account: str, request: OrderRequest, *,
                  distributed: bool = False) -> list[tuple[str, ...]]:
    """The questions an order POST asks, suppressed ones removed (see GatewayState).
    ``distributed``: the order carries an ad-hoc ``allocation_profile``."""
    if gw.state.questions is not None:
        asked = list(gw.state.questions)
    else:
        conid = int(request.instrument.broker_id or 0)
        asked = [] if conid in gw.state.market_data_requested else [("o354",)]
        if (far := price_question(gw, request)) is not None:
            asked.append(far)
        if distributed or gw.group(account) is not None:
            asked.append(("p6",))
    return [q for q in asked if not set(q) <= gw.state.suppressed]


def question_payload(gw: FakeGateway, pending: PendingReply) -> list[dict]:
    """Register ``pending`` under a new reply id and return the question to send."""
    reply_id = str(uuid.uuid4())
    gw.state.replies[reply_id] = pending
    ids = pending.questions[0]
    desc = pending.payload.get("desc", "")
    pct = f"{gw.state.price_percentage or 0:g}"
    return [{"id": reply_id, "message": [MESSAGES.get(i, f"Question {i}").format(desc=desc, pct=pct) for i in ids],
             "isSuppressed": False, "messageIds": list(ids)}]


async def place(gw: FakeGateway, account: str, request: OrderRequest,
                split: dict[str, Decimal] | None = None) -> list[dict] | dict:
    """Send the order to the paper broker; the success list or ``{"error": ...}``.
    ``split``: an ad-hoc allocation (account -> quantity), placed by :mod:`.adhoc`."""
    if request.client_order_id in gw.state.coids:
        return {"error": f"Local order ID={request.client_order_id} is already registered."}
    gw.state.coids.add(request.client_order_id)
    if split is not None:
        return await adhoc.place(gw, account, request, split, confirm_all)
    try:
        order = await gw.paper.create_order(request, confirm=confirm_all)
    except BrokerError as exc:
        return {"error": str(exc)}
    gw.state.placements += 1
    ibkr_id = gw.state.ibkr_order_id(account, order.order_id)
    return [{"order_id": str(ibkr_id), "order_status": STATUS[order.status], "encrypt_message": "1"}]


async def submit(gw: FakeGateway, account: str, body: dict[str, Any]) -> list[dict] | dict:
    """First answer to an order POST: a question, the placed order, or an error
    (an ``allocation_profile`` the gateway cannot honour is an error, see :mod:`.adhoc`)."""
    request = parse_order(body, account)
    try:
        split = adhoc.split_of(gw, account, request, body)
    except adhoc.AllocationProfileError as exc:
        raise OrderInputError(str(exc)) from None
    pending = PendingReply("place", account, {"request": request, "desc": request.describe(), "split": split},
                           questions_for(gw, account, request, distributed=split is not None))
    if pending.questions:
        return question_payload(gw, pending)
    return await place(gw, account, request, split)


async def answer(gw: FakeGateway, reply_id: str, confirmed: bool) -> list[dict] | dict:
    """``POST /iserver/reply/{id}``: the body (always HTTP 200, as the spec declares:
    an unknown or already used id is ``{"error": "reply id not found: '<id>'"}``)."""
    from .routes_orders import apply_modify

    pending = gw.state.replies.pop(reply_id, None)
    if pending is None:
        return {"error": f"reply id not found: '{reply_id}'"}
    if not confirmed:
        return {"error": "Order not confirmed "}
    pending.questions.pop(0)
    if pending.questions:
        return question_payload(gw, pending)
    if pending.kind == "modify":
        return await apply_modify(gw, pending.account, pending.order_id or "", pending.payload["body"])
    return await place(gw, pending.account, pending.payload["request"], pending.payload.get("split"))

