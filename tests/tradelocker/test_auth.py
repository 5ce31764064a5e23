"""JWT sessions (NOTES.md section 3): the refresh token kept through save_secret,
the access token never logged, refresh during a session (before expiry and after a
401), re-login after the refresh token expired, and a stored session reused."""

from __future__ import annotations

import logging

import pytest

from desktop.brokers.errors import AuthError

from .conftest import ACCOUNT, connected


def test_refresh_token_goes_to_the_keyring_and_no_token_is_logged(arun, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with connected() as (fake, broker, secrets):
            await broker.fetch_positions(ACCOUNT)
            return broker.session.access_token, secrets, fake

    access, secrets, fake = arun(scenario())
    assert secrets["refresh_token"].count(".") == 2  # a JWT, kept for the keyring
    assert "access_token" not in secrets  # the access token lives in memory only
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert access not in text and secrets["refresh_token"] not in text
    assert all(r.bearer for r in fake.requests if r.path.startswith("/trade/"))


def test_expired_access_token_is_refreshed_during_the_session(arun):
    async def scenario():
        async with connected() as (fake, broker, secrets):
            first = broker.session.access_token
            before = dict(secrets)
            assert fake.tokens.expire("access") >= 1  # every access token issued so far: now expired
            positions = await broker.fetch_positions(ACCOUNT)  # 401, refresh, the same request again
            statuses = [r.path for r in fake.requests][-3:]
            return first, broker.session.access_token, before, secrets, fake, positions, statuses

    first, now, before, secrets, fake, positions, paths = arun(scenario())
    assert now != first
    assert fake.refreshes == 1 and fake.logins == 1
    assert secrets["refresh_token"] != before["refresh_token"]  # the new refresh token is kept
    assert paths == [f"/trade/accounts/{ACCOUNT}/positions", "/auth/jwt/refresh",
                     f"/trade/accounts/{ACCOUNT}/positions"]
    assert positions == []


def test_token_is_refreshed_ahead_of_expiry_without_a_401(arun):
    clock = [1_000.0]

    async def scenario():
        async with connected(refresh_margin=600, clock=lambda: clock[0]) as (fake, broker, _secrets):
            exp = fake.tokens.issued[0]["exp"]
            clock[0] = exp - 599  # less than the margin left on our clock
            await broker.fetch_orders(ACCOUNT)
            return fake

    fake = arun(scenario())
    assert fake.refreshes == 1
    assert not [r for r in fake.requests if r.path.startswith("/trade/") and not r.bearer]


def test_relogin_after_the_refresh_token_expired(arun):
    async def scenario():
        async with connected() as (fake, broker, secrets):
            fake.tokens.expire()  # access and refresh tokens alike
            accounts_state = await broker.fetch_balances(ACCOUNT)
            return fake, accounts_state

    fake, balances = arun(scenario())
    assert fake.logins == 2 and fake.refreshes == 0
    assert balances and balances[0].cash > 0


def test_expired_refresh_without_password_says_to_log_in_again(arun):
    async def scenario():
        from desktop.brokers.tradelocker import TradeLockerBroker

        async with connected() as (fake, broker, secrets):
            stored = secrets["refresh_token"]
            later = TradeLockerBroker(fake.environment, email=fake.credentials["email"], password=None,
                                      server=fake.credentials["server"], refresh_token=stored).bind("tl-2")
            await later.connect()  # the stored session opens without the password
            logins = fake.logins
            fake.tokens.expire()
            try:
                with pytest.raises(AuthError, match="log in again|password"):
                    await later.fetch_orders(ACCOUNT)
            finally:
                await later.close()
            return logins, fake

    logins, fake = arun(scenario())
    assert logins == 1 and fake.refreshes >= 1


def test_wrong_password_is_an_auth_error_in_words(arun):
    async def scenario():
        with pytest.raises(AuthError) as refused:
            async with connected(password="wrong"):
                pass
        return refused.value

    error = arun(scenario())
    assert "email, password and server" in error.message
