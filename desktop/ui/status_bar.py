"""Status bar: every connection of the desk with its state, each one clickable to its
session actions, and the replay clock(s) of the paper connections.

A connection shows as a flat button (``connectionItem_<id>``): a coloured dot and
"Name: state" ("Paper: connected", "IBKR: log in required", "IBKR: paused (rate
limit) until 14:05:03"). Clicking it opens a small menu of that connection's
session actions; choosing one emits ``actionRequested(connection_id, action)`` with
one of the action constants below (:class:`desktop.ui.session_ui.SessionUi` carries
them out). On a narrow window the names are elided first, then the state; the full
text and details are in each item's tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QStatusBar, QToolButton, QWidget

from desktop.brokers.replay_control import ReplayControl
from desktop.domain import ConnectionState, ConnectionStatus

from .status_words import connection_words, session_text

__all__ = ["ConnectionItemState", "TradingStatusBar", "replay_text", "session_text"]

NEW_YORK = ZoneInfo("America/New_York")

LOGIN, TAKE_OVER, TRUST_CERTIFICATE = "login", "take_over", "trust_certificate"
RECONNECT, DISCONNECT, CONNECTIONS = "reconnect", "disconnect", "connections"
HIDE = "hide"  # handled by the status bar itself
MESSAGE_ROOM = 160  # px kept for temporary messages on the left
REPLAY_MIN = 170  # px the replay clock keeps when space is short
REPLAY_FLOOR = 120
"""The narrowest the replay clock gets (px, elided) to leave the connections their states."""
ITEM_MIN = 56  # px an item keeps at least (dot and a few letters)


@dataclass(frozen=True, slots=True)
class ConnectionItemState:
    """What the status bar shows of one connection: its ``connection_id``, ``name``,
    the desk's ``status`` ("connected", "connecting", "disconnected", "error: why"),
    the broker's last ``session`` state, the broker's display name (``broker``), and
    which session actions apply: ``can_log_in`` (a browser login page is known),
    ``can_take_over`` (the broker's session can be taken over from another login),
    ``certificate_pending`` (a server certificate waits to be trusted); ``failing``:
    the connection's tasks that keep failing (e.g. "order updates")."""

    connection_id: str
    name: str
    status: str
    session: ConnectionState | None = None
    broker: str = ""
    can_log_in: bool = False
    can_take_over: bool = False
    certificate_pending: bool = False
    failing: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        """The state in words, e.g. "log in required" (the broker's message is in
        the tooltip)."""
        return connection_words(self.status, self.session, message=False, failing=self.failing)[0]

    @property
    def colour(self) -> str:
        return connection_words(self.status, self.session, failing=self.failing)[1]

    @property
    def text(self) -> str:
        """"Name: state"."""
        return f"{self.name}: {self.words}"

    @property
    def competing(self) -> bool:
        return self.session is not None and self.session.status is ConnectionStatus.COMPETING

    @property
    def live(self) -> bool:
        return self.status in ("connected", "connecting")


_DOTS: dict[str, QIcon] = {}


def _dot(colour: str) -> QIcon:
    """A filled circle of ``colour`` (cached)."""
    icon = _DOTS.get(colour)
    if icon is None:
        pixmap = QPixmap(12, 12)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawEllipse(2, 2, 8, 8)
        painter.end()
        icon = _DOTS[colour] = QIcon(pixmap)
    return icon


def fit_item(metrics: QFontMetrics, name: str, words: str, width: int, *, healthy: bool = False) -> str:
    """The best "name: words" within ``width`` px: in full; else, for a ``healthy``
    (plainly connected) connection, its name alone (its green dot says the rest);
    else the name shortened (keeping a few letters) before the state; else
    everything elided."""
    full = f"{name}: {words}"
    if metrics.horizontalAdvance(full) <= width:
        return full
    if healthy:
        return metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)
    tail = f": {words}"
    least = metrics.horizontalAdvance(name[:3] + "…")
    room = width - metrics.horizontalAdvance(tail)
    if room >= least:
        return metrics.elidedText(name, Qt.TextElideMode.ElideRight, room) + tail
    short = metrics.elidedText(name, Qt.TextElideMode.ElideRight, least)
    return metrics.elidedText(f"{short}{tail}", Qt.TextElideMode.ElideRight, width)


