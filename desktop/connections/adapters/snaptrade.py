"""The SnapTrade declaration: key mode (Personal / Commercial), client id, consumer
key (secret), the Commercial user id, the base URL and path prefix (advanced), and
the user secret the app learns at registration (kept in the keyring, never shown);
the connection form's tools: link a brokerage (trading or read-only) in the
Connection Portal, list the user's brokerage connections, upgrade a chosen read-only
one to trading, remove a chosen one (asks first), refresh their data (asks first:
SnapTrade may charge for it)
(specs/snaptrade/NOTES.md sections 1, 2, 4 and 7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from desktop.brokers import Broker

from ..spec import BrokerSpec, FieldKind, FieldSpec
from ..tools import ConnectionTool, ToolChoice, ToolResult

DEFAULT_BASE_URL = "https://api.snaptrade.com"
COMMERCIAL, PERSONAL = "commercial", "personal"
ROOT, LEGACY = "root", "api_v1"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _base_url_error(value: Any) -> str | None:
    parts = urlsplit(str(value))
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        return "Base URL must start with https:// (plain http only for a test server on this computer)"
    if parts.path.rstrip("/") not in ("", "/api/v1"):
        return "Base URL is the server only (https://api.snaptrade.com); choose the /api/v1 prefix below"
    return None


def _user_id_error(value: Any) -> str | None:
    text = str(value)
    if "@" in text:
        return "User id should not be an email address (SnapTrade needs an id that never changes)"
    if len(text) > 100 or any(ch.isspace() for ch in text):
        return "User id must be at most 100 characters without spaces"
    return None


def broker_from(config: Mapping[str, Any], secrets: Mapping[str, str]) -> Broker:
    """A SnapTradeBroker from the connection's values (also for the form's tools)."""
    from desktop.brokers.snaptrade import SnapTradeBroker

    personal = config.get("mode") == PERSONAL
    base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
    legacy = config.get("path_prefix") == LEGACY or base.endswith("/api/v1")
    if base.endswith("/api/v1"):
        base = base[: -len("/api/v1")]
    return SnapTradeBroker(base, client_id=str(config.get("client_id") or ""),
                           consumer_key=secrets.get("consumer_key", ""), personal=personal,
                           user_id=None if personal else (config.get("user_id") or None),
                           user_secret=None if personal else (secrets.get("user_secret") or None),
                           legacy_prefix=legacy)


def _create(config: dict[str, Any], secrets: dict[str, str]) -> Broker:
    return broker_from(config, secrets)


def _values(texts: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], str | None]:
    """(config, secrets, problem) from the form's texts."""
    from ..registry import broker_spec

    spec = broker_spec("snaptrade")
    config = spec.config_from({k: v for k, v in texts.items() if k in {f.name for f in spec.plain_fields}})
    secrets = {f.name: texts.get(f.name, "") for f in spec.secret_fields if texts.get(f.name)}
    if not config.get("client_id") or not secrets.get("consumer_key"):
        return config, secrets, "Enter the client id and the consumer key first"
    if config.get("mode") != PERSONAL and not config.get("user_id"):
        return config, secrets, "Enter a user id first (Commercial keys register one SnapTrade user)"
    return config, secrets, None


async def _with_broker(texts: Mapping[str, str], action) -> ToolResult:
    from desktop.brokers import BrokerError

    config, secrets, problem = _values(texts)
    if problem:
        return ToolResult(message=problem)
    broker = broker_from(config, secrets)
    learnt: dict[str, str] = {}
    broker.bind("form", lambda field, value: learnt.__setitem__(field, value))
    try:
        await broker.client.open()
        if config.get("mode") != PERSONAL and not secrets.get("user_secret"):
            await broker.register()
        result = await action(broker)
    except BrokerError as exc:
        return ToolResult(message=f"SnapTrade: {exc.message}", set_values=learnt)
    finally:
        await broker.client.close()
    if learnt:
        note = " Registered the SnapTrade user: save the connection to keep its secret."
        return ToolResult(message=result.message + note, open_url=result.open_url, set_values=learnt)
    return result


