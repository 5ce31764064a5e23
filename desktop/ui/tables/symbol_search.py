"""SymbolSearch: the watchlist's "Add symbol…" box, backed by a broker's instrument search.

As the user types, the box asks ``search(query)`` (an awaitable list of
:class:`~desktop.domain.Instrument`, best first: the window gives the market-data
connection's ``search_instruments``) and offers the matches in a completion popup,
each with its description ("FB — Facebook, Inc."). Picking one, or pressing Enter on a
symbol the search knows exactly, emits :attr:`SymbolSearch.chosen` with the
Instrument; a symbol the search does not know, or a failed search, emits
:attr:`SymbolSearch.problem` with a sentence to show, and the text stays for the user
to fix. Without a search every well-formed symbol is taken as typed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget
from pydantic import ValidationError

from desktop.brokers.errors import BrokerError, NotFoundError
from desktop.desk.tasks import spawn
from desktop.domain import AssetClass, Instrument

log = logging.getLogger(__name__)

Search = Callable[[str], Awaitable[list[Instrument]]]
"""``search(query) -> list[Instrument]``, best first (a broker's ``search_instruments``)."""

SEARCH_DELAY_MS = 150
"""Typing pauses this long before the search runs (one search per pause, not per key)."""
MAX_MATCHES = 20
"""The completion popup lists at most this many instruments."""
SYMBOL_ROLE = int(Qt.ItemDataRole.UserRole) + 1
INSTRUMENT_ROLE = int(Qt.ItemDataRole.UserRole) + 2


def describe(instrument: Instrument) -> str:
    """A completion line: "FB — Facebook, Inc." (an option by its readable name)."""
    name = instrument.display_name
    return f"{name} — {instrument.description}" if instrument.description else name


def _plain(text: str) -> str:
    """``text`` upper case without spaces, to compare symbols as typed."""
    return "".join(text.split()).upper()


def not_found(text: str) -> str:
    """What an unknown symbol gets."""
    return f"No instrument found for {text}: check the symbol; nothing was added"


class SymbolSearch(QLineEdit):
    """A line edit that completes symbols from ``search`` (None: no completion, every
    well-formed symbol accepted). Signals: ``chosen(Instrument)``, ``problem(str)``."""

    chosen = Signal(object)
    problem = Signal(str)

    def __init__(self, search: Search | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._search = search
        self._generation = 0  # a newer query makes older answers moot
        self.setPlaceholderText("Add symbol…")
        self.setClearButtonEnabled(True)
        self.setToolTip("Type a symbol or a company name, then pick a match or press Enter")
        self.matches = QStandardItemModel(self)
        """The instruments offered in the popup (one item each)."""
        self.completer_ = QCompleter(self.matches, self)
        self.completer_.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer_.setCompletionRole(SYMBOL_ROLE)
        self.completer_.setMaxVisibleItems(12)
        self.completer_.setWidget(self)
        self.completer_.activated[QModelIndex].connect(self._picked)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._complete)
        self.textEdited.connect(self._edited)
        self.returnPressed.connect(self.submit)

    def set_search(self, search: Search | None) -> None:
        """Search with ``search`` from now on (None: accept symbols as typed)."""
        self._search = search

    @property
    def has_search(self) -> bool:
        """Whether symbols are checked against a search."""
        return self._search is not None

    # ----------------------------------------------------------- completion
    def _edited(self, text: str) -> None:
        self._generation += 1
        if self._search is not None and text.strip():
            self._timer.start()
        else:
            self._timer.stop()
            self.completer_.popup().hide()

    def _complete(self) -> None:
        query, generation = self.text().strip(), self._generation
        if not query or self._search is None:
            return

        async def run() -> None:
            try:
                found = await self._search(query)
            except NotFoundError:
                found = []
            except Exception as exc:  # noqa: BLE001 - a failed search is said, never raised into Qt
                self._failed(query, exc, generation)
                return
            if generation == self._generation:
                self._offer(list(found)[:MAX_MATCHES])

        spawn(run(), name=f"symbol-search:{query}")

    def _offer(self, instruments: list[Instrument]) -> None:
        self.matches.clear()
        for inst in instruments:
            item = QStandardItem(describe(inst))
            item.setData(inst.symbol, SYMBOL_ROLE)
            item.setData(inst, INSTRUMENT_ROLE)
            item.setToolTip(inst.symbol)
            self.matches.appendRow(item)
        if instruments and self.hasFocus():
            popup = self.completer_.popup()
            fm = popup.fontMetrics()
            widest = max(fm.horizontalAdvance(describe(i)) for i in instruments)
            popup.setMinimumWidth(min(max(self.width(), widest + 32), 520))  # descriptions whole, within reason
            self.completer_.complete()
        else:
            self.completer_.popup().hide()

    def _picked(self, index: QModelIndex) -> None:
        inst = index.data(INSTRUMENT_ROLE)
        if isinstance(inst, Instrument):
            self._generation += 1
            self._timer.stop()
            self.chosen.emit(inst)

    # ------------------------------------------------------------- Enter
    def submit(self) -> None:
        """Enter: add the typed symbol if the search knows it exactly (else say so)."""
        text = self.text().strip()
        if not text or self.completer_.popup().isVisible() and self.completer_.popup().currentIndex().isValid():
            return  # the popup's pick is handled by _picked
        self._timer.stop()
        self.completer_.popup().hide()
        self._generation += 1
        generation = self._generation
        if self._search is None:
            try:
                self.chosen.emit(Instrument.equity(text))
            except ValidationError:
                self.problem.emit(f"{text} is not a symbol: use letters, digits, dots or dashes")
            return

        async def run() -> None:
            try:
                found = await self._search(text)
            except Exception as exc:  # noqa: BLE001
                self._failed(text, exc, generation)
                return
            if generation != self._generation:
                return
            typed = _plain(text)  # "aapl", or an OCC symbol typed without its padding
            pair = typed.replace("/", "")  # "EUR/USD" as a trader writes it, for the pair EURUSD
            exact = next((i for i in found if typed in (_plain(i.symbol), _plain(i.display_name))
                          or (i.asset_class is AssetClass.FOREX and pair == _plain(i.symbol))), None)
            if exact is not None:
                self.chosen.emit(exact)
            else:
                self.problem.emit(not_found(text))
                self._offer(list(found)[:MAX_MATCHES])

        spawn(run(), name=f"symbol-check:{text}")

    def _failed(self, query: str, exc: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        if isinstance(exc, NotFoundError):
            self.problem.emit(not_found(query))
        elif isinstance(exc, BrokerError):
            self.problem.emit(f"Could not look up {query}: {exc.message}")
        else:
            log.error("symbol search for %r failed", query, exc_info=exc)
            self.problem.emit(f"Could not look up {query} (the search failed; see the log)")
