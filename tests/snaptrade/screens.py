"""Drive the real main window against a running standalone fake SnapTrade, for
screenshots under a virtual X screen (not a test)::

    python -m tests.fakes.snaptrade --port 5001 &            # prints the credentials
    /work/shared/tools/shot linking.png 12 .venv/bin/python -m tests.snaptrade.screens linking \\
        http://127.0.0.1:5001 CLIENT_ID CONSUMER_KEY USER_ID USER_SECRET

States: ``linking`` (the connection form after Link a brokerage…), ``accounts`` (the
linked accounts beside paper), ``readonly`` (the ticket at the read-only account),
``preview`` (an impact preview in the ticket), ``notional`` (the ticket's "Amount in
$" at Alpaca), ``remove`` / ``upgrade`` (the form's
Remove brokerage… / Upgrade to trading… asking which brokerage connection). Secrets go to an in-memory keyring;
TRADEDESK_HOME is a fresh temporary folder.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from decimal import Decimal


def main() -> None:
    state, base, client_id, key, user_id, user_secret = sys.argv[1:7]
    os.environ["TRADEDESK_HOME"] = tempfile.mkdtemp(prefix="tradedesk-shots-")
    import keyring

    from tests.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    import qasync
    from PySide6.QtCore import QObject, Slot
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])

    class Swallow(QObject):
        @Slot("QUrl")
        def open(self, url) -> None:
            print("browser would open", url.toString(), flush=True)

    swallow = Swallow()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, swallow, "open")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(_drive(app, state, base, client_id, key, user_id, user_secret))


async def _link(base, client_id, key, user_id, user_secret) -> None:
    """Link Alpaca (trade) and Charles Schwab (read-only) as the portal's buttons do."""
    import re

    import httpx

    from desktop.brokers.snaptrade import SnapTradeBroker

    broker = SnapTradeBroker(base, client_id=client_id, consumer_key=key, user_id=user_id, user_secret=user_secret)
    await broker.client.open()
    try:
        for kind, slug in (("trade", "ALPACA"), ("read", "SCHWAB")):
            link = await broker.linking.portal(connection_type=kind)
            async with httpx.AsyncClient() as c:
                page = await c.get(link.url)
                action = re.search(r'action="([^"]+)"', page.text).group(1)
                await c.post(base + action, data={"broker": slug})
    finally:
        await broker.client.close()


async def _drive(app, state, base, client_id, key, user_id, user_secret) -> None:
    from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton

    from desktop.connections import ConnectionStore
    from desktop.desk import Desk
    from desktop.security.secrets import SecretStore
    from desktop.ui.main_window import MainWindow

    store, secrets = ConnectionStore.open_default(), SecretStore()
    window = MainWindow(Desk(store, secrets), connections=store, secrets=secrets)
    window.resize(1580, 980)
    window.show()
    if state in ("remove", "upgrade"):
        await _link(base, client_id, key, user_id, user_secret)
    if state in ("linking", "remove", "upgrade"):
        await window.start(["paper"])
        window.menus.connections_action.trigger()
        await asyncio.sleep(0.5)
        manager = next(w for w in app.topLevelWidgets() if w.objectName() == "connectionsDialog" and w.isVisible())
        manager.findChild(QPushButton, "addButton").click()
        await asyncio.sleep(0.5)
        form = next(w for w in app.topLevelWidgets() if w.objectName() == "connectionEditDialog" and w.isVisible())
        combo = form.findChild(QComboBox, "brokerCombo")
        combo.setCurrentIndex(combo.findData("snaptrade"))
        await asyncio.sleep(0.3)
        user = f"desk-user-{os.getpid()}" if state == "linking" else user_id
        for name, text in (("field_name", "SnapTrade"), ("field_client_id", client_id),
                           ("field_consumer_key", key), ("field_user_id", user),
                           ("field_base_url", base)):
            form.findChild(QLineEdit, name).setText(text)
        if state != "linking":
            form.findChild(QLineEdit, "field_user_secret").setText(user_secret)
        button = {"linking": "linkBrokerageButton", "remove": "removeBrokerageButton",
                  "upgrade": "upgradeTradingButton"}[state]
        form.findChild(QPushButton, button).click()
        await asyncio.Event().wait()
    await _link(base, client_id, key, user_id, user_secret)
    conn = store.add("snaptrade", "SnapTrade", {"client_id": client_id, "user_id": user_id, "base_url": base},
                     {"consumer_key": secrets.store("pending", "consumer_key", key)})
    refs = {"consumer_key": secrets.store(conn.id, "consumer_key", key),
            "user_secret": secrets.store(conn.id, "user_secret", user_secret)}
    store.update(conn.id, secrets=refs)
    await window.start(["paper", conn.id])
    await asyncio.sleep(2)
    snap = window.desk.connection(conn.id).broker
    accounts = {i.institution: a for a, i in snap.accounts.items()}
    ticket = window.ticket
    if state == "accounts":
        from PySide6.QtWidgets import QDockWidget

        for dock in window.findChildren(QDockWidget):
            if dock.widget() is window.accounts or window.accounts in dock.findChildren(type(window.accounts)):
                dock.raise_()
    if state == "notional":
        ticket.select_account(conn.id, accounts["Alpaca"])
        await asyncio.sleep(0.5)
        ticket.symbol_edit.setText("AAPL")
        ticket.notional_check.setChecked(True)
        ticket.quantity_edit.setText("500")
        await asyncio.sleep(0.5)
    if state in ("readonly", "preview"):
        account = accounts["Charles Schwab" if state == "readonly" else "Alpaca"]
        ticket.select_account(conn.id, account)
        await asyncio.sleep(0.5)
        ticket.symbol_edit.setText("AAPL")
        ticket.quantity_edit.setText("5")
        ticket.type_combo.setCurrentIndex(ticket.type_combo.findData("LIMIT"))
        quotes = await snap.client.quotes(account, ["AAPL"])
        last = Decimal(str(quotes[0]["last_trade_price"]))
        ticket.limit_edit.setText(str((last * Decimal("0.98")).quantize(Decimal("0.01"))))
        ticket._revalidate()
        await asyncio.sleep(0.5)
        if state == "preview":
            ticket.findChild(QPushButton, "previewButton").click()
    await asyncio.Event().wait()


if __name__ == "__main__":
    main()