async def _link(texts: Mapping[str, str], kind: str) -> ToolResult:
    async def action(broker) -> ToolResult:
        link = await broker.linking.portal(connection_type=kind)
        return ToolResult(message=link.describe(), open_url=link.url)

    return await _with_broker(texts, action)


async def _link_trade(texts: Mapping[str, str]) -> ToolResult:
    return await _link(texts, "trade")


async def _link_read(texts: Mapping[str, str]) -> ToolResult:
    return await _link(texts, "read")


async def _connections(texts: Mapping[str, str]) -> ToolResult:
    from desktop.brokers.snaptrade.linking import describe

    async def action(broker) -> ToolResult:
        auths = await broker.linking.authorizations()
        if not auths:
            return ToolResult(message="No brokerage linked yet: use Link a brokerage…")
        return ToolResult(message="Linked: " + "; ".join(describe(a) for a in auths))

    return await _with_broker(texts, action)


async def _upgrade(texts: Mapping[str, str]) -> ToolResult:
    """Choose a read-only connection (of a brokerage that trades), then reconnect it
    with ``connectionType=trade`` in the Connection Portal (NOTES.md section 7,
    pitfall 3)."""
    from desktop.brokers.snaptrade.linking import describe

    async def action(broker) -> ToolResult:
        auths = [a for a in await broker.linking.authorizations() if a.read_only and a.allows_trading]
        if not auths:
            return ToolResult(message="No read-only connection that could trade: nothing to upgrade")
        return ToolResult(message="Choose the read-only connection to upgrade", choice=ToolChoice(
            "Upgrade to trading", "Read-only brokerage connection to reconnect with trading access:",
            tuple((a.id, describe(a)) for a in auths), then=_upgrade_chosen))

    return await _with_broker(texts, action)


async def _upgrade_chosen(texts: Mapping[str, str], authorization_id: str) -> ToolResult:
    async def action(broker) -> ToolResult:
        names = {a.id: a.brokerage or a.slug for a in await broker.linking.authorizations()}
        link = await broker.linking.upgrade(authorization_id)
        return ToolResult(message=f"Reconnect {names.get(authorization_id, 'the brokerage')} with trading access in "
                                  "your browser. " + link.describe(), open_url=link.url)

    return await _with_broker(texts, action)


REMOVE_QUESTION = ("Remove {label} from SnapTrade? Its accounts leave the desk; to see them again you link the "
                   "brokerage again with its login.")


async def _remove(texts: Mapping[str, str]) -> ToolResult:
    """Choose a brokerage connection, confirm, then ``DELETE /connection/{id}``."""
    from desktop.brokers.snaptrade.linking import describe

    async def action(broker) -> ToolResult:
        auths = await broker.linking.authorizations()
        if not auths:
            return ToolResult(message="No brokerage linked: nothing to remove")
        return ToolResult(message="Choose the brokerage connection to remove", choice=ToolChoice(
            "Remove brokerage", "Brokerage connection to remove:", tuple((a.id, describe(a)) for a in auths),
            then=_remove_chosen, confirm=REMOVE_QUESTION))

    return await _with_broker(texts, action)


async def _remove_chosen(texts: Mapping[str, str], authorization_id: str) -> ToolResult:
    async def action(broker) -> ToolResult:
        names = {a.id: a.brokerage or a.slug for a in await broker.linking.authorizations()}
        said = await broker.linking.remove(authorization_id)
        return ToolResult(message=f"Removed {names.get(authorization_id, 'the connection')}: {said}")

    return await _with_broker(texts, action)


