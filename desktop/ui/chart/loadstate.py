"""What the chart says over its plot while it loads, when it has nothing to draw, and
after a load failed (Qt-free).

:class:`LoadState` holds what is drawn (``shown_*``), whether a newer selection is
loading, the last error and the caller's notice; :meth:`LoadState.message` turns
that into one message and its kind, for :class:`~.overlay.ChartMessage`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LoadState:
    """The chart's loading state.

    ``shown_symbol``/``shown_label``: the selection the bars on screen are of ("" for
    none yet; the label as the toolbar writes the interval: "1m", "1D"); ``has_bars``:
    any bars are drawn; ``loading``: a selection other than the shown one was asked
    for and its bars have not come; ``error``: the last failure, said until it is
    dismissed; ``notice``: the caller's note (e.g. no connected broker serves bars);
    ``source``: the name of the connection the bars come from ("" unknown).
    """

    shown_symbol: str = ""
    shown_label: str = ""
    has_bars: bool = False
    loading: bool = False
    error: str = ""
    notice: str = ""
    source: str = ""

    def message(self, selected_symbol: str, selected_label: str) -> tuple[str, str]:
        """``(text, kind)`` to show over the plot (kind "info", "notice" or "error";
        ``("", "")`` for none), given the selection (symbol, interval label)."""
        if self.error:
            return self.error, "error"
        if self.loading and selected_symbol:
            src = f" from {self.source}" if self.source else ""
            return f"Loading {selected_symbol} · {selected_label}{src}…", "info"
        if self.has_bars:
            return "", ""
        if self.notice:
            return self.notice, "notice"
        if self.shown_symbol:
            src = self.source or "this connection"
            return (f"No price history for {self.shown_symbol} ({self.shown_label}) in this period: "
                    f"{src} has no bars of it (it may not have traded yet)."), "notice"
        return "", ""


def failure_text(symbol: str, label: str, reason: str, drawn: str) -> str:
    """What the chart says when loading ``symbol`` at ``label`` failed for ``reason``
    while ``drawn`` (a symbol, "" for none) stays on screen."""
    reason = reason.strip().rstrip(".") or "the broker did not answer"
    back = f" Showing {drawn} again." if drawn else ""
    return f"Could not load {symbol} · {label}: {reason}.{back}"
