"""Done-when of issue 13, through the widgets (pytest-qt, offscreen), against the fake
Connect Trade API on loopback: a Connect Trade connection beside the paper account;
its two accounts listed; a market and a limit order on the trading account in the one
orders blotter, the fill in the fills blotter; the limit order cancelled; the
read-only account refusing to trade with the reason; the chart drawing live bars
from mdstream with Connect Trade as its source; the Portfolio panel's five figures
equal to a hand computation over the paper and Connect Trade accounts together."""

from __future__ import annotations

from decimal import Decimal as D
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
import pytest

from desktop.connections import ConnectionStore
from desktop.desk import Desk
from desktop.domain import Interval, OrderStatus, OrderType
from desktop.security.secrets import SecretStore
from desktop.ui.main_window import MainWindow
from tests.fakes.connecttrade import CREDENTIALS, READONLY_ACCOUNT, TRADING_ACCOUNT, running_connecttrade

from .window_support import WAIT, install_fast_connecttrade, run, submit_through_the_ticket


@pytest.fixture
def ct(qtbot, qloop, tmp_path, monkeypatch):
    install_fast_connecttrade(monkeypatch)
    cm = running_connecttrade(tmp_path / "connecttrade", pacing=False)
    fake = run(qtbot, qloop, cm.__aenter__())
    yield fake
    run(qtbot, qloop, cm.__aexit__(None, None, None))


def add_connecttrade(store: ConnectionStore, secrets: SecretStore, fake) -> str:
    cid = "connecttrade-1"
    refs = {field: secrets.store(cid, field, CREDENTIALS[field.replace("_", "-")])
            for field in ("client_id", "client_secret", "user_id", "user_secret")}
    store.add("connecttrade", "Connect Trade", {"base_url": fake.base_url, "mdstream_url": fake.mdstream_url}, refs,
              connection_id=cid)
    return cid


def hand_figures(window, paper, fake):
    """The five figures by hand: P&L and concentration from the positions the window
    shows (quantity, average price, last price, as marked by each connection's own
    market data), skipping the holding whose broker sent no unrealized P&L (BND in the
    fake's read-only account); fills from each market's own record of today."""
    ny = ZoneInfo("America/New_York")
    upl = D(0)
    mv: dict[str, D] = {}
    for p in window.positions.model.rows():
        if p.last_price is None:
            continue
        if p.symbol != "BND":
            upl += (p.last_price - p.average_price) * p.quantity
        mv[p.symbol] = mv.get(p.symbol, D(0)) + p.last_price * p.quantity
    fills = []
    for broker in (paper, fake.paper):
        day = broker.market.clock.now.astimezone(ny).date()
        fills += [f for f in broker.engine_for("PAPER").fills(None) if f.timestamp.astimezone(ny).date() == day]
    total = sum(mv.values())
    shares = sorted(((s, v / total * 100) for s, v in mv.items()), key=lambda kv: -kv[1])
    aapl = [f for f in fills if f.symbol == "AAPL"]
    vwap = sum(f.amount * f.price for f in aapl) / sum(f.amount for f in aapl)
    return upl, len(fills), (vwap, sum(f.amount for f in aapl)), shares


