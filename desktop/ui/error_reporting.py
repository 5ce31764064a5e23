"""Unhandled errors are logged and shown in a dialog; the app keeps running."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.security.redaction import redact

log = logging.getLogger("tradedesk.errors")


class ErrorReporter(QObject):
    """Routes unhandled exceptions (sys.excepthook, asyncio loop handler) to the log
    and to one non-modal dialog at a time. ``shown`` counts dialogs (for tests)."""

    reported = Signal(str, str)  # summary, traceback text

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.parent_widget = parent_widget
        self.shown = 0
        self._box: QMessageBox | None = None
        self.reported.connect(self._show)

    @property
    def dialog(self) -> QMessageBox | None:
        """The dialog this reporter showed last (None before the first report)."""
        return self._box

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Become sys.excepthook and, when given, the asyncio loop's exception handler."""
        sys.excepthook = self.excepthook
        if loop is not None:
            loop.set_exception_handler(self._loop_handler)

    def excepthook(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(etype, value, tb))
        log.error("unhandled exception:\n%s", text)
        self.reported.emit(redact(f"{etype.__name__}: {value}"), redact(text))  # the screen gets no secrets either

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        exc = context.get("exception")
        if exc is None:
            log.error("asyncio: %s", context.get("message"))
            return
        self.excepthook(type(exc), exc, exc.__traceback__)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        self.shown += 1
        if self._box is not None and self._box.isVisible():
            return  # one dialog at a time; everything is in the log
        box = QMessageBox(QMessageBox.Icon.Critical, "Tradedesk: unexpected error",
                          "Something went wrong. Tradedesk keeps running; the details are in the log.",
                          QMessageBox.StandardButton.Ok, self.parent_widget)
        box.setObjectName("errorDialog")
        box.setInformativeText(summary)
        box.setDetailedText(details)
        box.open()
        self._box = box
