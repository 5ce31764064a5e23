"""The Portfolio panel (the cookbook's five analytics for every connection) and the
Transactions view, and :func:`install_portfolio`, which docks both in the window."""

from __future__ import annotations

from PySide6.QtCore import Qt

from .panel import PortfolioPanel
from .transactions import TransactionsView

__all__ = ["PortfolioPanel", "TransactionsView", "install_portfolio"]


def install_portfolio(window) -> tuple[PortfolioPanel, TransactionsView]:
    """Dock a PortfolioPanel ("portfolio") and a TransactionsView ("transactions"),
    tabbed with the Accounts dock, refreshed on every desk change the window's bridge
    reports and on watchlist changes (momentum); the Transactions view follows each
    refresh (:meth:`TransactionsView.follow_session`)."""
    from desktop.desk import events as ev

    panel = PortfolioPanel(window.desk, window.settings, window)
    view = TransactionsView(window.desk, window)
    portfolio_dock = window._dock("portfolio", "Portfolio", panel, Qt.DockWidgetArea.BottomDockWidgetArea)
    transactions_dock = window._dock("transactions", "Transactions", view, Qt.DockWidgetArea.BottomDockWidgetArea)
    accounts = window.docks.get("accounts")
    if accounts is not None:
        window.tabifyDockWidget(accounts, portfolio_dock)
        window.tabifyDockWidget(portfolio_dock, transactions_dock)
        accounts.raise_()
    bridge = window.bridge
    for signal in (bridge.positionsChanged, bridge.positionsRemoved, bridge.fillsAdded, bridge.quotesChanged,
                   bridge.connectionsDropped):
        signal.connect(panel.schedule)

    def on_event(event) -> None:
        panel.schedule()
        if event.kind in (ev.ADDED, ev.REMOVED, ev.STATUS):
            view.refresh_connections()
            panel.load_momentum()
    bridge.connectionEvent.connect(on_event)
    panel.refreshed.connect(view.follow_session)  # the range follows the session date, coalesced with the panel
    panel.momentum_sink = window.watchlist.momentum
    panel.momentum_shown = window.watchlist.model.momentum_changed
    window.feed.sourceChanged.connect(lambda _source: panel.load_momentum())
    window.watchlist.symbolsChanged.connect(panel.set_watchlist)
    panel.set_watchlist(window.watchlist.symbols())
    return panel, view
