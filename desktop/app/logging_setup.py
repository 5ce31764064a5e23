"""Logging to a rotating file in the user log directory (and stderr for warnings).

The file's level is INFO unless the environment variable ``TRADEDESK_LOG_LEVEL``
names another (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR`` or a number), e.g.
``TRADEDESK_LOG_LEVEL=DEBUG tradedesk`` to log every request and websocket frame
(secrets stay redacted at every level).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from desktop.paths import log_dir

from desktop.security.redaction import redacting_filter

LOG_FILE_NAME = "tradedesk.log"
LEVEL_VARIABLE = "TRADEDESK_LOG_LEVEL"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def level_from_environment(default: int = logging.INFO) -> int:
    """The level ``TRADEDESK_LOG_LEVEL`` names (a level name in any case, or a
    number); ``default`` when unset or not a level (then a warning says so)."""
    value = os.environ.get(LEVEL_VARIABLE, "").strip()
    if not value:
        return default
    if value.isascii() and value.isdigit():
        return int(value)
    level = logging.getLevelName(value.upper())
    if isinstance(level, int):
        return level
    logging.getLogger(__name__).warning("%s=%r is not a log level; using %s", LEVEL_VARIABLE, value,
                                        logging.getLevelName(default))
    return default


def setup_logging(level: int | None = None, console_level: int = logging.WARNING) -> Path:
    """Install the rotating file handler (1 MB x 5 files) and a stderr handler,
    both with the secret-redacting filter. ``level``: the file's level (None: from
    ``TRADEDESK_LOG_LEVEL``, default INFO).

    Returns the log file path. Safe to call more than once: handlers added by an
    earlier call are replaced, not duplicated.
    """
    if level is None:
        level = level_from_environment()
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
