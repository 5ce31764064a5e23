"""The main window's advisor wiring: allocation groups to the ticket, master/client
accounts to the blotters, the consolidated positions toggle.

Advisor logins (``capabilities.allocation_groups``) see a master account and client
accounts; group orders appear in the Orders table under the group, fills per client
with their group, and positions per client with a "Consolidated" sum. Ordinary
logins see none of the advisor-only columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.domain import Account

if TYPE_CHECKING:
    from .main_window import MainWindow

ADVISOR_COLUMNS = {"fills": ("group",), "accounts": ("role",)}
"""Columns shown only to advisor logins (panel key -> column ids)."""


def install_advisor_view(window: "MainWindow") -> None:
    """Connect the service's advisor signals to the ticket and the panels of ``window``.

    ``allocationChanged -> ticket.set_allocation(groups, values)`` and
    ``fillsAdded -> ticket.fills_added(fills)`` when the ticket offers them;
    ``accountsChanged`` -> the positions panel's consolidation (masters excluded,
    toggle shown for advisors or several accounts) and the advisor-only columns.
    """
    service, ticket = window.service, window.ticket
    if hasattr(ticket, "set_allocation"):
        service.allocationChanged.connect(ticket.set_allocation)
    if hasattr(ticket, "fills_added"):
        service.fillsAdded.connect(ticket.fills_added)
    service.accountsChanged.connect(lambda accounts: _accounts_changed(window, accounts))
    set_advisor_columns(window, False)


def _accounts_changed(window: "MainWindow", accounts: list[Account]) -> None:
    advisor = bool(window.broker.capabilities.allocation_groups) or any(a.is_master or a.parent_id for a in accounts)
    positions = window.positions
    positions.set_consolidation_excluded(a.account_id for a in accounts if a.is_master)
    positions.set_consolidation_available(advisor or len(accounts) > 1)
    set_advisor_columns(window, advisor)


def set_advisor_columns(window: "MainWindow", advisor: bool) -> None:
    """Show (advisor) or hide the advisor-only columns of the blotters."""
    panels = {"fills": window.fills, "accounts": window.accounts}
    for key, column_ids in ADVISOR_COLUMNS.items():
        panel = panels[key]
        for column_id in column_ids:
            panel.view.setColumnHidden(panel.model.column_index(column_id), not advisor)
