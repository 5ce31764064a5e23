"""The blotters' advisor and consolidation wiring: master/client roles, group columns,
the consolidated positions toggle, a placed group order's fills in the ticket.

Advisor logins (``capabilities.allocation_groups``, e.g. the paper advisor demo or an
IBKR FA login) see a master account and client accounts; group orders appear in the
Orders table under the group, fills per client with their group. Columns only an
advisor needs (Fills: Group, Accounts: Role) show while any connection is one. The
Consolidated toggle shows as soon as the desk holds more than one account (an
advisor's clients, or a trader's accounts at several brokers) and sums them all.
"""

from __future__ import annotations

from desktop.desk import Desk

ADVISOR_COLUMNS = {"fills": ("group",), "accounts": ("role",)}
"""Columns shown only while an advisor login is connected (panel key -> column ids)."""


class AdvisorView:
    """Keeps the panels' advisor columns and consolidation in line with the desk.

    ``bridge`` is the window's DeskBridge; ``ticket`` gets every fill
    (``fills_added``: a placed group order shows its clients' fills); ``positions``,
    ``fills``, ``accounts`` are the blotter panels.
    """

    def __init__(self, desk: Desk, bridge, ticket, positions, fills, accounts) -> None:
        self.desk = desk
        self.ticket = ticket
        self.panels = {"fills": fills, "accounts": accounts}
        self.positions = positions
        if hasattr(ticket, "fills_added"):
            bridge.fillsAdded.connect(ticket.fills_added)
        bridge.accountsChanged.connect(lambda _accounts: self.refresh())
        bridge.connectionEvent.connect(lambda _event: self.refresh())
        self.set_advisor_columns(False)

    def refresh(self) -> None:
        """Re-read which connections are advisors and how many accounts there are."""
        accounts = list(self.desk.state.accounts.values())
        advisor = any(c.is_advisor for c in self.desk.connections.values()) or any(
            a.is_master or a.parent_id for a in accounts)
        self.positions.set_consolidation_excluded(self.desk.masters())
        self.positions.set_consolidation_available(advisor or len([a for a in accounts if not a.is_master]) > 1)
        self.set_advisor_columns(advisor)

    def set_advisor_columns(self, advisor: bool) -> None:
        """Show (advisor) or hide the advisor-only columns of the blotters."""
        for key, column_ids in ADVISOR_COLUMNS.items():
            panel = self.panels[key]
            for column_id in column_ids:
                panel.view.setColumnHidden(panel.model.column_index(column_id), not advisor)
