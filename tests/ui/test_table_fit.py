"""Blotter column widths (pytest-qt, offscreen): columns fit the text they show, also
when values arrive after the rows (watchlist bid/ask), never fight a width the user
set, survive hidden/shown columns, and the fills and positions of the advisor demo fit
a ~750 px panel (a horizontal scrollbar when narrower). Widths are checked against
the font metrics of the texts, not pixel constants."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QStyle

from desktop.domain import Fill, Instrument, OrderSide, Position, Quote
from desktop.ui.tables import FillsPanel, PositionsPanel, WatchlistPanel
from desktop.ui.display_clock import DISPLAY_CLOCK
from desktop.ui.tables.definitions import HIDDEN_BY_DEFAULT
from desktop.ui.tables.view import CELL_MARGIN

T0 = datetime(2012, 3, 1, 14, 35, tzinfo=timezone.utc)
SHARES = {"DU100001": 57, "DU100002": 23, "DU100003": 14, "DU100004": 6}


@pytest.fixture(autouse=True)
def replay_day():
    """Times show as HH:MM:SS on the (replayed) day of the fills, as in the demo."""
    DISPLAY_CLOCK.configure(timezone.utc, lambda: T0)
    yield
    DISPLAY_CLOCK.reset()


def show(qtbot, panel, width: int, height: int = 300):
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def text_room(view) -> int:
    """Horizontal space a cell's text loses to margins: the style's item margins plus
    CELL_MARGIN on each side."""
    style_margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    return 2 * (style_margin + CELL_MARGIN)


def header_room(panel, c: int) -> int:
    """Width the header label of column ``c`` needs (its padded text plus the header
    margins, plus the sort arrow when the column is sorted)."""
    hh = panel.view.horizontalHeader()
    margin = hh.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, hh)
    text = panel.proxy.headerData(c, Qt.Orientation.Horizontal)
    need = hh.fontMetrics().horizontalAdvance(text) + 2 * margin
    if hh.sortIndicatorSection() == c:
        need += hh.fontMetrics().height() + margin
    return need


def cut_off(panel) -> list[str]:
    """Shown cells and headers whose text does not fit their column, as "id: text"
    (texts are laid out at fractional widths: 119.45 px does not fit in 119)."""
    view, model = panel.view, panel.shown_model
    fm, room = QFontMetricsF(view.font()), text_room(view)
    bad = []
    for c in view.visible_columns():
        col, width = model.columns[c], view.columnWidth(c)
        for row in model.rows():
            text = col.display(row)
            if fm.horizontalAdvance(text) + room > width:
                bad.append(f"{col.id}: {text!r} needs {fm.horizontalAdvance(text) + room:.1f} > {width}")
        if header_room(panel, c) > width:
            bad.append(f"{col.id}: header needs {header_room(panel, c)} > {width}")
    return bad


def flush(panel) -> None:
    panel.model.flush()


# --------------------------------------------------------------------- watchlist
def quote(symbol: str, last: str, spread: str = "0.01", volume: str = "158512") -> Quote:
    px = D(last)
    return Quote(symbol=symbol, last=px, prev_close=px - 5, bid=px - D(spread), ask=px + D(spread), volume=D(volume))


def test_watchlist_columns_grow_when_values_arrive_after_the_rows(qtbot):
    panel = show(qtbot, WatchlistPanel(), 470)
    panel.set_symbols(["AAPL", "MSFT", "IBM", "GOOG"])  # rows first, all values empty
    flush(panel)
    panel.stage([quote("AAPL", "547.79"), quote("MSFT", "31.98"), quote("IBM", "197.45"), quote("GOOG", "618.29")])
    flush(panel)
    assert cut_off(panel) == []
    bid = panel.model.column_index("bid")
    assert panel.view.columnWidth(bid) >= panel.view.fontMetrics().horizontalAdvance("547.78") + text_room(panel.view)
    # the whole row fits the default dock (no horizontal scrolling for four quotes)
    assert sum(panel.view.columnWidth(c) for c in panel.view.visible_columns()) <= panel.view.viewport().width()

    # later, longer values widen their column again (no shrinking back: no jitter)
    panel.stage([quote("GOOG", "12345.6789", volume="98765432100")])
    flush(panel)
    assert cut_off(panel) == []
    wide = panel.view.columnWidth(bid)
    panel.stage([quote("GOOG", "1.00")])
    flush(panel)
    assert panel.view.columnWidth(bid) == wide


def test_a_column_the_user_resized_stays_as_the_user_left_it(qtbot):
    panel = show(qtbot, WatchlistPanel(), 470)
    panel.set_symbols(["AAPL"])
    flush(panel)
    hh = panel.view.horizontalHeader()
    bid, volume = panel.model.column_index("bid"), panel.model.column_index("volume")
    hh.resizeSection(bid, 30)  # as a drag on the header's edge does
    panel.stage([quote("AAPL", "547.79", volume="98765432100")])
    flush(panel)
    assert hh.sectionSize(bid) == 30  # the user's width
    fm, room = panel.view.fontMetrics(), text_room(panel.view)
    assert panel.model.index(0, volume).data() == "98.8B"
    assert hh.sectionSize(volume) >= fm.horizontalAdvance("98.8B") + room  # the others still fit
    panel.resize_columns()  # "Resize columns" hands every column back to fitting
    assert cut_off(panel) == []


def test_hiding_and_showing_columns_does_not_stop_fitting(qtbot):
    reference = show(qtbot, FillsPanel(), 900)
    panel = show(qtbot, FillsPanel(), 900)
    hh = panel.view.horizontalHeader()
    group, occ = panel.model.column_index("group"), panel.model.column_index("occ")
    hh.setSectionHidden(group, True)  # the advisor view hides and shows columns by login,
    hh.setSectionHidden(group, False)
    for p in (reference, panel):
        p.view.horizontalHeader().setSectionHidden(occ, True)  # the options view hides the OCC column
        p.stage(advisor_fills())
        flush(p)
    assert cut_off(panel) == []
    widths = [panel.view.columnWidth(c) for c in panel.view.visible_columns()]
    assert widths == [reference.view.columnWidth(c) for c in reference.view.visible_columns()]
    assert panel.view.columnWidth(panel.model.column_index("side")) < hh.defaultSectionSize()  # fitted, not default


# ------------------------------------------------------------ fills / positions
def advisor_fills() -> list[Fill]:
    return [Fill(broker="paper", account_id=acct, fill_id=f"F{i}", order_id="G000001", instrument=Instrument.equity("AAPL"),
                 side=OrderSide.BUY, amount=D(n), price=D("547.42"), commission=D("1.00"), timestamp=T0,
                 allocation_group="ByNetLiq")
            for i, (acct, n) in enumerate(SHARES.items())]


def advisor_positions() -> list[Position]:
    return [Position(broker="paper", account_id=acct, instrument=Instrument.equity("AAPL"), quantity=D(n),
                     average_price=D("547.42")).marked(D("547.79"))
            for acct, n in SHARES.items()]


@pytest.mark.parametrize(("make", "rows"), [(FillsPanel, advisor_fills), (PositionsPanel, advisor_positions)],
                         ids=["fills", "positions"])
def test_advisor_fills_and_positions_fit_a_750px_panel(qtbot, make, rows):
    panel = show(qtbot, make(), 750)
    for column_id in HIDDEN_BY_DEFAULT[panel.name]:  # as the main window starts (OCC symbols off)
        panel.view.setColumnHidden(panel.model.column_index(column_id), True)
    panel.stage(rows())
    flush(panel)
    view = panel.view
    assert cut_off(panel) == []
    used = sum(view.columnWidth(c) for c in view.visible_columns())
    widths = {panel.model.columns[c].id: view.columnWidth(c) for c in view.visible_columns()}
    assert used <= view.viewport().width(), f"{used} px of columns in a {view.viewport().width()} px view: {widths}"
    assert not view.horizontalHeader().stretchLastSection()
    qtbot.waitUntil(lambda: not view.horizontalScrollBar().isVisible())

    panel.resize(used // 2, 300)  # narrower than the columns: scroll sideways, columns keep their widths
    qtbot.waitUntil(lambda: view.horizontalScrollBar().isVisible())
    assert view.horizontalScrollBar().maximum() > 0
    assert cut_off(panel) == []


def test_the_sorted_column_has_room_for_its_arrow(qtbot):
    panel = show(qtbot, FillsPanel(), 900)
    panel.stage(advisor_fills())
    flush(panel)
    quantity = panel.model.column_index("quantity")
    panel.view.sortByColumn(quantity, Qt.SortOrder.AscendingOrder)
    assert panel.view.horizontalHeader().sortIndicatorSection() == quantity
    assert cut_off(panel) == []


def test_consolidated_positions_keep_fitting(qtbot):
    panel = show(qtbot, PositionsPanel(), 750)
    panel.stage(advisor_positions())
    flush(panel)
    panel.set_consolidation_available(True)
    panel.set_consolidated(True)  # swaps the proxy's source model: one "All clients" row
    qtbot.waitUntil(lambda: panel.proxy.rowCount() == 1)
    assert panel.view.auto_fit
    qtbot.waitUntil(lambda: cut_off(panel) == [])
    panel.set_consolidated(False)
    qtbot.waitUntil(lambda: panel.proxy.rowCount() == 4)
    assert panel.view.auto_fit and cut_off(panel) == []


# ------------------------------------------------------- nothing cut (issue 11)
def ibkr_accounts() -> list:
    """The advisor demo's accounts and IBKR's: the IBKR rows (1,000,000.00 in cash)
    come last, below the fold of a short panel."""
    from desktop.domain import Account, Balance

    rows = []
    for cid, names in (("paper", {"PAPER": ("Paper account", "78080.20")}),
                       ("advisor", {"DF100000": ("Advisor (master)", "0"), "DU100001": ("Harper Family Trust", "986299.75"),
                                    "DU100002": ("Okafor IRA", "386299.75"), "DU100003": ("Lindqvist Joint", "236299.75"),
                                    "DU100004": ("Mendes Individual", "86299.75")}),
                       ("ibkr", {"DF100000": ("Advisor (master)", "0"), "DU100001": ("Harper Family Trust", "1000000"),
                                 "DU100002": ("Okafor IRA", "372594.75"), "DU100003": ("Lindqvist Joint", "1000000.00"),
                                 "DU100004": ("Mendes Individual Retirement Account", "100000")})):
        for account_id, (name, cash) in names.items():
            rows.append(Account(broker="paper", connection_id=cid, account_id=account_id, name=name, currency="USD"))
            rows.append(Balance(broker="paper", connection_id=cid, account_id=account_id, currency="USD", cash=D(cash),
                                buying_power=D(cash) * 4, net_liquidation=D(cash)))
    return rows


def test_rows_below_the_fold_fit_too(qtbot):
    from desktop.ui.tables import AccountsPanel, ConnectionLabels

    labels = ConnectionLabels()
    labels.set_connections([("paper", "Paper"), ("advisor", "Paper advisor demo"), ("ibkr", "IBKR")])
    panel = show(qtbot, AccountsPanel(labels), 1400, 130)  # room for about four rows
    panel.stage(ibkr_accounts())
    flush(panel)
    view = panel.view
    assert view.rowAt(view.viewport().height() - 1) < panel.proxy.rowCount() - 1  # the IBKR rows are out of sight
    assert cut_off(panel) == []  # 1,000,000.00 and "Mendes Individual Retirement Account" fit all the same
    view.scrollToBottom()
    assert cut_off(panel) == []
    labels.deleteLater()


def test_an_empty_table_shows_its_headers_whole(qtbot):
    from desktop.ui.tables import AccountsPanel, OrdersPanel

    for panel in (show(qtbot, OrdersPanel(), 1200), show(qtbot, FillsPanel(), 1200), show(qtbot, AccountsPanel(), 1200)):
        qtbot.waitUntil(lambda panel=panel: cut_off(panel) == [])  # "Account/Group" was cut at Qt's default 100 px


def test_a_restored_layout_still_grows_to_fit_new_values(qtbot):
    saved = show(qtbot, FillsPanel(), 900)
    saved.stage(advisor_fills())
    flush(saved)
    hh = saved.view.horizontalHeader()
    commission = saved.model.column_index("commission")
    hh.resizeSection(commission, 40)  # the user narrowed Commission on purpose
    state = saved.header_state()

    panel = show(qtbot, FillsPanel(), 900)
    assert panel.restore_header_state(state)
    big = [f.model_copy(update={"fill_id": f"X{i}", "price": D("123456.78"), "amount": D(250000)})
           for i, f in enumerate(advisor_fills())]
    panel.stage(big)  # values wider than when the layout was saved
    flush(panel)
    cut = cut_off(panel)
    assert [c for c in cut if not c.startswith("commission")] == []  # grown to fit
    assert panel.view.columnWidth(commission) == 40  # ... but the user's narrow column stays as the user left it


def test_a_panel_given_its_needed_width_shows_every_column(qtbot):
    from desktop.ui.tables import ConnectionLabels

    labels = ConnectionLabels()
    labels.set_connections([("paper", "Paper"), ("advisor", "Paper advisor demo")])  # the Source column shows
    panel = show(qtbot, WatchlistPanel(labels), 300)
    panel.stage([q.model_copy(update={"connection_id": "advisor"}) for q in
                 (quote("AAPL", "547.79", volume="10830719"), quote("GOOG", "12345.67", volume="98765432100"))])
    flush(panel)
    view = panel.view
    qtbot.waitUntil(lambda: view.horizontalScrollBar().isVisible())  # 300 px is too narrow
    panel.resize(panel.needed_width(), 300)
    qtbot.waitUntil(lambda: not view.horizontalScrollBar().isVisible())
    assert sum(view.columnWidth(c) for c in view.visible_columns()) <= view.viewport().width()
    assert cut_off(panel) == []
    labels.deleteLater()
