"""Contracts: symbols to IBKR conids and back, instrument search, option conids.

Endpoints (CPAPI v1, ``specs/ibkr-cpapi/NOTES.md`` section 6):

- ``GET /iserver/secdef/search?symbol=AAPL&secType=STK`` -> ``[{"conid": "265598"
  (a string here), "symbol", "companyName", "sections": [{"secType": "OPT", "months":
  "OCT24;NOV24"}], ...}]``;
- ``GET /trsrv/stocks?symbols=AAPL`` -> ``{"AAPL": [{"name", "contracts": [{"conid":
  265598, "exchange", "isUS"}]}]}`` (fallback when search finds nothing);
- options: search the underlying, then ``GET /iserver/secdef/strikes?conid&sectype=OPT
  &month=NOV26`` (primes the month; search must come first) and ``GET
  /iserver/secdef/info?conid&sectype=OPT&month&strike&right=C|P&exchange=SMART`` ->
  one record per expiry in the month: ``[{"conid", "maturityDate": "20261120",
  "strike", "right", "multiplier": "100", ...}]``.

Conids are cached per :class:`ConidCache` (one per session).
"""

from __future__ import annotations

from typing import Any

from desktop.brokers.errors import NotFoundError
from desktop.domain import Instrument, OptionContract
from desktop.domain.occ import OccSymbolError, parse_occ

from .parse import PAYLOADS, text, to_date, to_decimal, to_int
from .requester import Requester


def instrument_for(symbol: str, conid: int | str | None, *, description: str = "", exchange: str | None = None,
                   currency: str = "USD") -> Instrument:
    """The equity :class:`Instrument` of ``symbol`` with ``broker_id = str(conid)``."""
    return Instrument.equity(symbol, broker_id=None if conid in (None, "") else str(conid),
                             description=description, exchange=exchange or None, currency=currency or "USD")


class ConidCache:
    """Symbol <-> conid lookups through ``client``, cached for the session.

    ``await conid(symbol)`` -> int; ``await instrument(symbol)`` -> Instrument with the
    conid as ``broker_id``; ``await search(query)`` -> equities best first;
    ``await option_conid(occ_symbol)`` -> the option's conid. ``remember(symbol, conid)``
    seeds the cache from payloads that carry both (orders, positions). Unknown
    symbols raise :class:`NotFoundError`.
    """

    def __init__(self, client: Requester) -> None:
        self._client = client
        self._conids: dict[str, int] = {}
        self._instruments: dict[str, Instrument] = {}
        self._names: dict[str, str] = {}

    def remember(self, symbol: str, conid: int, instrument: Instrument | None = None) -> None:
        """Record a known symbol/conid pair (e.g. from a live order or position row)."""
        key = symbol.strip().upper()
        self._conids.setdefault(key, conid)
        if instrument is not None:
            self._instruments.setdefault(key, instrument)

    async def conid(self, symbol: str) -> int:
        """The conid of the US stock ``symbol``. Raises NotFoundError."""
        return (await self._resolve(symbol))[0]

    async def instrument(self, symbol: str) -> Instrument:
        """The equity Instrument of ``symbol`` (``broker_id`` = conid). Raises NotFoundError."""
        key = symbol.strip().upper()
        if key in self._instruments:
            return self._instruments[key]
        conid, description = await self._resolve(key)
        inst = instrument_for(key, conid, description=description)
        self._instruments[key] = inst
        return inst

    async def _resolve(self, symbol: str) -> tuple[int, str]:
        key = symbol.strip().upper()
        if not key:
            raise NotFoundError("No symbol given")
        if key in self._conids:
            return self._conids[key], self._names.get(key, "")
        rows = await self._search_rows_for(key)
        for row in rows:
            conid = to_int(row.get("conid"), "conid", row)
            if conid is not None and text(row.get("symbol")).upper() == key:
                self.remember(key, conid)
                self._names[key] = text(row.get("companyName"))
                return conid, self._names[key]
        conid, name = await self._from_stocks(key)
        self.remember(key, conid)
        self._names[key] = name
        return conid, name

    async def _search_rows_for(self, symbol: str) -> list[dict[str, Any]]:
        try:
            payload = await self._client.request("GET", "/iserver/secdef/search",
                                                 params={"symbol": symbol, "secType": "STK"})
        except NotFoundError:
            return []
        if not isinstance(payload, list):
            if payload not in (None, {}, []):
                PAYLOADS.skip(f"a secdef/search answer for {symbol} that is not a list", payload)
            return []
        return [row for row in payload if isinstance(row, dict)]

    async def _from_stocks(self, symbol: str) -> tuple[int, str]:
        try:
            payload = await self._client.request("GET", "/trsrv/stocks", params={"symbols": symbol})
        except NotFoundError:
            payload = None
        found = stock_conid(payload, symbol)
        if found is None:
            raise NotFoundError(f"IBKR does not know the symbol {symbol}", raw=payload)
        return found

    async def search(self, query: str) -> list[Instrument]:
        """Stocks whose symbol or name matches ``query``: exact symbol first, then the
        gateway's order. Rows without a readable conid or symbol are skipped (logged)."""
        q = query.strip().upper()
        if not q:
            return []
        rows = await self._search_rows_for(q)
        found: list[Instrument] = []
        seen: set[str] = set()
        for row in rows:
            inst = search_row(row)
            if inst is None or inst.symbol in seen:
                continue
            seen.add(inst.symbol)
            self.remember(inst.symbol, int(inst.broker_id or 0), inst)
            found.append(inst)
        found.sort(key=lambda i: i.symbol != q)
        return found

    async def option_conid(self, occ_symbol: str) -> int:
        """The conid of the option ``occ_symbol`` (padded or unpadded OCC symbol).

        Flow: search the underlying, ``/iserver/secdef/strikes`` for the month (e.g.
        "NOV26"), then ``/iserver/secdef/info`` with strike and right, choosing the
        record whose ``maturityDate`` is the OCC expiry. Raises NotFoundError when the
        symbol is malformed, the strike is not listed or no expiry matches.
        """
        try:
            contract = parse_occ(occ_symbol)
        except (OccSymbolError, TypeError) as exc:
            raise NotFoundError(f"Not an option symbol: {occ_symbol} ({exc})") from None
        key = contract.occ_symbol
        if key in self._conids:
            return self._conids[key]
        underlying = await self.conid(contract.underlying)
        month = contract.expiry.strftime("%b%y").upper()
        strike_text = f"{contract.strike.normalize():f}"
        base = {"conid": str(underlying), "sectype": "OPT", "month": month}
        strikes = await self._client.request("GET", "/iserver/secdef/strikes", params={**base, "exchange": "SMART"})
        side = "call" if contract.right.letter == "C" else "put"
        listed = strikes.get(side) if isinstance(strikes, dict) else None
        if isinstance(listed, list) and listed:
            values = {to_decimal(v, "strike", strikes) for v in listed if not isinstance(v, (dict, list))}
            if contract.strike not in values:
                raise NotFoundError(f"IBKR lists no {month} {strike_text} {side} for {contract.underlying}", raw=strikes)
        info = await self._client.request("GET", "/iserver/secdef/info", params={
            **base, "strike": strike_text, "right": contract.right.letter, "exchange": "SMART"})
        rows = info if isinstance(info, list) else [info] if isinstance(info, dict) else []
        for row in rows:
            if not isinstance(row, dict):
                continue
            if to_date(row.get("maturityDate"), "maturityDate", row) != contract.expiry:
                continue
            conid = to_int(row.get("conid"), "conid", row)
            if conid is not None:
                self.remember(key, conid)
                return conid
        raise NotFoundError(f"IBKR has no option {contract.describe()}", raw=info)

    async def option_instrument(self, occ_symbol: str) -> Instrument:
        """The option Instrument of ``occ_symbol`` with its conid as ``broker_id``."""
        conid = await self.option_conid(occ_symbol)
        contract: OptionContract = parse_occ(occ_symbol)
        return Instrument.for_option(contract, broker_id=str(conid))


