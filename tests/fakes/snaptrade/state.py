"""The fake SnapTrade's state: partner credentials, users, portal sessions,
authorizations (connections), linked accounts, checked trades, rate-limit windows,
and the test switches. Pure data and small rules; no HTTP here."""

from __future__ import annotations

import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .catalog import FakeBrokerage, uid

PORTAL_LIFETIME = 300.0
"""Seconds a Connection Portal link stays valid (api.yaml: "expires in 5 minutes")."""
TRADE_LIFETIME = 300.0
"""Seconds a checked trade (``/trade/impact``) can be placed by its id."""


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def iso(when: datetime) -> str:
    """ISO 8601 with milliseconds and Z, as api.yaml's examples write times."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def account_uid(user_id: str, slug: str) -> str:
    """The id of ``user_id``'s account at brokerage ``slug`` (deterministic, so tests
    can name it before linking)."""
    return uid("account", user_id, slug)


@dataclass
class RecordedRequest:
    """One request as received: ``method``, ``path`` (as requested, prefix included),
    ``query`` (raw), ``body`` (decoded JSON or None), ``status`` answered."""

    method: str
    path: str
    query: str
    body: Any
    status: int = 0


@dataclass
class User:
    """A registered SnapTrade user: ``user_id`` (the partner's), ``secret``."""

    user_id: str
    secret: str


@dataclass
class Authorization:
    """A brokerage connection of a user: ``id``, ``brokerage``, ``type`` ("read" or
    "trade"), ``disabled``, ``created``."""

    id: str
    user_id: str
    brokerage: FakeBrokerage
    type: str
    created: datetime
    disabled: bool = False
    disabled_date: datetime | None = None
    refreshed: int = 0


@dataclass
class LinkedAccount:
    """An account of an authorization: ``id`` (UUID), ``client`` (paper account id),
    ``populated_at`` (monotonic time from which its data is served; before: 425)."""

    id: str
    authorization_id: str
    user_id: str
    brokerage: FakeBrokerage
    created: datetime
    populated_at: float


@dataclass
class PortalSession:
    """A Connection Portal link: who, which broker preselected, connection type,
    reconnect target, when it expires (monotonic)."""

    id: str
    user_id: str
    connection_type: str
    broker: str | None
    reconnect: str | None
    expires: float
    used: bool = False


@dataclass
class CheckedTrade:
    """A trade checked with ``/trade/impact``: its body, account and expiry."""

    id: str
    user_id: str
    account_id: str
    body: dict[str, Any]
    expires: float
    placed: bool = False


@dataclass
class SnapState:
    """Everything the fake keeps (see the module docstring). ``personal``: a Personal
    key (no registerUser, no userId/userSecret; the one user is implicit).
    ``customer_limit`` requests per 60 s per clientId; ``account_limit`` per 60 s per
    account (Personal keys only); ``populate_seconds``: how long a new account answers
    425. ``clock``: monotonic seconds (tests shift it with :meth:`advance`)."""

    client_id: str
    consumer_key: str
    personal: bool = False
    customer_limit: int = 250
    account_limit: int = 10
    populate_seconds: float = 0.0
    users: dict[str, User] = field(default_factory=dict)
    authorizations: dict[str, Authorization] = field(default_factory=dict)
    accounts: dict[str, LinkedAccount] = field(default_factory=dict)
    portals: dict[str, PortalSession] = field(default_factory=dict)
    trades: dict[str, CheckedTrade] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    status_override: dict[str, str] = field(default_factory=dict)  # brokerage_order_id -> status
    throttle_next: list[bool] = field(default_factory=list)  # queued forced 429s: with headers?
    throttle_seconds: int = 7  # what a forced 429 asks to wait
    fail_next: dict[str, int] = field(default_factory=dict)  # "POST /trade/place" -> status to answer after acting
    offset: float = 0.0
    _customer: deque[float] = field(default_factory=deque)
    _per_account: dict[str, deque[float]] = field(default_factory=dict)

    PERSONAL_USER = "personal"

    def clock(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock on (portal links and checked trades expire)."""
        self.offset += seconds

    # -- users ----------------------------------------------------------------
    def register(self, user_id: str) -> User:
        user = User(user_id, secrets.token_urlsafe(24))
        self.users[user_id] = user
        return user

    def personal_user(self) -> User:
        """The implicit user of a Personal key."""
        return self.users.setdefault(self.PERSONAL_USER, User(self.PERSONAL_USER, ""))

    # -- linking --------------------------------------------------------------
    def new_portal(self, user_id: str, connection_type: str, broker: str | None, reconnect: str | None) -> PortalSession:
        session = PortalSession(str(uuid.uuid4()), user_id, connection_type, broker, reconnect,
                                self.clock() + PORTAL_LIFETIME)
        self.portals[session.id] = session
        return session

    def link(self, session: PortalSession, brokerage: FakeBrokerage) -> Authorization:
        """Complete a portal session with ``brokerage``: a new authorization and its
        account (being populated for ``populate_seconds``), or, for a reconnect, the
        existing authorization with the session's connection type."""
        session.used = True
        kind = "trade" if session.connection_type in ("trade", "trade-if-available") else "read"
        if session.reconnect and session.reconnect in self.authorizations:
            auth = self.authorizations[session.reconnect]
            auth.type, auth.disabled, auth.disabled_date = kind, False, None
            return auth
        existing = next((a for a in self.authorizations.values()
                         if a.user_id == session.user_id and a.brokerage.slug == brokerage.slug), None)
        if existing is not None:  # linking the same login again reuses its connection
            existing.type = kind
            return existing
        auth = Authorization(uid("authorization", session.user_id, brokerage.slug), session.user_id, brokerage, kind,
                             now_utc())
        self.authorizations[auth.id] = auth
        account = LinkedAccount(account_uid(session.user_id, brokerage.slug), auth.id, session.user_id, brokerage, now_utc(),
                                self.clock() + self.populate_seconds)
        self.accounts[account.id] = account
        return auth

    def accounts_of(self, user_id: str) -> list[LinkedAccount]:
        return [a for a in self.accounts.values() if a.user_id == user_id and a.authorization_id in self.authorizations]

    def populated(self, account: LinkedAccount) -> bool:
        return self.clock() >= account.populated_at

    def finish_populating(self) -> None:
        """Every account's data is ready now (tests)."""
        for account in self.accounts.values():
            account.populated_at = min(account.populated_at, self.clock())

    def remove(self, authorization_id: str) -> None:
        self.authorizations.pop(authorization_id, None)
        for account_id in [a.id for a in self.accounts.values() if a.authorization_id == authorization_id]:
            del self.accounts[account_id]

    # -- rate limits ------------------------------------------------------------
    def count(self, account_id: str | None) -> tuple[dict[str, str], float | None]:
        """Count one request (per clientId; per account for Personal keys on account
        data paths): ``(headers, wait)`` where ``wait`` is the seconds until a window
        has room again when it is full (then the request is refused, not counted)."""
        now = self.clock()
        headers: dict[str, str] = {}
        wait = _window(self._customer, self.customer_limit, now)
        headers.update(_headers("X-RateLimit", self._customer, self.customer_limit, now))
        if self.personal and account_id is not None:
            window = self._per_account.setdefault(account_id, deque())
            wait_account = _window(window, self.account_limit, now)
            headers.update(_headers("X-RateLimit-Account", window, self.account_limit, now))
            if wait_account is not None:
                return headers, wait_account
        if wait is not None:
            return headers, wait
        self._customer.append(now)
        if self.personal and account_id is not None:
            self._per_account[account_id].append(now)
            headers.update(_headers("X-RateLimit-Account", self._per_account[account_id], self.account_limit, now))
        headers.update(_headers("X-RateLimit", self._customer, self.customer_limit, now))
        return headers, None


def _window(window: deque[float], limit: int, now: float) -> float | None:
    while window and now - window[0] >= 60.0:
        window.popleft()
    if len(window) < limit:
        return None
    return max(0.0, 60.0 - (now - window[0]))


def _headers(prefix: str, window: deque[float], limit: int, now: float) -> dict[str, str]:
    reset = 60.0 - (now - window[0]) if window else 60.0
    return {f"{prefix}-Limit": str(limit), f"{prefix}-Remaining": str(max(0, limit - len(window))),
            f"{prefix}-Reset": str(max(0, int(reset + 0.999)))}

