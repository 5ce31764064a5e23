"""Logging to a rotating file in the user log directory (and stderr for warnings)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from desktop.paths import log_dir

from desktop.security.redaction import redacting_filter

LOG_FILE_NAME = "tradedesk.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO, console_level: int = logging.WARNING) -> Path:
    """Install the rotating file handler (1 MB x 5 files) and a stderr handler,
    both with the secret-redacting filter.

    Returns the log file path. Safe to call more than once: handlers added by an
    earlier call are replaced, not duplicated.
    """
    path = log_dir() / LOG_FILE_NAME
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tradedesk", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    file_handler.setLevel(level)
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter(_FORMAT))
    console.setLevel(console_level)
    for handler in (file_handler, console):
        handler._tradedesk = True  # type: ignore[attr-defined]
        handler.addFilter(redacting_filter())  # secrets never reach a log (desktop.security.redaction)
        root.addHandler(handler)
    root.setLevel(min(level, console_level))
    return path
