"""TradeLocker's JWT session (specs/tradelocker/NOTES.md section 3).

``POST /auth/jwt/token {email, password, server}`` logs in; ``POST
/auth/jwt/refresh {refreshToken}`` renews both tokens. :class:`TokenSession`:

- keeps the access token in memory only (in the pipeline's
  :class:`~desktop.brokers.transport.BearerAuth`) and hands every refresh token to
  ``save_refresh`` (the connection's keyring entry, ``Broker.save_secret``);
- refreshes before expiry (:meth:`ensure_fresh`: when less than ``margin`` of the
  access token's life is left, read from its ``exp`` claim, not verified: the
  server does that) and after a 401 (the pipeline's recovery calls :meth:`renew`);
- logs in again with the stored password when the refresh token has expired
  (the refresh answers 401), else raises AuthError saying to log in again.

Tokens are registered for log redaction the moment they are known and never logged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from desktop.brokers.errors import AuthError, BrokerError, InvalidRequestError
from desktop.brokers.transport import BearerAuth
from desktop.security.redaction import register_secret

log = logging.getLogger(__name__)

Post = Callable[[str, dict[str, Any]], Awaitable[Any]]
"""``post(path, body)``: the answer of a POST through the adapter's RestClient."""


_AUTH_PATHS = ("/auth/jwt/token", "/auth/jwt/refresh")


class JwtBearer(BearerAuth):
    """:class:`BearerAuth` whose 401 recovery never applies to the login and refresh
    calls themselves (their 401 means wrong credentials / expired refresh token)."""

    def needs(self, error: BrokerError, response: Any) -> bool:
        if response is not None and response.request.path in _AUTH_PATHS:
            return False
        return super().needs(error, response)


def token_expiry(token: str) -> float | None:
    """The ``exp`` claim (epoch seconds) of a JWT, read without verifying it; None
    when it cannot be read."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


class TokenSession:
    """Login, refresh and re-login for one connection (see the module docstring).

    ``post``: sends a POST (the adapter's client); ``email``/``password``/``server``:
    the login (``password`` None: only a stored ``refresh_token`` can open the
    session); ``save_refresh(token)``: keeps a new refresh token; ``clock``: epoch
    seconds (injectable); ``margin``: refresh when less than this many seconds of the
    access token are left (at most half its life).
    """

    def __init__(self, post: Post, *, email: str, password: str | None, server: str,
                 refresh_token: str | None = None, save_refresh: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.time, margin: float = 1800.0) -> None:
        self._post = post
        self.email, self._password, self.server = email, password, server
        self._refresh_token = refresh_token
        self._save_refresh = save_refresh
        self._clock = clock
        self.margin = margin
        self.bearer = JwtBearer(refresh=self.renew)
        self._expires: float | None = None
        self._issued: float | None = None
        self._lock = asyncio.Lock()
        self.logins = 0
        self.refreshes = 0
        if password:
            register_secret(password)
        if refresh_token:
            register_secret(refresh_token)

    @property
    def access_token(self) -> str | None:
        return self.bearer.token

    async def open(self) -> None:
        """Start the session: refresh with the stored refresh token when there is one
        (falling back to a login), else log in. Raises AuthError (wrong credentials,
        or nothing to log in with), UnavailableError."""
        async with self._lock:
            if self._refresh_token:
                try:
                    await self._refresh()
                    return
                except AuthError:
                    log.info("TradeLocker: the stored session has expired; logging in")
            await self._login()

    async def ensure_fresh(self) -> None:
        """Refresh now when the access token has less than the margin left."""
        if self._expires is None:
            return
        life = (self._expires - self._issued) if self._issued is not None else self.margin * 2
        if self._expires - self._clock() > min(self.margin, life / 2):
            return
        async with self._lock:
            if self._expires is not None and self._expires - self._clock() > min(self.margin, life / 2):
                return  # another task refreshed meanwhile
            await self._refresh_or_login()

    async def renew(self) -> str:
        """The recovery after a 401: refresh (or log in again); the new access token."""
        async with self._lock:
            await self._refresh_or_login()
        assert self.bearer.token is not None
        return self.bearer.token

    async def _refresh_or_login(self) -> None:
        try:
            await self._refresh()
        except AuthError:
            if not self._password:
                raise AuthError("Your TradeLocker session has expired: enter your password and connect again") from None
            log.info("TradeLocker: the refresh token has expired; logging in again")
            await self._login()

    async def _login(self) -> None:
        if not self._password:
            raise AuthError("TradeLocker needs your password to log in (it is kept in the keyring)")
        try:
            body = await self._post("/auth/jwt/token", {"email": self.email, "password": self._password,
                                                         "server": self.server})
        except InvalidRequestError as exc:  # 400: the server's words about the login
            raise AuthError(f"TradeLocker refused the login: {exc.message}", raw=exc.raw) from None
        except AuthError as exc:
            raise AuthError(f"TradeLocker refused the login (check email, password and server "
                            f"{self.server!r}): {exc.message}", raw=exc.raw) from None
        self._take(body)
        self.logins += 1

    async def _refresh(self) -> None:
        if not self._refresh_token:
            raise AuthError("no refresh token")
        try:
            body = await self._post("/auth/jwt/refresh", {"refreshToken": self._refresh_token})
        except InvalidRequestError as exc:
            raise AuthError(exc.message, raw=exc.raw) from None
        self._take(body)
        self.refreshes += 1

    def _take(self, body: Any) -> None:
        access = body.get("accessToken") if isinstance(body, dict) else None
        refresh = body.get("refreshToken") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            raise BrokerError("TradeLocker's token answer has no accessToken/refreshToken", raw=None)
        self.bearer.set_token(access)
        register_secret(refresh)
        self._refresh_token = refresh
        self._expires = token_expiry(access)
        self._issued = self._clock()
        if self._save_refresh is not None:
            self._save_refresh(refresh)
