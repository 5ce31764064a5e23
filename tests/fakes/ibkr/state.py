"""Mutable state and switches of the fake Client Portal Gateway.

:class:`GatewayState` holds what tests flip (``gw.state.authenticated = False`` ...)
and what the gateway remembers between requests (session token, selected account,
pending reply questions, suppressed message ids, snapshot pre-flights, the id maps
between paper order ids and IBKR's integer order ids). Plain data, no I/O.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MESSAGES: dict[str, str] = {
    "o163": ("The following order \"{desc}\" price exceeds the Percentage constraint of {pct}%.\n"
             "Are you sure you want to submit this order?"),
    "p6": ("This order will be distributed over multiple accounts. We strongly suggest you familiarize yourself "
           "with our allocation facilities before submitting orders."),
    "o354": ("You are submitting an order without market data. We strongly recommend against this as it may result "
             "in erroneous and unexpected trades.\nAre you sure you want to submit this order?"),
    "o383": "The following order \"{desc}\" size exceeds the Size Limit of 500.\nAre you sure you want to submit this order?",
}
"""Texts of the reply questions the fake can ask, keyed by IBKR message id."""

INJECTABLE: dict[str, str] = {
    "orders": "appended to every GET /iserver/account/orders answer",
    "positions": "appended to page 0 of every GET /portfolio/{accountId}/positions answer",
    "sor": "put before the real rows of every websocket sor frame",
}
"""What :attr:`GatewayState.injected` rows may be added to, and where they go."""


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the fake received it.

    ``path`` is the API path below ``/v1/api`` (e.g. "/iserver/accounts"; "/" etc. for
    the login page), ``query`` the query parameters, ``json`` the parsed JSON body (None
    when absent or not JSON), ``t`` the gateway clock (seconds, monotonic) at arrival.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    t: float


@dataclass
class PendingReply:
    """An order (or modification) waiting for the answers to its questions."""

    kind: str  # "place" or "modify"
    account: str
    payload: dict[str, Any]
    questions: list[tuple[str, ...]]
    order_id: str | None = None  # modify: the IBKR order id


@dataclass
class GatewayState:
    """Switches and memory of one fake gateway.

    Switches tests may flip at any time:

    - ``authenticated``: the SSO (browser) login is done; False gives 401 everywhere.
    - ``competing``: another brokerage session competes; /iserver data calls fail.
    - ``established``: the brokerage session exists (``ssodh/init`` sets it); False
      gives ``400 {"error":"Bad Request: no bridge"}`` on /iserver data calls.
    - ``accounts_primed``: ``GET /iserver/accounts`` was called; False gives
      ``400 {"error":"Please query /accounts first"}`` on the calls that need it.
    - ``questions``: None asks the questions IBKR would (see
      :func:`~.order_flow.questions_for`: ``o354`` when no market data was requested
      for the conid, ``o163`` when the limit price is more than ``price_percentage``
      from the market, ``p6`` for an order distributed over several accounts); a list
      of message-id tuples is asked in turn on *every* order POST instead.
    - ``modify_questions``: None asks ``o163`` when a modify moves the limit more than
      ``price_percentage`` from the market; a list is asked in turn on every modify.
    - ``price_percentage``: the precautionary "Percentage" constraint (IBKR's preset,
      3 by default): a limit further than this many percent from the ask (buy) or
      bid (sell) asks ``o163``. None turns the precaution off.
    - ``pacing``: enforce the rate limits (429) - on by default.
    - ``post_delay``: seconds to stall order POST / final reply responses.
    - ``ws_heartbeat``: seconds between websocket ``system`` heartbeats (IBKR: ~10).
    - ``ledger_interval``: seconds between websocket ``sld`` ledger updates (IBKR: 10).
    - ``ws_silent``: websockets stay open but send nothing (see
      :meth:`FakeGateway.silence_websockets`); ``ws_silent_pongs``: nor answer pings.
    - ``smd_expiry``: seconds after which an ``smd`` subscription stops streaming.
    - ``ws_system_gate``: when an ``asyncio.Event``, new websockets wait for it before
      sending the ``system`` frame (messages received before it are dropped).
    - ``sor_frames``: push ``sor`` order frames to subscribers (True). False accepts
      ``sor+{}`` but sends nothing, as a third-party report says some gateway builds
      do (NOTES.md section 6): clients must then rely on polling.
    - ``clock``: the time source for pacing and ``RecordedRequest.t``.
    - ``injected``: extra rows added to answers, by :data:`INJECTABLE` kind (empty by
      default); tests use it to feed malformed rows (see :meth:`FakeGateway.inject`).
    """

    authenticated: bool = True
    competing: bool = False
    established: bool = True
    accounts_primed: bool = False
    questions: list[tuple[str, ...]] | None = None
    modify_questions: list[tuple[str, ...]] | None = None
    price_percentage: Decimal | None = Decimal(3)
    pacing: bool = True
    post_delay: float = 0.0
    ws_heartbeat: float = 10.0
    ledger_interval: float = 10.0
    ws_silent: bool = False
    ws_silent_pongs: bool = False
    smd_expiry: float = 900.0
    ws_system_gate: Any = None
    sor_frames: bool = True
    clock: Callable[[], float] = time.monotonic
    injected: dict[str, list[Any]] = field(default_factory=dict)
    user_name: str = "fakeadvisor"
    user_id: int = 43219876

    # -- memory ---------------------------------------------------------------
    session: str = field(default_factory=lambda: secrets.token_hex(16))
    cookie: str = field(default_factory=lambda: secrets.token_hex(12))
    selected_account: str = ""
    suppressed: set[str] = field(default_factory=set)
    replies: dict[str, PendingReply] = field(default_factory=dict)
    snapshot_fields: dict[int, list[str]] = field(default_factory=dict)  # conid -> fields of its pre-flight
    market_data_requested: set[int] = field(default_factory=set)
    ibkr_ids: dict[str, int] = field(default_factory=dict)  # paper order id -> IBKR order id
    paper_ids: dict[int, tuple[str, str]] = field(default_factory=dict)  # IBKR id -> (account/group, paper id)
    coids: set[str] = field(default_factory=set)  # client order ids already placed
    next_order_id: int = 1_234_567_001
    adhoc: dict[int, Any] = field(default_factory=dict)  # IBKR id -> adhoc.AdhocOrder (allocation_profile)
    placements: int = 0  # orders placed or modified so far (the ORDER_PLACED fault watches it)

    def ibkr_order_id(self, account: str, paper_id: str) -> int:
        """The stable IBKR integer id of paper order ``paper_id`` (placed to ``account``)."""
        if paper_id not in self.ibkr_ids:
            self.ibkr_ids[paper_id] = self.next_order_id
            self.paper_ids[self.next_order_id] = (account, paper_id)
            self.next_order_id += 1
        return self.ibkr_ids[paper_id]

    def new_session(self) -> None:
        """A fresh login: new session token and cookie, nothing suppressed or pending."""
        self.session = secrets.token_hex(16)
        self.cookie = secrets.token_hex(12)
        self.suppressed.clear()
        self.replies.clear()
        self.snapshot_fields.clear()
        self.market_data_requested.clear()
