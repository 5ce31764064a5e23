"""Accounts, Financial Advisor detection, allocation groups, account values, balances.

Pure mapping of CPAPI payloads (``specs/ibkr-cpapi/NOTES.md`` sections 3 and 5) to
domain models. Malformed rows are logged (WARNING, with the raw row) and skipped.

- ``GET /iserver/accounts``: ``{"accounts": [...], "acctProps": {id: {"hasChildAccounts"}},
  "aliases": {id: alias}, "allowFeatures": {"allowFA"}, "groups": ["All", ...],
  "profiles": [...], "isPaper"}``;
- ``GET /portfolio/accounts`` and ``/portfolio/subaccounts``: rows ``{"id"/"accountId",
  "accountAlias", "displayName", "accountTitle", "currency", "type", "parent":
  {"accountId", "isMParent", "isMChild"}}``;
- ``GET /iserver/account/allocation/group`` -> ``{"data": [{"name", "allocation_method",
  "size"}]}``; ``POST .../group/single {"name"}`` -> ``{"name", "default_method",
  "accounts": [{"name", "amount"?}]}``;
- ``GET /iserver/account/allocation/accounts`` -> ``{"accounts": [{"name", "data":
  [{"key": "NetLiquidation"|"AvailableEquity", "value": "<string>"}]}]}``;
- ``GET /portfolio/{id}/summary`` (``{key: {"amount", "currency", "value"}}``) and
  ``GET /portfolio/{id}/ledger`` (``{"USD": {"cashbalance", "netliquidationvalue",
  "unrealizedpnl", "realizedpnl", ...}, "BASE": {...}}``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from desktop.domain import Account, AccountValues, AllocationGroup, AllocationMember, Balance

from .parse import epoch_ms, text, to_decimal

log = logging.getLogger("desktop.brokers.ibkr")

BROKER = "ibkr"
DEFAULT_GROUP = "All"
"""The default group every /iserver/accounts payload lists; not an allocation group."""


def is_fa_login(iserver_accounts: Mapping[str, Any] | None, *, is_master: bool = False) -> bool:
    """Whether the login is a Financial Advisor's (there is no ``isFA`` field).

    True when any of: ``allowFeatures.allowFA``, ``groups``/``profiles`` beyond
    ``"All"``, more than one entry in ``accounts``, an ``acctProps`` entry with
    ``hasChildAccounts``, or ``is_master`` (``/sso/validate`` ``IS_MASTER``).
    """
    if is_master:
        return True
    if not isinstance(iserver_accounts, Mapping):
        return False
    features = iserver_accounts.get("allowFeatures")
    if isinstance(features, Mapping) and features.get("allowFA") is True:
        return True
    for key in ("groups", "profiles"):
        names = iserver_accounts.get(key)
        if isinstance(names, list) and any(n != DEFAULT_GROUP for n in names):
            return True
    accounts = iserver_accounts.get("accounts")
    if isinstance(accounts, list) and len(accounts) > 1:
        return True
    props = iserver_accounts.get("acctProps")
    if isinstance(props, Mapping):
        return any(isinstance(p, Mapping) and p.get("hasChildAccounts") is True for p in props.values())
    return False


def group_names_of(iserver_accounts: Mapping[str, Any] | None) -> list[str]:
    """Allocation group names listed by /iserver/accounts (``"All"`` left out)."""
    if not isinstance(iserver_accounts, Mapping):
        return []
    names = iserver_accounts.get("groups")
    return [n for n in names if isinstance(n, str) and n and n != DEFAULT_GROUP] if isinstance(names, list) else []


def _row_id(row: Mapping[str, Any]) -> str:
    return text(row.get("accountId") or row.get("id"))


def account_from_row(row: Any, *, is_paper: bool = False) -> Account | None:
    """One /portfolio/accounts (or subaccounts) row as an Account; None (+ WARNING) if
    it has no id. ``name``: accountAlias, else displayName, else accountTitle, else id.
    ``is_master`` from ``parent.isMParent``; ``parent_id`` = ``parent.accountId`` for a
    client (``isMChild`` or a parent other than itself). ``kind`` is "margin": the
    CPAPI does not say cash vs margin in these payloads."""
    if not isinstance(row, Mapping) or not _row_id(row):
        log.warning("IBKR: skipped account row without an id: %r", row)
        return None
    aid = _row_id(row)
    parent = row.get("parent") if isinstance(row.get("parent"), Mapping) else {}
    parent_id = text(parent.get("accountId")) or None
    is_master = parent.get("isMParent") is True
    if is_master or parent_id == aid:
        parent_id = None
    name = text(row.get("accountAlias")) or text(row.get("displayName")) or text(row.get("accountTitle")) or aid
    paper = is_paper or text(row.get("type")).upper() == "DEMO" or aid[:2] in ("DU", "DF")
    try:
        return Account(broker=BROKER, account_id=aid, name=name, currency=text(row.get("currency")) or "USD",
                       kind="margin", is_paper=paper, is_master=is_master, parent_id=parent_id, raw=dict(row))
    except ValidationError as exc:
        log.warning("IBKR: skipped account row (%s): %r", exc, row)
        return None


def accounts_from(iserver_accounts: Mapping[str, Any] | None, portfolio_rows: Iterable[Any] = (),
                  subaccount_rows: Iterable[Any] = ()) -> list[Account]:
    """Every account of the login: /portfolio/accounts rows, then subaccounts, then any
    id /iserver/accounts lists that neither had (named by ``aliases``). First row per id wins;
    allocation group names are never accounts."""
    payload = iserver_accounts if isinstance(iserver_accounts, Mapping) else {}
    is_paper = payload.get("isPaper") is True
    groups = set(group_names_of(payload)) | {DEFAULT_GROUP}
    out: dict[str, Account] = {}
    for row in [*portfolio_rows, *subaccount_rows]:
        acc = account_from_row(row, is_paper=is_paper)
        if acc is not None and acc.account_id not in out and acc.account_id not in groups:
            out[acc.account_id] = acc
    aliases = payload.get("aliases") if isinstance(payload.get("aliases"), Mapping) else {}
    for aid in payload.get("accounts") or ():
        if isinstance(aid, str) and aid and aid not in out and aid not in groups:
            out[aid] = Account(broker=BROKER, account_id=aid, name=text(aliases.get(aid)) or aid, kind="margin",
                               is_paper=is_paper or aid[:2] in ("DU", "DF"))
    return list(out.values())


def group_list(payload: Any) -> list[tuple[str, str]]:
    """``(name, method code)`` of each group in ``GET /iserver/account/allocation/group``;
    malformed entries logged and skipped."""
    rows = payload.get("data") if isinstance(payload, Mapping) else None
    out: list[tuple[str, str]] = []
    for row in rows if isinstance(rows, list) else ():
        name = text(row.get("name")) if isinstance(row, Mapping) else ""
        if not name:
            log.warning("IBKR: skipped allocation group row without a name: %r", row)
            continue
        out.append((name, text(row.get("allocation_method")) or "N"))
    if rows is None and payload not in (None, {}, []):
        log.warning("IBKR: unexpected allocation group list: %r", payload)
    return out


def group_from_single(payload: Any, fallback_method: str = "N") -> AllocationGroup | None:
    """``POST /iserver/account/allocation/group/single`` as an AllocationGroup, or None
    (+ WARNING with the payload) when it is malformed (no name/accounts, bad method,
    missing amounts for C/P/R/S, percentages not summing to 100, ...)."""
    if not isinstance(payload, Mapping):
        log.warning("IBKR: skipped malformed allocation group: %r", payload)
        return None
    try:
        members = []
        for m in payload.get("accounts") or ():
            if not isinstance(m, Mapping) or not text(m.get("name")):
                raise ValueError(f"member without a name: {m!r}")
            amount = to_decimal(m.get("amount"), "amount", payload) if m.get("amount") is not None else None
            members.append(AllocationMember(account_id=text(m["name"]), amount=amount))
        return AllocationGroup(name=text(payload.get("name")),
                               method=text(payload.get("default_method")) or fallback_method,
                               members=tuple(members))
    except (ValidationError, ValueError) as exc:
        log.warning("IBKR: skipped malformed allocation group (%s): %r", exc, payload)
        return None


def account_values_from(payload: Any) -> list[AccountValues]:
    """``GET /iserver/account/allocation/accounts`` as AccountValues (string values
    parsed; a missing key is None). Rows without a name are logged and skipped."""
    rows = payload.get("accounts") if isinstance(payload, Mapping) else None
    out: list[AccountValues] = []
    for row in rows if isinstance(rows, list) else ():
        if not isinstance(row, Mapping) or not text(row.get("name")):
            log.warning("IBKR: skipped allocation account row: %r", row)
            continue
        values: dict[str, Decimal | None] = {}
        for item in row.get("data") or ():
            if isinstance(item, Mapping) and item.get("key") in ("NetLiquidation", "AvailableEquity"):
                values[item["key"]] = to_decimal(item.get("value"), item["key"], row)
        out.append(AccountValues(account_id=text(row["name"]), net_liquidation=values.get("NetLiquidation"),
                                 available_equity=values.get("AvailableEquity")))
    return out


def _summary_amount(summary: Mapping[str, Any], key: str) -> Decimal | None:
    entry = summary.get(key)
    if isinstance(entry, Mapping):
        if entry.get("isNull") is True:
            return None
        return to_decimal(entry.get("amount"), key, entry)
    if entry is not None:
        return to_decimal(entry, key, summary)
    return None


def balances_from(account_id: str, summary: Any, ledger: Any) -> list[Balance]:
    """One Balance per currency of the account.

    From ``/portfolio/{id}/ledger``: every currency entry except ``BASE`` gives
    ``cash`` (cashbalance), ``net_liquidation`` (netliquidationvalue),
    ``unrealized_pnl``/``realized_pnl``. The summary's currency (the account's base)
    gets ``buying_power`` = summary ``buyingpower`` and ``free`` = ``availablefunds``;
    other currencies have buying_power = their cash (IBKR reports buying power in the
    base currency only). Without a usable ledger the summary alone gives one Balance
    (``totalcashvalue``, ``netliquidation``). Unreadable entries are logged and skipped.
    """
    summary = summary if isinstance(summary, Mapping) else {}
    base_ccy = ""
    for key in ("netliquidation", "buyingpower", "totalcashvalue"):
        entry = summary.get(key)
        if isinstance(entry, Mapping) and entry.get("currency"):
            base_ccy = text(entry["currency"])
            break
    buying_power = _summary_amount(summary, "buyingpower")
    available = _summary_amount(summary, "availablefunds")
    out: list[Balance] = []
    entries = ledger if isinstance(ledger, Mapping) else {}
    for key, row in entries.items():
        if key == "BASE" or not isinstance(row, Mapping):
            continue
        ccy = text(row.get("currency")) or key
        cash = to_decimal(row.get("cashbalance"), "cashbalance", row)
        if cash is None:
            log.warning("IBKR: skipped ledger entry without cash balance: %r", row)
            continue
        is_base = ccy == base_ccy or (not base_ccy and len(entries) <= 2)
        ts = epoch_ms(row.get("timestamp"), "timestamp", row) if row.get("timestamp") else None
        extra = {"timestamp": ts} if ts else {}
        out.append(Balance(
            broker=BROKER, account_id=account_id, currency=ccy, cash=cash,
            buying_power=(buying_power if is_base and buying_power is not None else cash),
            net_liquidation=to_decimal(row.get("netliquidationvalue"), "netliquidationvalue", row),
            free=available if is_base else None,
            unrealized_pnl=to_decimal(row.get("unrealizedpnl"), "unrealizedpnl", row),
            realized_pnl=to_decimal(row.get("realizedpnl"), "realizedpnl", row),
            raw=dict(row), **extra))
    if out:
        return out
    cash = _summary_amount(summary, "totalcashvalue")
    if cash is None and buying_power is None:
        if summary:
            log.warning("IBKR: no balances in summary/ledger of %s: %r %r", account_id, summary, ledger)
        return []
    return [Balance(broker=BROKER, account_id=account_id, currency=base_ccy or "USD",
                    cash=cash if cash is not None else Decimal(0),
                    buying_power=buying_power if buying_power is not None else (cash or Decimal(0)),
                    net_liquidation=_summary_amount(summary, "netliquidation"), free=available)]
