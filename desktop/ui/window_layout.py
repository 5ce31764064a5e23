"""The main window's layout: its docks, their sizes for the window they open in, the
first window's size for the screen it opens on, and what is kept across sessions.

:class:`WindowLayout` builds the default arrangement (watchlist left, ticket right,
orders | positions below, fills and accounts tabbed behind them), fits the dock sizes
to the window (down to 1024×700: the chart keeps its minimum, the ticket its usable
width, the watchlist what is left, the blotters about 30 % of the height), sizes the
first window to its screen (frame and status bar included), and saves geometry, dock
state and table columns on quit. A layout squeezed by a small window is flagged when
saved (``window/squeezed``) and its dock sizes are fitted again at the next start
instead of being taken as the user's choice; a window size Tradedesk picked for the
screen is not saved at all (the next start picks again for its screen).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QMargins, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

COMFORTABLE = QSize(1600, 1000)
"""The window's size on a screen that has room for it (larger screens: 80 % of them)."""
WATCHLIST_WIDTH, TICKET_WIDTH, BLOTTER_HEIGHT = 590, 330, 300
"""Dock sizes (px) with room to spare: the watchlist with its Source column, the ticket, the blotters."""
FRAME_ESTIMATE = QMargins(4, 36, 4, 4)
"""Window-manager decorations assumed before the window is mapped (title bar, borders)."""
SQUEEZE_SLACK = 4
"""A dock within this many px of its minimum size has been squeezed."""

_LEFT, _RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
_TOP, _BOTTOM = Qt.DockWidgetArea.TopDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
_FRAMELESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")


def first_geometry(available: QRect, frame: QMargins) -> QRect:
    """The first window's geometry (without its frame) on a screen whose free area is
    ``available``: :data:`COMFORTABLE` (80 % of a larger screen), never more than the
    area minus ``frame``, centred in it with the frame inside."""
    room_w = available.width() - frame.left() - frame.right()
    room_h = available.height() - frame.top() - frame.bottom()
    width = min(max(COMFORTABLE.width(), round(available.width() * 0.8)), room_w)
    height = min(max(COMFORTABLE.height(), round(available.height() * 0.8)), room_h)
    x = available.x() + frame.left() + (room_w - width) // 2
    y = available.y() + frame.top() + (room_h - height) // 2
    return QRect(x, y, width, height)


