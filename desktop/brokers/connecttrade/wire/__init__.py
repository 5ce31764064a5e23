"""Connect Trade's wire format, in one place: paths, query parameters, header names,
field names, codes, and the readers and writers between its JSON and the domain.

Source: the Connect Trade API Cookbook (seeds/000_22acd433f5b2ef22.txt, tabulated in
specs/connecttrade/NOTES.md section 3) and, for users and connections, third-party
code (NOTES.md section 2). No official schema was available: re-check this module
against ``https://connecttrade.com/openapi.json`` when it can be fetched. What the
cookbook does NOT show and is assumed here (marked ASSUMED below): the names
``limit_price`` / ``stop_price`` of an order's prices, the order row's
``cl_order_id`` / ``created_time`` / ``last_exec_time`` (the sort key the cookbook
names) / ``order_tif`` / ``instrument`` and a position's or balance's
``account_id``, the ``normalized_status`` values (read tolerantly: any case,
CANCELED or CANCELLED, ...), the bar message's ``symbol`` / ``interval`` / ``t`` and
the error message of the stream.

Readers are total (:mod:`desktop.brokers.transport.payloads`): a row with an
unreadable field is logged once through :data:`PAYLOADS` and skipped, the rest of the
answer still applies. Numbers may be JSON numbers or numeric strings (the cookbook
reads every one with ``float()``); they become Decimal, never float.

The package is split by part, all of it importable from here: :mod:`.values` (the
payload log and one-field readers), :mod:`.requests` (paths, codes, bodies, query
parameters), :mod:`.rows` (answers into domain models) and :mod:`.stream` (mdstream
messages).
"""

from __future__ import annotations

from .requests import (ACCOUNTS, BALANCES, BASE_URL, CONNECTIONS, HEADER_NAMES, MAX_CL_ORDER_ID, MDSTREAM_URL,
                       ORDER_TYPES, ORDER_TYPES_IN, ORDERS, ORDERS_LIMIT, POSITIONS, SESSION, SORT_RECENT, STATUSES,
                       STREAM_VERSION, TIFS, TRANSACTIONS, USERS, cancel_path, cl_order_id, connection_path, order_body,
                       orders_params, plain, token_path, transactions_params)
from .rows import (AccountBook, fills_of, instrument_of, read_accounts, read_balance, read_fill_parts, read_linked,
                   read_order, read_position, status_of)
from .stream import (authenticate_message, is_auth_success, is_bar, is_error, read_bar, subscribe_message,
                     unsubscribe_message)
from .values import BROKER, MAX_EXPONENT, PAYLOADS, number, text, timestamp

__all__ = [
    "ACCOUNTS", "BALANCES", "BASE_URL", "BROKER", "CONNECTIONS", "HEADER_NAMES", "MAX_CL_ORDER_ID", "MAX_EXPONENT",
    "MDSTREAM_URL", "ORDERS", "ORDERS_LIMIT", "ORDER_TYPES", "ORDER_TYPES_IN", "PAYLOADS", "POSITIONS", "SESSION",
    "SORT_RECENT", "STATUSES", "STREAM_VERSION", "TIFS", "TRANSACTIONS", "USERS", "AccountBook",
    "authenticate_message", "cancel_path", "cl_order_id", "connection_path", "fills_of", "instrument_of",
    "is_auth_success", "is_bar", "is_error", "number", "order_body", "orders_params", "plain", "read_accounts",
    "read_balance", "read_bar", "read_linked", "read_fill_parts", "read_order", "read_position", "status_of", "subscribe_message",
    "text", "timestamp", "token_path", "transactions_params", "unsubscribe_message",
]
