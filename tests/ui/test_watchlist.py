"""The watchlist is the user's (pytest-qt, offscreen): symbols added through the search
box (completion with descriptions, an unknown symbol refused with a message), removed
with Delete or the row menu, several named lists made, switched, renamed and deleted,
all kept in settings (and the single list of earlier versions taken over), and every
symbol of the paper broker's data reachable through its own search."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QToolButton

from desktop.brokers.errors import UnavailableError
from desktop.domain import Instrument, Quote
from desktop.ui.tables import WatchlistPanel
from desktop.ui.tables.watchlists import LEGACY_KEY
from qt_helpers import find, run, top_level

LEFT = Qt.MouseButton.LeftButton
LISTED = [Instrument.equity("AAPL", description="Apple Inc."), Instrument.equity("FB", description="Facebook, Inc."),
          Instrument.equity("GOOG", description="Google Inc."), Instrument.equity("IBM", description="International Business Machines"),
          Instrument.equity("MSFT", description="Microsoft Corporation")]


class FakeSearch:
    """A broker's ``search_instruments`` over LISTED: symbol prefix or a word of the
    description; counts its calls."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.queries: list[str] = []
        self.fail = fail

    async def __call__(self, query: str) -> list[Instrument]:
        self.queries.append(query)
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        q = query.strip().upper()
        return [i for i in LISTED if i.symbol.startswith(q) or any(w.startswith(q) for w in i.description.upper().split())]


@pytest.fixture
def settings(tmp_path):
    s = QSettings(str(tmp_path / "tradedesk.ini"), QSettings.Format.IniFormat)
    yield s
    s.sync()


@pytest.fixture
def make(qtbot, qloop, settings):
    def _make(search=None, *, store=settings) -> WatchlistPanel:
        panel = WatchlistPanel(search=search if search is not None else FakeSearch(), settings=store)
        qtbot.addWidget(panel)
        panel.resize(460, 400)
        panel.show()
        qtbot.waitExposed(panel)
        panel.activateWindow()
        qtbot.waitUntil(panel.isActiveWindow)
        return panel

    return _make


def add_box(panel) -> QLineEdit:
    return find(panel, QLineEdit, "watchlistAddEdit")


def message(panel) -> str:
    label = find(panel, QLabel, "watchlistMessage")
    return label.text() if label.isVisible() else ""


def type_in(qtbot, panel, text: str) -> QLineEdit:
    box = add_box(panel)
    qtbot.mouseClick(box, LEFT)
    box.selectAll()
    qtbot.keyClicks(box, text)
    return box


def row_center(panel, symbol: str) -> QPoint:
    row = panel.symbols().index(symbol)
    return panel.view.visualRect(panel.proxy.index(row, 0)).center()


def click_row(qtbot, panel, symbol: str, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(panel.view.viewport(), LEFT, modifier, row_center(panel, symbol))


# ------------------------------------------------------------------ adding
def test_typing_offers_matches_with_descriptions_and_a_pick_adds_it(qtbot, make, settings):
    search = FakeSearch()
    panel = make(search)
    popup = add_box(panel).completer_.popup()
    with qtbot.waitSignal(panel.symbolsChanged, timeout=3000) as changed:
        type_in(qtbot, panel, "face")
        qtbot.waitUntil(popup.isVisible, timeout=3000)
        model = popup.model()
        assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["FB — Facebook, Inc."]
        qtbot.keyClick(popup, Qt.Key.Key_Down)
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert changed.args == [["AAPL", "MSFT", "IBM", "GOOG", "FB"]]
    assert panel.symbols()[-1] == "FB" and panel.model.keys()[-1] == "FB"
    assert add_box(panel).text() == "" and message(panel) == ""
    assert search.queries == ["face"]  # one search per pause in the typing, not one per key
    assert WatchlistPanel(settings=settings).symbols() == ["AAPL", "MSFT", "IBM", "GOOG", "FB"]  # kept


def test_enter_on_a_known_symbol_adds_it(qtbot, make):
    panel = make()
    with qtbot.waitSignal(panel.symbolsChanged, timeout=3000):
        box = type_in(qtbot, panel, "fb")
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert panel.symbols() == ["AAPL", "MSFT", "IBM", "GOOG", "FB"]
    selected = [q.symbol for q in panel.selected_rows()]
    assert selected == ["FB"]  # the new row is selected, in sight


def test_an_unknown_symbol_gets_a_message_and_is_not_added(qtbot, make, settings):
    panel = make()
    with qtbot.assertNotEmitted(panel.symbolsChanged, wait=100):
        box = type_in(qtbot, panel, "ZZZZ")
        qtbot.keyClick(box, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: message(panel) != "", timeout=3000)
    assert message(panel) == "No instrument found for ZZZZ: check the symbol; nothing was added"
    assert panel.symbols() == ["AAPL", "MSFT", "IBM", "GOOG"] and box.text() == "ZZZZ"  # left to fix
    qtbot.keyClick(box, Qt.Key.Key_Backspace)
    assert message(panel) == ""  # editing clears it


def test_a_symbol_already_listed_or_a_failed_search_is_said(qtbot, make):
    panel = make(FakeSearch())
    box = type_in(qtbot, panel, "IBM")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: message(panel) == "IBM is already in Watchlist", timeout=3000)
    assert [q.symbol for q in panel.selected_rows()] == ["IBM"]

    down = make(FakeSearch(fail=UnavailableError("the IBKR gateway at https://localhost:5000 is not reachable")))
    box = type_in(qtbot, down, "FB")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: message(down) != "", timeout=3000)
    assert message(down) == "Could not look up FB: the IBKR gateway at https://localhost:5000 is not reachable"
    assert down.symbols() == ["AAPL", "MSFT", "IBM", "GOOG"]


