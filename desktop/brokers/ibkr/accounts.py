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

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from desktop.domain import Account, AccountValues, AllocationGroup, AllocationMember, Balance

from .parse import PAYLOADS, epoch_ms, text, to_decimal

BROKER = "ibkr"
DEFAULT_GROUP = "All"
"""The default group every /iserver/accounts payload lists; not an allocation group."""


def items(value: Any) -> list:
    """``value`` when it is a JSON array, else [] (a field that should list things)."""
    return value if isinstance(value, list) else []


@PAYLOADS.item("/iserver/accounts payload", default=False)
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
        if any(isinstance(n, str) and n and n != DEFAULT_GROUP for n in items(iserver_accounts.get(key))):
            return True
    if len(items(iserver_accounts.get("accounts"))) > 1:
        return True
    props = iserver_accounts.get("acctProps")
    if isinstance(props, Mapping):
        return any(isinstance(p, Mapping) and p.get("hasChildAccounts") is True for p in props.values())
    return False


@PAYLOADS.item("/iserver/accounts payload", default=list)
def group_names_of(iserver_accounts: Mapping[str, Any] | None) -> list[str]:
    """Allocation group names listed by /iserver/accounts (``"All"`` left out)."""
    if not isinstance(iserver_accounts, Mapping):
        return []
    return [n for n in items(iserver_accounts.get("groups")) if isinstance(n, str) and n and n != DEFAULT_GROUP]


def _row_id(row: Mapping[str, Any]) -> str:
    return text(row.get("accountId")) or text(row.get("id"))


@PAYLOADS.item("account row")
def account_from_row(row: Any, *, is_paper: bool = False) -> Account | None:
    """One /portfolio/accounts (or subaccounts) row as an Account; None (logged once)
    if it has no id or cannot be read. ``name``: accountAlias, else displayName, else
    accountTitle, else id. ``is_master`` from ``parent.isMParent``; ``parent_id`` =
    ``parent.accountId`` for a client (``isMChild`` or a parent other than itself).
    ``kind`` is "margin": the CPAPI does not say cash vs margin in these payloads."""
    if not isinstance(row, Mapping) or not _row_id(row):
        PAYLOADS.skip("no account id")
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
        PAYLOADS.skip(f"invalid account ({exc.error_count()} errors: {exc.errors()[0]['msg']})")
        return None


@PAYLOADS.item("account id of /iserver/accounts")
def _listed_account(aid: Any, aliases: Mapping[str, Any], is_paper: bool) -> Account | None:
    if not isinstance(aid, str) or not aid.strip():
        PAYLOADS.skip("not an account id")
        return None
    return Account(broker=BROKER, account_id=aid, name=text(aliases.get(aid)) or aid, kind="margin",
                   is_paper=is_paper or aid[:2] in ("DU", "DF"))


@PAYLOADS.payload("account list", raw_arg=(0, 1, 2))
def accounts_from(iserver_accounts: Mapping[str, Any] | None, portfolio_rows: Iterable[Any] = (),
                  subaccount_rows: Iterable[Any] = ()) -> list[Account]:
    """Every account of the login: /portfolio/accounts rows, then subaccounts, then any
    id /iserver/accounts lists that neither had (named by ``aliases``). First row per id wins;
    allocation group names are never accounts. Unreadable rows are logged once and
    skipped; raises PayloadError only for a payload of no readable shape."""
    payload = iserver_accounts if isinstance(iserver_accounts, Mapping) else {}
    is_paper = payload.get("isPaper") is True
    groups = set(group_names_of(payload)) | {DEFAULT_GROUP}
    out: dict[str, Account] = {}
    for row in [*portfolio_rows, *subaccount_rows]:
        acc = account_from_row(row, is_paper=is_paper)
        if acc is not None and acc.account_id not in out and acc.account_id not in groups:
            out[acc.account_id] = acc
    aliases = payload.get("aliases") if isinstance(payload.get("aliases"), Mapping) else {}
    for aid in items(payload.get("accounts")):
        if isinstance(aid, str) and (aid in out or aid in groups):
            continue
        acc = _listed_account(aid, aliases, is_paper)
        if acc is not None:
            out[acc.account_id] = acc
    return list(out.values())


@PAYLOADS.payload("allocation group list")
def group_list(payload: Any) -> list[tuple[str, str]]:
    """``(name, method code)`` of each group in ``GET /iserver/account/allocation/group``;
    malformed entries logged once and skipped."""
    rows = payload.get("data") if isinstance(payload, Mapping) else None
    out: list[tuple[str, str]] = []
    for row in items(rows):
        name = text(row.get("name")) if isinstance(row, Mapping) else ""
        if not name:
            PAYLOADS.skip(f"a group row without a name ({type(row).__name__})")
            continue
        out.append((name, text(row.get("allocation_method")) or "N"))
    if not isinstance(rows, list) and payload not in (None, {}, []):
        PAYLOADS.skip("no data list")
    return out


@PAYLOADS.item("allocation group")
def group_from_single(payload: Any, fallback_method: str = "N") -> AllocationGroup | None:
    """``POST /iserver/account/allocation/group/single`` as an AllocationGroup, or None
    (logged once with the payload) when it is malformed (no name/accounts, bad method,
    missing amounts for C/P/R/S, percentages not summing to 100, ...)."""
    if not isinstance(payload, Mapping):
        PAYLOADS.skip("not an object")
        return None
    try:
        members = []
        for m in items(payload.get("accounts")):
            if not isinstance(m, Mapping) or not text(m.get("name")):
                raise ValueError(f"member without a name: {m!r}")
            amount = to_decimal(m.get("amount"), "amount", payload) if m.get("amount") is not None else None
            members.append(AllocationMember(account_id=text(m["name"]), amount=amount))
        return AllocationGroup(name=text(payload.get("name")),
                               method=text(payload.get("default_method")) or fallback_method,
                               members=tuple(members))
    except (ValidationError, ValueError) as exc:
        PAYLOADS.skip(f"malformed ({str(exc)[:160]})")
        return None


