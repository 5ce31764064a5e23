"""What the fake SnapTrade knows of the world: its brokerages and how a symbol of the
paper market looks as a SnapTrade ``UniversalSymbol`` (specs/snaptrade/api.yaml).

Every brokerage's linked account is one client account of the paper advisor demo
(DU100001-4), so all of them trade on the same simulated market as the paper broker.
Ids are deterministic UUIDs (uuid5), so a symbol keeps its id across runs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

NAMESPACE = uuid.UUID("6f1d5c1e-5b7a-4c1e-9a52-3f1c2f0e7a11")
USD = {"id": str(uuid.uuid5(NAMESPACE, "currency:USD")), "code": "USD", "name": "US Dollar"}
EXCHANGE = {"id": str(uuid.uuid5(NAMESPACE, "exchange:XNAS")), "code": "NASDAQ", "mic_code": "XNAS",
            "name": "Nasdaq", "timezone": "America/New_York", "start_time": "09:30:00", "close_time": "16:00:00",
            "suffix": None}
STOCK_TYPE = {"id": str(uuid.uuid5(NAMESPACE, "type:cs")), "code": "cs", "description": "Common Stock",
              "is_supported": True}


def uid(*parts: str) -> str:
    """A deterministic UUID (text) for ``parts``."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


@dataclass(frozen=True)
class FakeBrokerage:
    """One brokerage of the portal: ``slug`` (SnapTrade's id text, e.g. "ALPACA"),
    ``name``; ``allows_trading`` (False: a read-only brokerage), ``fractional``,
    ``paper`` (its accounts are paper accounts, ``is_paper``), ``options``;
    ``client``: the paper advisor client account its one account trades in;
    ``number``: the account number shown."""

    slug: str
    name: str
    allows_trading: bool
    fractional: bool
    paper: bool
    options: bool
    client: str
    number: str

    @property
    def id(self) -> str:
        return uid("brokerage", self.slug)

    def as_json(self) -> dict[str, Any]:
        """The ``Brokerage`` object of api.yaml."""
        return {
            "id": self.id, "slug": self.slug, "name": self.name, "display_name": self.name,
            "description": f"{self.name} (Tradedesk fake)",
            "aws_s3_logo_url": f"https://example.invalid/logos/{self.slug.lower()}.png",
            "aws_s3_square_logo_url": None, "url": f"https://example.invalid/{self.slug.lower()}",
            "enabled": True, "maintenance_mode": False, "is_degraded": False,
            "allows_trading": self.allows_trading, "allows_fractional_units": self.fractional,
            "has_reporting": True, "is_real_time_connection": True,
            "brokerage_type": {"id": uid("brokerage_type", "traditional"), "name": "Traditional Brokerage"},
            "exchanges": [], "open_url": None,
        }


BROKERAGES: tuple[FakeBrokerage, ...] = (
    FakeBrokerage("ALPACA", "Alpaca", True, True, False, False, "DU100001", "ALP-44310021"),
    FakeBrokerage("ALPACA-PAPER", "Alpaca Paper", True, True, True, False, "DU100002", "PA3KZ0TQ1"),
    FakeBrokerage("FIDELITY", "Fidelity", False, False, False, False, "DU100003", "Z24-518832"),
    FakeBrokerage("SCHWAB", "Charles Schwab", True, False, False, True, "DU100004", "8812-0047"),
)
"""Alpaca trades (fractional, notional), Alpaca Paper is a paper account, Fidelity is
read-only (``allows_trading`` False), Schwab trades whole shares and options."""


def brokerage(slug: str) -> FakeBrokerage | None:
    """The brokerage called ``slug`` (case-insensitive), or None."""
    return next((b for b in BROKERAGES if b.slug.lower() == str(slug).lower()), None)


def symbol_id(symbol: str) -> str:
    """The universal symbol id of a share symbol."""
    return uid("symbol", symbol.upper())


def universal_symbol(symbol: str, description: str = "") -> dict[str, Any]:
    """The ``UniversalSymbol`` of a share of the paper market."""
    return {"id": symbol_id(symbol), "symbol": symbol, "raw_symbol": symbol, "description": description or symbol,
            "currency": USD, "exchange": EXCHANGE, "type": STOCK_TYPE, "figi_code": None, "figi_instrument": None,
            "currencies": [USD]}
