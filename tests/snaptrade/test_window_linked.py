"""SnapTrade in the window while connected, against the fake over loopback: a
brokerage linked meanwhile shows its account without a reconnect, and the positions
of an account say how fresh SnapTrade's data is (``data_freshness.as_of``)."""

from __future__ import annotations

from tests.fakes.snaptrade import running_snaptrade

from .helpers import USER, broker_for
from .test_window import WAIT, browser, fast_snaptrade, memory_keyring, run, window  # noqa: F401 (fixtures)


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
    finally:
        run(qtbot, qloop, window.shutdown())
        run(qtbot, qloop, cm.__aexit__(None, None, None))

