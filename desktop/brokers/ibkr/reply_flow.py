"""The CPAPI order reply flow: questions the gateway asks before it accepts an order.

``POST /iserver/account/{id}/orders`` (and modify, and ``POST /iserver/reply/{id}``)
answer with one of (``specs/ibkr-cpapi/NOTES.md`` section 4):

- success: ``[{"order_id": "1370093239", "order_status": "PreSubmitted", ...}]``;
- a question: ``[{"id": "<reply id>", "message": ["..."], "isSuppressed": false,
  "messageIds": ["o163"]}]`` -> ask the user, then ``POST /iserver/reply/{id}
  {"confirmed": true|false}``; the reply's response has these shapes again;
- an error: ``{"error": "Order not confirmed "}`` (also ``reply id not found``);
- an advanced prompt ``{"messageId": "p12", "prompt": true, "options": [...], "text"}``.
"""

from __future__ import annotations

import logging
from typing import Any

from desktop.brokers.errors import BrokerError, OrderRejectedError, UnavailableError
from desktop.brokers.transport import MaybeSentError, is_maybe_sent
from desktop.brokers.transport.payloads import shorten
from desktop.domain import OrderQuestion, QuestionHandler

from .parse import text
from .requester import Requester

log = logging.getLogger("desktop.brokers.ibkr")

MAX_QUESTIONS = 20
"""Most questions answered for one order before giving up (ibind uses 20 too)."""


class UnknownOrderState(MaybeSentError):
    """The gateway's answer did not say whether the order was placed (timeout after
    sending, or a response of an unknown shape). The caller reconciles by cOID."""


def question_from(item: dict[str, Any]) -> OrderQuestion:
    """A reply-question item as an OrderQuestion (HTML entities decoded). ``message``
    and ``messageIds`` may be a list or one bare string; anything else counts as
    none. Raises :class:`UnknownOrderState` when the item has no readable reply
    ``id`` (the order may be waiting for an answer this app cannot send)."""
    reply_id = text(item.get("id"))
    if not reply_id:
        raise UnknownOrderState(f"IBKR asked a question without a readable reply id: {shorten(item)}", raw=item)
    messages = item.get("message")
    messages = [messages] if isinstance(messages, str) else messages if isinstance(messages, list) else []
    ids = item.get("messageIds")
    ids = [ids] if isinstance(ids, str) else ids if isinstance(ids, list) else []  # one id sent bare: keep it whole
    return OrderQuestion(reply_id=reply_id,
                         messages=tuple(text(m) for m in messages if text(m)) or ("(no text)",),
                         message_ids=tuple(text(i) for i in ids if text(i)),
                         is_suppressed=item.get("isSuppressed") is True, raw=item)


def _error_text(payload: Any) -> str | None:
    if isinstance(payload, dict) and payload.get("error"):
        return text(payload["error"]) or "no reason given"
    return None


async def run_reply_flow(client: Requester, response: Any, confirm: QuestionHandler | None) -> dict[str, Any]:
    """Follow ``response`` through every question; return the success item
    (``{"order_id", "order_status", ...}``).

    Each question is passed to ``confirm``; True -> ``POST /iserver/reply/{id}
    {"confirmed": true}`` and continue (at most :data:`MAX_QUESTIONS`); False or no
    handler -> ``{"confirmed": false}`` is sent and OrderRejectedError("... declined:
    <question>") raised. ``{"error": ...}`` -> OrderRejectedError. A response of no
    known shape, or a reply that timed out after sending -> :class:`UnknownOrderState`.
    """
    for _round in range(MAX_QUESTIONS + 1):
        try:
            outcome = _read_answer(response)
        except BrokerError:
            raise
        except Exception as exc:  # noqa: BLE001 - an answer we cannot read: the order may exist
            raise UnknownOrderState(f"IBKR gave an answer this app cannot read ({type(exc).__name__}): "
                                    f"{shorten(response)}", raw=response) from exc
        if isinstance(outcome, dict):
            return outcome
        question = outcome
        answer = False
        if confirm is not None:
            answer = bool(await confirm(question))
        path = f"/iserver/reply/{question.reply_id}"
        if not answer:
            try:
                await client.request("POST", path, json={"confirmed": False})
            except BrokerError as exc:  # the order is not placed either way
                log.info("IBKR: declining reply %s failed: %s", question.reply_id, exc)
            raise OrderRejectedError(f"Order not placed: you declined: {question.text}", code=",".join(
                question.message_ids) or None, raw=question.raw)
        try:
            response = await client.request("POST", path, json={"confirmed": True})
        except UnavailableError as exc:
            if is_maybe_sent(exc):
                raise UnknownOrderState(str(exc), raw=exc.raw) from exc
            raise
    raise OrderRejectedError(f"IBKR asked more than {MAX_QUESTIONS} questions; the order was not placed",
                             raw=response)


def _read_answer(response: Any) -> dict[str, Any] | OrderQuestion:
    """One answer of the reply flow: the success item, or the question to ask.
    Raises OrderRejectedError (an error body, an advanced prompt) or
    UnknownOrderState (no known shape)."""
    error = _error_text(response)
    if error is not None:
        raise OrderRejectedError(f"IBKR refused the order: {error}", raw=response)
    if isinstance(response, dict) and response.get("prompt") is True:
        raise OrderRejectedError(
            "IBKR asked a question this app cannot answer yet (" + text(response.get("messageId")) + "): "
            + text(response.get("text")) + " Answer it in IBKR's Client Portal or TWS, or place the order there.",
            code=text(response.get("messageId")) or None, raw=response)
    item = response[0] if isinstance(response, list) and response and isinstance(response[0], dict) else None
    if item is None and isinstance(response, dict):
        item = response
    if item is None:
        raise UnknownOrderState(f"IBKR gave an answer this app does not understand: {shorten(response)}",
                                raw=response)
    if item.get("order_id") is not None:
        return item
    if item.get("id") is None or item.get("message") is None:
        raise UnknownOrderState(f"IBKR gave an answer this app does not understand: {shorten(response)}",
                                raw=response)
    return question_from(item)
