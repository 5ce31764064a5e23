"""The ticket's account field: every connection's accounts (and an advisor login's
allocation groups) in one selector, grouped by connection.

It shows a :class:`~desktop.ui.ticket.targets.Listing`: bold headings name the
connections (when there are several), each connection's allocation groups come first,
then its accounts; an advisor's master account and a disconnected connection's lines
are listed but cannot be picked. With several connections, groups or many accounts it
is searchable (typing filters by connection, id, name or allocation method); with one
connection's few accounts it is a plain drop-down.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QIdentityProxyModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication, QComboBox, QCompleter, QLabel, QStyle, QStyledItemDelegate, QStyleOptionComboBox, QStylePainter, QVBoxLayout,
    QWidget,
)

from .targets import HEADING, Listing, TargetKey

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
LABEL_ROLE = Qt.ItemDataRole.UserRole + 4
INDENT_ROLE = Qt.ItemDataRole.UserRole + 5
_INDENT = "\u2003"  # one em space before lines listed under a heading


class TargetCombo(QComboBox):
    """The selector's combo: once closed it shows the chosen line's *label* (which
    names the connection), elided at the end to fit, with the full text as tooltip."""

    def __init__(self, parent: QWidget | None = None, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.shown_text = ""

    def show_text(self, text: str) -> None:
        """What the closed combo (or its line edit, when searchable) shows."""
        self.shown_text = text
        self.setToolTip(text)
        if self.isEditable():
            self.lineEdit().setText(text)
            self.lineEdit().setCursorPosition(0)  # the start of a long name, not its end
        self.update()

    def typing(self) -> bool:
        """A search is being typed (the line edit has the focus and other text)."""
        return self.isEditable() and self.lineEdit().hasFocus() and self.lineEdit().text() != self.shown_text

    def paintEvent(self, event) -> None:  # noqa: D102, N802 - Qt override
        if self.isEditable():
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        option.currentText = self.fontMetrics().elidedText(self.shown_text, Qt.TextElideMode.ElideRight, field.width() - 2)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
        painter.end()


class _EntryDelegate(QStyledItemDelegate):
    """Lines under a heading are drawn indented (in the drop-down only); headings,
    which cannot be picked, in the normal text colour rather than greyed out."""

    def initStyleOption(self, option, index) -> None:  # noqa: D102, N802 - Qt override
        super().initStyleOption(option, index)
        if index.data(INDENT_ROLE):
            option.text = _INDENT + option.text
        if index.data(KIND_ROLE) == HEADING:
            text = option.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text)
            option.palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, text)


class _LabelProxy(QIdentityProxyModel):
    """The combo's model as the search popup lists it: each line's full label (with
    its connection), since the popup shows no headings."""

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if role == Qt.ItemDataRole.DisplayRole:
            return super().data(index, LABEL_ROLE)
        return super().data(index, role)


class _LabelCompleter(QCompleter):
    """Puts a picked line's label, not its search text, into the line edit."""

    def pathFromIndex(self, index: QModelIndex) -> str:  # noqa: D102, N802 - Qt override
        return str(index.data(Qt.ItemDataRole.DisplayRole) or "")


