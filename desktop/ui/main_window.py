"""The main window: chart in the centre, dockable blotters and the order ticket, over
every live connection of one desk.

The window only assembles: the Qt-free :class:`~desktop.desk.Desk` holds every
connection's state; :class:`~desktop.ui.services.desk_bridge.DeskBridge` batches its
changes to the panels; :class:`~desktop.ui.services.chart_feed.ChartFeed` draws from
one market-data connection; :class:`~desktop.ui.order_actions.OrderActions` routes the
ticket's orders (and the orders table's cancel / modify) through the desk to the
connection each names. Panels, menus and dialogs are given what they need.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QVBoxLayout, QWidget

from desktop import __version__
from desktop.brokers import Broker
from desktop.connections import ConnectionStore
from desktop.desk import Desk, DeskEvent
from desktop.desk import events as ev
from desktop.desk.tasks import spawn
from desktop.domain import Interval
from desktop.security.secrets import SecretStore

from .advisor_view import AdvisorView
from .chart import ChartWidget
from .chart_docks import ChartDocks
from .chart_link import ChartLink
from .display_clock import DISPLAY_CLOCK
from .keyboard_help import open_keyboard_help
from .menus import Menus
from .options import install_options
from .order_actions import OrderActions
from .quote_routing import QuoteRouting
from .services.chart_feed import ChartFeed
from .services.desk_bridge import DeskBridge
from .session_ui import SessionUi
from .shortcuts import TradingActions
from .shortcuts_orders import OrderShortcuts
from .settings import app_settings
from .replay_link import ReplayLink
from .row_menus import RowMenus, watchlist_search
from .status_bar import TradingStatusBar
from .tables import AccountsPanel, FillsPanel, OrdersPanel, PositionsPanel, WatchlistPanel
from .tables.connection_labels import ConnectionLabels
from .ticket import OrderTicket
from .ticket.scroll import ticket_scroll_area
from .ticket_link import TicketLink
from .welcome import WelcomePanel, welcome_dismissed
from .window_layout import WindowLayout
from .window_preferences import WindowPreferences

log = logging.getLogger(__name__)

class MainWindow(QMainWindow):
    """Tradedesk's main window over a :class:`Desk` of connections.

    ``desk``: the desk (default: a new one over ``connections`` and ``secrets``);
    ``brokers``: ad-hoc adapters (not saved connections) connected at :meth:`start`
    beside the saved ones (tests, embedding). ``start(connection_ids)`` (a coroutine)
    connects them; ``closed`` is emitted after the window has saved its layout.
    """

    closed = Signal()

    def __init__(self, desk: Desk | None = None, parent: QWidget | None = None, *,
                 connections: ConnectionStore | None = None, secrets: SecretStore | None = None,
                 brokers: Sequence[Broker] = ()) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.settings = app_settings()
        self.connection_store = connections if connections is not None else (
            desk.store if desk is not None and desk.store is not None else ConnectionStore.open_default())
        self.secrets = secrets if secrets is not None else (
            desk.secrets if desk is not None and desk.secrets is not None else SecretStore())
        self.desk = desk if desk is not None else Desk(self.connection_store, self.secrets)
        self._adhoc = list(brokers)
        self.prefs = WindowPreferences(self)
        self.first_paint_done = False
        self.setWindowTitle(f"Tradedesk {__version__}")
        self.resize(1600, 1000)
        self.setDockNestingEnabled(True)

        self.bridge = DeskBridge(self.desk, parent=self)
        self.feed = ChartFeed(self.desk, parent=self)
        self.labels = ConnectionLabels(self)
        self.chart = ChartWidget(self)
        self.chart.setObjectName("chart")
        self._build_central()

        self.watchlist = WatchlistPanel(self.labels, self, settings=self.settings,  # the user's lists, kept
                                        search=watchlist_search(self.desk, lambda: self.ticket.current_connection_id()))
        self.accounts = AccountsPanel(self.labels, self)
        self.positions = PositionsPanel(self.labels, self)
        self.orders = OrdersPanel(self.labels, self)
        self.fills = FillsPanel(self.labels, self)
        self.ticket = OrderTicket(self)
        self.ticket.setObjectName("orderTicket")
        self.actions_ = OrderActions(self.bridge, self.ticket, self)

        self.window_layout = WindowLayout(self, self.settings, self.panels)
        self.docks: dict[str, QDockWidget] = self.window_layout.docks
        self._build_docks()
        self.status = TradingStatusBar(self)
        self.setStatusBar(self.status)
        self.session_ui = SessionUi(self.desk, self.bridge, self.status, self.connection_store, self.secrets, self)
        self.menus = Menus(self, self.desk, docks=self.docks, open_connections=self.open_connections,
                           open_settings=self.open_settings, reset_layout=self.reset_layout,
                           reset_paper=self.reset_paper_account, preferences=lambda: self.preferences,
                           remember_speed=self.prefs.remember_replay_speed,
                           keyboard_help=lambda: open_keyboard_help(self))
        self.advisor_view = AdvisorView(self.desk, self.bridge, self.ticket, self.positions, self.fills, self.accounts)
        self.replays = ReplayLink(self.desk, self.status, sync_menu=self.menus.sync_replay_speed,
                                  panels=lambda: self.panels().values(),
                                  preferred_speed=lambda: self.preferences.replay_speed, parent=self)
        self._wire()
        self.chart_docks = ChartDocks(self, self.desk, self.settings, self.trading.chart_menu,  # Chart → New Chart
                                      say=lambda text: self.status.showMessage(text, 10000),
                                      default_symbol=lambda: self.chart.symbol() or "AAPL")
        from .portfolio import install_portfolio

        self.portfolio, self.transactions = install_portfolio(self)
        self.window_layout.restore()
        self.prefs.apply(self.preferences, theme=False)  # the app's theme is set by bootstrap

    # -- layout -------------------------------------------------------------
    def _build_central(self) -> None:
        """The chart, below the first-run welcome panel until that is dismissed."""
        central = QWidget(self)
        central.setObjectName("centralArea")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.welcome: WelcomePanel | None = None
        if not welcome_dismissed(self.settings):
            self.welcome = WelcomePanel(self.settings, self.open_connections, central, store=self.connection_store)
            layout.addWidget(self.welcome)
        layout.addWidget(self.chart, 1)
        self.setCentralWidget(central)

    def _dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        """Add dock ``key`` (the Options dock adds itself through this)."""
        return self.window_layout.dock(key, title, widget, area)

    def _build_docks(self) -> None:
        self.ticket_scroll = ticket_scroll_area(self.ticket, self)
        self.window_layout.arrange(watchlist=self.watchlist, ticket=self.ticket_scroll, orders=self.orders,
                                   positions=self.positions, fills=self.fills, accounts=self.accounts)
        self.options = install_options(self, self.desk, self.ticket, self.chart, self.positions,
                                       default_quantity=lambda kind: self.preferences.default_quantity(kind))
        for key in ("watchlist", "options"):  # their toolbars / chain must not hold the window wider than 1024 px
            self.window_layout.let_scroll(key)
        self.window_layout.remember_default()

    def reset_layout(self) -> None:
        """View → Reset Layout: every dock where it starts on a fresh install, sized for the window."""
        self.window_layout.reset()

    def fit_to_screen(self, available=None) -> None:
        """Size the first window for its screen (``available``: a QRect, default the
        window's screen's free area); a geometry restored from the last session stays."""
        self.window_layout.fit_to_screen(available)

    def save_layout(self) -> None:
        """Persist window geometry, dock layout and column states (QSettings)."""
        self.window_layout.save()

    def show_ticket(self) -> None:
        """Show and raise the Order Ticket dock."""
        dock = self.docks["ticket"]
        dock.show()
        dock.raise_()

    def show_options(self, symbol: str) -> None:
        """Show and raise the Options dock on ``symbol``'s chain."""
        dock = self.docks["options"]
        dock.show()
        dock.raise_()
        self.options.follow_symbol(symbol)

    def panels(self) -> dict:
        """The blotter panels by key."""
        return {"watchlist": self.watchlist, "accounts": self.accounts, "positions": self.positions,
                "orders": self.orders, "fills": self.fills}

    # -- wiring -------------------------------------------------------------
    def _wire(self) -> None:
        b = self.bridge
        b.ordersChanged.connect(self.orders.stage)
        b.fillsAdded.connect(self.fills.stage)
        b.positionsChanged.connect(self.positions.stage)
        b.positionsRemoved.connect(self.positions.remove)
        b.balancesChanged.connect(self.accounts.stage)
        b.accountsChanged.connect(self.accounts.stage)
        b.accountsChanged.connect(lambda _accounts: self.ticket_link.update())
        b.accountsRemoved.connect(lambda keys: (self.accounts.remove_accounts(keys), self.ticket_link.update()))
        b.staleChanged.connect(self.labels.set_stale)
        b.connectionsDropped.connect(self._connections_dropped)
        b.connectionEvent.connect(self._connection_event)
        b.errorOccurred.connect(lambda text: self.status.showMessage(text, 10000))

        self.chart_link = ChartLink(self.chart, self.feed, self.settings,
                                    say=lambda text: self.status.showMessage(text, 10000),
                                    source_changed=self.menus.set_chart_source)
        self.quotes = QuoteRouting(self.desk, self.watchlist, self.ticket)
        b.quotesChanged.connect(self.quotes.quotes_changed)
        self.ticket_link = TicketLink(self.desk, self.ticket, chart=self.chart, feed=self.feed, quotes=self.quotes,
                                      say=lambda text: self.status.showMessage(text, 10000), name_of=self.labels.name,
                                      welcome=self.welcome)

        self.ticket.orderSubmitted.connect(self.actions_.submit)
        self.ticket.symbolChanged.connect(self.quotes.ticket_symbol_changed)
        self.ticket.symbolLookupRequested.connect(self.quotes.look_up)
        self.orders.cancelRequested.connect(self.actions_.cancel)
        self.orders.modifyRequested.connect(self.actions_.modify)
        self.actions_.message.connect(lambda text: self.status.showMessage(text, 8000))
        self.watchlist.activated.connect(lambda quote: self.show_symbol(quote.symbol))
        self.watchlist.view.clicked.connect(lambda index: self.show_symbol(self.watchlist.row_for(index).symbol))
        self.positions.activated.connect(self.ticket_link.close_position)
        from .position_actions import PositionActions  # positions with ids: close by id, SL/TP (issue 14)

        self.position_actions = PositionActions(self.desk, self, say=lambda text: self.status.showMessage(text, 8000),
                                                name_of=self.labels.name, flush=self.bridge.flush)
        self.positions.closeByIdRequested.connect(self.position_actions.close)
        self.positions.protectRequested.connect(self.position_actions.protect)
        self.orders.offers_protection = self._offers_protection
        self.orders.protectRequested.connect(self.position_actions.protect_order)
        self.watchlist.symbolsChanged.connect(self.desk.market.set_watchlist)
        self.watchlist.symbolsChanged.connect(lambda _symbols: self.quotes.sources_changed())  # a held quote at once
        self._wire_shortcuts()

    def _offers_protection(self, connection_id: str) -> bool:
        """Whether ``connection_id``'s orders carry a stop-loss / take-profit."""
        conn = self.desk.connections.get(connection_id)
        caps = (conn.capabilities or conn.broker.capabilities) if conn is not None else None
        return bool(caps is not None and caps.protection)

    def _wire_shortcuts(self) -> None:
        """The Order and Chart menus' window-wide shortcuts (desktop.ui.shortcuts)."""
        say = lambda text: self.status.showMessage(text, 8000)  # noqa: E731
        self.order_shortcuts = OrderShortcuts(
            self.desk, orders=self.orders, positions=self.positions, cancel=self.actions_.cancel,
            close_position=lambda p: (self.positions.closeByIdRequested if getattr(p, "position_id", "")
                                      else self.positions.activated).emit(p),  # what a double-click does
            show_ticket=lambda: self.row_menus.focus_submit(),
            name_of=self.labels.name, say=say, parent=self)
        self.trading = TradingActions(self.menuBar(), self.menus.view_menu.menuAction(), ticket=self.ticket,
                                      show_ticket=self.show_ticket, order_shortcuts=self.order_shortcuts,
                                      watchlist=self.watchlist, chart=self.chart, show_symbol=self.show_symbol, say=say)
        self.row_menus = RowMenus(watchlist=self.watchlist, positions=self.positions, orders=self.orders, fills=self.fills,
                                  ticket=self.ticket, chart=self.chart, show_symbol=self.show_symbol,
                                  show_ticket=self.show_ticket, focus_quantity=self.trading.focus_quantity,
                                  show_options=self.show_options,
                                  confirm_orders=self.order_shortcuts.confirm_orders,
                                  default_quantity=lambda kind: self.preferences.default_quantity(kind), say=say)

    def _connection_event(self, event: DeskEvent) -> None:
        """A connection was added, removed, or changed state / groups / instruments."""
        if event.kind in (ev.ADDED, ev.REMOVED, ev.STATUS):
            self.labels.set_connections((c.id, c.name) for c in self.desk.connections.values())
            self.labels.set_last_only(c.id for c in self.desk.connections.values()
                                      if not (c.capabilities or c.broker.capabilities).bid_ask)
            self.replays.connections_changed()
            self.menus.sync_connections()
            if self.welcome is not None:
                self.welcome.set_connections(self.desk.live())
            self.chart_link.connections_changed()
            self.quotes.sources_changed()
        if event.kind == ev.REMOVED:
            DISPLAY_CLOCK.forget(event.connection.id)
        if event.kind in (ev.ADDED, ev.REMOVED, ev.STATUS, ev.SESSION, ev.ALLOCATION, ev.INSTRUMENTS):
            self.ticket_link.update()
            symbols = self.desk.known_symbols()
            self.chart.set_symbols(symbols)
            self.ticket.set_symbols(symbols)
            self.options.set_symbols(symbols)
        if event.kind == ev.STATUS:
            self.replays.connected(event.connection)

    def _connections_dropped(self, connection_ids: list) -> None:
        for panel in self.panels().values():
            panel.drop_connections(connection_ids)

    def set_watchlist(self, symbols: Sequence[str]) -> None:
        """Show ``symbols`` in the watchlist and stream them from their sources."""
        self.watchlist.set_symbols(symbols)
        self.desk.market.set_watchlist(symbols)

    def show_symbol(self, symbol: str) -> None:
        """Chart ``symbol`` and point the ticket at it."""
        self.chart.set_symbol(symbol)
        self.ticket.prefill(symbol=symbol)

    # -- start / stop ---------------------------------------------------------
    async def start(self, connection_ids: Sequence[str] | None = None, *, focus: str | None = None) -> dict:
        """Connect the ad-hoc brokers and the saved connections ``connection_ids``
        (default: those remembered, else the built-in paper connection), each through
        the session prompts (an untrusted gateway certificate is shown to trust), side by
        side; fill the panels; start the chart. ``focus`` (``tradedesk --broker KEY``'s
        connection) gets the ticket's account, so the chart draws from it when it serves
        bars. Returns each connection's failure (None when it connected); one failing
        never stops the others."""
        watch = self.watchlist.symbols()  # the user's list, as the watchlist keeps it
        self.desk.market.set_watchlist(watch)
        symbol = str(self.settings.value("chart/symbol", watch[0] if watch else "AAPL"))
        interval = str(self.settings.value("chart/interval", Interval.M1.value))
        self.chart.set_interval(interval)
        self.ticket.prefill(amount=self.preferences.default_shares)
        outcome = {}
        for broker in self._adhoc:
            outcome[broker.connection_id] = await self.session_ui.attach(broker)
        if connection_ids is None:
            connection_ids = [] if self._adhoc and not self.connection_store.connected else self.connection_store.restore_ids()
        outcome.update(await self.session_ui.restore(connection_ids))
        # The ticket starts on --broker KEY's connection, else the first one listed (connections
        # connect side by side, so whichever answered first must not decide).
        for candidate in ([focus] if focus else []) + [c.id for c in self.desk.connections.values()]:
            if self.ticket_link.focus(candidate):
                break
        self.replays.apply_preference()
        self.show_symbol(symbol)
        self.chart_link.selection_changed()
        self.chart_docks.restore()  # the extra charts open last time
        self.window_layout.settle()  # the panels' content may have squeezed the docks
        if len(self.labels) > 1:  # a Connection column: the default layout widens Orders to show Status
            QTimer.singleShot(0, self, lambda: self.window_layout.fit_blotters(self.orders.needed_width()))
        return outcome

    @property
    def preferences(self):
        """The Preferences in force (Edit → Settings…)."""
        return self.prefs.current

    async def shutdown(self) -> None:
        """Stop the chart and every connection (the next start restores them)."""
        self.replays.stop()
        self.feed.stop()
        self.chart_docks.stop()
        await self.desk.shutdown()
        self.bridge.flush()
        DISPLAY_CLOCK.reset()

    def open_connections(self):
        """File → Connections…: the connections manager (non-modal)."""
        from .connections_dialog import open_connections_dialog

        return open_connections_dialog(self, self.desk, self.session_ui, self.connection_store, self.secrets)

    def open_settings(self):
        """Edit → Settings…"""
        return self.prefs.open_dialog()

    def bring_to_front(self) -> None:
        """Show, un-minimise, raise and focus the window (a second start asked for it)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def reset_paper_account(self, connection_id: str) -> None:
        """Start paper connection ``connection_id`` over (after the menu's confirmation)."""

        async def run() -> None:
            conn = await self.desk.reset_paper(connection_id)
            self.feed.reconsider(force=True)
            self.status.showMessage(f"{conn.name} reset: starting cash restored, orders and positions cleared", 8000)

        spawn(run(), name="reset-paper")

    # -- Qt events ------------------------------------------------------------
    def showEvent(self, e) -> None:  # noqa: N802 (Qt name)
        super().showEvent(e)
        self.window_layout.shown()  # once sized: fit the docks when squeezed

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Paint or e.type() == QEvent.Type.UpdateRequest:
            self.first_paint_done = True
        return super().event(e)

    def paintEvent(self, e) -> None:  # noqa: N802 (Qt name)
        self.first_paint_done = True
        super().paintEvent(e)

    def closeEvent(self, e) -> None:  # noqa: N802
        self.save_layout()
        self.bridge.close()
        super().closeEvent(e)
        self.closed.emit()
