"""SnapTrade's REST calls over the adapter kit (specs/snaptrade/NOTES.md sections 1-6).

:class:`SnapTradeClient` owns one :class:`~desktop.brokers.transport.RestClient`
with the request signer (:mod:`.signing`), the error hook (:mod:`.errors`) and
pacing within SnapTrade's limits: 250 requests per rolling minute per clientId (the
pacer's global window, 4 per second), and for a Personal key 10 per minute per
account on the account data paths (one rule per account, set when the accounts are
known). A 429 cools down what it names (Retry-After, an exhausted X-RateLimit-*
window, else a doubling back-off) and ``on_cool_down`` tells the adapter.

Commercial keys add ``userId`` and ``userSecret`` to every user-scoped call;
Personal keys add neither. Paths are the root paths; ``legacy_prefix`` sends them
under ``/api/v1`` (signed with the prefix, as the server sees them).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from desktop.brokers.transport import PaceRule, Pacer, RestClient, RetryPolicy, Throttle
from desktop.security.redaction import register_secret

from .errors import map_error
from .signing import SnapTradeSigner

DEFAULT_BASE_URL = "https://api.snaptrade.com"
LEGACY_PREFIX = "/api/v1"
CUSTOMER_PER_SECOND = 4
"""The pacer's global rate: 4/s keeps a rolling minute under 250 requests per clientId."""
ACCOUNT_LIMIT = (10, 60.0)
"""Personal keys: 10 requests per 60 s per account on account data paths."""
ACCOUNT_DATA = r"(holdings|positions/all|balances|orders|recentOrders|activities|quotes|orders/details.*)"


def account_rule(account_id: str) -> PaceRule:
    """The Personal key's per-account window for ``account_id``'s data paths."""
    return PaceRule(rf"/accounts/{re.escape(account_id)}/{ACCOUNT_DATA}", ACCOUNT_LIMIT[0], ACCOUNT_LIMIT[1])


