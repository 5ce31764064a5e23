"""The Connect Trade declaration: its API and market-data addresses, the four
credentials (all secrets, kept in the OS keyring), the market-data connection, and
the form's tools (create a Connect Trade user, link a brokerage in the browser,
unlink one)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from desktop.brokers import Broker

from ..spec import BrokerSpec, FieldKind, FieldSpec
from ..tools import ConnectionTool, ToolChoice, ToolResult

DEFAULT_BASE_URL = "https://api.connecttrade.com"
DEFAULT_MDSTREAM_URL = "wss://mdstream.connecttrade.com"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
BROKER_CODES = ("ALPACA", "LIGHTSPEED", "TASTYTRADE", "TRADESTATION", "TRADEZERO", "WEBULL")


def _secure(value: Any, label: str, schemes: tuple[str, str]) -> str | None:
    parts = urlsplit(str(value))
    if parts.scheme == schemes[0] or (parts.scheme == schemes[1] and parts.hostname in _LOOPBACK):
        return None
    return f"{label} must start with {schemes[0]}:// ({schemes[1]}:// only on this computer, for tests)"


def _create(config: dict[str, Any], secrets: dict[str, str]) -> Broker:
    from desktop.brokers.connecttrade import ConnectTradeBroker

    return ConnectTradeBroker(config.get("base_url") or DEFAULT_BASE_URL,
                              config.get("mdstream_url") or DEFAULT_MDSTREAM_URL,
                              client_id=secrets.get("client_id", ""), client_secret=secrets.get("client_secret", ""),
                              user_id=secrets.get("user_id", ""), user_secret=secrets.get("user_secret", ""),
                              market_data_connection=config.get("market_data_connection") or "")


async def _create_user(texts) -> ToolResult:
    """POST /users with the platform credentials: fills in the user ID and secret."""
    from desktop.brokers import BrokerError
    from desktop.brokers.connecttrade.linking import provision_user

    client_id, client_secret = str(texts.get("client_id", "")), str(texts.get("client_secret", ""))
    if not client_id or not client_secret:
        return ToolResult(message="Enter the client ID and client secret first")
    if texts.get("user_id") or texts.get("user_secret"):
        return ToolResult(message="This connection already has a user: clear User ID and User secret to create another")
    try:
        user_id, secret = await provision_user(str(texts.get("base_url") or DEFAULT_BASE_URL), client_id,
                                               client_secret)
    except BrokerError as exc:
        return ToolResult(message=f"Could not create the user: {exc.message}")
    return ToolResult(message="User created. Save the connection now: Connect Trade shows the user secret only "
                              "once, and without it the user is lost.",
                      set_values={"user_id": user_id, "user_secret": secret})


async def _with_broker(texts, action, failed: str) -> ToolResult:
    """Run ``await action(broker)`` with an adapter built from the form's texts (its
    REST client open, closed after); a BrokerError becomes "``failed``: <why>"."""
    from desktop.brokers import BrokerError
    from desktop.brokers.connecttrade import ConnectTradeBroker

    broker = ConnectTradeBroker(str(texts.get("base_url") or DEFAULT_BASE_URL),
                                client_id=str(texts.get("client_id", "")),
                                client_secret=str(texts.get("client_secret", "")),
                                user_id=str(texts.get("user_id", "")), user_secret=str(texts.get("user_secret", "")))
    try:
        await broker.rest.open()
        return await action(broker)
    except BrokerError as exc:
        return ToolResult(message=f"{failed}: {exc.message}")
    finally:
        await broker.rest.close()


async def _link(texts) -> ToolResult:
    """POST /connections for the broker in Link broker: open its link page."""
    code = str(texts.get("link_broker") or "ALPACA").strip().upper()

    async def action(broker) -> ToolResult:
        url = await broker.link_brokerage(code)
        return ToolResult(open_url=url, message=f"Approve the link to {code} in your browser, then connect")
    return await _with_broker(texts, action, f"Could not start linking {code}")


UNLINK_QUESTION = ("Unlink {label}? Its accounts leave Tradedesk and Connect Trade stops reaching that "
                   "brokerage until you link it again. Orders already working there are not cancelled.")


async def _unlink(texts) -> ToolResult:
    """Choose one of the user's linked brokerages (GET /connections), confirm, then
    DELETE /connections/{connection_id}."""
    async def action(broker) -> ToolResult:
        linked = await broker.linked_brokerages()
        if not linked:
            return ToolResult(message="This Connect Trade user has no linked brokerage")
        return ToolResult(message="Choose the brokerage to unlink", choice=ToolChoice(
            "Unlink brokerage", "Linked brokerage to unlink:", tuple(linked), then=_unlink_chosen,
            confirm=UNLINK_QUESTION))
    return await _with_broker(texts, action, "Could not list the linked brokerages")


async def _unlink_chosen(texts, connection_id: str) -> ToolResult:
    async def action(broker) -> ToolResult:
        said = await broker.unlink(connection_id)
        return ToolResult(message=(said or f"Connection {connection_id} unlinked")
                          + ". Its accounts leave the desk at the next account refresh or reconnect.")
    return await _with_broker(texts, action, f"Could not unlink {connection_id}")


TOOLS = (
    ConnectionTool("connectTradeCreateUser", "Create user", _create_user, row_label="Connect Trade:",
                   tip="Create a Connect Trade user for these platform credentials (POST /users)"),
    ConnectionTool("connectTradeLink", "Link brokerage…", _link, row_label="Connect Trade:",
                   tip="Link the brokerage named in Link broker to this user, in your browser"),
    ConnectionTool("connectTradeUnlink", "Unlink brokerage…", _unlink, row_label="Connect Trade:",
                   tip="Choose a linked brokerage and unlink it from this user (asks first)"),
)

SPEC = BrokerSpec(
    key="connecttrade",
    display_name="Connect Trade",
    description="Every brokerage account linked to your Connect Trade user (Alpaca, IBKR, tastytrade, "
                "TradeStation, Webull, Tradier, …): balances, positions, orders, and bars from its market-data stream.",
    fields=(
        FieldSpec(name="base_url", label="API address", kind=FieldKind.URL, default=DEFAULT_BASE_URL,
                  help="Connect Trade's REST API.",
                  validator=lambda v: _secure(v, "API address", ("https", "http"))),
        FieldSpec(name="mdstream_url", label="Market data address", kind=FieldKind.TEXT, default=DEFAULT_MDSTREAM_URL,
                  help="Connect Trade's market-data stream (mdstream).",
                  validator=lambda v: _secure(v, "Market data address", ("wss", "ws"))),
        FieldSpec(name="client_id", label="Client ID", kind=FieldKind.SECRET,
                  help="Your Connect Trade platform client ID."),
        FieldSpec(name="client_secret", label="Client secret", kind=FieldKind.SECRET),
        FieldSpec(name="user_id", label="User ID", kind=FieldKind.SECRET,
                  help="The Connect Trade user whose linked accounts you trade (Create user makes one)."),
        FieldSpec(name="user_secret", label="User secret", kind=FieldKind.SECRET),
        FieldSpec(name="market_data_connection", label="Market data connection", kind=FieldKind.TEXT, required=False,
                  help="The linked connection whose token opens the market-data stream; empty: the first trading one."),
        FieldSpec(name="link_broker", label="Link broker", kind=FieldKind.CHOICE, required=False, default="ALPACA",
                  choices=tuple((c, c.title()) for c in BROKER_CODES),
                  help="The brokerage Link brokerage… links (trading connection)."),
    ),
    factory=_create,
    rank=30,
    tools=TOOLS,
)
