"""The paper broker's declaration: the file its account lives in, and its mode (one
cash account, or the offline Financial Advisor demo: a master and four clients)."""

from __future__ import annotations

import re
from typing import Any

from desktop.brokers import Broker

from .registry import register_broker
from .spec import BrokerSpec, FieldKind, FieldSpec

DEFAULT_ACCOUNT_FILE = "paper.sqlite3"
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


PAPER = register_broker(BrokerSpec(
    key="paper",
    display_name="Paper (embedded)",
    description="Replays real daily prices of AAPL, MSFT, IBM and GOOG (2000–2013) as a live market, with "
                "$100,000 of paper cash. Nothing is traded for real.",
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
))
