"""The watchlist's n-day momentum column and the small provider it reads.

:class:`MomentumValues` holds, per symbol, the momentum computed elsewhere (the
Portfolio panel loads daily bars and runs :func:`desktop.domain.analytics.closes_momentum`)
and the name of the market-data source the bars came from; :func:`momentum_column`
is the :class:`~desktop.ui.tables.columns.Column` that shows it (blank, never 0, where
bars are missing)."""

from __future__ import annotations

from decimal import Decimal

from .columns import Column, sign_color
from .formatting import fmt_pct


class MomentumValues:
    """Momentum per symbol: ``days`` (n), ``set(symbol, fraction | None, source, note)``,
    ``value(symbol)`` in percent (None when unknown), ``header_tip()``."""

    def __init__(self, days: int = 20) -> None:
        self.days = days
        self._values: dict[str, tuple[Decimal | None, str, str]] = {}

    def clear(self) -> None:
        """Forget every value (a reload is under way)."""
        self._values.clear()

    def set(self, symbol: str, fraction: Decimal | None, source: str, note: str = "") -> None:
        """``symbol``'s momentum as a fraction (None: unknown) from ``source``'s bars;
        ``note`` says why it is unknown."""
        self._values[symbol] = (fraction, source, note)

    def value(self, symbol: str) -> Decimal | None:
        """``symbol``'s momentum in percent, or None when unknown."""
        got = self._values.get(symbol)
        return None if got is None or got[0] is None else got[0] * 100

    def sources(self) -> list[str]:
        """The distinct source names, in first-seen order."""
        return list(dict.fromkeys(s for _v, s, _n in self._values.values() if s))

    def tooltip(self, symbol: str) -> str:
        """A cell's tooltip: where the value came from, or why it is blank."""
        got = self._values.get(symbol)
        if got is None:
            return f"{self.days}-day momentum: loading…"
        value, source, note = got
        if value is None:
            return f"{self.days}-day momentum unknown: {note or 'not enough daily bars'}" + (
                f" ({source})" if source else "")
        return f"{self.days}-day momentum from daily bars of {source}"

    def header_tip(self) -> str:
        """The header's tooltip: what the figure is and where it comes from."""
        where = ", ".join(self.sources()) or "the chart's market-data source"
        return (f"{self.days}-day momentum: last close / close {self.days - 1} sessions before − 1 "
                f"(the last {self.days} daily closes, as the Connect Trade cookbook computes it), "
                f"from daily bars of {where}")

    def header(self) -> str:
        """The header text, e.g. "Mom 20d"."""
        return f"Mom {self.days}d"


def momentum_column(values: MomentumValues) -> Column:
    """The ``momentum`` column of Quote rows, reading ``values``."""
    return Column("momentum", values.header(), lambda q: values.value(q.symbol), fmt_pct, numeric=True,
                  color=sign_color, tooltip=lambda q: values.tooltip(q.symbol),
                  header_tip="n-day momentum from daily bars")