async def _refresh(texts: Mapping[str, str]) -> ToolResult:
    async def action(broker) -> ToolResult:
        auths = [a for a in await broker.linking.authorizations() if not a.disabled]
        if not auths:
            return ToolResult(message="No brokerage connection to refresh")
        said = [f"{a.brokerage}: {await broker.linking.refresh(a.id)}" for a in auths]
        return ToolResult(message="Refresh asked (fresh data follows in a few minutes). " + "; ".join(said))

    return await _with_broker(texts, action)


REFRESH_QUESTION = ("SnapTrade may charge for each manual refresh of a brokerage connection. Ask every linked "
                    "brokerage to sync its accounts now?")

TOOLS = (
    ConnectionTool("linkBrokerage", "Link a brokerage…", _link_trade, row_label="Brokerages:", stored_secrets=True,
                   tip="Open SnapTrade's Connection Portal to link a brokerage login with trading access "
                       "(the link expires in 5 minutes)"),
    ConnectionTool("linkReadOnly", "Link read-only…", _link_read, row_label="Brokerages:", stored_secrets=True,
                   tip="Link a brokerage login for viewing only (positions, orders, balances)"),
    ConnectionTool("listConnections", "Connections", _connections, row_label="Brokerages:", stored_secrets=True,
                   tip="List the brokerage connections of this SnapTrade user: brokerage, read or trade, disabled"),
    ConnectionTool("upgradeTrading", "Upgrade to trading…", _upgrade, row_label="Brokerages:", stored_secrets=True,
                   tip="Choose a read-only brokerage connection and reconnect it with trading access"),
    ConnectionTool("removeBrokerage", "Remove brokerage…", _remove, row_label="Brokerages:", stored_secrets=True,
                   tip="Choose a brokerage connection and remove it from SnapTrade (asks first)"),
    ConnectionTool("refreshData", "Refresh data…", _refresh, row_label="Brokerages:", stored_secrets=True,
                   ask=REFRESH_QUESTION,
                   tip="Ask each linked brokerage to sync positions and balances now (may be charged; asks first)"),
)


SPEC = BrokerSpec(
    key="snaptrade",
    display_name="SnapTrade (linked brokerages)",
    description="The accounts you link through SnapTrade (Schwab, Fidelity, Robinhood, Alpaca, …), with trading "
                "where the brokerage allows it. Enter your API key, then Link a brokerage…",
    fields=(
        FieldSpec(name="mode", label="Key type", kind=FieldKind.CHOICE, default=COMMERCIAL,
                  choices=((COMMERCIAL, "Commercial key (registers a SnapTrade user)"),
                           (PERSONAL, "Personal key (the key is the user)")),
                  help="Personal keys need no user id; Commercial keys register one SnapTrade user for this app."),
        FieldSpec(name="client_id", label="Client id", kind=FieldKind.TEXT, placeholder="YOUR-CLIENT-ID",
                  help="From the SnapTrade dashboard (API keys)."),
        FieldSpec(name="consumer_key", label="Consumer key", kind=FieldKind.SECRET,
                  help="Kept in your system's keyring; it signs every request."),
        FieldSpec(name="user_id", label="User id", kind=FieldKind.TEXT, required=False, validator=_user_id_error,
                  placeholder="e.g. tradedesk-jane",
                  help="Commercial keys: the SnapTrade user this app registers (any id that never changes, not an "
                       "email address). Its secret is kept in the keyring."),
        FieldSpec(name="base_url", label="Base URL (advanced)", kind=FieldKind.URL, default=DEFAULT_BASE_URL,
                  validator=_base_url_error, help="Leave as is unless SnapTrade tells you otherwise."),
        FieldSpec(name="path_prefix", label="Path prefix (advanced)", kind=FieldKind.CHOICE, default=ROOT,
                  choices=((ROOT, "Root paths (current)"), (LEGACY, "/api/v1 (legacy, deprecated)"))),
        FieldSpec(name="user_secret", label="User secret", kind=FieldKind.SECRET, required=False, hidden=True,
                  help="Stored by the app when it registers the user; never shown."),
    ),
    factory=_create,
    rank=30,
    tools=TOOLS,
)