@PAYLOADS.item("allocation account row")
def _account_values(row: Any) -> AccountValues | None:
    if not isinstance(row, Mapping) or not text(row.get("name")):
        PAYLOADS.skip("no account name")
        return None
    values: dict[str, Decimal | None] = {}
    for item in items(row.get("data")):
        if isinstance(item, Mapping) and item.get("key") in ("NetLiquidation", "AvailableEquity"):
            values[item["key"]] = to_decimal(item.get("value"), item["key"], row)
    return AccountValues(account_id=text(row["name"]), net_liquidation=values.get("NetLiquidation"),
                         available_equity=values.get("AvailableEquity"))


@PAYLOADS.payload("allocation accounts")
def account_values_from(payload: Any) -> list[AccountValues]:
    """``GET /iserver/account/allocation/accounts`` as AccountValues (string values
    parsed; a missing key is None). Unreadable rows are logged once and skipped."""
    rows = payload.get("accounts") if isinstance(payload, Mapping) else None
    return [v for v in (_account_values(row) for row in items(rows)) if v is not None]


def _summary_amount(summary: Mapping[str, Any], key: str) -> Decimal | None:
    entry = summary.get(key)
    if isinstance(entry, Mapping):
        if entry.get("isNull") is True:
            return None
        return to_decimal(entry.get("amount"), key, entry)
    if entry is not None:
        return to_decimal(entry, key, summary)
    return None


@PAYLOADS.item("ledger entry", raw_arg=2)
def _ledger_balance(account_id: str, key: Any, row: Any, base_ccy: str, single: bool,
                    buying_power: Decimal | None, available: Decimal | None) -> Balance | None:
    """One currency entry of ``/portfolio/{id}/ledger`` as a Balance (see balances_from)."""
    if key == "BASE" or not isinstance(row, Mapping):
        return None
    ccy = text(row.get("currency")) or text(key)
    cash = to_decimal(row.get("cashbalance"), "cashbalance", row)
    if cash is None:
        PAYLOADS.skip("no cash balance")
        return None
    is_base = ccy == base_ccy or (not base_ccy and single)
    ts = epoch_ms(row.get("timestamp"), "timestamp", row) if row.get("timestamp") else None
    extra = {"timestamp": ts} if ts else {}
    return Balance(
        broker=BROKER, account_id=account_id, currency=ccy, cash=cash,
        buying_power=(buying_power if is_base and buying_power is not None else cash),
        net_liquidation=to_decimal(row.get("netliquidationvalue"), "netliquidationvalue", row),
        free=available if is_base else None,
        unrealized_pnl=to_decimal(row.get("unrealizedpnl"), "unrealizedpnl", row),
        realized_pnl=to_decimal(row.get("realizedpnl"), "realizedpnl", row),
        raw=dict(row), **extra)


@PAYLOADS.item("account summary", raw_arg=1)
def _summary_balance(account_id: str, summary: Mapping[str, Any], base_ccy: str, buying_power: Decimal | None,
                     available: Decimal | None) -> Balance | None:
    cash = _summary_amount(summary, "totalcashvalue")
    if cash is None and buying_power is None:
        if summary:
            PAYLOADS.skip("no cash or buying power")
        return None
    return Balance(broker=BROKER, account_id=account_id, currency=base_ccy or "USD",
                   cash=cash if cash is not None else Decimal(0),
                   buying_power=buying_power if buying_power is not None else (cash or Decimal(0)),
                   net_liquidation=_summary_amount(summary, "netliquidation"), free=available)


@PAYLOADS.payload("account summary and ledger", raw_arg=(1, 2))
def balances_from(account_id: str, summary: Any, ledger: Any) -> list[Balance]:
    """One Balance per currency of the account.

    From ``/portfolio/{id}/ledger``: every currency entry except ``BASE`` gives
    ``cash`` (cashbalance), ``net_liquidation`` (netliquidationvalue),
    ``unrealized_pnl``/``realized_pnl``. The summary's currency (the account's base)
    gets ``buying_power`` = summary ``buyingpower`` and ``free`` = ``availablefunds``;
    other currencies have buying_power = their cash (IBKR reports buying power in the
    base currency only). Without a usable ledger the summary alone gives one Balance
    (``totalcashvalue``, ``netliquidation``). Unreadable entries are logged once and
    skipped.
    """
    summary = summary if isinstance(summary, Mapping) else {}
    base_ccy = ""
    for key in ("netliquidation", "buyingpower", "totalcashvalue"):
        entry = summary.get(key)
        if isinstance(entry, Mapping) and text(entry.get("currency")):
            base_ccy = text(entry["currency"])
            break
    buying_power = _summary_amount(summary, "buyingpower")
    available = _summary_amount(summary, "availablefunds")
    entries = ledger if isinstance(ledger, Mapping) else {}
    out = [b for b in (_ledger_balance(account_id, key, row, base_ccy, len(entries) <= 2, buying_power, available)
                       for key, row in entries.items()) if b is not None]
    if out:
        return out
    balance = _summary_balance(account_id, summary, base_ccy, buying_power, available)
    return [balance] if balance is not None else []
