"""Where the paper broker keeps its accounts between runs.

:class:`AccountStore` is the broker's :class:`~.store.PaperStore` once opened when it
has a file, and nothing when it has none (``path`` None: in memory only): every save
is then a no-op and every load finds nothing. Each save is one state change in one
transaction (the new order snapshots and fills, every account's engine with its
ledger, the clock), so a crash never leaves half of one; a save that fails (a full
disk) keeps its events and writes them with the next save.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from desktop.domain import Account, Fill, Order

from ..errors import UnavailableError
from .engine_rebuild import stale_reason
from .matching import MatchingEngine
from .replay import ReplayClock
from .store import PaperStore, StepHook, StoreConflictError

log = logging.getLogger(__name__)


class AccountStore:
    """The saved state of the paper accounts (``account_id``: the plain account's) and
    the replay clock. ``step_hook``: passed to the store when opened (tests only)."""

    def __init__(self, path: Path | None, account_id: str) -> None:
        self.path = path
        self.account_id = account_id
        self._store: PaperStore | None = None
        self._pending: list[Order | Fill] = []
        self.step_hook: StepHook | None = None

    @property
    def pending(self) -> bool:
        """Whether events of a failed save wait for the next one."""
        return bool(self._pending)

    def open(self) -> None:
        """Open the file (creating it and its folder); nothing without a path."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._store = PaperStore(self.path, step_hook=self.step_hook)

    def close(self) -> None:
        """Close the file (until :meth:`open` again)."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def load_clock(self) -> dict[str, Any] | None:
        """The saved replay clock state, None when there is none."""
        return self._store.load_clock() if self._store else None

    def load_history(self, account_id: str) -> tuple[list[Order], list[Fill]]:
        """The stored orders (oldest first) and fills of ``account_id`` (e.g. a client,
        or an allocation group's group orders); unreadable rows are logged and skipped."""
        if self._store is None:
            return [], []
        return self._store.load_orders(account_id), self._store.load_fills(account_id)

    def id_floor(self, prefix: str = "", order_letter: str = "O") -> tuple[int, int]:
        """The highest order and fill numbers stored under ids of that shape (see
        :meth:`PaperStore.id_floor`): new ids must be above them."""
        return self._store.id_floor(prefix, order_letter) if self._store else (0, 0)

    def load_engine(self, account_id: str, orders: Sequence[Order], fills: Sequence[Fill]) -> MatchingEngine | None:
        """The saved matching engine of ``account_id`` over its stored ``orders`` and
        ``fills``; None when nothing is saved, or when the saved state is unreadable
        or behind the history (logged: the caller rebuilds it from the history)."""
        state = self._store.load_engine(account_id) if self._store else None
        if state is None:
            return None
        try:
            engine = MatchingEngine.from_state(state, orders=orders, fills=fills)
        except Exception as exc:  # noqa: BLE001 - any unreadable state is rebuilt from the history
            log.error("paper account %s: saved state unreadable (%s: %s)", account_id, type(exc).__name__, str(exc)[:300])
            return None
        if engine.ledger.account_id != account_id:
            log.error("paper account %s: saved state is account %r's", account_id, engine.ledger.account_id)
            return None
        if why := stale_reason(engine, orders, fills):
            log.error("paper account %s: saved state is behind its history (%s)", account_id, why)
            return None
        return engine

    def save_account(self, account: Account) -> None:
        """Save the account's description."""
        if self._store:
            self._store.save_account(account)

    def save_state(self, engines: Mapping[str, MatchingEngine], clock: ReplayClock | None,
                   events: Sequence[Order | Fill] = (), *, reset: bool = False) -> None:
        """Save ``events`` (new order states and fills), the working state of every
        engine (account id -> engine) and the clock in ONE transaction; ``reset``:
        replacing everything saved (pending events dropped). Nothing without engines or a file. Raises
        UnavailableError when the file cannot be written (the events are kept and
        saved with the next call)."""
        if self._store is None or not engines:
            return
        batch = ([] if reset else self._pending) + list(events)
        try:
            self._store.save_state(batch, {aid: eng.to_state(include_history=False) for aid, eng in engines.items()},
                                   clock.to_state() if clock is not None else None, reset=reset)
        except sqlite3.Error as exc:
            self._pending = batch
            raise UnavailableError(f"the paper account could not be saved to {self.path}: {exc}") from exc
        except StoreConflictError as exc:  # never expected: ids are issued above every stored one
            self._pending = []
            log.error("paper account not saved: %s", exc)
            raise UnavailableError(f"the paper account could not be saved: {exc}") from exc
        self._pending = []