class ConnectionItem(QToolButton):
    """One connection in the status bar (see the module docstring)."""

    def __init__(self, state: ConnectionItemState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"connectionItem_{state.connection_id}")
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.state = state
        self._budget: int | None = None
        self.set_state(state)

    @property
    def full_text(self) -> str:
        return self.state.text

    @property
    def healthy(self) -> bool:
        """Plainly connected: the green dot says it all when space is short."""
        return self.state.words == "connected"

    def set_state(self, state: ConnectionItemState) -> None:
        """Show ``state`` (dot colour, words, tooltip)."""
        self.state = state
        self.setIcon(_dot(state.colour))
        self.setAccessibleName(state.text)
        lines = [f"{state.name}" + (f" ({state.broker})" if state.broker else ""),
                 connection_words(state.status, state.session, failing=state.failing)[0]]
        if state.session is not None and state.session.status is not ConnectionStatus.CONNECTED:
            lines.append(f"{state.session.status.value.replace('_', ' ').lower()} since "
                         f"{state.session.timestamp.astimezone():%H:%M:%S}")
        if state.certificate_pending:
            lines.append("A certificate waits to be trusted")
        lines.append("Click for session actions")
        self.setToolTip("\n".join(lines))
        self._elide()

    def padding(self) -> int:
        """Width (px) of the dot, its spacing and the button's margins."""
        return max(self.sizeHint().width() - self.fontMetrics().horizontalAdvance(self.text()), 0)

    def natural_width(self) -> int:
        """Width (px) the full text needs."""
        return self.fontMetrics().horizontalAdvance(self.full_text) + self.padding()

    def compact_width(self) -> int:
        """Width (px) of the shortest comfortable text: the name cut to 8 letters, and
        the state unless plainly connected."""
        name = self.state.name if len(self.state.name) <= 8 else self.state.name[:8] + "…"
        text = name if self.healthy else f"{name}: {self.state.words}"
        return min(self.fontMetrics().horizontalAdvance(text) + self.padding(), self.natural_width())

    def set_budget(self, width: int | None) -> None:
        """Fit the text into ``width`` px (None: the full text)."""
        self._budget = width
        self._elide()

    def _elide(self) -> None:
        if self._budget is None:
            self.setText(self.full_text)
            return
        room = max(self._budget - self.padding(), 8)
        self.setText(fit_item(self.fontMetrics(), self.state.name, self.state.words, room, healthy=self.healthy))


def replay_text(replays: Sequence[tuple[str, ReplayControl]]) -> tuple[str, str, str]:
    """``(text, compact, tooltip)`` of the replay clock(s). One replay: "Replay Tue 03
    Jan 2006 10:31 ET · x1"; several name each ("Replay (ET) · Paper: 03 Jan 2006 10:31
    x1 · Paper 2: 04 Jan 2006 09:45 paused"). ``compact`` is for a narrow window
    (times only, names cut short). All empty without replays."""
    if not replays:
        return "", "", ""
    rows = []
    for name, control in replays:
        local = control.replay_now.astimezone(NEW_YORK)
        speed = control.replay_speed
        pace = "finished" if control.replay_finished else ("paused" if speed == 0 else f"x{speed}")
        rows.append((name, local, pace))
    details = "\n".join(f"{name}: replay {local:%a %d %b %Y %H:%M} ET · {pace}" for name, local, pace in rows)
    tooltip = details + "\nDaily prices are real; the minute path inside each day is synthetic."
    if len(rows) == 1:
        _name, local, pace = rows[0]
        return f"Replay {local:%a %d %b %Y %H:%M} ET · {pace}", f"Replay {local:%d %b %Y %H:%M} {pace}", tooltip
    text = "Replay (ET) · " + " · ".join(f"{name}: {local:%d %b %Y %H:%M} {pace}" for name, local, pace in rows)
    compact = "Replay · " + " · ".join(f"{name if len(name) <= 8 else name[:7] + '…'} {local:%H:%M} {pace}"
                                       for name, local, pace in rows)
    return text, compact, tooltip


