"""Helpers of the Connect Trade adapter tests: the adapter bound to a running fake."""

from __future__ import annotations

from desktop.brokers.connecttrade import ConnectTradeBroker
from desktop.brokers.transport import Backoff, Pacer
from tests.fakes.connecttrade import CREDENTIALS


def adapter_for(ct, *, connection_id: str = "conn-ct", **kw) -> ConnectTradeBroker:
    """A ConnectTradeBroker on the fake ``ct`` at test speed (polls every 0.05 s, fast
    reconnects, pacing relaxed), bound to ``connection_id``, not connected."""
    user_id = kw.pop("user_id", CREDENTIALS["user-id"])
    user_secret = kw.pop("user_secret", CREDENTIALS["user-secret"])
    options = dict(poll_interval=0.05, order_poll=0.05, pacer=Pacer(1000), trade_pacer=Pacer(1000),
                   stream_backoff=Backoff(initial=0.05, maximum=0.5, jitter=0), reconcile_delay=0.01)
    options.update(kw)
    return ConnectTradeBroker(ct.base_url, ct.mdstream_url, client_id=CREDENTIALS["client-id"],
                              client_secret=CREDENTIALS["client-secret"], user_id=user_id,
                              user_secret=user_secret, **options).bind(connection_id)
