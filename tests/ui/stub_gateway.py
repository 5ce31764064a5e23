"""A tiny gateway-like Broker for the session UI tests: a pinned certificate, a browser
login and published ConnectionStates, with no market behind it (no network).

``StubGatewayBroker.presented`` is the fingerprint "the gateway" presents (change it to
simulate a new certificate); ``connect()`` raises CertificateUntrustedError while
nothing is pinned and CertificateChangedError when the pin differs, as IbkrClient does.
Its spec (``STUB_SPEC``, broker key "stubgw") pins into ``certificate_sha256``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal

from desktop.brokers import Broker
from desktop.brokers.capabilities import BrokerCapabilities
from desktop.brokers.errors import CertificateChangedError, CertificateUntrustedError, NotFoundError
from desktop.connections import BrokerSpec, FieldKind, FieldSpec
from desktop.domain import Account, Balance, ConnectionState, ConnectionStatus

FP_A = ":".join(["AB"] * 32)
FP_B = ":".join(["CD"] * 32)
BASE_URL = "https://127.0.0.1:5999/v1/api"
LOGIN_URL = "https://127.0.0.1:5999/"


class StubGatewayBroker(Broker):
    """See the module docstring. ``instances`` records every broker created."""

    name = "stubgw"
    display_name = "Stub Gateway"
    presented = FP_A
    instances: list["StubGatewayBroker"] = []

    def __init__(self, base_url: str = BASE_URL, pinned_sha256: str | None = None) -> None:
        self.base_url = base_url
        self.pinned = pinned_sha256
        self.connected = False
        self.took_over = 0
        self._states: asyncio.Queue[ConnectionState | None] = asyncio.Queue()
        self._closed = asyncio.Event()
        StubGatewayBroker.instances.append(self)

    # -- SessionControl -----------------------------------------------------------
    @property
    def login_url(self) -> str:
        return LOGIN_URL

    async def take_over_session(self) -> None:
        self.took_over += 1
        self.publish(ConnectionStatus.CONNECTED)

    def publish(self, status: ConnectionStatus, **kw) -> None:
        """Publish a session state (as the IBKR session would)."""
        self._states.put_nowait(ConnectionState(status=status, **kw))

    async def watch_connection(self) -> AsyncIterator[ConnectionState]:
        while True:
            state = await self._states.get()
            if state is None:
                return
            yield state

    # -- Broker -------------------------------------------------------------------
    @property
    def capabilities(self) -> BrokerCapabilities:
        return BrokerCapabilities()

    async def connect(self) -> None:
        if self.pinned is None:
            raise CertificateUntrustedError("The gateway's certificate is not trusted yet", fingerprint=self.presented)
        if self.pinned != self.presented:
            raise CertificateChangedError("The gateway's certificate changed: refused", fingerprint=self.presented,
                                          pinned=self.pinned)
        self.connected = True

    async def close(self) -> None:
        self._closed.set()
        self._states.put_nowait(None)

    async def fetch_accounts(self) -> list[Account]:
        return [Account(broker=self.name, connection_id=self.connection_id, account_id="U1", name="Stub", kind="margin")]

    async def fetch_balances(self, account_id: str) -> list[Balance]:
        return [Balance(broker=self.name, connection_id=self.connection_id, account_id=account_id, cash=Decimal(1000),
                        buying_power=Decimal(1000))]

    async def fetch_positions(self, account_id: str):
        return []

    async def fetch_orders(self, account_id: str, status=None):
        return []

    async def fetch_fills(self, account_id: str, since: datetime | None = None):
        return []

    async def fetch_bars(self, symbol, interval, start=None, end=None, limit=None):
        return []

    async def search_instruments(self, query: str):
        return []

    async def create_order(self, request, *, confirm=None):
        raise NotFoundError("no market")

    async def cancel_order(self, account_id: str, order_id: str):
        raise NotFoundError("no market")

    async def modify_order(self, account_id, order_id, *, amount=None, limit_price=None, stop_price=None, confirm=None):
        raise NotFoundError("no market")

    async def _idle(self):
        await self._closed.wait()
        return
        yield  # pragma: no cover

    def watch_quotes(self, symbols: Sequence[str]):
        return self._idle()

    def watch_bars(self, symbol, interval):
        return self._idle()

    def watch_orders(self, account_id: str):
        return self._idle()


def _create(config, secrets) -> StubGatewayBroker:
    return StubGatewayBroker(config.get("base_url") or BASE_URL, config.get("certificate_sha256") or None)


STUB_SPEC = BrokerSpec(
    key="stubgw",
    display_name="Stub gateway",
    fields=(
        FieldSpec(name="base_url", label="Gateway URL", kind=FieldKind.URL, default=BASE_URL),
        FieldSpec(name="certificate_sha256", label="Certificate SHA-256", required=False),
    ),
    factory=_create,
    certificate_field="certificate_sha256",
)
