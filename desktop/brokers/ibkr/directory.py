"""What the gateway says about the login's accounts: FA detection, the account list,
allocation groups, and whether the portfolio endpoints are primed.

The pre-flight (NOTES.md section 10, "pre-flight on every (re)connect"): after
``GET /iserver/accounts`` call ``/portfolio/accounts`` and ``/portfolio/subaccounts``
(one of them must precede any ``/portfolio/{id}/...`` call in a brokerage session),
then ``GET /iserver/account/allocation/group`` + ``POST .../group/single {"name"}``
per group. :class:`AccountDirectory` runs it at connect and after every re-prime
(daily reset, re-login) and notices when the allocation groups changed.
"""

from __future__ import annotations

import logging
from typing import Any

from desktop.brokers.errors import BrokerError
from desktop.domain import Account, AllocationGroup

from . import accounts as acc
from .requester import Requester

log = logging.getLogger("desktop.brokers.ibkr")

GROUPS_CHANGED = "allocation groups changed"


class AccountDirectory:
    """Accounts and allocation groups of one gateway login, kept by ``client``.

    ``iserver_accounts`` (the last ``/iserver/accounts`` payload), ``fa`` (advisor
    login), ``accounts`` (Account list), ``groups`` (name -> AllocationGroup),
    ``group_names`` (as listed, also those that could not be read),
    ``portfolio_ready`` (``/portfolio/accounts`` called since the last prime),
    ``groups_generation`` (bumped each time a re-prime finds other groups).
    """

    def __init__(self, client: Requester) -> None:
        self._client = client
        self.iserver_accounts: dict[str, Any] = {}
        self.fa = False
        self.accounts: list[Account] = []
        self.groups: dict[str, AllocationGroup] = {}
        self.group_names: list[str] = []
        self.portfolio_ready = False
        self.groups_generation = 0

    def is_group(self, account_id: str) -> bool:
        return account_id in self.group_names

    async def preflight(self, payload: Any, *, first: bool) -> str | None:
        """Run the pre-flight for a fresh ``/iserver/accounts`` ``payload``. Returns
        :data:`GROUPS_CHANGED` when not ``first`` and the groups differ from before.
        ``first`` (connect): errors propagate; later (re-prime) they are logged and
        the portfolio priming is retried by :meth:`ensure_portfolio`."""
        self.iserver_accounts = payload if isinstance(payload, dict) else {}
        self.fa = acc.is_fa_login(self.iserver_accounts)
        self.portfolio_ready = False
        before = dict(self.groups)
        try:
            await self.load_accounts()
            if self.fa:
                await self.load_groups()
        except BrokerError as exc:
            if first:
                raise
            log.warning("IBKR: pre-flight after re-prime incomplete (%s); retried on next use", exc)
        if not first and self.groups != before:
            self.groups_generation += 1
            log.info("IBKR: allocation groups changed: %s -> %s", sorted(before), sorted(self.groups))
            return GROUPS_CHANGED
        return None

    async def load_accounts(self) -> None:
        """``GET /portfolio/accounts`` then ``GET /portfolio/subaccounts`` -> ``accounts``."""
        rows = await self._client.request("GET", "/portfolio/accounts")
        self.portfolio_ready = True
        subs: Any = []
        try:
            subs = await self._client.request("GET", "/portfolio/subaccounts")
        except BrokerError as exc:
            log.info("IBKR: /portfolio/subaccounts unavailable: %s", exc)
        self.accounts = acc.accounts_from(self.iserver_accounts, rows if isinstance(rows, list) else [],
                                          subs if isinstance(subs, list) else [])

    async def ensure_portfolio(self) -> None:
        """Prime the portfolio endpoints if the last pre-flight could not."""
        if not self.portfolio_ready:
            await self.load_accounts()

    async def load_groups(self) -> None:
        """The allocation groups: the list, then each group's members (a group that
        cannot be read or is malformed is logged and left out)."""
        listing = await self._client.request("GET", "/iserver/account/allocation/group")
        names = acc.group_list(listing) or [(n, "N") for n in acc.group_names_of(self.iserver_accounts)]
        groups: dict[str, AllocationGroup] = {}
        for name, method in names:
            try:
                single = await self._client.request("POST", "/iserver/account/allocation/group/single",
                                                    json={"name": name}, idempotent=True)
            except BrokerError as exc:
                log.warning("IBKR: allocation group %s could not be read: %s", name, exc)
                continue
            group = acc.group_from_single(single, fallback_method=method)
            if group is not None:
                groups[group.name] = group
        self.group_names = [n for n, _m in names]
        self.groups = groups
