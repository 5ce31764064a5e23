"""The advisor's account field: a searchable list of allocation groups and client accounts.

For a Financial Advisor login (``BrokerCapabilities.allocation_groups``) an order goes
either to an *allocation group* (the group name takes the account id's place, CPAPI
``POST /iserver/account/{accountId}/orders`` with ``accountId`` = group) or to one
client account. The master account holds no positions, so it is listed but disabled.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QLabel, QVBoxLayout, QWidget

from desktop.domain import Account, AllocationGroup

from .allocation_values import group_text, member_amount_text

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
GROUP, ACCOUNT, HEADER = "group", "account", "header"
MASTER_TIP = "The advisor's master account holds no positions: trade a group or a client account"


class AllocationSelector(QWidget):
    """Choose an allocation group or a client account (objectName "allocationSelector").

    The editable combo "allocationCombo" lists, under disabled headings, every group
    (``group_text``: name, method, member count) and every account ("DU100002 · Okafor
    IRA"); typing filters a popup by any part of the name, id or method (case-insensitive
    "contains"); Enter or a click picks. "groupMembersLabel" lists the chosen group's
    members. Emits ``targetChanged()`` when the choice changes. The first group is
    chosen by default; a previous choice is kept across refreshes while it still exists.
    """

    targetChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allocationSelector")
        self.model = QStandardItemModel(self)
        self.combo = QComboBox(self, objectName="allocationCombo")
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setModel(self.model)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        self.combo.lineEdit().setPlaceholderText("Search groups and accounts")
        self.combo.view().setMinimumWidth(300)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionRole(SEARCH_ROLE)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.popup().setObjectName("allocationPopup")
        self.completer.popup().setMinimumWidth(300)
        self.combo.setCompleter(self.completer)
        self.members_label = QLabel(self, objectName="groupMembersLabel", wordWrap=True)
        self.members_label.setStyleSheet("color: gray; font-size: 11px;")
        self.members_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.combo)
        layout.addWidget(self.members_label)
        self._groups: dict[str, AllocationGroup] = {}
        self._accounts: dict[str, Account] = {}
        self._last: tuple[str, str] | None = None
        self.combo.currentIndexChanged.connect(self._changed)
        self.combo.lineEdit().editingFinished.connect(self._restore_text)

    # ------------------------------------------------------------------ content
    def set_targets(self, groups: Iterable[AllocationGroup], accounts: Iterable[Account]) -> None:
        """List ``groups`` and ``accounts`` (masters disabled); keeps the choice if present."""
        self._groups = {g.name: g for g in groups}
        self._accounts = {a.account_id: a for a in accounts}
        keep = self._last
        self.combo.blockSignals(True)
        self.model.clear()
        if self._groups:
            self._heading("Allocation groups")
            for group in self._groups.values():
                item = self._item(group_text(group), GROUP, group.name,
                                  f"{group.name} {group.method.code} {group_text(group)}")
                item.setToolTip(self._members_text(group, full=True))
                self.model.appendRow(item)
        if self._accounts:
            self._heading("Accounts")
            for account in self._accounts.values():
                text = f"{account.account_id} · {account.name}" if account.name else account.account_id
                item = self._item(text, ACCOUNT, account.account_id, f"{account.account_id} {account.name}")
                if account.is_master:
                    if "master" not in text.lower():
                        item.setText(f"{text} (master)")
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                    item.setData("", SEARCH_ROLE)
                    item.setToolTip(MASTER_TIP)
                self.model.appendRow(item)
        row = self._row_of(keep) if keep else -1
        if row < 0:
            row = next((r for r in range(self.model.rowCount()) if self._enabled(r)), -1)
        self.combo.setCurrentIndex(row)
        self.combo.blockSignals(False)
        self._changed()

    def _heading(self, text: str) -> None:
        item = QStandardItem(text)
        item.setData(HEADER, KIND_ROLE)
        item.setData("", SEARCH_ROLE)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.model.appendRow(item)

    @staticmethod
    def _item(text: str, kind: str, key: str, search: str) -> QStandardItem:
        item = QStandardItem(text)
        item.setData(kind, KIND_ROLE)
        item.setData(key, KEY_ROLE)
        item.setData(search, SEARCH_ROLE)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        return item

    def _enabled(self, row: int) -> bool:
        return bool(self.model.item(row).flags() & Qt.ItemFlag.ItemIsEnabled)

    def _row_of(self, target: tuple[str, str]) -> int:
        for row in range(self.model.rowCount()):
            item = self.model.item(row)
            if (item.data(KIND_ROLE), item.data(KEY_ROLE)) == target and self._enabled(row):
                return row
        return -1

    # ---------------------------------------------------------------- selection
    def target(self) -> tuple[str, str] | None:
        """("group", name) or ("account", id) of the choice; None when nothing is chosen."""
        row = self.combo.currentIndex()
        if row < 0 or not self._enabled(row):
            return None
        item = self.model.item(row)
        return (item.data(KIND_ROLE), item.data(KEY_ROLE))

    def target_id(self) -> str:
        """What goes in ``OrderRequest.account_id``: the group name or the account id ("" if none)."""
        target = self.target()
        return target[1] if target else ""

    def current_group(self) -> AllocationGroup | None:
        """The chosen group, or None when an account (or nothing) is chosen."""
        target = self.target()
        return self._groups.get(target[1]) if target and target[0] == GROUP else None

    def current_account(self) -> Account | None:
        """The chosen client account, or None when a group (or nothing) is chosen."""
        target = self.target()
        return self._accounts.get(target[1]) if target and target[0] == ACCOUNT else None

    def select(self, key: str) -> bool:
        """Choose the group or account named ``key``; False when it is not offered."""
        for kind in (GROUP, ACCOUNT):
            row = self._row_of((kind, key))
            if row >= 0:
                self.combo.setCurrentIndex(row)
                return True
        return False

    def _changed(self, *_args: object) -> None:
        group = self.current_group()
        self.members_label.setVisible(group is not None)
        if group is not None:
            self.members_label.setText(self._members_text(group))
            self.members_label.setToolTip(self._members_text(group, full=True))
        self.combo.lineEdit().setCursorPosition(0)  # show the start of a long name, not its end
        target = self.target()
        if target != self._last:
            self._last = target
            self.targetChanged.emit()

    def _restore_text(self) -> None:
        """A search that picked nothing shows the current choice again."""
        row = self.combo.currentIndex()
        text = self.model.item(row).text() if row >= 0 else ""
        if self.combo.currentText() != text:
            self.combo.setEditText(text)
        self.combo.lineEdit().setCursorPosition(0)

    def _members_text(self, group: AllocationGroup, full: bool = False) -> str:
        parts = []
        for member in group.members:
            account = self._accounts.get(member.account_id)
            name = account.name if full and account and account.name else ""
            amount = member_amount_text(group, member.amount)
            parts.append(" ".join(p for p in (member.account_id, f"({name})" if name else "", amount) if p))
        n = len(group.members)
        return f"{n} member{'s' if n != 1 else ''}: " + ("\n" if full else "") + ("\n" if full else ", ").join(parts)
