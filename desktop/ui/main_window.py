"""The main window: chart in the centre, dockable blotters and the order ticket.

Wiring (see README, Architecture): BrokerService batches -> table panels' stage();
ChartFeed history/live bars -> ChartWidget; ticket and orders table -> OrderActions.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QVBoxLayout, QWidget

from desktop import __version__
from desktop.security.secrets import SecretStore
from desktop.brokers import Broker
from desktop.brokers.errors import CertificateError
from desktop.brokers.replay_control import replay_control
from desktop.connections import ConnectionStore
from desktop.domain import Interval, OrderSide, Quote

from .advisor_view import install_advisor_view
from .chart import ChartWidget
from .display_clock import DISPLAY_CLOCK
from .menus import build_menus
from .options import install_options
from .order_actions import OrderActions
from .services.broker_service import BrokerService
from .services.chart_feed import ChartFeed
from .services.tasks import spawn
from .ticket.scroll import ticket_scroll_area
from .session_ui import SessionUi
from .settings import app_settings
from .status_bar import NEW_YORK, TradingStatusBar
from .tables import AccountsPanel, FillsPanel, OrdersPanel, PositionsPanel, WatchlistPanel
from .ticket import OrderTicket
from .welcome import WelcomePanel, welcome_dismissed

log = logging.getLogger(__name__)

DEFAULT_WATCHLIST = ["AAPL", "MSFT", "IBM", "GOOG"]
SYNTHETIC_NOTICE = "Replay: real daily prices, synthetic intraday path"
SYNTHETIC_TOOLTIP = ("Paper broker replay. Daily open/high/low/close and volume are real (Quandl WIKI prices, public domain). "
                     "Minute bars are a synthetic path generated inside each real day, so every replayed day ends on its real OHLC.")


class MainWindow(QMainWindow):
    """Tradedesk's main window for one broker.

    ``start()`` (a coroutine) connects the broker and loads everything; ``closed``
    is emitted after the window has saved its layout and closed.
    """

    closed = Signal()

    def __init__(self, broker: Broker, parent: QWidget | None = None, *, connection_id: str | None = None,
                 connections: ConnectionStore | None = None, secrets: SecretStore | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.broker = broker
        self.settings = app_settings()
        # Saved connections (File -> Connections...), where their secrets live, and which one is shown.
        self.connection_store = connections if connections is not None else ConnectionStore.open_default()
        self.secrets = secrets if secrets is not None else SecretStore()
        self.connection_id = connection_id
        from .settings_dialog import load_preferences

        self.preferences = load_preferences(self.settings)
        self.first_paint_done = False
        self.live_bars_applied = 0
        self.setWindowTitle(f"Tradedesk {__version__} — {broker.display_name}")
        self.resize(1600, 1000)
        self.setDockNestingEnabled(True)

        self.service = BrokerService(broker, parent=self)
        self.feed = ChartFeed(broker, parent=self)
        self.chart = ChartWidget(self)
        self.chart.setObjectName("chart")
        self._build_central()

        self.watchlist = WatchlistPanel(self)
        self.accounts = AccountsPanel(self)
        self.positions = PositionsPanel(self)
        self.orders = OrdersPanel(self)
        self.fills = FillsPanel(self)
        self.ticket = OrderTicket(self)
        self.ticket.setObjectName("orderTicket")
        self.actions_ = OrderActions(self.service, self.ticket, self)

        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self.status = TradingStatusBar(self)
        self.setStatusBar(self.status)
        self.status.set_connection(broker.display_name, "disconnected")
        self.menus = build_menus(self)
        self._wire()
        self.session_ui = SessionUi(self)  # login / competing session / certificate prompts
        install_advisor_view(self)  # allocation groups -> ticket, consolidated positions
        self._replay_timer = QTimer(self)
        self._replay_timer.setInterval(250)
        self._replay_timer.timeout.connect(self._update_replay_status)
        self._restore_layout()
        from .settings_dialog import apply_preferences

        apply_preferences(self, self.preferences, theme=False)  # the app's theme is set by bootstrap

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
            self.welcome = WelcomePanel(self.settings, self.open_connections, central, broker=self.broker)
            layout.addWidget(self.welcome)
        layout.addWidget(self.chart, 1)
        self.setCentralWidget(central)

    def _dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        bottom, left, right = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self._dock("watchlist", "Watchlist", self.watchlist, left)
        self.ticket_scroll = ticket_scroll_area(self.ticket, self)
        self._dock("ticket", "Order Ticket", self.ticket_scroll, right)
        orders = self._dock("orders", "Orders", self.orders, bottom)
        positions = self._dock("positions", "Positions", self.positions, bottom)
        self.splitDockWidget(orders, positions, Qt.Orientation.Horizontal)
        fills = self._dock("fills", "Fills", self.fills, bottom)
        self.tabifyDockWidget(orders, fills)
        accounts = self._dock("accounts", "Accounts", self.accounts, bottom)
        self.tabifyDockWidget(positions, accounts)
        orders.raise_()
        positions.raise_()
        self.resizeDocks([self.docks["watchlist"], self.docks["ticket"]], [470, 330], Qt.Orientation.Horizontal)
        self.resizeDocks([orders], [300], Qt.Orientation.Vertical)
        install_options(self)  # the "Options" dock (builder + chain), tabified with the watchlist
        self._default_state = self.saveState()

    def reset_layout(self) -> None:
        """Put every dock back where it starts on a fresh install."""
        for dock in self.docks.values():
            dock.show()
        self.restoreState(self._default_state)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        for key, panel in self._panels().items():
            header = self.settings.value(f"tables/{key}")
            if header is not None:
                panel.restore_header_state(header)

    def save_layout(self) -> None:
        """Persist window geometry, dock layout and column states (QSettings)."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        for key, panel in self._panels().items():
            self.settings.setValue(f"tables/{key}", panel.header_state())
        self.settings.sync()

    def _panels(self) -> dict:
        return {"watchlist": self.watchlist, "accounts": self.accounts, "positions": self.positions, "orders": self.orders, "fills": self.fills}

    # -- wiring -------------------------------------------------------------
    def _wire(self) -> None:
        s = self.service
        s.stateChanged.connect(lambda state: self.status.set_connection(self.broker.display_name, state))
        s.quotesChanged.connect(self.watchlist.stage)
        s.quotesChanged.connect(self._quotes_to_ticket)
        s.ordersChanged.connect(self.orders.stage)
        s.fillsAdded.connect(self.fills.stage)
        s.positionsChanged.connect(self.positions.stage)
        s.positionsRemoved.connect(self.positions.model.remove_many)
        s.balancesChanged.connect(self.accounts.stage)
        s.accountsChanged.connect(self.ticket.set_accounts)
        s.errorOccurred.connect(lambda text: self.status.showMessage(text, 10000))

        self.chart.symbolChanged.connect(self._chart_selection_changed)
        self.chart.intervalChanged.connect(self._chart_selection_changed)
        self.feed.historyLoaded.connect(self._history_loaded)
        self.feed.barsUpdated.connect(self._bars_updated)
        self.feed.failed.connect(lambda text: self.status.showMessage(f"Chart: {text}", 10000))

        self.ticket.orderSubmitted.connect(self.actions_.submit)
        self.orders.cancelRequested.connect(self.actions_.cancel)
        self.orders.modifyRequested.connect(self.actions_.modify)
        self.actions_.message.connect(lambda text: self.status.showMessage(text, 8000))
        self.watchlist.activated.connect(lambda quote: self.show_symbol(quote.symbol))
        self.watchlist.view.clicked.connect(lambda index: self.show_symbol(self.watchlist.row_for(index).symbol))
        self.positions.activated.connect(self._close_position_ticket)
        s.accountsChanged.connect(self.accounts.stage)
        self.ticket.symbolChanged.connect(self._ticket_symbol_changed)

    def show_symbol(self, symbol: str) -> None:
        """Chart ``symbol`` and point the ticket at it."""
        self.chart.set_symbol(symbol)
        self.ticket.prefill(symbol=symbol)

    def _close_position_ticket(self, position) -> None:
        """Double-click on a position: chart it and prefill an order that closes it."""
        option = position.instrument.option
        self.chart.set_symbol(option.underlying if option is not None else position.symbol)  # options: chart the stock
        side = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
        self.ticket.prefill(symbol=position.symbol, side=side, amount=abs(position.quantity))

    def _chart_selection_changed(self, *_args) -> None:
        symbol, interval = self.chart.symbol(), self.chart.interval()
        if symbol:
            self.feed.select(symbol, interval)
            self.settings.setValue("chart/symbol", symbol)
            self.settings.setValue("chart/interval", interval)

    def _history_loaded(self, symbol: str, interval: str, bars: list) -> None:
        self.chart.set_bars(symbol, interval, bars)

    def _bars_updated(self, bars: list) -> None:
        for bar in bars:
            if bar.symbol == self.chart.symbol() and bar.interval.value == self.chart.interval():
                self.chart.apply_bar(bar)
                self.live_bars_applied += 1

    def _quotes_to_ticket(self, quotes: list) -> None:
        current = self.ticket.current_symbol()
        for quote in quotes:
            if quote.symbol == current:
                self.ticket.set_quote(quote)

    def _ticket_symbol_changed(self, symbol: str) -> None:
        quote = self.service.quotes.get(symbol)
        if quote is not None:
            self.ticket.set_quote(quote)

    def _update_replay_status(self) -> None:
        broker = replay_control(self.broker)
        if broker is not None:
            self.status.set_replay(broker.replay_now, broker.replay_speed, broker.replay_finished)

    # -- start / stop ---------------------------------------------------------
    async def start(self) -> None:
        """Connect the broker, fill every panel, start the chart. Raises BrokerError.

        A gateway certificate seen for the first time is shown for the user to trust
        (then pinned in the saved connection and connected again with a new broker); a
        changed one is refused (CertificateChangedError is raised after the dialog)."""
        try:
            await self._start()
        except CertificateError as exc:
            broker = await self.session_ui.resolve_certificate(exc)
            if broker is None:
                raise
            await self.connect_broker(broker, connection_id=self.connection_id)

    async def _start(self) -> None:
        caps = self.broker.capabilities
        self.ticket.set_capabilities(caps)
        self.ticket.set_instrument_resolver(self.service.instrument_for)
        self.ticket.set_commission_estimator(self.broker.estimate_commission)
        watch = list(self.settings.value("watchlist/symbols", DEFAULT_WATCHLIST) or DEFAULT_WATCHLIST)
        self.watchlist.set_symbols(watch)
        await self.service.start(watch)
        self.chart.set_symbols(self.service.known_symbols())
        self.ticket.set_symbols(self.service.known_symbols())
        control = replay_control(self.broker)
        if control is not None:
            DISPLAY_CLOCK.configure(NEW_YORK, lambda: control.replay_now)  # tables show the exchange's clock
            self.chart.set_timezone(NEW_YORK)  # the replay runs on the exchange's clock
            self.chart.set_notice(SYNTHETIC_NOTICE)
            self.chart.toolbar.notice_label.setToolTip(SYNTHETIC_TOOLTIP)
            if self.preferences.replay_speed:  # Settings / Replay menu speed, kept across starts
                control.set_replay_speed(self.preferences.replay_speed)
            self._replay_timer.start()
            self._update_replay_status()
            self.menus.sync_replay_speed()
        symbol = str(self.settings.value("chart/symbol", watch[0] if watch else "AAPL"))
        interval = str(self.settings.value("chart/interval", Interval.M1.value))
        self.chart.set_interval(interval)
        self.show_symbol(symbol)
        self.ticket.prefill(amount=self.preferences.default_shares)
        self._chart_selection_changed()

    async def shutdown(self) -> None:
        """Stop streams and close the broker."""
        DISPLAY_CLOCK.reset()
        self._replay_timer.stop()
        self.feed.stop()
        await self.service.stop()

    async def disconnect_broker(self) -> None:
        """Stop streams, close the broker and empty the tables; the window stays open."""
        await self.shutdown()
        for panel in self._panels().values():
            panel.model.reset([])
        self.watchlist.model.reset([Quote(symbol=s) for s in self.watchlist.symbols()])  # keep the list, no prices
        self.service.reset_state()
        self.ticket.set_accounts([])
        self.chart.set_notice(f"{self.broker.display_name}: disconnected (File → Connections… to connect)")
        self.menus.reset_action.setEnabled(False)  # both need a connected paper broker
        self.menus.replay_menu.setEnabled(False)
        self.status.set_replay(None, 0)

    async def connect_broker(self, broker: Broker | None = None, connection_id: str | None = None) -> None:
        """Connect ``broker`` (a saved connection's, ``connection_id``) in place of the
        current one, which is disconnected first; None reconnects the current broker.
        Raises BrokerError (the status bar and the connections list show it)."""
        if self.service.state != "disconnected":
            await self.disconnect_broker()
        if broker is not None and broker is not self.broker:
            self.broker = self.service.broker = self.feed.broker = broker
            if self.welcome is not None:
                self.welcome.set_broker(broker)
            self.feed.symbol = self.feed.interval = None  # a new broker: load history again
            self.connection_id = connection_id
            self.setWindowTitle(f"Tradedesk {__version__} — {broker.display_name}")
            self.status.set_connection(broker.display_name, "disconnected")
        self.chart.set_notice("")
        await self.start()
        self.menus.sync_broker()

    def open_connections(self):
        """File → Connections…: the connections manager (non-modal)."""
        from .connections_dialog import open_connections_dialog

        return open_connections_dialog(self)

    def open_settings(self):
        """Edit → Settings…"""
        from .settings_dialog import open_settings_dialog

        return open_settings_dialog(self)

    def bring_to_front(self) -> None:
        """Show, un-minimise, raise and focus the window (a second start asked for it)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def reset_paper_account(self) -> None:
        """Start the paper account over (after the menu's confirmation)."""
        control = replay_control(self.broker)
        if control is None:
            return

        async def run() -> None:
            await control.reset_account()  # while connected: the store is open and is cleared
            await self.service.stop()
            for panel in self._panels().values():
                panel.model.reset([])
            self.service.reset_state()
            await self.service.start(list(self.settings.value("watchlist/symbols", DEFAULT_WATCHLIST)))
            self.feed.stop()
            self._chart_selection_changed()
            self.status.showMessage("Paper account reset: starting cash restored, orders and positions cleared", 8000)

        spawn(run(), name="reset-paper")

    # -- Qt events ------------------------------------------------------------
    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Paint or e.type() == QEvent.Type.UpdateRequest:
            self.first_paint_done = True
        return super().event(e)

    def paintEvent(self, e) -> None:  # noqa: N802 (Qt name)
        self.first_paint_done = True
        super().paintEvent(e)

    def closeEvent(self, e) -> None:  # noqa: N802
        self.save_layout()
        super().closeEvent(e)
        self.closed.emit()
