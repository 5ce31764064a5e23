"""The main window's preferences in force (Edit → Settings…): read at start, saved
and applied live, and the Replay menu's speed remembered as the preference."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow


class WindowPreferences:
    """Preferences of ``window`` (a MainWindow: its settings, desk, panels, ticket,
    portfolio and menus). :attr:`current` is the Preferences object in force."""

    def __init__(self, window: QMainWindow) -> None:
        from .settings_dialog import load_preferences

        self.window = window
        self.current = load_preferences(window.settings)

    def remember_replay_speed(self, speed: int) -> None:
        """The Replay menu changed the speed: it is the preference now (a pause is not
        kept), for the next start and every paper connection connected later."""
        if speed:
            self.current = self.current.model_copy(update={"replay_speed": speed})
            self.window.settings.setValue("paper/replay_speed", speed)

    def save_and_apply(self, prefs) -> None:
        """Settings… OK / Apply: save ``prefs`` and apply them now."""
        from .settings_dialog import save_preferences

        save_preferences(self.window.settings, prefs)
        self.apply(prefs, self.current)

    def apply(self, prefs, previous=None, *, theme: bool = True) -> None:
        """Apply ``prefs`` to the window (``previous``: the ones they replace; ``theme``
        False at start, where bootstrap has set the app's theme)."""
        from .settings_dialog import apply_preferences, paper_replays

        w = self.window
        apply_preferences(prefs, previous, panels=w.panels().values(), ticket=w.ticket,
                          replays=paper_replays(w.desk), sync_replay=w.menus.sync_replay_speed, theme=theme,
                          portfolio=w.portfolio)
        self.current = prefs

    def open_dialog(self):
        """Show Edit → Settings… over the window (returns the dialog)."""
        from .settings_dialog import open_settings_dialog

        def replay_speed() -> int | None:
            control = self.window.menus.replay_control()
            return control.replay_speed if control is not None else None

        return open_settings_dialog(self.window, current=lambda: self.current, apply=self.save_and_apply,
                                    replay_speed=replay_speed)
