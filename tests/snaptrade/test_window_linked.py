"""SnapTrade in the window while connected, against the fake over loopback: a
brokerage linked meanwhile shows its account without a reconnect (and one unlinked
leaves the desk), and the positions
of an account say how fresh SnapTrade's data is (``data_freshness.as_of``)."""

from __future__ import annotations

from tests.fakes.snaptrade import running_snaptrade

from .helpers import USER, broker_for
from .test_window import WAIT, fast_snaptrade, run, window  # noqa: F401 (fixtures)


def account_keys(window):
    return {(r.connection_id, r.account.account_id) for r in window.accounts.model.rows()}


def test_an_account_linked_while_connected_appears_in_the_desk(qtbot, qloop, tmp_path, window):
    cm = running_snaptrade(tmp_path / "snaptrade")
    fake = run(qtbot, qloop, cm.__aenter__())
    try:
        fake.state.customer_limit = 100_000
        broker = broker_for(fake, user_id=USER)
        run(qtbot, qloop, broker.connect())  # registers the user
        fake.link(USER, "ALPACA", "trade")
        assert run(qtbot, qloop, window.session_ui.attach(broker)) is None
        alpaca = fake.account_for("ALPACA").id
        qtbot.waitUntil(lambda: ("snap-1", alpaca) in account_keys(window), timeout=WAIT)

        fake.link(USER, "SCHWAB", "trade")  # linked in the portal while the desk is connected
        schwab = fake.account_for("SCHWAB").id
        qtbot.waitUntil(lambda: ("snap-1", schwab) in account_keys(window), timeout=WAIT)
        conn = window.desk.connection("snap-1")
        assert conn.is_live and {a.account_id for a in window.desk.state.accounts_of("snap-1")} == {alpaca, schwab}
        # its snapshots and orders are followed like the others'
        qtbot.waitUntil(lambda: any(b.account_id == schwab for b in window.desk.state.balances.values()),
                        timeout=WAIT)
        qtbot.waitUntil(lambda: any(r.path == f"/accounts/{schwab}/orders" for r in fake.requests), timeout=WAIT)
        qtbot.waitUntil(lambda: window.ticket.select_account("snap-1", schwab), timeout=WAIT)  # the ticket offers it

        fake.state.remove(fake.account_for("SCHWAB").authorization_id)  # unlinked (e.g. Remove brokerage…)
        qtbot.waitUntil(lambda: ("snap-1", schwab) not in account_keys(window), timeout=WAIT)
        assert {a.account_id for a in window.desk.state.accounts_of("snap-1")} == {alpaca}
        assert not any(b.account_id == schwab for b in window.desk.state.balances.values())
        assert not window.ticket.select_account("snap-1", schwab)
    finally:
        run(qtbot, qloop, window.shutdown())
        run(qtbot, qloop, cm.__aexit__(None, None, None))



def test_positions_say_how_fresh_the_brokerages_data_is(qtbot, qloop, tmp_path, window):
    from decimal import Decimal

    from PySide6.QtCore import Qt

    from desktop.domain import Instrument, OrderRequest, OrderSide, OrderType

    cm = running_snaptrade(tmp_path / "snaptrade")
    fake = run(qtbot, qloop, cm.__aenter__())
    try:
        fake.state.customer_limit = 100_000
        broker = broker_for(fake, user_id=USER)
        run(qtbot, qloop, broker.connect())
        fake.link(USER, "FIDELITY", "read")  # the fake's Fidelity holdings are a day old
        fidelity = fake.account_for("FIDELITY")
        run(qtbot, qloop, fake.paper.create_order(OrderRequest(
            connection_id=fake.paper.connection_id, account_id=fidelity.brokerage.client,
            instrument=Instrument.equity("AAPL"), side=OrderSide.BUY, type=OrderType.MARKET, amount=Decimal(3))))
        fake.paper.advance_minutes(2)
        assert run(qtbot, qloop, window.session_ui.attach(broker)) is None
        model = window.positions.model

        def row():
            return next((r for r in range(model.rowCount()) if model.rows()[r].account_id == fidelity.id), None)

        qtbot.waitUntil(lambda: row() is not None, timeout=WAIT)
        headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
        account_tip = model.data(model.index(row(), headers.index("Account")), Qt.ItemDataRole.ToolTipRole)
        row_tip = model.data(model.index(row(), headers.index("Quantity")), Qt.ItemDataRole.ToolTipRole)
        position = model.rows()[row()]
        assert position.as_of is not None and position.as_of == broker.freshness[fidelity.id]
        for tip in (account_tip, row_tip):
            assert "Positions as of " in tip and "(1 day old)" in tip, tip
    finally:
        run(qtbot, qloop, window.shutdown())
        run(qtbot, qloop, cm.__aexit__(None, None, None))


def test_data_freshness_is_read_totally():
    from desktop.brokers.snaptrade.parse import parse_positions

    row = {"instrument": {"kind": "stock", "symbol": "AAPL", "id": "x"}, "units": "2", "price": "10",
           "cost_basis": "9"}
    good, as_of = parse_positions({"results": [row], "data_freshness": {"as_of": "2026-06-02T14:30:00Z"}}, "a", "c")
    assert len(good) == 1 and as_of.isoformat() == "2026-06-02T14:30:00+00:00"
    for freshness in ("junk", None, {}, {"as_of": "yesterday"}, {"as_of": 1717338600}, [1]):
        positions, as_of = parse_positions({"results": [row], "data_freshness": freshness}, "a", "c")
        assert len(positions) == 1 and as_of is None, freshness
    assert parse_positions({"results": "nope"}, "a", "c") == ([], None)
