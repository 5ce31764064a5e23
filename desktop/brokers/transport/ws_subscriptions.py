"""What a websocket is subscribed to, so that every (re)connection subscribes again.
Broker-neutral.

Streams that forget subscriptions when the connection drops (Connect Trade's
mdstream, IBKR's websocket) need the client to send them again once the new
connection is ready. :class:`WsSubscriptions` keeps one message factory per
subscription key: :meth:`add` sends the subscription now (or queues it until ready,
through the socket's ``send``), :meth:`resubscribe` (the socket's ``on_ready``)
sends every one again, each built afresh so it can say what it needs after a gap
(e.g. how many bars to backfill), and :meth:`remove` forgets one and sends its
unsubscribe message.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

MessageFactory = Callable[[bool], Any]
"""``factory(again)``: the subscribe message (a JSON value) to send; ``again`` is True
when it is sent after a reconnect."""


class WsSubscriptions:
    """Subscriptions of one websocket, re-sent after every reconnect.

    ``send(text)``: the socket's send (queued until ready by
    :class:`~desktop.brokers.transport.reconnecting_ws.ReconnectingWebSocket`).
    """

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self._factories: dict[Hashable, MessageFactory] = {}
        self.resubscribed = 0  # rounds of resubscribe() (diagnostics/tests)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._factories

    @property
    def keys(self) -> list[Hashable]:
        return list(self._factories)

    async def add(self, key: Hashable, factory: MessageFactory, *, send_now: bool = True) -> None:
        """Keep ``factory`` under ``key`` (replacing one there) and send its message
        now (``send_now``; queued until ready when not connected)."""
        self._factories[key] = factory
        if send_now:
            await self._send(json.dumps(factory(False)))

    async def remove(self, key: Hashable, unsubscribe: Any = None) -> None:
        """Forget ``key``; send ``unsubscribe`` (a JSON value) when given."""
        if self._factories.pop(key, None) is not None and unsubscribe is not None:
            await self._send(json.dumps(unsubscribe))

    async def resubscribe(self, send: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Send every subscription again (``send``: the new connection's own send, for
        an ``on_ready`` hook that runs before queued messages go out)."""
        self.resubscribed += 1
        for factory in list(self._factories.values()):
            await (send or self._send)(json.dumps(factory(True)))
