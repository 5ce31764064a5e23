"""The paper advisor demo's fixed accounts and allocation groups.

A Financial Advisor login as IBKR models it: one master account ("DF100000", the
advisor's own, which holds no positions) and four client accounts under it, each with
its own cash, plus five allocation groups, one per method the demo shows. These
values are a fixed contract: the fake IBKR gateway and the UI tests build to them.

==========  ====================  ===========
Account     Name                  Cash (USD)
==========  ====================  ===========
DF100000    Advisor (master)      0
DU100001    Harper Family Trust   1,000,000
DU100002    Okafor IRA            400,000
DU100003    Lindqvist Joint       250,000
DU100004    Mendes Individual     100,000
==========  ====================  ===========

Groups (member order as listed): Everyone E (all four), ByNetLiq N (all four),
ByEquity A (DU100001-3), Shares S (40/30/20/10 shares), Growth P (50/30/20 %).
"""

from __future__ import annotations

from decimal import Decimal

from desktop.domain import Account, AllocationGroup, AllocationMember

MASTER_ID = "DF100000"
MASTER_NAME = "Advisor (master)"

CLIENTS: tuple[tuple[str, str, Decimal], ...] = (
    ("DU100001", "Harper Family Trust", Decimal(1_000_000)),
    ("DU100002", "Okafor IRA", Decimal(400_000)),
    ("DU100003", "Lindqvist Joint", Decimal(250_000)),
    ("DU100004", "Mendes Individual", Decimal(100_000)),
)
"""(account_id, name, starting cash in USD) of each client account, in order."""

CLIENT_IDS: tuple[str, ...] = tuple(c[0] for c in CLIENTS)


def starting_cash(account_id: str) -> Decimal:
    """The starting cash (USD) of client ``account_id``. Raises KeyError for others."""
    for aid, _name, cash in CLIENTS:
        if aid == account_id:
            return cash
    raise KeyError(account_id)


def advisor_accounts(broker: str = "paper") -> list[Account]:
    """The master account then the clients, as ``fetch_accounts`` returns them."""
    master = Account(broker=broker, account_id=MASTER_ID, name=MASTER_NAME, currency="USD", kind="margin",
                     is_paper=True, is_master=True)
    return [master] + [Account(broker=broker, account_id=aid, name=name, currency="USD", kind="margin", is_paper=True,
                               parent_id=MASTER_ID) for aid, name, _cash in CLIENTS]


def _members(*pairs: tuple[str, int | None]) -> tuple[AllocationMember, ...]:
    return tuple(AllocationMember(account_id=aid, amount=None if amount is None else Decimal(amount)) for aid, amount in pairs)


def advisor_groups() -> list[AllocationGroup]:
    """The demo's allocation groups, in the order listed in the module docs."""
    everyone = [(aid, None) for aid in CLIENT_IDS]
    return [
        AllocationGroup(name="Everyone", method="E", members=_members(*everyone)),
        AllocationGroup(name="ByNetLiq", method="N", members=_members(*everyone)),
        AllocationGroup(name="ByEquity", method="A", members=_members(*everyone[:3])),
        AllocationGroup(name="Shares", method="S",
                        members=_members(("DU100001", 40), ("DU100002", 30), ("DU100003", 20), ("DU100004", 10))),
        AllocationGroup(name="Growth", method="P", members=_members(("DU100001", 50), ("DU100002", 30), ("DU100003", 20))),
    ]
