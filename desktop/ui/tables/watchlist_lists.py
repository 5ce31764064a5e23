"""The watchlist's list switcher: a combo of the user's named lists and a menu to make
a new list, rename the shown one or delete it.

:class:`ListSwitcher` works on a :class:`~.watchlists.Watchlists` and emits
``changed`` after it switched, made, renamed or deleted a list (the panel then shows
the current list and saves). Names are asked in a :class:`NameDialog`, which says
what is wrong with a name as it is typed and keeps OK disabled until it is right;
deleting a list that holds symbols is confirmed first. Dialogs open without blocking
(``open()``) and are returned, so tests drive them like a user.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .watchlists import NAME_MAX, WatchlistError, Watchlists


class NameDialog(QDialog):
    """Asks for a watchlist name. ``check(name)`` returns the cleaned name or raises
    WatchlistError (its text is shown under the field); ``done(name)`` gets the name
    on OK. Object names: ``watchlistNameDialog``, ``watchlistNameEdit``,
    ``watchlistNameError``."""

    def __init__(self, title: str, text: str, check: Callable[[str], str], done: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("watchlistNameDialog")
        self.setWindowTitle(title)
        self._check, self._done = check, done
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Name", self))
        self.edit = QLineEdit(text, self)
        self.edit.setObjectName("watchlistNameEdit")
        self.edit.setMaxLength(NAME_MAX + 1)  # one more, so that "at most 40" can be said
        self.edit.selectAll()
        layout.addWidget(self.edit)
        self.error = QLabel(self)
        self.error.setObjectName("watchlistNameError")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.edit.textChanged.connect(self._validate)
        self._validate(text)

    def _validate(self, text: str) -> bool:
        try:
            self._check(text)
        except WatchlistError as exc:
            self.error.setText(str(exc))
            ok = False
        else:
            self.error.setText("")
            ok = True
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    def accept(self) -> None:
        """OK (or Enter): only with a valid name, which goes to ``done``."""
        if not self._validate(self.edit.text()):
            return
        name = self._check(self.edit.text())
        super().accept()
        self._done(name)


class ListSwitcher(QWidget):
    """The list combo (``watchlistListCombo``) and the lists menu button
    (``watchlistListsButton``: New watchlist…, Rename…, Delete…) over ``lists``."""

    changed = Signal()
    """A list was chosen, made, renamed or deleted (``lists`` holds the result)."""

    def __init__(self, lists: Watchlists, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lists = lists
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.combo = QComboBox(self)
        self.combo.setObjectName("watchlistListCombo")
        self.combo.setToolTip("The watchlist shown (make, rename and delete lists with the button beside it)")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.activated.connect(self._chosen)
        layout.addWidget(self.combo)
        self.button = QToolButton(self)
        self.button.setObjectName("watchlistListsButton")
        self.button.setText("☰")
        self.button.setToolTip("Watchlists: new, rename, delete")
        self.button.setAutoRaise(True)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        self.menu.setObjectName("watchlistListsMenu")
        self.menu.aboutToShow.connect(self._fill_menu)
        self.button.setMenu(self.menu)
        layout.addWidget(self.button)
        self.refresh()

    def refresh(self) -> None:
        """Re-list the names, the current one selected."""
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            self.combo.addItems(self.lists.names())
            self.combo.setCurrentIndex(self.lists.names().index(self.lists.current))
        finally:
            self.combo.blockSignals(False)

    def _chosen(self, index: int) -> None:
        name = self.combo.itemText(index)
        if name and name != self.lists.current:
            self.lists.switch(name)
            self.changed.emit()

    def _fill_menu(self) -> None:
        self.menu.clear()
        current = self.lists.current
        self.menu.addAction("New watchlist…", self.new_list).setObjectName("watchlistNewAction")
        self.menu.addAction(f"Rename “{current}”…", self.rename_list).setObjectName("watchlistRenameAction")
        delete = self.menu.addAction(f"Delete “{current}”…", self.delete_list)
        delete.setObjectName("watchlistDeleteAction")
        delete.setEnabled(len(self.lists.names()) > 1)
        if not delete.isEnabled():
            delete.setToolTip("The last watchlist cannot be deleted")

    def _apply(self, change: Callable[[], object]) -> None:
        change()
        self.refresh()
        self.changed.emit()

    def new_list(self) -> NameDialog:
        """Ask for a name, then make an empty list with it and show it."""
        dialog = NameDialog("New watchlist", "", self.lists.check_name,
                            lambda name: self._apply(lambda: self.lists.create(name)), self.window())
        return self._open(dialog)

    def rename_list(self) -> NameDialog:
        """Ask for a new name of the shown list."""
        old = self.lists.current
        dialog = NameDialog(f"Rename “{old}”", old, lambda name: self.lists.check_name(name, renaming=old),
                            lambda name: self._apply(lambda: self.lists.rename(old, name)), self.window())
        return self._open(dialog)

    def delete_list(self) -> QMessageBox | None:
        """Delete the shown list (asked first when it holds symbols); None when done at once."""
        name = self.lists.current
        if len(self.lists.names()) <= 1:
            return None
        count = len(self.lists.symbols(name))
        if not count:
            self._apply(lambda: self.lists.delete(name))
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Delete watchlist",
                          f"Delete the watchlist “{name}” and its {count} symbol{'s' * (count != 1)}?",
                          QMessageBox.StandardButton.Cancel, self.window())
        box.setObjectName("watchlistDeleteConfirm")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setObjectName("watchlistDeleteButton")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def finished() -> None:
            if box.clickedButton() is delete and name in self.lists.names() and len(self.lists.names()) > 1:
                self._apply(lambda: self.lists.delete(name))
            box.deleteLater()

        box.finished.connect(finished)
        box.open()
        return box

    @staticmethod
    def _open(dialog: NameDialog) -> NameDialog:
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        dialog.edit.setFocus()
        return dialog