def test_every_symbol_of_the_paper_data_is_reachable_through_its_search(qtbot, qloop, make, tmp_path):
    from desktop.brokers.paper import PaperBroker

    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    run(qtbot, qloop, broker.connect())
    try:
        panel = make(broker.search_instruments)
        held = list(broker.market.symbols)
        assert "FB" in held
        panel.set_symbols([])
        for symbol in held:
            box = type_in(qtbot, panel, symbol.lower())
            qtbot.keyClick(box, Qt.Key.Key_Return)
            qtbot.waitUntil(lambda symbol=symbol: symbol in panel.symbols(), timeout=3000)
        assert panel.symbols() == held
        popup = add_box(panel).completer_.popup()
        type_in(qtbot, panel, "facebook")
        qtbot.waitUntil(popup.isVisible, timeout=3000)
        assert popup.model().index(0, 0).data().startswith("FB — ")
    finally:
        run(qtbot, qloop, broker.close())


# ------------------------------------------------------------------ removing
def test_delete_key_and_the_row_menu_remove_symbols(qtbot, make, settings):
    panel = make()
    click_row(qtbot, panel, "MSFT")
    with qtbot.waitSignal(panel.symbolsChanged) as changed:
        qtbot.keyClick(panel.view, Qt.Key.Key_Delete)
    assert changed.args == [["AAPL", "IBM", "GOOG"]] and panel.model.keys() == ["AAPL", "IBM", "GOOG"]
    click_row(qtbot, panel, "AAPL")
    click_row(qtbot, panel, "GOOG", Qt.KeyboardModifier.ControlModifier)
    menu = panel.build_context_menu(panel.proxy.index(2, 0))
    remove = next(a for a in menu.actions() if a.objectName() == "removeSymbolAction")
    assert remove.text() == "Remove 2 symbols\tDel"
    remove.trigger()
    assert panel.symbols() == ["IBM"]
    assert WatchlistPanel(settings=settings).symbols() == ["IBM"]


def test_quotes_of_symbols_not_listed_stay_out(qtbot, make):
    panel = make()
    panel.stage([Quote(symbol="TSLA", last=D("10")), Quote(symbol="IBM", last=D("197.45"))])  # the ticket's symbol, a held one
    panel.model.flush()
    assert panel.model.keys() == ["AAPL", "MSFT", "IBM", "GOOG"]
    assert panel.model.get("IBM").last == D("197.45")


# -------------------------------------------------------------------- lists
def switcher(panel) -> tuple[QComboBox, QToolButton]:
    return find(panel, QComboBox, "watchlistListCombo"), find(panel, QToolButton, "watchlistListsButton")


def lists_action(qtbot, panel, name: str):
    """Open the lists menu (a click on its button) and trigger action ``name``."""
    _combo, button = switcher(panel)
    menu = button.menu()
    menu.aboutToShow.emit()  # the button's popup runs a modal loop offscreen: fill it as it would
    action = next(a for a in menu.actions() if a.objectName() == name)
    assert action.isEnabled(), name
    action.trigger()


def name_dialog(qtbot):
    qtbot.waitUntil(lambda: top_level("watchlistNameDialog") is not None)
    return top_level("watchlistNameDialog")


