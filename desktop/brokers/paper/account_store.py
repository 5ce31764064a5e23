"""Where the paper broker keeps its account between runs.

:class:`AccountStore` is the broker's :class:`~.store.PaperStore` once opened when it
has a file, and nothing when it has none (``path`` None: in memory only): every save
is then a no-op and every load finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop.domain import Account, Fill, Order

from .matching import MatchingEngine
from .replay import ReplayClock
from .store import PaperStore


class AccountStore:
    """The saved state of one paper account (``account_id``) and the replay clock."""

    def __init__(self, path: Path | None, account_id: str) -> None:
        self.path = path
        self.account_id = account_id
        self._store: PaperStore | None = None

    def open(self) -> None:
        """Open the file (creating it and its folder); nothing without a path."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._store = PaperStore(self.path)

    def close(self) -> None:
        """Close the file (until :meth:`open` again)."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def reset(self) -> None:
        """Delete everything saved."""
        if self._store is not None:
            self._store.reset()

    def load_clock(self) -> dict[str, Any] | None:
        """The saved replay clock state, None when there is none."""
        return self._store.load_clock() if self._store else None

    def load_engine(self, account_id: str | None = None) -> MatchingEngine | None:
        """The saved matching engine of ``account_id`` (default: this store's account)
        with its orders and fills, None when there is none.
        Raises KeyError / ValueError / TypeError when the saved state is unreadable."""
        store, account_id = self._store, account_id or self.account_id
        state = store.load_engine(account_id) if store else None
        if state is None:
            return None
        return MatchingEngine.from_state(state, orders=store.load_orders(account_id),
                                         fills=store.load_fills(account_id))

    def load_orders(self, account_id: str) -> list[Order]:
        """The saved orders of ``account_id`` (e.g. an allocation group), oldest first."""
        return self._store.load_orders(account_id) if self._store else []

    def save_account(self, account: Account) -> None:
        """Save the account's description."""
        if self._store:
            self._store.save_account(account)

    def save_clock(self, clock: ReplayClock | None) -> None:
        """Save the replay clock (nothing without one)."""
        if self._store is not None and clock is not None:
            self._store.save_clock(clock.to_state())

    def save_state(self, engine: MatchingEngine | Sequence[MatchingEngine] | None, clock: ReplayClock | None,
                   events: Sequence[Order | Fill] = ()) -> None:
        """Save ``events`` (new order states and fills), then the working state of the
        engine (or of each engine, keyed by its ledger's account) and the clock;
        nothing without an engine."""
        if self._store is None or not engine:
            return
        if events:
            self._store.save_events(events)
        for eng in [engine] if isinstance(engine, MatchingEngine) else engine:
            key = self.account_id if isinstance(engine, MatchingEngine) else eng.ledger.account_id
            self._store.save_engine(key, eng.to_state(include_history=False))
        self.save_clock(clock)