class SnapTradeClient:
    """Signed calls to one SnapTrade API base (see the module docstring).

    ``base_url``: "https://api.snaptrade.com" (plain http only on loopback: the
    fake); ``client_id``/``consumer_key``; ``personal``: a Personal key;
    ``user_id``/``user_secret``: the registered user (Commercial); ``pacer``
    (default: SnapTrade's limits), ``timeout`` seconds, ``clock`` Unix seconds for
    the signer, ``on_cool_down(seconds)`` after a global 429.
    """

    def __init__(self, base_url: str, *, client_id: str, consumer_key: str, personal: bool = False,
                 user_id: str | None = None, user_secret: str | None = None, legacy_prefix: bool = False,
                 pacer: Pacer | None = None, timeout: float = 15.0, clock: Callable[[], float] = time.time,
                 on_cool_down: Callable[[float], None] | None = None) -> None:
        base = base_url.rstrip("/")
        if legacy_prefix and not base.endswith(LEGACY_PREFIX):
            base += LEGACY_PREFIX
        self.personal = personal
        self.user_id = user_id
        self.user_secret = user_secret
        if user_secret:
            register_secret(user_secret)
        self.pacer = pacer or Pacer(global_rate=CUSTOMER_PER_SECOND, margin=0.05)
        self.rest = RestClient(base, name="SnapTrade", sign=SnapTradeSigner(client_id, consumer_key, clock=clock),
                               map_error=map_error, pacer=self.pacer,
                               throttle=Throttle(on_global=on_cool_down), timeout=timeout,
                               retry_policy=RetryPolicy(retry_statuses=frozenset({503})),
                               unreachable_hint="Check the network and the base URL.")

    def set_user(self, user_id: str, user_secret: str) -> None:
        """Use this registered user from now on (after registerUser)."""
        register_secret(user_secret)
        self.user_id, self.user_secret = user_id, user_secret

    def set_accounts(self, account_ids: list[str]) -> None:
        """Personal keys: pace each account's data paths at 10 per minute."""
        if self.personal:
            self.pacer.configure(rules=[account_rule(a) for a in account_ids])

    async def open(self) -> None:
        await self.rest.open()

    async def close(self) -> None:
        await self.rest.close()

    def _user(self, params: dict[str, Any] | None) -> dict[str, Any]:
        if self.personal:
            return dict(params or {})
        return {"userId": self.user_id or "", "userSecret": self.user_secret or "", **(params or {})}

    async def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                   user: bool = True, idempotent: bool | None = None) -> Any:
        """One signed request; ``user``: a user-scoped call (adds userId/userSecret for
        Commercial keys). Returns the decoded body; raises the BrokerError family."""
        return await self.rest.request(method, path, params=self._user(params) if user else params, json=json,
                                       idempotent=idempotent)

    # -- the operations (api.yaml operation ids in brackets) ----------------------------
    async def register_user(self, user_id: str) -> Any:
        """[Authentication_registerSnapTradeUser] POST /snapTrade/registerUser -> {userId, userSecret}."""
        return await self.call("POST", "/snapTrade/registerUser", json={"userId": user_id}, user=False,
                               idempotent=True)

    async def login(self, body: dict[str, Any]) -> Any:
        """[Authentication_loginSnapTradeUser] POST /snapTrade/login -> {redirectURI, sessionId}."""
        return await self.call("POST", "/snapTrade/login", json=body or None, idempotent=True)

    async def authorizations(self) -> Any:
        """[Connections_listBrokerageAuthorizations] GET /authorizations."""
        return await self.call("GET", "/authorizations")

    async def delete_connection(self, connection_id: str) -> Any:
        """[Connections_removeBrokerageAuthorization] DELETE /connection/{id}."""
        return await self.call("DELETE", f"/connection/{connection_id}", idempotent=True)

    async def refresh(self, authorization_id: str) -> Any:
        """[Connections_refreshBrokerageAuthorization] POST /authorizations/{id}/refresh (charged)."""
        return await self.call("POST", f"/authorizations/{authorization_id}/refresh")

    async def accounts(self) -> Any:
        """[AccountInformation_listUserAccounts] GET /accounts."""
        return await self.call("GET", "/accounts")

    async def balances(self, account_id: str) -> Any:
        """[AccountInformation_getUserAccountBalance] GET /accounts/{id}/balances."""
        return await self.call("GET", f"/accounts/{account_id}/balances")

    async def positions(self, account_id: str) -> Any:
        """[AccountInformation_getUserAccountPositions] GET /accounts/{id}/positions/all."""
        return await self.call("GET", f"/accounts/{account_id}/positions/all")

    async def orders(self, account_id: str, *, state: str = "all", days: int = 30) -> Any:
        """[AccountInformation_getUserAccountOrders] GET /accounts/{id}/orders?state&days."""
        return await self.call("GET", f"/accounts/{account_id}/orders", params={"state": state, "days": days})

    async def recent_orders(self, account_id: str, *, only_executed: bool = False) -> Any:
        """[AccountInformation_getUserAccountRecentOrders] GET /accounts/{id}/recentOrders."""
        return await self.call("GET", f"/accounts/{account_id}/recentOrders", params={"only_executed": only_executed})

    async def activities(self, account_id: str, *, offset: int = 0, limit: int = 1000,
                         types: str = "BUY,SELL") -> Any:
        """[AccountInformation_getAccountActivities] GET /accounts/{id}/activities?offset&limit&type
        -> PaginatedUniversalActivity {data, pagination{offset, limit, total}}."""
        return await self.call("GET", f"/accounts/{account_id}/activities",
                               params={"offset": offset, "limit": limit, "type": types})

    async def quotes(self, account_id: str, symbols: list[str]) -> Any:
        """[Trading_getUserAccountQuotes] GET /accounts/{id}/quotes?symbols=…&use_ticker=true (at most 10)."""
        return await self.call("GET", f"/accounts/{account_id}/quotes",
                               params={"symbols": ",".join(symbols), "use_ticker": True})

    async def search(self, account_id: str, text: str) -> Any:
        """[ReferenceData_symbolSearchUserAccount] POST /accounts/{id}/symbols {substring}."""
        return await self.call("POST", f"/accounts/{account_id}/symbols", json={"substring": text}, idempotent=True)

    async def impact(self, body: dict[str, Any]) -> Any:
        """[Trading_getOrderImpact] POST /trade/impact (places nothing: idempotent)."""
        return await self.call("POST", "/trade/impact", json=body, idempotent=True)

    async def place_checked(self, trade_id: str) -> Any:
        """[Trading_placeOrder] POST /trade/{tradeId} {wait_to_confirm: true}. Never retried."""
        return await self.call("POST", f"/trade/{trade_id}", json={"wait_to_confirm": True}, idempotent=False)

    async def place(self, body: dict[str, Any]) -> Any:
        """[Trading_placeForceOrder] POST /trade/place. Never retried."""
        return await self.call("POST", "/trade/place", json=body, idempotent=False)

    async def cancel(self, account_id: str, order_id: str) -> Any:
        """[Trading_cancelOrder] POST /accounts/{id}/trading/cancel {brokerage_order_id}."""
        return await self.call("POST", f"/accounts/{account_id}/trading/cancel",
                               json={"brokerage_order_id": order_id}, idempotent=False)

    async def replace(self, account_id: str, body: dict[str, Any]) -> Any:
        """[Trading_replaceOrder] POST /accounts/{id}/trading/replace. Never retried."""
        return await self.call("POST", f"/accounts/{account_id}/trading/replace", json=body, idempotent=False)