def test_new_rename_switch_and_delete_lists_are_kept(qtbot, make, settings):
    panel = make()
    combo, _button = switcher(panel)
    lists_action(qtbot, panel, "watchlistNewAction")
    dialog = name_dialog(qtbot)
    edit, ok = find(dialog, QLineEdit, "watchlistNameEdit"), dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    qtbot.keyClicks(edit, "watchlist")  # taken (names are told apart without regard to case)
    assert find(dialog, QLabel, "watchlistNameError").text() == "There is already a watchlist named watchlist"
    assert not ok.isEnabled()
    edit.clear()
    with qtbot.waitSignal(panel.symbolsChanged) as changed:
        qtbot.keyClicks(edit, "Tech")
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert changed.args == [[]] and panel.model.keys() == []  # the new list is shown, empty
    assert [combo.itemText(i) for i in range(combo.count())] == ["Watchlist", "Tech"] and combo.currentText() == "Tech"
    box = type_in(qtbot, panel, "FB")
    with qtbot.waitSignal(panel.symbolsChanged):
        qtbot.keyClick(box, Qt.Key.Key_Return)

    with qtbot.waitSignal(panel.symbolsChanged) as changed:  # back to the first list through the combo
        combo.setFocus()
        qtbot.keyClick(combo, Qt.Key.Key_Up)
    assert changed.args == [["AAPL", "MSFT", "IBM", "GOOG"]] and combo.currentText() == "Watchlist"
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert panel.symbols() == ["FB"]

    lists_action(qtbot, panel, "watchlistRenameAction")
    dialog = name_dialog(qtbot)
    edit = find(dialog, QLineEdit, "watchlistNameEdit")
    assert edit.text() == "Tech"
    edit.selectAll()
    qtbot.keyClicks(edit, "Social")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: combo.currentText() == "Social")
    assert panel.symbols() == ["FB"]

    again = WatchlistPanel(settings=settings)  # a restart: the lists, their order and the shown one
    qtbot.addWidget(again)
    assert again.lists.names() == ["Watchlist", "Social"] and again.lists.current == "Social" and again.symbols() == ["FB"]

    lists_action(qtbot, panel, "watchlistDeleteAction")
    qtbot.waitUntil(lambda: top_level("watchlistDeleteConfirm") is not None)
    box = top_level("watchlistDeleteConfirm")
    assert "Delete the watchlist “Social” and its 1 symbol?" in box.text()
    with qtbot.waitSignal(panel.symbolsChanged) as changed:
        qtbot.mouseClick(find(box, QPushButton, "watchlistDeleteButton"), LEFT)
    assert changed.args == [["AAPL", "MSFT", "IBM", "GOOG"]] and panel.lists.names() == ["Watchlist"]
    _combo, button = switcher(panel)
    button.menu().aboutToShow.emit()
    delete = next(a for a in button.menu().actions() if a.objectName() == "watchlistDeleteAction")
    assert not delete.isEnabled()  # the last list stays
    assert WatchlistPanel(settings=settings).lists.names() == ["Watchlist"]


def test_the_single_list_of_earlier_versions_becomes_the_first_list(qtbot, tmp_path):
    old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    old.setValue(LEGACY_KEY, ["aapl", "FB", "IBM"])
    old.sync()
    panel = WatchlistPanel(settings=old)
    qtbot.addWidget(panel)
    assert panel.lists.names() == ["Watchlist"] and panel.symbols() == ["AAPL", "FB", "IBM"]
    panel.remove_symbols(["IBM"])
    reread = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    assert WatchlistPanel(settings=reread).symbols() == ["AAPL", "FB"]
    assert [s.upper() for s in reread.value(LEGACY_KEY)] == ["AAPL", "FB", "IBM"]  # left as it was (an older version reads it)

    odd = QSettings(str(tmp_path / "odd.ini"), QSettings.Format.IniFormat)
    odd.setValue(LEGACY_KEY, "ibm, ,IBM," + "X" * 80)  # edited by hand: blanks, a repeat, no symbol at all
    odd.sync()
    assert WatchlistPanel(settings=QSettings(str(tmp_path / "odd.ini"), QSettings.Format.IniFormat)).symbols() == ["IBM"]

    one = QSettings(str(tmp_path / "one.ini"), QSettings.Format.IniFormat)
    one.setValue(LEGACY_KEY, ["MSFT"])  # an INI file gives a one-item list back as a string
    one.sync()
    assert WatchlistPanel(settings=QSettings(str(tmp_path / "one.ini"), QSettings.Format.IniFormat)).symbols() == ["MSFT"]


def test_an_option_typed_as_its_occ_symbol_is_added(qtbot, qloop, make, tmp_path):
    from desktop.brokers.paper import PaperBroker

    broker = PaperBroker(tmp_path / "paper.sqlite3", autostart=False)
    run(qtbot, qloop, broker.connect())
    try:
        chain = run(qtbot, qloop, broker.fetch_option_chain("AAPL"))
        contract = chain.quotes[0].contract
        panel = make(broker.search_instruments)
        box = type_in(qtbot, panel, contract.occ_symbol.replace(" ", "").lower())  # unpadded, as people paste it
        with qtbot.waitSignal(panel.symbolsChanged, timeout=3000):
            qtbot.keyClick(box, Qt.Key.Key_Return)
        assert panel.symbols()[-1] == contract.occ_symbol
    finally:
        run(qtbot, qloop, broker.close())
