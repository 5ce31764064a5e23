"""DeskBridge: the Qt side of the desk, a thin bridge that batches its changes.

The desk (:class:`desktop.desk.Desk`, Qt-free) records every row change in a
:class:`~desktop.desk.state.ChangeFeed`; a QTimer takes the feed at most every
``flush_ms`` (100 ms) and emits one signal per kind carrying the changed objects (a
burst of 10,000 quote ticks is one ``quotesChanged`` list per flush, newest per key).
Desk events (a connection added, removed, its status or session changed, allocation
groups learnt, an error) are re-emitted at once as ``connectionEvent(DeskEvent)``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.desk import Desk, DeskEvent
from desktop.desk import events as ev
from desktop.domain import Order, OrderPreview, OrderRequest, QuestionHandler


class DeskBridge(QObject):
    """Signals (lists of frozen domain objects, never one signal per tick):
    ``accountsChanged``, ``balancesChanged``, ``positionsChanged``,
    ``positionsRemoved(list[key])``, ``ordersChanged``, ``fillsAdded``,
    ``quotesChanged``, ``staleChanged(dict[connection_id, bool])``,
    ``connectionsDropped(list[connection_id])`` (their rows are gone);
    ``accountsRemoved(list[(connection_id, account_id)])`` (a connection no longer
    lists them; their balances and positions are gone);
    ``connectionEvent(DeskEvent)`` at once; ``errorOccurred(str)`` for ERROR events.
    """

    accountsChanged = Signal(list)
    balancesChanged = Signal(list)
    positionsChanged = Signal(list)
    positionsRemoved = Signal(list)
    ordersChanged = Signal(list)
    fillsAdded = Signal(list)
    quotesChanged = Signal(list)
    staleChanged = Signal(dict)
    connectionsDropped = Signal(list)
    accountsRemoved = Signal(list)
    connectionEvent = Signal(object)
    errorOccurred = Signal(str)

    def __init__(self, desk: Desk, *, flush_ms: int = 100, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self._feed = desk.state.feed()
        self._timer = QTimer(self)
        self._timer.setObjectName("deskFlushTimer")
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()
        self._unlisten = desk.listen(self._on_event)

    def close(self) -> None:
        """Stop flushing and listening (the window is closing)."""
        self._timer.stop()
        self._unlisten()
        self.desk.state.close_feed(self._feed)

    def _on_event(self, event: DeskEvent) -> None:
        if event.kind == ev.ERROR:
            self.errorOccurred.emit(str(event.detail))
        self.connectionEvent.emit(event)

    def flush(self) -> None:
        """Emit every batch of changes collected since the last flush."""
        if not self._feed.pending():
            return
        changes = self._feed.take()
        if changes.dropped:
            self.connectionsDropped.emit(changes.dropped)
        if changes.accounts_removed:
            self.accountsRemoved.emit(changes.accounts_removed)
        if changes.accounts:
            self.accountsChanged.emit(changes.accounts)
        if changes.positions_removed:
            self.positionsRemoved.emit(changes.positions_removed)
        for items, signal in ((changes.balances, self.balancesChanged), (changes.orders, self.ordersChanged),
                              (changes.fills, self.fillsAdded), (changes.quotes, self.quotesChanged),
                              (changes.positions, self.positionsChanged)):
            if items:
                signal.emit(items)
        if changes.stale:
            self.staleChanged.emit(changes.stale)

    # -- order actions (awaited by the UI): routed by the desk, shown at once -------------
    async def submit(self, request: OrderRequest, confirm: QuestionHandler | None = None) -> Order:
        """``desk.submit`` then an immediate flush. Raises BrokerError (NotConnectedError)."""
        try:
            return await self.desk.submit(request, confirm)
        finally:
            self.flush()

    async def cancel(self, order: Order) -> Order:
        """``desk.cancel`` then an immediate flush. Raises BrokerError."""
        try:
            return await self.desk.cancel(order)
        finally:
            self.flush()

    async def modify(self, order: Order, changes: dict[str, Any], confirm: QuestionHandler | None = None) -> Order:
        """``desk.modify`` then an immediate flush. Raises BrokerError."""
        try:
            return await self.desk.modify(order, changes, confirm)
        finally:
            self.flush()

    async def preview(self, request: OrderRequest) -> OrderPreview:
        """``desk.preview``. Raises BrokerError."""
        return await self.desk.preview(request)
