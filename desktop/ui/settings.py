"""The app's QSettings: an INI file in the user config directory (no secrets here)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from desktop.paths import config_dir


def app_settings() -> QSettings:
    """QSettings backed by ``<config dir>/tradedesk.ini``; holds layout and preferences only."""
    return QSettings(str(config_dir() / "tradedesk.ini"), QSettings.Format.IniFormat)
