"""The user's named watchlists, and how they are kept in settings.

:class:`Watchlists` holds the lists in the user's order, each a name and its symbols
(upper case, no duplicates, in the user's order), and which one is shown. It checks
names (not blank, not taken, at most NAME_MAX characters) and raises
:class:`WatchlistError` with a sentence a trader reads.

Settings (QSettings, no secrets): the array ``watchlists`` (``name``, ``symbols``
comma-separated) and ``watchlist/current`` (the shown list's name). A user of an
earlier version has only ``watchlist/symbols`` (one list): :func:`load_watchlists`
makes it the first list, named "Watchlist", and leaves the key as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QSettings

DEFAULT_SYMBOLS = ("AAPL", "MSFT", "IBM", "GOOG")
"""The first run's watchlist."""
DEFAULT_NAME = "Watchlist"
"""The name of the first list (also the one migrated from ``watchlist/symbols``)."""
NAME_MAX = 40
MAX_SYMBOLS = 1000
"""A list holds at most this many symbols (each one is streamed)."""

LEGACY_KEY = "watchlist/symbols"
CURRENT_KEY = "watchlist/current"
ARRAY = "watchlists"


class WatchlistError(ValueError):
    """A watchlist operation refused, with the reason in a trader's words."""


SYMBOL_MAX = 32
"""The longest symbol an instrument has (an OCC symbol is 21 characters)."""


def clean_symbols(symbols: Iterable[Any]) -> list[str]:
    """``symbols`` stripped, upper case, order kept; blanks, repeats and anything
    longer than SYMBOL_MAX (a hand-edited settings file) dropped."""
    return list(dict.fromkeys(s for s in (str(x).strip().upper() for x in symbols) if s and len(s) <= SYMBOL_MAX))


def _as_symbols(value: Any) -> list[str]:
    """A settings value as symbols: INI files give one string for a one-item list, a
    list for more, None when absent; strings are comma-separated."""
    if value is None:
        return []
    if isinstance(value, str):
        return clean_symbols(value.split(","))
    if isinstance(value, (list, tuple)):
        return clean_symbols(part for item in value for part in str(item).split(","))
    return []


class Watchlists:
    """Named lists of symbols in the user's order and the shown one (``current``)."""

    def __init__(self, lists: Iterable[tuple[str, Sequence[str]]] = (), current: str | None = None) -> None:
        self._lists: dict[str, list[str]] = {}
        for name, symbols in lists:
            name = name.strip()[:NAME_MAX]
            if name and name.casefold() not in {n.casefold() for n in self._lists}:
                self._lists[name] = clean_symbols(symbols)[:MAX_SYMBOLS]
        if not self._lists:
            self._lists[DEFAULT_NAME] = list(DEFAULT_SYMBOLS)
        self.current = current if current in self._lists else next(iter(self._lists))

    # -- reading ---------------------------------------------------------------------
    def names(self) -> list[str]:
        """The lists' names in the user's order."""
        return list(self._lists)

    def symbols(self, name: str | None = None) -> list[str]:
        """The symbols of list ``name`` (default: the shown one), a copy."""
        return list(self._lists[name if name is not None else self.current])

    def items(self) -> list[tuple[str, list[str]]]:
        """``(name, symbols)`` of every list, in order."""
        return [(n, list(s)) for n, s in self._lists.items()]

    # -- changing --------------------------------------------------------------------
    def check_name(self, name: str, renaming: str | None = None) -> str:
        """``name`` stripped, or WatchlistError saying what is wrong with it."""
        name = name.strip()
        if not name:
            raise WatchlistError("Enter a name for the watchlist")
        if len(name) > NAME_MAX:
            raise WatchlistError(f"A watchlist name has at most {NAME_MAX} characters")
        taken = {n.casefold() for n in self._lists if n != renaming}
        if name.casefold() in taken:
            raise WatchlistError(f"There is already a watchlist named {name}")
        return name

    def create(self, name: str, symbols: Sequence[str] = ()) -> str:
        """Add a list (shown from now on); returns its name. Raises WatchlistError."""
        name = self.check_name(name)
        self._lists[name] = clean_symbols(symbols)[:MAX_SYMBOLS]
        self.current = name
        return name

    def rename(self, old: str, new: str) -> str:
        """Rename list ``old`` in place; returns the new name. Raises WatchlistError."""
        new = self.check_name(new, renaming=old)
        self._lists = {(new if n == old else n): s for n, s in self._lists.items()}
        if self.current == old:
            self.current = new
        return new

    def delete(self, name: str) -> None:
        """Delete list ``name``; the one after it (else before) is shown if it was.
        Raises WatchlistError for the last list."""
        if len(self._lists) <= 1:
            raise WatchlistError("The last watchlist cannot be deleted")
        names = list(self._lists)
        at = names.index(name)
        del self._lists[name]
        if self.current == name:
            rest = list(self._lists)
            self.current = rest[min(at, len(rest) - 1)]

    def switch(self, name: str) -> None:
        """Show list ``name`` (KeyError if there is none)."""
        if name not in self._lists:
            raise KeyError(name)
        self.current = name

    def set_symbols(self, symbols: Sequence[str], name: str | None = None) -> list[str]:
        """Replace the symbols of list ``name`` (default: the shown one); returns them
        cleaned. Raises WatchlistError beyond MAX_SYMBOLS."""
        cleaned = clean_symbols(symbols)
        if len(cleaned) > MAX_SYMBOLS:
            raise WatchlistError(f"A watchlist holds at most {MAX_SYMBOLS} symbols")
        self._lists[name if name is not None else self.current] = cleaned
        return list(cleaned)


def load_watchlists(settings: QSettings) -> Watchlists:
    """The lists kept in ``settings``; with none, the earlier single list
    (``watchlist/symbols``) as "Watchlist", else the first run's default."""
    count = settings.beginReadArray(ARRAY)
    lists = []
    for i in range(count):
        settings.setArrayIndex(i)
        lists.append((str(settings.value("name", "") or ""), _as_symbols(settings.value("symbols"))))
    settings.endArray()
    lists = [(n, s) for n, s in lists if n.strip()]
    if not lists:
        legacy = settings.value(LEGACY_KEY)
        lists = [(DEFAULT_NAME, _as_symbols(legacy) if legacy is not None else list(DEFAULT_SYMBOLS))]
    current = settings.value(CURRENT_KEY)
    return Watchlists(lists, str(current) if current is not None else None)


def save_watchlists(settings: QSettings, lists: Watchlists) -> None:
    """Write ``lists`` to ``settings`` (the array replaces the previous one)."""
    settings.remove(ARRAY)
    settings.beginWriteArray(ARRAY, len(lists.names()))
    for i, (name, symbols) in enumerate(lists.items()):
        settings.setArrayIndex(i)
        settings.setValue("name", name)
        settings.setValue("symbols", ",".join(symbols))
    settings.endArray()
    settings.setValue(CURRENT_KEY, lists.current)