def test_connecttrade_beside_paper_through_the_window(qtbot, qloop, ct, manual_paper, memory_keyring):
    store, secrets = ConnectionStore.open_default(), SecretStore()
    cid = add_connecttrade(store, secrets, ct)
    window = MainWindow(Desk(store, secrets, poll_s=0.3, start_budget_s=2.0), connections=store, secrets=secrets)
    window.resize(1600, 1000)
    window.show()
    qtbot.waitExposed(window)
    try:
        assert run(qtbot, qloop, window.start(["paper", cid])) == {"paper": None, cid: None}
        desk = window.desk
        paper = desk.connection("paper").broker
        paper.advance_minutes(5)
        ct.paper.advance_minutes(5)

        # its two accounts beside the paper account
        qtbot.waitUntil(lambda: {(r.connection_id, r.account.account_id) for r in window.accounts.model.rows()}
                        == {("paper", "PAPER"), (cid, TRADING_ACCOUNT.account_id), (cid, READONLY_ACCOUNT.account_id)},
                        timeout=WAIT)

        # a market and a limit order on the trading account, one on paper
        submit_through_the_ticket(qtbot, window, "paper", "PAPER", "Paper PAPER", quantity="7")
        submit_through_the_ticket(qtbot, window, cid, TRADING_ACCOUNT.account_id, "Connect Trade acct_alp",
                                  quantity="10")
        far = f"{(ct.paper.market.last_price('AAPL') * D('0.7')).quantize(D('0.01'))}"
        submit_through_the_ticket(qtbot, window, cid, TRADING_ACCOUNT.account_id, "Connect Trade acct_alp",
                                  quantity="5", order_type="LIMIT", limit=far)
        orders = window.orders.model

        def filled() -> bool:
            paper.advance_minutes(1)
            ct.paper.advance_minutes(1)
            return sum(1 for o in orders.rows() if o.status is OrderStatus.FILLED) == 2

        qtbot.waitUntil(filled, timeout=WAIT)
        qtbot.waitUntil(lambda: {o.type for o in orders.rows() if o.connection_id == cid}
                        == {OrderType.MARKET, OrderType.LIMIT}, timeout=WAIT)
        ct_orders = {o.type: o for o in orders.rows() if o.connection_id == cid}
        assert ct_orders[OrderType.LIMIT].status is OrderStatus.ACCEPTED
        qtbot.waitUntil(lambda: {f.connection_id: sum(x.amount for x in window.fills.model.rows()
                                                      if x.connection_id == f.connection_id)
                                 for f in window.fills.model.rows()} == {"paper": 7, cid: 10}, timeout=WAIT)

        # cancel the limit order (the orders table's cancel request)
        window.orders.cancelRequested.emit(ct_orders[OrderType.LIMIT])
        qtbot.waitUntil(lambda: next(o for o in orders.rows() if o.order_id == ct_orders[OrderType.LIMIT].order_id
                                     and o.connection_id == cid).status is OrderStatus.CANCELED, timeout=WAIT)

        # the read-only account refuses, with the reason
        text = submit_through_the_ticket(qtbot, window, cid, READONLY_ACCOUNT.account_id, "Connect Trade acct_tt",
                                         quantity="1", expect="Order rejected")
        assert "read-only" in text and "tastytrade 5WT48213" in text
        assert ct.order_posts() == 2

        # the chart draws live bars from mdstream, Connect Trade its source
        window.feed.choose_source(cid)
        window.chart.set_interval("1m")
        window.show_symbol("AAPL")
        qtbot.waitUntil(lambda: "Connect Trade" in window.chart.source_label() and window.chart.bar_count > 0,
                        timeout=WAIT)
        for _ in range(3):
            ct.paper.advance_minutes(1)
        newest = ct.paper.market.minute_bar("AAPL")
        qtbot.waitUntil(lambda: window.chart.last_bar() is not None
                        and window.chart.last_bar().time == int(newest.start.timestamp()), timeout=WAIT)
        assert window.chart.last_bar().close == pytest.approx(float(newest.close))
        assert window.chart.source_label() == "AAPL · 1m · Connect Trade"
        # the watchlist's AAPL quote now comes from Connect Trade: last price only, bid/ask marked not offered
        wlm = window.watchlist.model

        def aapl_quote():
            return next((q for q in wlm.rows() if q.symbol == "AAPL"), None)
        qtbot.waitUntil(lambda: (q := aapl_quote()) is not None and q.connection_id == cid and q.last is not None,
                        timeout=WAIT)
        cols = {c.id: c for c in wlm.columns}
        quote = aapl_quote()
        assert (cols["bid"].display(quote), cols["ask"].display(quote)) == ("—", "—")
        assert "serves last prices only" in cols["bid"].tooltip(quote)
        assert cols["last"].display(quote) != "" and cols["last"].tooltip is None

        # the Portfolio panel's five figures equal a hand computation
        panel = window.portfolio
        qtbot.waitUntil(lambda: {(p.connection_id, p.symbol) for p in window.positions.model.rows()} == {
            ("paper", "AAPL"), (cid, "AAPL"), (cid, "MSFT"), (cid, "BND"), (cid, "VTI")}, timeout=WAIT)
        hand = {}

        def settled() -> bool:
            hand["figures"] = hand_figures(window, paper, ct)
            panel.refresh()
            f = panel.figures
            upl, n_fills = hand["figures"][:2]
            return f is not None and f.pnl.overall == upl and len(f.fills) == n_fills
        try:
            qtbot.waitUntil(settled, timeout=WAIT)
        except Exception:
            f = panel.figures
            raise AssertionError(f"panel: {f.pnl} {len(f.fills)} vs hand {hand.get('figures')}; "
                                 f"{[(p.connection_id, p.symbol, p.quantity, p.last_price, p.unrealized_pnl) for p in desk.state.positions.values()]}") from None
        figures = panel.figures
        upl, n_fills, (vwap, qty), shares = hand["figures"]
        assert figures.pnl.skipped == 1  # BND's null unrealized_pl
        pm = window.positions.model
        (bnd,) = [p for p in pm.rows() if p.symbol == "BND"]
        assert bnd.unrealized_pnl is None and bnd.average is None  # marked or not, no P&L is made up
        shown = {c.id: c.display(bnd) for c in pm.columns if c.id in ("avg_price", "unrealized_pnl")}
        assert shown == {"avg_price": "", "unrealized_pnl": ""}
        assert panel.pnl_total.text() == f"<b>All connections: {upl:,.2f}</b>"
        assert panel.fills_count.text() == f"<b>{n_fills} fill(s) today</b>"
        (aapl,) = [v for v in figures.vwaps if v.symbol == "AAPL"]
        assert (aapl.vwap, aapl.quantity) == (vwap, qty) == (vwap, 17)
        assert [(c.symbol, c.share) for c in figures.concentration] == shares
        assert [panel.conc_table.item(r, 0).text() for r in range(panel.conc_table.rowCount())] == [s for s, _ in shares]
        # the warning threshold is a preference: Edit → Settings… → Portfolio, applied live
        dialog = window.open_settings()
        qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
        dialog.concentration_spin.setValue(int(shares[0][1]) - 1)
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Apply), Qt.MouseButton.LeftButton)
        assert panel.chart.colours[0] == "#e0a030" and panel.chart.colours[-1] == "#4a90d9"
        assert f"{int(shares[0][1]) - 1} %" in panel.threshold_label.text()
        assert window.settings.value("portfolio/concentration_warning_pct") in (int(shares[0][1]) - 1,
                                                                               str(int(shares[0][1]) - 1))
        dialog.close()
        panel.days.setValue(10)  # momentum of the watchlist over 10 daily closes, from the chart's source
        source = ct.paper

        async def hand_momentum(symbol):
            bars = await source.fetch_bars(symbol, Interval.D1, limit=10)
            return f"{(bars[-1].close / bars[0].close - 1) * 100:+.2f} %"
        expected = run(qtbot, qloop, hand_momentum("MSFT"))
        qtbot.waitUntil(lambda: any(panel.mom_table.item(r, 0).text() == "MSFT"
                                    and panel.mom_table.item(r, 1).text() == expected
                                    for r in range(panel.mom_table.rowCount())), timeout=WAIT)
        # the same figure in the watchlist's momentum column, its header naming n and the bars' source
        wl = window.watchlist.model
        col = wl.column_index("momentum")

        def wl_cell(symbol):
            rows = [q for q in wl.rows() if q.symbol == symbol]
            return wl.columns[col].display(rows[0]) if rows else None
        qtbot.waitUntil(lambda: wl_cell("MSFT") == expected.replace(" %", "%"), timeout=WAIT)
        assert wl.headerData(col, Qt.Orientation.Horizontal) == "Mom 10d"
        tip = wl.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        assert "10-day momentum" in tip and window.desk.market.source_for("MSFT", "bars").name in tip

        # the Transactions view lists the trading account's buy
        view = window.transactions
        qtbot.waitUntil(lambda: view.connection.count() == 1)
        window.docks["accounts"].raise_()
        window.docks["transactions"].raise_()  # its tab raised: it loads the connection by itself, no Load click
        try:
            qtbot.waitUntil(lambda: view.status.text().startswith(f"{len(view.rows)} transaction(s)")
                            and any(t.transaction_type == "BUY" and t.symbol == "AAPL" for t in view.rows),
                            timeout=WAIT)  # loaded again after the fills, without a click
        except Exception:
            raise AssertionError(f"{view.status.text()!r} {view.start.date()} {view.end.date()}") from None
        assert any(t.transaction_type == "BUY" and t.symbol == "AAPL" for t in view.rows)
        fake_day = ct.paper.market.clock.now.astimezone(ZoneInfo("America/New_York")).date()
        assert view.end.date().toPython() == fake_day  # the range ends on the market's session date
        qtbot.mouseClick(view.load_button, Qt.MouseButton.LeftButton)  # Load again: the same rows
        qtbot.waitUntil(lambda: view.status.text().startswith(f"{len(view.rows)} transaction(s)"), timeout=WAIT)
    finally:
        run(qtbot, qloop, window.shutdown())
        window.close()
        window.deleteLater()


def test_quantities_keep_their_zeros():
    from desktop.ui.portfolio.panel import qty_text

    assert [qty_text(D(x)) for x in ("10", "2.50", "1200", "0.125")] == ["10", "2.5", "1,200", "0.125"]
