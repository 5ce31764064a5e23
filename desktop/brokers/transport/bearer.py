"""Bearer-token auth for the REST pipeline, with refresh-and-retry-once on 401.

Broker-neutral; made for TradeLocker's JWT (specs/tradelocker/NOTES.md section 3:
``Authorization: Bearer <accessToken>``, ``POST /auth/jwt/refresh`` for a new one).
Tokens are registered with the log redaction filter the moment they are known and are
never logged; a refreshed token is handed to ``on_token`` so the adapter can keep it
with its connection (``Broker.save_secret(field, token)``: the OS keyring, never the
settings file).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from desktop.brokers.errors import BrokerError
from desktop.security.redaction import register_secret

from .rest_request import RestRequest, RestResponse


class BearerAuth:
    """A ``sign`` hook and a :class:`~desktop.brokers.transport.recovery.Recovery`.

    ``token``: the current access token (None: no header until :meth:`set_token`);
    ``refresh()``: async, returns a new access token (the adapter calls its refresh
    endpoint, keeping any new refresh token itself) or raises AuthError; None: a 401
    is final. ``on_token(token)``: called with every refreshed token (e.g.
    ``lambda t: broker.save_secret("access_token", t)``). ``header``/``scheme``: the
    header is ``f"{scheme} {token}"`` ("Authorization: Bearer ..."). ``statuses``:
    the HTTP statuses that mean "token refused" (401).

    Passed as a RestClient's ``sign`` (alone or inside ``chain``), a 401 answer makes
    the pipeline await ``refresh()`` once (shared by concurrent requests) and resend
    the refused request once with the new token (safe for an order POST too: a 401
    means the server did nothing). A second 401 is raised as AuthError.
    """

    def __init__(self, token: str | None = None, *, refresh: Callable[[], Awaitable[str]] | None = None,
                 on_token: Callable[[str], None] | None = None, header: str = "Authorization",
                 scheme: str = "Bearer", statuses: frozenset[int] = frozenset({401})) -> None:
        self._token: str | None = None
        self._refresh = refresh
        self.on_token = on_token
        self.header = header
        self.scheme = scheme
        self.statuses = statuses
        self.refreshes = 0  # refreshes made (diagnostics/tests)
        if token:
            self.set_token(token)

    @property
    def token(self) -> str | None:
        """The access token in use (never log it)."""
        return self._token

    def set_token(self, token: str) -> None:
        """Use ``token`` from now on (e.g. after a login); registered for redaction.
        ``on_token`` is not called (the caller has the token already)."""
        register_secret(token)
        self._token = token

    def __call__(self, request: RestRequest) -> None:
        if self._token:
            request.headers[self.header] = f"{self.scheme} {self._token}"

    def needs(self, error: BrokerError, response: RestResponse | None) -> bool:
        """A refusal of the token: ``response.status`` in ``statuses`` and a refresh
        is possible."""
        return self._refresh is not None and response is not None and response.status in self.statuses

    async def recover(self) -> None:
        """Get a new token from ``refresh()``, use it, hand it to ``on_token``."""
        assert self._refresh is not None
        token = await self._refresh()
        self.refreshes += 1
        self.set_token(token)
        if self.on_token is not None:
            self.on_token(token)