@PAYLOADS.item("/trsrv/stocks answer")
def stock_conid(payload: Any, symbol: str) -> tuple[int, str] | None:
    """``(conid, name)`` of ``symbol`` in a ``GET /trsrv/stocks`` answer (US listings
    first), or None when it lists none readable."""
    entries = payload.get(symbol) if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        listed = entry.get("contracts")
        contracts = [c for c in (listed if isinstance(listed, list) else ()) if isinstance(c, dict)]
        contracts.sort(key=lambda c: c.get("isUS") is not True)
        for c in contracts:
            conid = to_int(c.get("conid"), "conid", entry)
            if conid is not None:
                return conid, text(entry.get("name"))
    return None


@PAYLOADS.item("secdef/search row")
def search_row(row: Any) -> Instrument | None:
    """The stock a ``GET /iserver/secdef/search`` row describes (``broker_id`` = its
    conid), or None: no readable symbol or conid, not a stock, an invalid symbol."""
    if not isinstance(row, dict):
        return None
    symbol = text(row.get("symbol")).upper()
    conid = to_int(row.get("conid"), "conid", row)
    sections = row.get("sections") if isinstance(row.get("sections"), list) else []
    is_stock = not sections or any(isinstance(s, dict) and s.get("secType") == "STK" for s in sections)
    if not symbol or conid is None or not is_stock:
        return None
    try:
        return instrument_for(symbol, conid, description=text(row.get("companyName")))
    except ValueError:
        PAYLOADS.skip("an invalid symbol")
        return None


def conid_of(instrument: Instrument) -> int | None:
    """The conid stored in ``instrument.broker_id``, or None."""
    try:
        return int(instrument.broker_id) if instrument.broker_id else None
    except ValueError:
        return None


async def conid_for(cache: ConidCache, instrument: Instrument) -> int:
    """The conid to trade ``instrument``: its ``broker_id`` when set, else a lookup
    (option by OCC symbol, equity by symbol). Raises NotFoundError."""
    known = conid_of(instrument)
    if known is not None:
        return known
    if instrument.is_option:
        return await cache.option_conid(instrument.symbol)
    return await cache.conid(instrument.symbol)


__all__ = ["ConidCache", "conid_for", "conid_of", "instrument_for", "search_row", "stock_conid"]
