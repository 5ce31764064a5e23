"""Column maps from ``GET /trade/config`` (specs/tradelocker/NOTES.md section 4).

Lists come back as arrays of arrays; which value is which comes from
``config[<x>Config].columns[*].id``, never from a hard-coded order. A row of another
length than its config is read as far as both go and the mismatch is noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop.brokers.errors import BrokerError

from .parse import PAYLOADS

KINDS = ("positionsConfig", "ordersConfig", "ordersHistoryConfig", "filledOrdersConfig", "accountDetailsConfig")


@dataclass(frozen=True)
class ColumnMaps:
    """The column ids of each list, in the server's order."""

    columns: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_config(cls, config: Any) -> "ColumnMaps":
        """Read ``d`` of /trade/config. Raises BrokerError when a config the adapter
        needs has no readable columns (nothing could be zipped)."""
        if not isinstance(config, Mapping):
            raise BrokerError("TradeLocker's /trade/config answer is not an object", raw=config)
        out: dict[str, tuple[str, ...]] = {}
        for kind in KINDS:
            block = config.get(kind)
            columns = block.get("columns") if isinstance(block, Mapping) else None
            ids = tuple(str(c.get("id")) for c in columns or () if isinstance(c, Mapping) and c.get("id"))
            if not ids:
                raise BrokerError(f"TradeLocker's /trade/config has no columns for {kind}", raw=block)
            out[kind] = ids
        return cls(out)

    def zip(self, kind: str, row: Any) -> dict[str, Any] | None:
        """``row`` (an array) as {column id: value} per ``kind``'s columns; None
        (noted) when it is not an array."""
        if not isinstance(row, list):
            PAYLOADS.problem(f"{kind} row is not an array")
            return None
        columns = self.columns[kind]
        if len(row) != len(columns):
            PAYLOADS.problem(f"{kind} row has {len(row)} values for {len(columns)} columns")
        return dict(zip(columns, row))
