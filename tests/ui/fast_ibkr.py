"""IBKR adapters made by saved connections, at test speed (imported as ``from fast_ibkr import ...``)."""

from __future__ import annotations

PACE_SCALE = 50
"""IBKR's pacing windows, this many times shorter (1 per 5 s -> 1 per 0.1 s)."""


def install_fast_ibkr(monkeypatch, scale: int = PACE_SCALE) -> type:
    """Make ``desktop.brokers.ibkr.IbkrBroker`` (what the IBKR connection spec's factory
    builds) pace ``scale`` times faster and poll every 0.1 s; returns that class. Turn
    the emulator's own 429 enforcement off (``gw.state.pacing = False``): it counts the
    real windows."""
    import desktop.brokers.ibkr as ibkr
    from desktop.brokers.ibkr.client_pacing import IBKR_PACE_RULES
    from desktop.brokers.transport import PaceRule, Pacer

    def pacer() -> Pacer:
        rules = [PaceRule(r.pattern, max_calls=r.max_calls, max_concurrent=r.max_concurrent,
                          per_seconds=r.per_seconds / scale if r.per_seconds else None) for r in IBKR_PACE_RULES]
        return Pacer(10 * scale, rules)

    class FastIbkrBroker(ibkr.IbkrBroker):
        def __init__(self, base_url: str, **kw) -> None:
            super().__init__(base_url, poll_interval=0.1, session_poll=0.1, pacer=pacer(), **kw)

    monkeypatch.setattr(ibkr, "IbkrBroker", FastIbkrBroker)
    return FastIbkrBroker
