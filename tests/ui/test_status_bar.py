"""The status bar on its own: one item per connection with its state in words, a
menu of that connection's session actions, the replay clock(s), and fitting four
connections into a 1024 px window (elided, full text in tooltips)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QWidget

from desktop.domain import ConnectionState, ConnectionStatus
from desktop.ui import status_bar as sb
from desktop.ui.status_bar import ConnectionItemState, TradingStatusBar, replay_text, session_text
from desktop.ui.status_words import AMBER, GREEN, GREY, RED


class Replay:
    """Stands in for a paper broker's ReplayControl."""

    def __init__(self, now: datetime, speed: int = 1, finished: bool = False) -> None:
        self.replay_now, self.replay_speed, self.replay_finished = now, speed, finished


@pytest.fixture
def bar(qtbot):
    windows = []

    def _make(width: int = 1400) -> TradingStatusBar:
        window = QMainWindow()
        windows.append(window)
        window.setCentralWidget(QWidget(window))
        status = TradingStatusBar(window)
        window.setStatusBar(status)
        window.resize(width, 240)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return status

    yield _make


def state(cid, name, status="connected", session=None, **kw) -> ConnectionItemState:
    return ConnectionItemState(connection_id=cid, name=name, status=status, session=session, **kw)


def session(status, **kw) -> ConnectionState:
    return ConnectionState(status=status, **kw)


def test_three_connections_show_with_their_states(bar):
    status = bar()
    until = datetime.now(timezone.utc) + timedelta(minutes=2)
    status.set_connection(state("paper", "Paper"))
    status.set_connection(state("ib", "IBKR (paper)", "connecting", session(ConnectionStatus.LOGIN_REQUIRED),
                                can_log_in=True, can_take_over=True))
    status.set_connection(state("p2", "Paper 2", session=session(ConnectionStatus.COOL_DOWN, until=until)))
    assert status.item_texts() == ["Paper: connected", "IBKR (paper): log in required",
                                   f"Paper 2: paused (rate limit) until {until.astimezone():%H:%M:%S}"]
    assert [status.item(c).state.colour for c in ("paper", "ib", "p2")] == [GREEN, AMBER, AMBER]
    assert all(status.item(c).isVisible() for c in ("paper", "ib", "p2"))
    assert "IBKR (paper): log in required" == status.item("ib").text()  # room enough: nothing elided

    status.set_connection(state("ib", "IBKR (paper)", "connected", session(ConnectionStatus.RECONNECTING,
                                                                           message="daily reset")))
    assert status.item_texts()[1] == "IBKR (paper): reconnecting…"
    assert "reconnecting… · daily reset" in status.item("ib").toolTip()  # the broker's words: in the tooltip
    status.set_connection(state("p2", "Paper 2", "error: gateway refused the connection"))
    assert status.item("p2").state.colour == RED and "error: gateway refused" in status.item("p2").full_text
    status.set_connection(state("paper", "Paper", "disconnected"))
    assert status.item("paper").state.colour == GREY and status.item_texts()[0] == "Paper: disconnected"
    status.remove_connection("p2")
    assert status.item("p2") is None and len(status.item_texts()) == 2


def actions(menu) -> dict[str, str]:
    return {a.objectName(): a.text() for a in menu.actions() if a.objectName()}


def test_each_item_offers_its_own_session_actions(bar, qtbot):
    status = bar()
    status.set_connection(state("paper", "Paper"))
    status.set_connection(state("ib", "IBKR", "connecting", session(ConnectionStatus.LOGIN_REQUIRED,
                                                                    login_url="https://localhost:5000/"),
                                can_log_in=True, can_take_over=True))
    paper = actions(status.menu_for("paper"))
    assert paper == {"reconnectAction": "Reconnect", "disconnectAction": "Disconnect",
                     "connectionsAction": "Connections…"}

    requested = []
    status.actionRequested.connect(lambda cid, action: requested.append((cid, action)))
    qtbot.mouseClick(status.item("ib"), Qt.MouseButton.LeftButton)  # opens the menu above the item
    menu = status.open_menu
    assert menu is not None and menu.isVisible() and menu.actions()[0].text() == "IBKR: log in required"
    assert actions(menu) == {"loginAction": "Log in…", "disconnectAction": "Disconnect",
                             "connectionsAction": "Connections…"}  # connecting: no Reconnect yet
    login = next(a for a in menu.actions() if a.objectName() == "loginAction")
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(login).center())
    assert requested == [("ib", sb.LOGIN)]
    qtbot.waitUntil(lambda: status.open_menu is None)

    status.set_connection(state("ib", "IBKR", "connected", session(ConnectionStatus.COMPETING), can_log_in=True,
                                can_take_over=True, certificate_pending=False))
    assert "takeOverAction" in actions(status.menu_for("ib"))
    status.set_connection(state("ib", "IBKR", "error: certificate not trusted", can_log_in=True,
                                certificate_pending=True))
    offered = actions(status.menu_for("ib"))
    assert offered["trustCertificateAction"] == "Trust certificate…" and offered["reconnectAction"] == "Reconnect"
    assert "takeOverAction" not in offered and "disconnectAction" not in offered


def test_a_disconnected_connection_can_be_hidden_until_it_changes(bar):
    status = bar()
    status.set_connection(state("paper", "Paper"))
    status.set_connection(state("p2", "Paper 2", "disconnected"))
    menu = status.menu_for("p2")
    assert actions(menu)["reconnectAction"] == "Connect"
    next(a for a in menu.actions() if a.objectName() == "hideAction").trigger()
    assert status.item_texts() == ["Paper: connected"]
    status.set_connection(state("p2", "Paper 2", "disconnected"))  # same status: stays hidden
    assert status.item_texts() == ["Paper: connected"]
    status.set_connection(state("p2", "Paper 2", "connecting"))
    assert status.item_texts() == ["Paper: connected", "Paper 2: connecting…"]


