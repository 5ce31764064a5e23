"""Where Tradedesk keeps user files, resolved on demand (no import-time side effects).

``TRADEDESK_HOME`` overrides everything (tests, portable installs): data, logs and
settings then live in ``$TRADEDESK_HOME/{data,logs,config}``. Otherwise the
platform's user directories from platformdirs are used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "Tradedesk"
APP_AUTHOR = "Tradedesk"


def _home_override() -> Path | None:
    home = os.environ.get("TRADEDESK_HOME")
    return Path(home) if home else None


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """User data directory (SQLite state of the paper broker, ...), created if needed."""
    home = _home_override()
    if home:
        return _ensure(home / "data")
    import platformdirs

    return _ensure(Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)))


def log_dir() -> Path:
    """User log directory, created if needed."""
    home = _home_override()
    if home:
        return _ensure(home / "logs")
    import platformdirs

    return _ensure(Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)))


def config_dir() -> Path:
    """User settings directory (QSettings ini file), created if needed."""
    home = _home_override()
    if home:
        return _ensure(home / "config")
    import platformdirs

    return _ensure(Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)))


def resources_dir() -> Path:
    """The shipped resources/ folder: beside the package in a source tree or an
    editable install, or inside a PyInstaller bundle (``sys._MEIPASS``).
    ``TRADEDESK_RESOURCES`` overrides it."""
    override = os.environ.get("TRADEDESK_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
