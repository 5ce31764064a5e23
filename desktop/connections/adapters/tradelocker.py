"""The TradeLocker declaration: environment (demo, live or a custom URL), the login
(email, password, server) and the session's refresh token, kept in the keyring
(specs/tradelocker/NOTES.md sections 2 and 3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from desktop.brokers import Broker

from ..spec import BrokerSpec, FieldKind, FieldSpec

ENV_DEMO, ENV_LIVE, ENV_CUSTOM = "demo", "live", "custom"
DEMO_MONEY, LIVE_MONEY = "demo", "live"
"""``custom_kind``: what the accounts of a custom environment trade (asked: the URL says nothing reliable)."""


def _custom_url_error(value: Any) -> str | None:
    parts = urlsplit(str(value))
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        return "Custom environment must start with https:// (http:// only for this computer, e.g. a test server)"
    return None


def _email_error(value: Any) -> str | None:
    text = str(value)
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text:
        return f"Email “{text}” is not an email address"
    return None


def _create(config: dict[str, Any], secrets: dict[str, str]) -> Broker:
    from desktop.brokers.tradelocker import TradeLockerBroker

    env = config.get("environment") or ENV_DEMO
    demo = None
    if env == ENV_CUSTOM:
        env = config.get("custom_url") or ""
        if not env:
            raise ValueError("Custom environment URL is required when the environment is Custom")
        demo = (config.get("custom_kind") or LIVE_MONEY) == DEMO_MONEY
    return TradeLockerBroker(env, email=config.get("email") or "", password=secrets.get("password"),
                             server=config.get("server") or "", refresh_token=secrets.get("refresh_token"), demo=demo)


SPEC = BrokerSpec(
    key="tradelocker",
    display_name="TradeLocker",
    description="Forex and CFD accounts of brokers and prop firms on TradeLocker: positions by id (hedging), "
                "stop-loss and take-profit, quantities in lots.",
    fields=(
        FieldSpec(name="environment", label="Environment", kind=FieldKind.CHOICE, default=ENV_DEMO,
                  choices=((ENV_DEMO, "Demo (demo.tradelocker.com)"), (ENV_LIVE, "Live (live.tradelocker.com)"),
                           (ENV_CUSTOM, "Custom URL")),
                  help="Demo accounts trade simulated money; Live trades for real."),
        FieldSpec(name="custom_url", label="Custom environment", kind=FieldKind.URL, required=False,
                  placeholder="https://…", validator=_custom_url_error,
                  help="Only for Environment: Custom (another TradeLocker host, or a test server); the API is "
                       "under /backend-api there."),
        FieldSpec(name="custom_kind", label="Custom accounts trade", kind=FieldKind.CHOICE, required=False,
                  default=LIVE_MONEY, choices=((LIVE_MONEY, "Real money (live)"), (DEMO_MONEY, "Simulated money (demo)")),
                  help="Only for Environment: Custom. Real money unless you know the host is a demo one; demo "
                       "accounts are marked as simulated money in the desk."),
        FieldSpec(name="email", label="Email", validator=_email_error, help="The email you log in to TradeLocker with."),
        FieldSpec(name="password", label="Password", kind=FieldKind.SECRET,
                  help="Kept in your system keyring, never in Tradedesk's settings."),
        FieldSpec(name="server", label="Server", placeholder="e.g. OSP-DEMO",
                  help="The broker server name you choose when logging in to TradeLocker."),
    ),
    factory=_create,
    rank=40,
    session_secrets=("refresh_token",),
)