class AccountSelector(QWidget):
    """Choose the order's account or allocation group (objectName "accountSelector").

    The combo "accountCombo" lists the :class:`Listing` given to :meth:`set_listing`;
    when searchable it is editable: typing filters a popup ("accountPopup") by any
    part of the connection's name, the account's id or name or the group's method
    (case-insensitive "contains"); Enter or a click picks; a search that picks nothing
    shows the choice again. "groupMembersLabel" lists the chosen group's members
    (:meth:`show_members`). ``targetChanged()`` is emitted when the user picks
    another line (not by :meth:`set_listing` / :meth:`select`).
    """

    targetChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountSelector")
        self.model = QStandardItemModel(self)
        self.combo = TargetCombo(self, objectName="accountCombo")
        self.combo.setModel(self.model)
        self.combo.setItemDelegate(_EntryDelegate(self.combo))
        self.combo.setMaxVisibleItems(24)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        self.combo.view().setMinimumWidth(300)
        self.labels = _LabelProxy(self)
        self.labels.setSourceModel(self.model)
        self.completer = _LabelCompleter(self.labels, self)
        self.completer.setCompletionRole(SEARCH_ROLE)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.popup().setObjectName("accountPopup")
        self.completer.popup().setMinimumWidth(300)
        self.members_label = QLabel(self, objectName="groupMembersLabel", wordWrap=True)
        self.members_label.setStyleSheet("color: gray; font-size: 11px;")
        self.members_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.combo)
        layout.addWidget(self.members_label)
        self.listing = Listing((), False, False)
        self._key: TargetKey | None = None
        self.combo.currentIndexChanged.connect(self._picked)
        self.combo.installEventFilter(self)
        QApplication.instance().focusChanged.connect(self._focus_changed)  # focus events need an active window

    # ------------------------------------------------------------------ content
    def set_listing(self, listing: Listing, current: TargetKey | None, *, keep_search: bool = False) -> None:
        """Show ``listing`` with ``current`` chosen (None: nothing). Cheap when the
        lines are the same as before; with ``keep_search`` a search being typed is left
        alone (a refresh), else it ends (a choice was made)."""
        line = self.combo.lineEdit() if keep_search and self.combo.typing() else None
        typed = (line.text(), line.cursorPosition()) if line is not None else None
        if typed is None:
            self.completer.popup().hide()
        self._set_searchable(listing.searchable)
        if listing != self.listing:
            self.listing = listing
            self.combo.blockSignals(True)
            self.model.clear()
            for entry in listing.entries:
                self.model.appendRow(self._item(entry))
            self.combo.blockSignals(False)
        self._show(current)
        if typed is not None and self.combo.isEditable():
            self.combo.lineEdit().setText(typed[0])
            self.combo.lineEdit().setCursorPosition(typed[1])

    @staticmethod
    def _item(entry) -> QStandardItem:
        item = QStandardItem(entry.text)
        item.setData(entry.kind, KIND_ROLE)
        item.setData(entry.key, KEY_ROLE)
        item.setData(entry.search, SEARCH_ROLE)
        item.setData(entry.label or entry.text, LABEL_ROLE)
        item.setData(entry.indent, INDENT_ROLE)
        if entry.tip:
            item.setToolTip(entry.tip)
        if entry.kind == HEADING:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable if entry.enabled else Qt.ItemFlag.NoItemFlags)
        return item

    def _set_searchable(self, searchable: bool) -> None:
        combo = self.combo
        if combo.isEditable() == searchable:
            return
        combo.setEditable(searchable)
        if searchable:
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            combo.setCompleter(self.completer)
            line = combo.lineEdit()
            line.setPlaceholderText("Search accounts")
            line.editingFinished.connect(self._restore_text)
            line.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: D102, N802 - Qt override
        """Escape once the search popup is closed shows the choice again (as leaving does)."""
        if (event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape and self.combo.isEditable()
                and not self.completer.popup().isVisible() and self.combo.typing()):
            self._restore_text()
            return True
        return super().eventFilter(watched, event)

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        mine = (self.combo, self.combo.lineEdit(), self.completer.popup())
        if self.combo.isEditable() and old in mine and new not in mine:
            self._restore_text()

    def _row_of(self, key: TargetKey | None) -> int:
        keys = [self.model.item(r).data(KEY_ROLE) for r in range(self.model.rowCount())]
        return keys.index(key) if key is not None and key in keys else -1

    def _show(self, key: TargetKey | None) -> None:
        row = self._row_of(key)
        self._key = key if row >= 0 else None
        if self.combo.currentIndex() != row:
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(row)
            self.combo.blockSignals(False)
        entry = self.listing.entry(self._key)
        self.combo.show_text(entry.label if entry is not None else "")

    # ---------------------------------------------------------------- selection
    def key(self) -> TargetKey | None:
        """The chosen line's (connection_id, kind, id), or None."""
        return self._key

    def select(self, key: TargetKey) -> bool:
        """Show ``key`` as chosen (even a line that cannot be picked by hand, e.g. a
        disconnected connection's account); False when it is not listed."""
        if self._row_of(key) < 0:
            return False
        self._show(key)
        return True

    def show_members(self, text: str, tip: str = "") -> None:
        """The chosen group's members under the combo ("" hides the line)."""
        self.members_label.setText(text)
        self.members_label.setToolTip(tip)
        self.members_label.setVisible(bool(text))

    def _picked(self, row: int) -> None:
        key = self.model.item(row).data(KEY_ROLE) if row >= 0 else None
        if key is None or key == self._key:
            self._show(self._key)
            return
        self._show(key)
        self.targetChanged.emit()

    def _restore_text(self) -> None:
        """A search that picked nothing shows the current choice again."""
        self.combo.lineEdit().setText(self.combo.shown_text)
        self.combo.lineEdit().setCursorPosition(0)
