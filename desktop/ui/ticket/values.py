"""Pure helpers behind the order ticket: parsing, validation, formatting.

No Qt here, so every rule the ticket shows can be tested without widgets. Error
dictionaries are keyed by the ticket's *field keys* (``account``, ``symbol``,
``quantity``, ``type``, ``limitPrice``, ``stopPrice``, ``tif``, ``side`` and ``form``
for anything that belongs to no single field); the widgets and their error labels are
named after the same keys ("quantityEdit" / "quantityError", ...). Their messages are in
a trader's words ("Enter a limit price", :mod:`.words`), never the domain's field names.
Cost estimates: :mod:`.estimate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from desktop.domain import (
    Instrument, OptionAction, OptionRight, OrderRequest, OrderSide, OrderType, PositionEffect, TimeInForce,
    field_errors,
)
from desktop.domain.occ import OccSymbolError, parse_occ
from desktop.domain.order import check_order_fields

from .words import trader_words

InstrumentLookup = Callable[[str], "Instrument | None"]
"""``instrument_for(symbol) -> Instrument | None``: resolves a typed symbol for the broker."""

CommissionEstimator = Callable[[OrderRequest, Decimal], "Decimal | None"]
"""``commission_for(request, price) -> Decimal | None``: estimated commission at ``price``."""

DOMAIN_TO_FIELD = {
    "account_id": "account",
    "instrument": "symbol",
    "amount": "quantity",
    "notional": "quantity",
    "limit_price": "limitPrice",
    "stop_price": "stopPrice",
    "type": "type",
    "time_in_force": "tif",
    "side": "side",
}
"""Domain field name -> ticket field key; anything else is shown under ``form``."""

MAX_NUMBER = Decimal("1e12")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
# Stands in for an unknown symbol so the other fields can still be checked; its
# increments are so small that they never produce a tick/lot error of their own.
_ANY_INSTRUMENT = Instrument(symbol="?", tick_size=Decimal("1e-9"), lot_size=Decimal("1e-9"))

TYPE_LABELS = {
    OrderType.MARKET: "Market",
    OrderType.LIMIT: "Limit",
    OrderType.STOP: "Stop",
    OrderType.STOP_LIMIT: "Stop limit",
}
TIF_LABELS = {
    TimeInForce.DAY: "DAY",
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
}
TIF_TIPS = {
    TimeInForce.DAY: "Day: cancelled at the end of the trading day",
    TimeInForce.GTC: "Good till cancelled: stays working until you cancel it",
    TimeInForce.IOC: "Immediate or cancel: fill what you can now, cancel the rest",
    TimeInForce.FOK: "Fill or kill: fill all of it now, or nothing",
}


def parse_decimal(text: str, field: str) -> Decimal | None:
    """Parse a typed number; None when blank.

    Accepts "1,000", "12.5", ".5"; refuses words, exponents, NaN and absurd sizes with
    a ValueError whose message names ``field`` ("amount must be a number").
    """
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    if not _NUMBER.match(cleaned):
        raise ValueError(f"{field} must be a number")
    value = Decimal(cleaned)
    if abs(value) >= MAX_NUMBER:
        raise ValueError(f"{field} is too large")
    return value


@dataclass(frozen=True)
class TicketInputs:
    """The raw state of the ticket's fields, as typed; ``connection_id`` and
    ``account_id`` (an account id or an allocation group's name) of the chosen target."""

    account_id: str
    symbol: str
    side: OrderSide
    quantity: str
    order_type: OrderType
    limit_price: str = ""
    stop_price: str = ""
    time_in_force: TimeInForce = TimeInForce.DAY
    position_effect: PositionEffect | None = None
    """Open or close, for option orders (ignored for other instruments)."""
    connection_id: str = ""
    notional: bool = False
    """``quantity`` is a dollar amount ("Amount in $"), not shares."""


@dataclass(frozen=True)
class Offer:
    """What the chosen connection offers beyond order types: its ``name`` (for
    messages), ``options`` (OCC symbols resolve only where True), ``fractional``
    (fractional share quantities) and ``notional`` (dollar amounts instead of shares)."""

    name: str = "this broker"
    options: bool = True
    fractional: bool = True
    notional: bool = False


def build_request(inputs: TicketInputs, instrument_for: InstrumentLookup | None,
                  offer: Offer = Offer()) -> tuple[OrderRequest | None, dict[str, str]]:
    """Turn the ticket's raw fields into an OrderRequest, or explain every problem.

    Returns ``(request, {})`` when valid, else ``(None, {field key: message})``, each
    message in a trader's words ("Enter a limit price"). Fields that fail are replaced
    by harmless stand-ins and the domain validation is run again, so that a bad
    quantity does not hide a missing limit price. Without an ``instrument_for`` every
    symbol is taken as a US equity. ``offer`` names the connection in messages and
    refuses options / fractional shares it does not offer.
    """
    request, errors = _build(inputs, instrument_for, offer)
    return request, {key: trader_words(message) for key, message in errors.items()}


def _build(inputs: TicketInputs, instrument_for: InstrumentLookup | None,
           offer: Offer) -> tuple[OrderRequest | None, dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, object] = {
        "connection_id": inputs.connection_id or "?",
        "account_id": inputs.account_id.strip(),
        "side": inputs.side,
        "type": inputs.order_type,
        "time_in_force": inputs.time_in_force,
        "limit_price": None,
        "stop_price": None,
    }
    if not values["account_id"] or not inputs.connection_id:
        errors["account"] = "account is required: choose an account"
        values["account_id"] = "?"
    instrument = _resolve(inputs.symbol, instrument_for, errors, offer)
    values["instrument"] = instrument or _ANY_INSTRUMENT
    if instrument is not None and instrument.is_option and inputs.position_effect is not None:
        values["position_effect"] = inputs.position_effect
    stand_in = {
        "amount": (instrument or _ANY_INSTRUMENT).lot_size,
        "limit_price": (instrument or _ANY_INSTRUMENT).tick_size,
        "stop_price": (instrument or _ANY_INSTRUMENT).tick_size,
        "account_id": "?",
    }
    if inputs.notional:
        _notional_rules(inputs, instrument, offer, errors)
        stand_in["notional"] = Decimal(1)
    quantity_name = "notional" if inputs.notional else "amount"
    wanted = [(quantity_name, inputs.quantity, True)]
    if inputs.order_type.needs_limit_price:
        wanted.append(("limit_price", inputs.limit_price, False))
    if inputs.order_type.needs_stop_price:
        wanted.append(("stop_price", inputs.stop_price, False))
    for name, text, required in wanted:
        key = DOMAIN_TO_FIELD[name]
        try:
            values[name] = parse_decimal(text, name)
        except ValueError as exc:
            errors[key] = str(exc)
            values[name] = stand_in[name]
            continue
        if values[name] is None and required:
            errors[key] = "Enter a dollar amount" if name == "notional" else "Enter a quantity"
            values[name] = stand_in[name]
    amount = values.get("amount")
    if (not offer.fractional and "quantity" not in errors and amount is not None and instrument is not None
            and not instrument.is_option
            and amount % 1 and not amount % instrument.lot_size):  # the instrument's own lot size speaks first
        errors["quantity"] = f"{offer.name} does not trade fractional shares: enter a whole number"
        values["amount"] = stand_in["amount"]
    for _ in range(len(stand_in) + 1):
        try:
            request = OrderRequest(**values)
        except ValidationError as exc:
            found = field_errors(exc)
        except ArithmeticError:
            errors.setdefault("form", "a number is out of range")
            return None, errors
        else:
            return (request, {}) if not errors else (None, errors)
        progressed = False
        for name, message in found.items():
            errors.setdefault(DOMAIN_TO_FIELD.get(name, "form"), message)
            if name in stand_in and values.get(name) != stand_in[name]:
                values[name] = stand_in[name]
                progressed = True
        if not progressed:
            break
    return None, errors


def _notional_rules(inputs: TicketInputs, instrument: Instrument | None, offer: Offer,
                    errors: dict[str, str]) -> None:
    """A dollar amount: only where offered, for shares, as a market order good for the day."""
    if not offer.notional:
        errors["quantity"] = f"{offer.name} does not take dollar amounts: enter a number of shares"
    elif instrument is not None and instrument.is_option:
        errors["quantity"] = "A dollar amount is for shares, not options: enter a number of contracts"
    if inputs.order_type is not OrderType.MARKET:
        errors["type"] = "A dollar-amount order is a market order: choose Market"
    if inputs.time_in_force is not TimeInForce.DAY:
        errors["tif"] = "A dollar-amount order is good for the day: choose DAY"


def _resolve(symbol: str, instrument_for: InstrumentLookup | None, errors: dict[str, str],
             offer: Offer) -> Instrument | None:
    symbol = symbol.strip().upper()
    if not symbol:
        errors["symbol"] = "symbol is required: type a ticker"
        return None
    if instrument_for is None:
        try:
            return Instrument.equity(symbol)
        except ValidationError as exc:
            errors["symbol"] = next(iter(field_errors(exc).values()))
            return None
    try:
        instrument = instrument_for(symbol)
    except Exception as exc:  # a broker lookup failing must not break typing
        errors["symbol"] = f"symbol {symbol} could not be looked up: {exc}"
        return None
    if (instrument is not None and instrument.is_option or instrument is None and is_occ(symbol)) and not offer.options:
        errors["symbol"] = f"{symbol} is an option: {offer.name} does not offer options"
        return None
    if instrument is None:
        reason = occ_reason(symbol)
        errors["symbol"] = (f"{symbol} is not an OCC option symbol: {reason}" if reason
                            else f"symbol {symbol} is not known to {offer.name}")
    return instrument


def occ_reason(symbol: str) -> str:
    """Why ``symbol``, which reads like an attempt at an OCC option symbol (a root, then
    six digits or more), does not parse ("expiry: 250231 is not a date …"); "" when it
    parses or reads like a plain ticker."""
    if len(re.findall(r"\d", symbol)) < 6 or len(symbol.strip()) < 12:
        return ""
    try:
        parse_occ(symbol.strip())
    except OccSymbolError as exc:
        return str(exc)
    return ""


def is_occ(symbol: str) -> bool:
    """True when ``symbol`` reads as an OCC option symbol ("AAPL  250221C00200000")."""
    try:
        parse_occ(symbol)
    except ValueError:
        return False
    return True


def modify_errors(instrument: Instrument, order_type: OrderType, filled: Decimal, amount: Decimal, limit_price: Decimal | None, stop_price: Decimal | None) -> dict[str, str]:
    """Domain rules for a modified order, keyed by field key ({} when fine), in a
    trader's words.

    The new quantity must exceed what is already filled; the rest is the domain's
    :func:`check_order_fields`, run repeatedly so every field gets its message.
    """
    errors = _modify_errors(instrument, order_type, filled, amount, limit_price, stop_price)
    return {key: trader_words(message) for key, message in errors.items()}


def _modify_errors(instrument: Instrument, order_type: OrderType, filled: Decimal, amount: Decimal,
                   limit_price: Decimal | None, stop_price: Decimal | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if filled > 0 and amount <= filled:
        errors["quantity"] = f"amount must be greater than the {fmt_qty(filled)} already filled"
        amount = filled + instrument.lot_size
    values = {"amount": amount, "limit_price": limit_price, "stop_price": stop_price}
    stand_in = {"amount": instrument.lot_size, "limit_price": instrument.tick_size, "stop_price": instrument.tick_size}
    for _ in range(4):
        try:
            check_order_fields(instrument, order_type, values["amount"], values["limit_price"], values["stop_price"])
            break
        except PydanticCustomError as exc:
            name = (exc.context or {}).get("field", "")
            errors.setdefault(DOMAIN_TO_FIELD.get(name, "form"), exc.message())
            if name not in stand_in or values[name] == stand_in[name]:
                break
            values[name] = stand_in[name]
        except ArithmeticError:
            errors.setdefault("form", "a number is out of range")
            break
    return errors


def fmt_money(value: Decimal, currency: str = "USD") -> str:
    """"$12,345.67" for USD, "12,345.67 EUR" otherwise (rounded half up to cents)."""
    cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    body = f"{abs(cents):,.2f}"
    return f"{sign}${body}" if currency == "USD" else f"{sign}{body} {currency}"


def fmt_qty(value: Decimal) -> str:
    """A quantity without trailing zeros: 100, 1,000, 0.5."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_price(value: Decimal | None, decimals: int | None = None) -> str:
    """A price as typed/quoted, with thousands separators; "—" when unknown.
    ``decimals``: exactly that many (the instrument's, e.g. EURUSD 5), rounded half-even."""
    if value is None:
        return "—"
    if decimals is not None:
        try:
            return f"{Decimal(value).quantize(Decimal(1).scaleb(-decimals)):,f}"
        except ArithmeticError:
            pass
    return f"{value:,f}"


# ------------------------------------------------------------------- options
ACTION_LABELS = {
    OptionAction.BUY_TO_OPEN: "Buy to open",
    OptionAction.BUY_TO_CLOSE: "Buy to close",
    OptionAction.SELL_TO_OPEN: "Sell to open",
    OptionAction.SELL_TO_CLOSE: "Sell to close",
}
ACTION_TIPS = {
    OptionAction.BUY_TO_OPEN: "Buy to open: start or add to a long position (you pay the premium)",
    OptionAction.BUY_TO_CLOSE: "Buy to close: buy back contracts you are short",
    OptionAction.SELL_TO_OPEN: "Sell to open: write contracts, start or add to a short position (you receive the premium)",
    OptionAction.SELL_TO_CLOSE: "Sell to close: sell contracts you hold",
}


def premium(request: OrderRequest, price: Decimal) -> Decimal:
    """Premium of an option order at ``price`` per share: price x contracts x multiplier."""
    return price * request.amount * request.instrument.multiplier


def max_loss_text(request: OrderRequest, price: Decimal | None) -> str:
    """The most an option order can lose, in words (``price`` per share, None when unknown).

    Long (buy to open): the premium paid. Short call: unlimited. Short put: strike x
    multiplier x contracts less the premium received (the stock going to zero).
    Closing orders take no new risk.
    """
    instrument = request.instrument
    contract = instrument.option
    action = request.option_action or OptionAction.of(request.side, PositionEffect.OPEN)
    currency = instrument.currency
    paid = premium(request, price) if price is not None else None
    if contract is None:
        return ""
    if action is OptionAction.BUY_TO_OPEN:
        if paid is None:
            return "the premium paid (no price yet), if the option expires worthless"
        return f"{fmt_money(paid, currency)}, the premium paid, if the option expires worthless"
    if action is OptionAction.SELL_TO_OPEN and contract.right is OptionRight.CALL:
        return f"unlimited: a short call loses more the higher {contract.underlying} goes"
    if action is OptionAction.SELL_TO_OPEN:
        exposure = contract.strike * instrument.multiplier * request.amount
        if paid is None:
            return (f"{fmt_money(exposure, currency)} less the premium received, if {contract.underlying} "
                    "falls to zero")
        return (f"{fmt_money(exposure - paid, currency)} if {contract.underlying} falls to zero "
                f"(strike {fmt_price(contract.strike)} x {fmt_qty(instrument.multiplier)} x {fmt_qty(request.amount)}"
                f" less {fmt_money(paid, currency)} premium received)")
    if action is OptionAction.BUY_TO_CLOSE:
        return "no new risk: this buys back contracts you are short (you pay the premium)"
    return "no new risk: this sells contracts you hold"


def describe_request(request: OrderRequest) -> str:
    """The order in words; options read "Buy to open 1 AAPL 21 Feb 25 200 C call at limit 5.20, ..."."""
    text = request.describe()
    instrument = request.instrument
    if instrument.option is None:
        return text
    action = request.option_action
    verb = ACTION_LABELS[action] if action is not None else ("Buy" if request.side is OrderSide.BUY else "Sell")
    kind = "call" if instrument.option.right is OptionRight.CALL else "put"
    plural = "" if request.amount == 1 else "s"
    _head, _sym, tail = text.partition(instrument.symbol)
    return f"{verb} {fmt_qty(request.amount)} {instrument.display_name} {kind}{plural}{tail}"