def test_replay_clock_of_one_and_of_several_paper_connections(bar):
    status = bar()
    jan3 = datetime(2006, 1, 3, 15, 31, tzinfo=timezone.utc)  # 10:31 in New York
    status.set_replays([("Paper", Replay(jan3))])
    assert status.replay_label.text() == "Replay Tue 03 Jan 2006 10:31 ET · x1"
    jan4 = datetime(2006, 1, 4, 14, 45, tzinfo=timezone.utc)
    status.set_replays([("Paper", Replay(jan3, 60)), ("Paper 2", Replay(jan4, 0))])
    assert status.replay_label.text() == "Replay (ET) · Paper: 03 Jan 2006 10:31 x60 · Paper 2: 04 Jan 2006 09:45 paused"
    tip = status.replay_label.toolTip()
    assert "Paper: replay Tue 03 Jan 2006 10:31 ET · x60" in tip and "Paper 2: replay Wed 04 Jan 2006 09:45 ET · paused" in tip
    assert replay_text([("Paper", Replay(jan3, finished=True))])[0].endswith("· finished")
    status.set_replays([])
    assert status.replay_label.text() == "" and not status.replay_label.isVisible()


def test_four_connections_fit_a_1024_px_window(bar, qtbot):
    status = bar(1024)
    until = datetime.now(timezone.utc) + timedelta(minutes=2)
    status.set_connection(state("paper", "Paper"))
    status.set_connection(state("adv", "Paper advisor demo"))
    status.set_connection(state("ib", "Interactive Brokers (paper login)", "connected",
                                session(ConnectionStatus.COOL_DOWN, until=until), can_log_in=True))
    status.set_connection(state("p2", "Paper 2", "disconnected"))
    jan3 = datetime(2006, 1, 3, 15, 31, tzinfo=timezone.utc)
    status.set_replays([("Paper", Replay(jan3)), ("Paper advisor demo", Replay(jan3, 5))])
    items = [status.item(c) for c in ("paper", "adv", "ib", "p2")]
    label = status.replay_label
    qtbot.waitUntil(lambda: label.width() > 100 and all(i.width() > 20 for i in items))
    right = max(i.mapTo(status, i.rect().topRight()).x() for i in items)
    assert right <= status.width()  # nothing pushed off the edge
    left = min(i.mapTo(status, i.rect().topLeft()).x() for i in items)
    assert label.mapTo(status, label.rect().topRight()).x() <= left  # the clock sits left of the items
    assert label.mapTo(status, label.rect().topLeft()).x() >= 100  # room for messages on the left
    ib = status.item("ib")
    assert ib.text().startswith("Interac") and ib.text().endswith(f": paused (rate limit) until {until.astimezone():%H:%M:%S}")
    assert "…" in ib.text()  # the name gave way, the state is whole
    assert "Interactive Brokers (paper login)" in ib.toolTip() and "paused (rate limit)" in ib.toolTip()
    assert status.item("p2").text() == "Paper 2: disconnected"  # short enough to keep its words
    adv = status.item("adv").text()
    assert adv.startswith("Paper a") and ":" not in adv  # plainly connected: its green dot says the rest
    compact = "Replay · Paper 10:31 x1 · Paper a… 10:31 x5"  # times only, names cut
    assert label.text().startswith("Replay · Paper") and compact.startswith(label.text().removesuffix("…"))
    assert "Paper advisor demo: replay Tue 03 Jan 2006 10:31 ET · x5" in label.toolTip()
    status.window().resize(1800, 240)
    qtbot.waitUntil(lambda: ib.text() == ib.full_text)  # wider: everything in full again
    assert label.text().startswith("Replay (ET) · Paper: 03 Jan 2006 10:31 x1")


def test_cool_down_text_names_the_end_time():
    until = datetime(2025, 3, 4, 15, 30, 5, tzinfo=timezone.utc)
    assert session_text(session(ConnectionStatus.COOL_DOWN, until=until), tz=timezone.utc) \
        == "paused (rate limit) until 15:30:05"


def test_state_message_that_only_repeats_the_state_is_not_shown_twice():
    assert session_text(session(ConnectionStatus.CONNECTED, message="Connected")) == "connected"
    assert session_text(session(ConnectionStatus.RECONNECTING, message="Reconnecting…")) == "reconnecting…"
    assert session_text(session(ConnectionStatus.CONNECTED, message="allocation groups changed")) \
        == "connected · allocation groups changed"


def test_a_task_that_keeps_failing_shows_on_its_connection_item(qtbot):
    from desktop.ui.status_bar import ConnectionItemState, TradingStatusBar

    bar = TradingStatusBar()
    qtbot.addWidget(bar)
    bar.resize(1200, 30)
    bar.show()
    bar.set_connection(ConnectionItemState(connection_id="ib", name="IBKR", status="connected"))
    assert bar.item_texts() == ["IBKR: connected"]
    bar.set_connection(ConnectionItemState(connection_id="ib", name="IBKR", status="connected",
                                           failing=("order updates",)))
    assert bar.item_texts() == ["IBKR: order updates failing: see the log"]
    assert "order updates failing" in bar.item("ib").toolTip()
    bar.set_connection(ConnectionItemState(connection_id="ib", name="IBKR", status="connected"))
    assert bar.item_texts() == ["IBKR: connected"]
