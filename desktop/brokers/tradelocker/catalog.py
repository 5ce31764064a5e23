"""The instruments of a TradeLocker login (specs/tradelocker/NOTES.md section 5):
``GET /trade/accounts/{accountId}/instruments`` (objects with
``tradableInstrumentId`` and per-user ``routes`` of type INFO / TRADE), cached per
connection, and each instrument's details (``GET /trade/instruments/{id}`` on its
INFO route: contract size, lot step, minimum lot, tick size) fetched once, when
it is first resolved.

A symbol resolves to its instrument here and nowhere else: market-data and order
calls take the ids and routes from :meth:`Catalog.resolve`, never from a guess.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from desktop.brokers.errors import NotFoundError
from desktop.domain import AssetClass, Instrument, QuantityUnit

from . import parse
from .parse import PAYLOADS


@dataclass
class Listed:
    """One entry of the instruments list: ``tid`` (tradableInstrumentId, text),
    ``symbol``, ``description``, ``kind`` (TradeLocker's type), ``routes`` ((type,
    id) pairs), and the full :class:`Instrument` once its details are known."""

    tid: str
    symbol: str
    description: str
    kind: str
    routes: tuple[tuple[str, str], ...]
    details: Mapping[str, Any] | None = None
    instrument: Instrument | None = None
    session_status_id: str | None = None

    @property
    def info_route(self) -> str | None:
        return next((rid for kind, rid in self.routes if kind == "INFO"), None)

    @property
    def trade_route(self) -> str | None:
        return next((rid for kind, rid in self.routes if kind == "TRADE"), None)


@PAYLOADS.item("instrument")
def read_listed(raw: Any) -> Listed | None:
    """An instruments-list entry, or None (logged) when unreadable."""
    if not isinstance(raw, Mapping):
        PAYLOADS.skip("not an object")
        return None
    tid = parse.ident(raw.get("tradableInstrumentId"), "tradableInstrumentId")
    symbol = parse.text(raw.get("name")).upper()
    routes = []
    for route in raw.get("routes") or ():
        if isinstance(route, Mapping) and route.get("type") in ("INFO", "TRADE"):
            rid = parse.ident(route.get("id"), "routes.id")
            if rid is not None:
                routes.append((str(route["type"]), rid))
    if tid is None or not symbol or len(symbol) > 32:
        PAYLOADS.skip("no tradableInstrumentId or name")
        return None
    return Listed(tid, symbol, parse.text(raw.get("description")), parse.text(raw.get("type")), tuple(routes))


def instrument_of(listed: Listed, details: Mapping[str, Any]) -> Instrument:
    """The domain Instrument from a listing and its details: quantities in lots of
    ``lotSize`` units (the contract size, :attr:`Instrument.multiplier`), stepping by
    ``lotStep`` from ``minLot``; prices on the first ``tickSize`` value."""
    def dec(name: str, default: str) -> Decimal:
        value = parse.decimal(details.get(name), name)
        return value if value is not None and value > 0 else Decimal(default)

    tick = None
    ticks = details.get("tickSize")
    if isinstance(ticks, list) and ticks and isinstance(ticks[0], Mapping):
        tick = parse.decimal(ticks[0].get("value"), "tickSize.value")
    elif ticks is not None:
        tick = parse.decimal(ticks, "tickSize")
    kind = listed.kind.upper()
    return Instrument(
        symbol=listed.symbol, asset_class=AssetClass.FOREX if kind == "FOREX" else AssetClass.CFD,
        currency=parse.text(details.get("quotingCurrency")).upper()[:3] or "USD",
        exchange=parse.text(details.get("tradingExchange")) or None, description=listed.description,
        tick_size=tick if tick is not None and tick > 0 else Decimal("0.00001"),
        lot_size=dec("lotStep", "0.01"), multiplier=dec("lotSize", "1"), min_amount=dec("minLot", "0.01"),
        quantity_unit=QuantityUnit.LOTS, broker_id=listed.tid, routes=listed.routes)


@dataclass
class Catalog:
    """Instruments of one connection: by symbol and by tradableInstrumentId.
    ``fetch_details(listed)`` returns the details object of one instrument."""

    fetch_details: Callable[[Listed], Awaitable[Any]]
    by_symbol: dict[str, Listed] = field(default_factory=dict)
    by_tid: dict[str, Listed] = field(default_factory=dict)

    def load(self, body: Any) -> int:
        """Take the instruments answer (``d``: {"instruments": [...]}); returns how
        many were read."""
        items = body.get("instruments") if isinstance(body, Mapping) else None
        self.by_symbol.clear()
        self.by_tid.clear()
        for raw in items if isinstance(items, list) else ():
            listed = read_listed(raw)
            if listed is not None:
                self.by_symbol.setdefault(listed.symbol, listed)
                self.by_tid[listed.tid] = listed
        return len(self.by_tid)

    def listed(self, symbol: str) -> Listed:
        """The listing of ``symbol``. Raises NotFoundError naming it."""
        found = self.by_symbol.get(symbol.strip().upper())
        if found is None:
            raise NotFoundError(f"TradeLocker lists no instrument {symbol.strip().upper()!r} for this account")
        return found

    async def resolve(self, symbol: str) -> Listed:
        """The listing of ``symbol`` with its details and Instrument loaded."""
        listed = self.listed(symbol)
        await self.complete(listed)
        return listed

    async def complete(self, listed: Listed) -> Instrument:
        if listed.instrument is None:
            details = await self.fetch_details(listed)
            details = details if isinstance(details, Mapping) else {}
            listed.details = details
            listed.session_status_id = parse.ident(details.get("tradeSessionStatusId"), "tradeSessionStatusId")
            listed.instrument = instrument_of(listed, details)
        return listed.instrument

    def instrument_by_tid(self, tid: str | None) -> Instrument | None:
        """The Instrument of an id seen in a row: complete when resolved, else one
        built from the listing alone (lots, routes; default steps)."""
        listed = self.by_tid.get(tid or "")
        if listed is None:
            return None
        return listed.instrument or instrument_of(listed, {})

    def search(self, query: str) -> list[Listed]:
        """Listings matching ``query``, best first: exact symbol, symbol prefix,
        substring of symbol or description. Blank: all."""
        q = query.strip().upper()
        ranked = []
        for listed in self.by_tid.values():
            desc = listed.description.upper()
            if not q or listed.symbol == q:
                score = 0
            elif listed.symbol.startswith(q):
                score = 1
            elif q in listed.symbol or q in desc:
                score = 2
            else:
                continue
            ranked.append((score, listed.symbol, listed))
        return [item for *_k, item in sorted(ranked, key=lambda r: r[:2])]
