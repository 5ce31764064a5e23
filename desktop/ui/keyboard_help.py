"""Help → Keyboard Shortcuts: every shortcut of the main window, read from its actions.

The list is generated each time from the window's QActions (the menu bar's, grouped
by menu, and those bound to one panel, e.g. a table's Copy) and its enabled QShortcuts
that describe themselves (``whatsThis``), so it cannot disagree with what the keys do.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QDockWidget, QHeaderView, QLabel, QMainWindow, QMenu, QTreeWidget, QTreeWidgetItem,
    QVBoxLayout, QWidget,
)


@dataclass(frozen=True)
class ShortcutRow:
    """One shortcut: ``group`` (the menu, or where it works: "Orders", "In tables"),
    ``action`` (what it does, as the menu says it), ``keys`` (native text, e.g.
    "Ctrl+Shift+X"; several joined with ", ")."""

    group: str
    action: str
    keys: str


def _plain(text: str) -> str:
    """Menu text without mnemonics ("&Buy" -> "Buy", "A && B" -> "A & B") or tabs."""
    return text.split("\t")[0].replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def _keys(sequences) -> str:
    return ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty())


def _where(obj: QWidget | None) -> str:
    """The dock (its title) or window ``obj`` lives in."""
    while obj is not None and not isinstance(obj, (QDockWidget, QMainWindow)):
        obj = obj.parentWidget()
    if isinstance(obj, QDockWidget):
        return obj.windowTitle()
    return "Main window"


def shortcut_rows(window: QMainWindow) -> list[ShortcutRow]:
    """Every shortcut of ``window``: the menu bar's actions in menu order (submenus
    named "Menu › Submenu"), then actions and self-described QShortcuts bound to a
    panel, grouped by the panels they work in ("Copy" in several tables is one row)."""
    rows: list[ShortcutRow] = []
    listed: set[int] = set()

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if sub is not None:
                walk(sub, f"{path} › {_plain(sub.title())}")
                continue
            listed.add(id(action))
            keys = _keys(action.shortcuts())
            if keys and not action.isSeparator():
                rows.append(ShortcutRow(path, _plain(action.text()), keys))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), _plain(top.menu().title()))
    local: dict[tuple[str, str], list[str]] = {}
    for action in window.findChildren(QAction):
        keys = _keys(action.shortcuts())
        if id(action) in listed or not keys or not action.isEnabled():
            continue
        owner = action.parent() if isinstance(action.parent(), QWidget) else None
        local.setdefault((_plain(action.text()), keys), []).append(_where(owner))
    for shortcut in window.findChildren(QShortcut):
        keys = _keys(shortcut.keys())
        if shortcut.isEnabled() and keys and shortcut.whatsThis():
            owner = shortcut.parent() if isinstance(shortcut.parent(), QWidget) else None
            local.setdefault((shortcut.whatsThis(), keys), []).append(_where(owner))
    for (text, keys), places in local.items():
        unique = list(dict.fromkeys(places))
        rows.append(ShortcutRow(f"In {', '.join(unique)}", text, keys))
    return rows


class KeyboardHelpDialog(QDialog):
    """The shortcuts of ``window`` (see :func:`shortcut_rows`) in a tree grouped by
    menu: "Action" and "Keys" columns. Non-modal; Close or Escape closes it."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setObjectName("keyboardHelpDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        layout = QVBoxLayout(self)
        note = QLabel("These keys work anywhere in the main window; a text field keeps the keys it edits with.", self)
        note.setWordWrap(True)
        layout.addWidget(note)
        self.tree = QTreeWidget(self, objectName="shortcutTree")
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        layout.addWidget(self.tree, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.rows = shortcut_rows(window)
        groups: dict[str, QTreeWidgetItem] = {}
        for row in self.rows:
            group = groups.get(row.group)
            if group is None:
                group = groups[row.group] = QTreeWidgetItem(self.tree, [row.group, ""])
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setFirstColumnSpanned(True)
            QTreeWidgetItem(group, [row.action, row.keys])
        self.tree.expandAll()
        self.tree.setIndentation(12)
        row_height = max(self.tree.sizeHintForRow(0), self.tree.fontMetrics().height() + 2)
        wanted = 84 + self.tree.header().sizeHint().height() + row_height * (len(self.rows) + len(groups))
        room = window.screen().availableGeometry().height() - 60 if window.screen() is not None else wanted
        self.resize(540, max(240, min(wanted, room)))  # never taller than the screen: the list scrolls

    def listed(self) -> list[tuple[str, str, str]]:
        """(group, action, keys) as the tree shows them, top to bottom."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            out += [(group.text(0), group.child(j).text(0), group.child(j).text(1)) for j in range(group.childCount())]
        return out


def open_keyboard_help(window: QMainWindow) -> KeyboardHelpDialog:
    """Help → Keyboard Shortcuts: open (non-modal) and return the dialog."""
    dialog = KeyboardHelpDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
