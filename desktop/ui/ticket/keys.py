"""Enter submits the order from any field of the ticket.

One :class:`QShortcut` (Return and the keypad's Enter, not auto-repeated) bound to the
ticket and its children, described (``whatsThis``) so Help → Keyboard Shortcuts lists
it. While a list is open (the symbol's completions, a drop-down, the account search)
Enter picks from it as usual and sends nothing; a second Enter submits.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

SUBMIT_KEYS = (QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter))
SUBMIT_TIP = "Submit the order (from any field of the ticket)"


class EnterSubmits(QObject):
    """Enter in ``ticket`` calls ``submit()`` (see the module docstring).

    ``picking()``: True while a field of the ticket takes Enter for itself (the account
    search being typed); that field then gets the key (``picking_widget()``).
    """

    def __init__(self, ticket: QWidget, submit: Callable[[], None], *, picking: Callable[[], QWidget | None]) -> None:
        super().__init__(ticket)
        self.ticket, self._submit, self._picking = ticket, submit, picking
        self.shortcut = QShortcut(ticket)
        self.shortcut.setObjectName("submitShortcut")
        self.shortcut.setKeys(list(SUBMIT_KEYS))
        self.shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.shortcut.setAutoRepeat(False)
        self.shortcut.setWhatsThis(SUBMIT_TIP)
        self.shortcut.activated.connect(self._activated)

    def _activated(self) -> None:
        target = self._list_in_use()
        if target is not None:
            self.shortcut.setEnabled(False)  # the forwarded key must not come back here
            try:
                _press_enter(target)
            finally:
                self.shortcut.setEnabled(True)
            return
        self._submit()

    def _list_in_use(self) -> QWidget | None:
        """The widget an Enter belongs to instead of Submit: an open popup (a completer's
        list, a drop-down: the focused widget in it), or the account search."""
        popup = QApplication.activePopupWidget()
        if popup is not None:
            focus = QApplication.focusWidget()
            return focus if focus is not None and popup.isAncestorOf(focus) else popup
        return self._picking()


def _press_enter(widget: QWidget) -> None:
    """Deliver the Enter the shortcut took to ``widget`` (press and release)."""
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "\r"))
