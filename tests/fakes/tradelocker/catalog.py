"""The fake's instruments: every symbol of the paper market, stocks as CFDs and
currency pairs as FOREX, with TradeLocker's ids and per-user INFO/TRADE routes
(specs/tradelocker/NOTES.md section 5).

``tradableInstrumentId`` (what every call names) and the instrument ``id`` differ on
purpose, and so do the INFO and TRADE route ids: a client that mixes them is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

FOREX_PAIRS = ("EURUSD", "GBPUSD", "USDJPY", "EURGBP", "USDCHF", "AUDUSD")


@dataclass(frozen=True)
class FakeInstrument:
    """One tradable instrument: ``tid`` (tradableInstrumentId), ``iid`` (instrument id),
    ``info_route`` / ``trade_route``, ``kind`` ("EQUITY_CFD" / "FOREX"), contract
    size (``lot_size``: units per lot), ``lot_step``/``min_lot``/``max_lot`` (lots),
    ``tick`` (price step), ``leverage``, ``base`` / ``quote`` currencies."""

    symbol: str
    description: str
    tid: int
    iid: int
    info_route: int
    trade_route: int
    kind: str
    lot_size: Decimal
    lot_step: Decimal
    min_lot: Decimal
    max_lot: Decimal
    tick: Decimal
    leverage: Decimal
    base: str
    quote: str
    session_id: int
    status_id: int

    def listing(self) -> dict[str, Any]:
        """Its entry in ``/trade/accounts/{id}/instruments`` (an object, not a row)."""
        return {"tradableInstrumentId": self.tid, "id": self.iid, "name": self.symbol,
                "description": self.description, "type": self.kind, "tradingExchange": "TL-FAKE",
                "marketDataExchange": "TL-FAKE", "country": None, "logoUrl": None, "localizedName": self.symbol,
                "routes": [{"id": self.info_route, "type": "INFO"}, {"id": self.trade_route, "type": "TRADE"}],
                "barSource": "BID", "hasIntraday": True, "hasDaily": True}

    def details(self) -> dict[str, Any]:
        """``d`` of ``GET /trade/instruments/{tradableInstrumentId}``."""
        return {"tradableInstrumentId": self.tid, "id": self.iid, "name": self.symbol,
                "description": self.description, "type": self.kind, "baseCurrency": self.base,
                "quotingCurrency": self.quote, "lotSize": str(self.lot_size), "lotStep": str(self.lot_step),
                "minLot": str(self.min_lot), "maxLot": str(self.max_lot), "leverage": str(self.leverage),
                "tickSize": [{"leftRangeLimit": None, "rightRangeLimit": None, "value": str(self.tick)}],
                "pipSize": str(self.tick * 10) if self.kind == "FOREX" else str(self.tick),
                "tradeSessionId": self.session_id, "tradeSessionStatusId": self.status_id,
                "marketDataExchange": "TL-FAKE", "tradingExchange": "TL-FAKE", "barSource": "BID",
                "hasIntraday": True, "hasDaily": True}


STOCKS = {"AAPL": "Apple Inc. (CFD)", "MSFT": "Microsoft Corporation (CFD)", "IBM": "IBM (CFD)",
          "GOOG": "Google Inc. (CFD)", "FB": "Facebook, Inc. (CFD)"}
PAIR_NAMES = {"EURUSD": "Euro vs US Dollar", "GBPUSD": "British Pound vs US Dollar",
              "USDJPY": "US Dollar vs Japanese Yen", "EURGBP": "Euro vs British Pound",
              "USDCHF": "US Dollar vs Swiss Franc", "AUDUSD": "Australian Dollar vs US Dollar"}
OPEN_STATUS = 71
SESSIONS = {1: "Stocks CFD 09:30-16:00 America/New_York", 2: "Forex 24x5"}


def build_catalog(symbols: tuple[str, ...]) -> list[FakeInstrument]:
    """The instruments of the market's ``symbols`` (stocks and any forex pairs)."""
    out = []
    for n, sym in enumerate(sorted(symbols)):
        forex = sym in FOREX_PAIRS
        tick = Decimal("0.001") if sym.endswith("JPY") else Decimal("0.00001") if forex else Decimal("0.01")
        out.append(FakeInstrument(
            symbol=sym, description=PAIR_NAMES.get(sym) or STOCKS.get(sym, sym), tid=200 + 7 * n, iid=5000 + n,
            info_route=450 + 2 * n, trade_route=451 + 2 * n + 1000, kind="FOREX" if forex else "EQUITY_CFD",
            lot_size=Decimal(100000) if forex else Decimal(1), lot_step=Decimal("0.01"), min_lot=Decimal("0.01"),
            max_lot=Decimal(100) if forex else Decimal(100000), tick=tick,
            leverage=Decimal(30) if forex else Decimal(5), base=sym[:3] if forex else sym,
            quote=sym[3:] if forex else "USD", session_id=2 if forex else 1, status_id=OPEN_STATUS))
    return out