class TradingStatusBar(QStatusBar):
    """Replay clock(s) (``replayLabel``) and one :class:`ConnectionItem` per connection
    (in ``connectionItems``), see the module docstring.

    ``actionRequested(connection_id, action)``: the user chose a session action (LOGIN,
    TAKE_OVER, TRUST_CERTIFICATE, RECONNECT, DISCONNECT, CONNECTIONS). ``open_menu`` is
    the connection menu on screen, if any.
    """

    actionRequested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.replay_label = QLabel(self)
        self.replay_label.setObjectName("replayLabel")
        self.items_box = QWidget(self)
        self.items_box.setObjectName("connectionItems")
        self._row = QHBoxLayout(self.items_box)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(2)
        self._items: dict[str, ConnectionItem] = {}
        self._hidden: set[str] = set()
        self._replay = ("", "", "")
        self.open_menu: QMenu | None = None
        self.addPermanentWidget(self.replay_label)
        self.addPermanentWidget(self.items_box)

    # -- connections -----------------------------------------------------------------
    def set_connection(self, state: ConnectionItemState) -> ConnectionItem:
        """Show (or update) one connection. A hidden disconnected one comes back when
        its status changes."""
        item = self._items.get(state.connection_id)
        if item is None:
            item = ConnectionItem(state, self.items_box)
            item.clicked.connect(lambda _checked=False, cid=state.connection_id: self.popup_menu(cid))
            self._row.addWidget(item)
            self._items[state.connection_id] = item
        elif item.state.status != state.status:
            self._hidden.discard(state.connection_id)
        item.set_state(state)
        item.setVisible(state.connection_id not in self._hidden)
        self._fit()
        return item

    def remove_connection(self, connection_id: str) -> None:
        """Stop showing ``connection_id`` (it was removed)."""
        item = self._items.pop(connection_id, None)
        self._hidden.discard(connection_id)
        if item is not None:
            self._row.removeWidget(item)
            item.hide()
            item.deleteLater()
            self._fit()

    def item(self, connection_id: str) -> ConnectionItem | None:
        """The item of ``connection_id``, or None."""
        return self._items.get(connection_id)

    def item_texts(self) -> list[str]:
        """The full "Name: state" of every connection shown, in order."""
        return [item.full_text for item in self._items.values() if not item.isHidden()]

    def menu_for(self, connection_id: str) -> QMenu:
        """A new menu (``connectionMenu``) of ``connection_id``'s session actions."""
        state = self._items[connection_id].state
        menu = QMenu(self)
        menu.setObjectName("connectionMenu")
        header = menu.addAction(state.text)
        header.setEnabled(False)
        menu.addSeparator()
        if state.can_log_in:
            self._add(menu, "Log in…", "loginAction", connection_id, LOGIN,
                      "Open the broker's login page in your browser")
        if state.can_take_over and state.competing:
            self._add(menu, "Take over session…", "takeOverAction", connection_id, TAKE_OVER,
                      "Take the brokerage session from your other login (it will be logged out)")
        if state.certificate_pending:
            self._add(menu, "Trust certificate…", "trustCertificateAction", connection_id, TRUST_CERTIFICATE,
                      "Show the server's certificate to trust it, then connect")
        menu.addSeparator()
        again = "Connect" if state.status == "disconnected" else "Reconnect"
        if state.status != "connecting":
            self._add(menu, again, "reconnectAction", connection_id, RECONNECT, f"{again} {state.name}")
        if state.live:
            self._add(menu, "Disconnect", "disconnectAction", connection_id, DISCONNECT,
                      f"Disconnect {state.name}; the others stay connected")
        if state.status == "disconnected":
            hide = menu.addAction("Hide from the status bar")
            hide.setObjectName("hideAction")
            hide.triggered.connect(lambda _c=False: self.hide_connection(connection_id))
        menu.addSeparator()
        self._add(menu, "Connections…", "connectionsAction", connection_id, CONNECTIONS,
                  "Add, edit, connect and disconnect connections")
        return menu

    def _add(self, menu: QMenu, text: str, name: str, connection_id: str, action: str, tip: str) -> None:
        act = menu.addAction(text)
        act.setObjectName(name)
        act.setToolTip(tip)
        act.triggered.connect(lambda _c=False: self.actionRequested.emit(connection_id, action))

    def popup_menu(self, connection_id: str) -> QMenu | None:
        """Open ``connection_id``'s menu above its item (non-blocking); returns it."""
        item = self._items.get(connection_id)
        if item is None:
            return None
        if self.open_menu is not None:
            self.open_menu.close()
        menu = self.menu_for(connection_id)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.aboutToHide.connect(lambda m=menu: self.open_menu is m and setattr(self, "open_menu", None))
        self.open_menu = menu
        height = menu.sizeHint().height()
        menu.popup(item.mapToGlobal(QPoint(0, -height)))
        return menu

    def hide_connection(self, connection_id: str) -> None:
        """Stop listing a disconnected connection until its status changes."""
        item = self._items.get(connection_id)
        if item is not None:
            self._hidden.add(connection_id)
            item.hide()
            self._fit()

    # -- replay -------------------------------------------------------------------------
    def set_replays(self, replays: Sequence[tuple[str, ReplayControl]]) -> None:
        """Show the replay clock of each ``(connection name, ReplayControl)`` (none:
        nothing)."""
        self._replay = replay_text(replays)
        self.replay_label.setToolTip(self._replay[2])
        self.replay_label.setVisible(bool(self._replay[0]))
        self._fit()

    # -- fitting ------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Share the width: everything in full when it fits; else the replay clock
        shrinks (to REPLAY_MIN or a third) and each item gets its compact width plus a
        fair share of what is left, never less than ITEM_MIN."""
        items = [item for item in self._items.values() if not item.isHidden()]
        text, compact = self._replay[0], self._replay[1]
        metrics = self.replay_label.fontMetrics()
        replay_need = metrics.horizontalAdvance(text) + 8 if text else 0
        gaps = 6 * (len(items) + 2) + 16  # layout spacing and the size grip
        room = max(self.width() - min(MESSAGE_ROOM, self.width() // 8) - gaps, 0)
        needs = [item.natural_width() for item in items]
        if replay_need + sum(needs) <= room:
            replay_width, budgets = replay_need, [None] * len(items)
        else:
            replay_width = min(replay_need, max(REPLAY_MIN, room // 3))
            if replay_width < replay_need:
                text = compact
                replay_width = min(replay_width, metrics.horizontalAdvance(text) + 8)
            left = room - replay_width
            compact = [item.compact_width() for item in items]
            if sum(compact) > left and text:  # the items' states before the clock's width
                back = min(sum(compact) - left, max(replay_width - REPLAY_FLOOR, 0))
                replay_width, left = replay_width - back, left + back
            if sum(compact) <= left:
                extra = fair_share([n - c for n, c in zip(needs, compact)], left - sum(compact), 0)
                budgets = [None if e is None else c + e for c, e in zip(compact, extra)]
            else:
                budgets = fair_share(compact, left, ITEM_MIN)
        self.replay_label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, replay_width) if text else "")
        for item, budget in zip(items, budgets):
            item.set_budget(budget)


def fair_share(needs: Sequence[int], room: int, minimum: int) -> list[int | None]:
    """Widths for items needing ``needs`` px in ``room`` px: small ones keep their
    width (None), the others share what is left equally, never below ``minimum``."""
    out: list[int | None] = [None] * len(needs)
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    left, count = room, len(needs)
    for i in order:
        share = left // count if count else 0
        if needs[i] <= share:
            left -= needs[i]
        else:
            out[i] = max(share, minimum)
            left -= out[i]
        count -= 1
    return out