def scrolling(widget: QWidget, name: str, parent: QWidget | None = None) -> QScrollArea:
    """``widget`` in a frameless, resizable scroll area ``name``: a dock holding it can
    be narrower or shorter than the widget's minimum (it scrolls instead of holding the
    whole window wider)."""
    area = QScrollArea(parent)
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class WindowLayout:
    """The docks of ``window`` (by key, :attr:`docks`), their fitting and persistence
    in ``settings``; ``panels()`` gives the blotter panels whose columns are saved."""

    def __init__(self, window: QMainWindow, settings: QSettings, panels: Callable[[], Mapping[str, object]]) -> None:
        self.window, self.settings, self._panels = window, settings, panels
        self.docks: dict[str, QDockWidget] = {}
        self._default_state = None
        self._restored_geometry = False
        self._saved_squeezed = False
        self._picked_size: QSize | None = None
        self._shown = False

    # -- building ---------------------------------------------------------------------
    def dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        """Add ``widget`` as dock ``key`` (objectName ``dock_<key>``) in ``area``."""
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.window.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def arrange(self, *, watchlist: QWidget, ticket: QWidget, orders: QWidget, positions: QWidget,
                fills: QWidget, accounts: QWidget) -> None:
        """The default arrangement (see the module docstring), sized for :data:`COMFORTABLE`."""
        w = self.window
        self.dock("watchlist", "Watchlist", watchlist, _LEFT)
        self.dock("ticket", "Order Ticket", ticket, _RIGHT)
        orders_dock = self.dock("orders", "Orders", orders, _BOTTOM)
        positions_dock = self.dock("positions", "Positions", positions, _BOTTOM)
        w.splitDockWidget(orders_dock, positions_dock, Qt.Orientation.Horizontal)
        w.tabifyDockWidget(orders_dock, self.dock("fills", "Fills", fills, _BOTTOM))
        w.tabifyDockWidget(positions_dock, self.dock("accounts", "Accounts", accounts, _BOTTOM))
        orders_dock.raise_()
        positions_dock.raise_()
        w.resizeDocks([self.docks["watchlist"], self.docks["ticket"]], [WATCHLIST_WIDTH, TICKET_WIDTH],
                      Qt.Orientation.Horizontal)
        w.resizeDocks([orders_dock], [BLOTTER_HEIGHT], Qt.Orientation.Vertical)

    def let_scroll(self, key: str) -> None:
        """Put dock ``key``'s widget in a scroll area (a wide panel, e.g. the Options
        dock, must not hold the whole window wider than a 1024-px screen)."""
        dock = self.docks[key]
        dock.setWidget(scrolling(dock.widget(), f"{key}Scroll", dock))

    def remember_default(self) -> None:
        """The arrangement as it is now is what View → Reset Layout goes back to."""
        self._default_state = self.window.saveState()

    def reset(self) -> None:
        """Every dock back where it starts on a fresh install, sized for this window."""
        for dock in self.docks.values():
            dock.show()
        if self._default_state is not None:
            self.window.restoreState(self._default_state)
        self.fit_docks()

    # -- fitting ------------------------------------------------------------------------
    def _in(self, *areas: Qt.DockWidgetArea) -> list[QDockWidget]:
        """The docks shown in ``areas`` (a tab behind another is "visible" but parked
        outside the window)."""
        inside = self.window.rect()
        return [d for d in self.docks.values() if d.isVisible() and not d.isFloating()
                and d.geometry().intersects(inside) and self.window.dockWidgetArea(d) in areas]

    @staticmethod
    def _minimum(dock: QDockWidget) -> QSize:
        return dock.minimumSizeHint().expandedTo(dock.minimumSize())

    def squeezed(self) -> list[str]:
        """The docked, visible docks squeezed to their minimum size in the direction
        they share with the chart (width for the side areas, height for top and
        bottom), as ``"<key> width"`` / ``"<key> height"``; [] when nothing is."""
        found = []
        for key, dock in self.docks.items():
            if dock not in self._in(_LEFT, _RIGHT, _TOP, _BOTTOM):
                continue
            side = self.window.dockWidgetArea(dock) in (_LEFT, _RIGHT)
            size, least = (dock.width(), self._minimum(dock).width()) if side else (dock.height(), self._minimum(dock).height())
            if size <= least + SQUEEZE_SLACK:
                found.append(f"{key} {'width' if side else 'height'}")
        return found

    def fit_docks(self) -> None:
        """Size the docks for the window as it is: the ticket (right) its usable width
        up to :data:`TICKET_WIDTH`, the watchlist (left) what the chart's minimum width
        leaves, up to :data:`WATCHLIST_WIDTH`, the blotters (bottom) about 30 % of the
        height up to :data:`BLOTTER_HEIGHT`."""
        w = self.window
        width, height = w.width(), w.height()
        central = w.centralWidget()
        chart_min = central.minimumSizeHint().width() if central is not None else 0
        slack = 3 * w.style().pixelMetric(w.style().PixelMetric.PM_DockWidgetSeparatorExtent) + 12
        docks, sizes = [], []
        right, left = self._in(_RIGHT), self._in(_LEFT)
        right_w = 0
        if right:
            right_w = max(max(self._minimum(d).width() for d in right) + 12, min(TICKET_WIDTH, round(width * 0.21)))
            docks.append(right[0])
            sizes.append(right_w)
        if left:
            least = max(self._minimum(d).width() for d in left) + 12
            docks.append(left[0])
            sizes.append(max(least, min(WATCHLIST_WIDTH, round(width * 0.37), width - chart_min - right_w - slack)))
        if docks:
            w.resizeDocks(docks, sizes, Qt.Orientation.Horizontal)
        bottom = self._in(_BOTTOM)
        if bottom:
            least = max(self._minimum(d).height() for d in bottom) + 12
            w.resizeDocks(bottom[:1], [max(least, min(BLOTTER_HEIGHT, round(height * 0.3)))], Qt.Orientation.Vertical)

    def fit_to_screen(self, available: QRect | None = None) -> None:
        """Size and place the first window for its screen (``available``: that screen's
        free area, default the window's screen): see :func:`first_geometry`. A
        geometry restored from the last session is left as Qt restored it (fitted to
        its screen)."""
        if self._restored_geometry:
            return
        if available is None:
            available = self.window.screen().availableGeometry()
        self._refresh_minimum()
        geometry = first_geometry(available, self._frame())
        self.window.setGeometry(geometry)
        self._picked_size = geometry.size()

    def _refresh_minimum(self) -> None:
        """Recompute the window's minimum size: the one its layout set while the docks
        were being built (before their panels could scroll) is out of date, and Qt
        would hold the window that wide."""
        layout = self.window.layout()
        layout.invalidate()
        layout.activate()

    def _frame(self) -> QMargins:
        """The window's decorations as its platform reports them, else (an X11 window
        manager tells them only once the window is mapped) :data:`FRAME_ESTIMATE`;
        none on platforms without a window manager."""
        self.window.winId()  # the native window exists, so its platform can be asked
        handle = self.window.windowHandle()
        measured = handle.frameMargins() if handle is not None else QMargins()
        if not measured.isNull() or QGuiApplication.platformName() in _FRAMELESS_PLATFORMS:
            return measured
        return FRAME_ESTIMATE

    def shown(self) -> None:
        """Call on the window's first show: once its size is final, :meth:`settle`."""
        if not self._shown:
            self._shown = True
            QTimer.singleShot(0, self.window, self.settle)

    def settle(self) -> None:
        """Fit the docks (:meth:`fit_docks`) when they are squeezed now or were when
        the layout was last saved; call again once the panels are filled (their
        minimum sizes grow with their content)."""
        if self._saved_squeezed or self.squeezed():
            self.fit_docks()
            self._saved_squeezed = False

    def fit_blotters(self, orders_need: int) -> None:
        """Give the Orders dock the width its columns need through Status (``orders_need``
        px, e.g. several connections add a Connection column), at most 62 % of the
        bottom area, the Positions dock the rest: only while the layout is the default
        one (never over a layout the user arranged and saved)."""
        if self.settings.value("window/state") is not None and not self._saved_squeezed:
            return
        orders, positions = self.docks.get("orders"), self.docks.get("positions")
        if orders is None or positions is None or orders.isFloating() or positions.isFloating():
            return
        total = orders.width() + positions.width()
        if total <= 0 or orders.width() >= orders_need:
            return
        width = min(orders_need, round(total * 0.62))
        self.window.resizeDocks([orders, positions], [width, total - width], Qt.Orientation.Horizontal)

    # -- persistence --------------------------------------------------------------------
    def restore(self) -> None:
        """Geometry, dock state and table columns of the last session (when saved)."""
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self._refresh_minimum()
            self._restored_geometry = bool(self.window.restoreGeometry(geometry))
        if state is not None and self.window.restoreState(state):
            self._saved_squeezed = str(self.settings.value("window/squeezed", "false")).lower() == "true"
        for key, panel in self._panels().items():
            header = self.settings.value(f"tables/{key}")
            if header is not None:
                panel.restore_header_state(header)

    def save(self) -> None:
        """Persist geometry (unless it is the size Tradedesk picked for the screen),
        dock state (flagged when squeezed) and column states."""
        w = self.window
        if self._picked_size is not None and w.size() == self._picked_size and not w.isMaximized():
            self.settings.remove("window/geometry")  # not the user's choice: pick again for the next screen
        else:
            self.settings.setValue("window/geometry", w.saveGeometry())
        self.settings.setValue("window/state", w.saveState())
        self.settings.setValue("window/squeezed", "true" if self.squeezed() else "false")
        for key, panel in self._panels().items():
            self.settings.setValue(f"tables/{key}", panel.header_state())
        self.settings.sync()
