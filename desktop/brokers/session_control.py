"""Optional protocol for brokers whose session the user logs in to elsewhere (IBKR)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class SessionControl(Protocol):
    """A broker with a browser login and a brokerage session that can compete.

    ``login_url``: the page where the user logs in (the IBKR gateway's root URL);
    ``take_over_session()``: take the brokerage session from another login of the same
    user (IBKR ``POST /iserver/auth/ssodh/init`` with ``compete: true``); call it only
    after the user agreed, since it logs the other session (TWS, mobile) out.
    Connection states are published through ``Broker.watch_connection``.
    """

    @property
    def login_url(self) -> str: ...

    async def take_over_session(self) -> None: ...


def session_control(broker: object) -> SessionControl | None:
    """``broker`` as a SessionControl when it implements one, else None."""
    return broker if isinstance(broker, SessionControl) else None
