"""Optional protocol for brokers with a simulated market clock (capabilities.replay)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

REPLAY_SPEEDS: tuple[int, ...] = (1, 2, 5, 10, 30, 60, 120, 300, 600)
"""Allowed replay speeds, in replayed minutes per wall-clock second; 0 means paused."""


class ReplayControl(Protocol):
    """A broker that replays history: its clock, speed and a reset.

    ``replay_now`` is the replayed time (aware UTC); ``replay_speed`` replayed
    minutes per wall-clock second (0 = paused); ``set_replay_speed(speed)`` raises
    ValueError for a speed not in REPLAY_SPEEDS (or 0); ``reset_account()`` deletes
    orders, fills and positions and restores the starting cash and clock.
    """

    @property
    def replay_now(self) -> datetime: ...

    @property
    def replay_speed(self) -> int: ...

    @property
    def replay_finished(self) -> bool: ...

    def set_replay_speed(self, speed: int) -> None: ...

    async def reset_account(self) -> None: ...


def replay_control(broker: object) -> ReplayControl | None:
    """``broker`` as a ReplayControl when its capabilities declare ``replay``, else None."""
    caps = getattr(broker, "capabilities", None)
    return cast(ReplayControl, broker) if caps is not None and caps.replay else None
