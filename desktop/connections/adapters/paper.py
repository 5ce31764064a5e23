"""The paper broker's declaration: the file its account lives in, and its mode (one
cash account, or the offline Financial Advisor demo: a master and four clients); the
``paper-advisor`` preset (``tradedesk --broker paper-advisor``) and the first-run
banner texts of both modes."""

from __future__ import annotations

import re
from typing import Any

from desktop.brokers import Broker

from ..spec import BrokerSpec, FieldKind, FieldSpec, Preset

DEFAULT_ACCOUNT_FILE = "paper.sqlite3"
ADVISOR_ACCOUNT_FILE = "paper-advisor.sqlite3"
MODE_SINGLE = "single"
MODE_ADVISOR = "advisor"
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _account_file_error(value: Any) -> str | None:
    name = str(value)
    if not _FILE.match(name):
        return "Account file must be a plain file name (letters, digits, '.', '-', '_'), without folders"
    if not name.endswith(".sqlite3"):
        return "Account file must end in .sqlite3"
    return None


def _create(config: dict[str, Any], secrets: dict[str, str]) -> Broker:
    from desktop.brokers.paper import PaperBroker
    from desktop.paths import data_dir

    advisor = config.get("mode") == MODE_ADVISOR
    return PaperBroker.open(data_dir() / (config.get("account_file") or DEFAULT_ACCOUNT_FILE), advisor=advisor)


_REPLAY = (
    "The paper broker replays <b>real daily prices</b> of AAPL, MSFT, IBM, GOOG and FB (2000–2013, each from "
    "its first trading day) and six currency pairs (the ECB's reference rates) as a live market; the "
    "minute-by-minute path inside each day is <b>synthetic</b>. "
)
_CONNECT = "To trade your own account, connect a real broker from <b>File → Connections…</b>"
WELCOME_TITLE = "Welcome to Tradedesk — you are on the paper broker"
WELCOME_TEXT = (
    _REPLAY + "Your paper account starts with <b>$100,000</b> of paper cash, and <b>nothing is traded for real</b>. "
    + _CONNECT
)
ADVISOR_TITLE = "Welcome to Tradedesk — you are on the paper advisor demo"
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def advisor_welcome_text() -> str:
    """The banner text of the paper advisor demo, from its fixed accounts
    (:mod:`desktop.brokers.paper.advisor_accounts`)."""
    from desktop.brokers.paper.advisor_accounts import CLIENTS, MASTER_ID

    cash = [c for _aid, _name, c in CLIENTS]
    clients = _NUMBERS.get(len(CLIENTS), str(len(CLIENTS)))
    return (
        _REPLAY + f"This is the <b>advisor demo</b>: the master account <b>{MASTER_ID}</b> manages <b>{clients} "
        f"client accounts</b> (${min(cash):,.0f} to ${max(cash):,.0f} of paper cash each). Place orders to an "
        "<b>allocation group</b> (<i>Allocate to</i> in the ticket): a group order is <b>split across the "
        "clients</b>, and Fills shows each client's share. <b>Nothing is traded for real</b>. " + _CONNECT
    )


def _welcome(config: dict[str, Any]) -> tuple[str, str]:
    if config.get("mode") == MODE_ADVISOR:
        return ADVISOR_TITLE, advisor_welcome_text()
    return WELCOME_TITLE, WELCOME_TEXT


SPEC = BrokerSpec(
    key="paper",
    display_name="Paper (embedded)",
    description="Replays real daily prices of AAPL, MSFT, IBM, GOOG and FB (2000–2013) and six currency pairs "
                "(ECB reference rates) as a live market, with $100,000 of paper cash. Nothing is traded for real.",
    fields=(
        FieldSpec(
            name="account_file",
            label="Account file",
            kind=FieldKind.TEXT,
            default=DEFAULT_ACCOUNT_FILE,
            help="Where this paper account keeps its orders, positions and replay clock, in your Tradedesk "
                 "data folder. Use another name for a separate paper account.",
            validator=_account_file_error,
            unique=True,
        ),
        FieldSpec(
            name="mode",
            label="Accounts",
            kind=FieldKind.CHOICE,
            required=False,
            default=MODE_SINGLE,
            choices=((MODE_SINGLE, "One paper account"),
                     (MODE_ADVISOR, "Advisor demo (master + 4 client accounts, allocation groups)")),
            help="The advisor demo shows how a Financial Advisor trades for clients through allocation groups. "
                 "Give it its own account file.",
        ),
    ),
    factory=_create,
    builtin=True,
    rank=0,
    presets=(Preset(key="paper-advisor", name="Paper advisor demo",
                    values={"account_file": ADVISOR_ACCOUNT_FILE, "mode": MODE_ADVISOR}),),
    welcome=_welcome,
)
