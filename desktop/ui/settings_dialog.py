"""Settings (Edit → Settings…): theme, number format, order confirmations (which types
ask, whether Enter confirms, the order value above which the confirmation warns),
default quantities, the Portfolio panel's concentration warning and the paper replay
speed. Stored in the app's QSettings, applied live.

:class:`Preferences` is the value object; :func:`load_preferences` /
:func:`save_preferences` read and write it; :func:`apply_preferences` applies it to a
main window (and the app's theme); :class:`SettingsDialog` edits it.
"""

from __future__ import annotations

from decimal import Decimal
from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.brokers.replay_control import REPLAY_SPEEDS, ReplayControl, replay_control
from desktop.domain import AssetClass, OrderType

from .tables.formatting import set_number_format
from .ticket.fx_units import PAIR_DEFAULT_QUANTITY, quantity_kind
from .theme import DEFAULT_THEME, THEMES, apply_theme

PRICE_DECIMALS = (0, 2, 3, 4, 5, 6)
"""Choices of the price decimals setting; 0 = automatic (2 to 4 as the price needs)."""
ORDER_TYPE_LABELS = {OrderType.MARKET: "Market", OrderType.LIMIT: "Limit", OrderType.STOP: "Stop",
                     OrderType.STOP_LIMIT: "Stop limit"}


class Preferences(BaseModel):
    """The user's preferences (defaults = a fresh install).

    ``theme``: "dark" | "light" | "system"; ``thousands_separators``; ``price_decimals``
    (0 = automatic); ``confirm``: order types that ask before sending; ``enter_confirms``:
    Enter confirms in the confirmation dialog (off: Space on Confirm, a click or Alt+C);
    ``warn_notional``: the confirmation warns about an order worth more than this, in
    the order's currency (0: never); ``default_shares`` / ``default_contracts``:
    ticket quantity for equities / options (a new instrument starts with it);
    ``replay_speed``: paper replay speed applied on connect (None: keep the paper
    account's own); ``concentration_warning_pct``: the Portfolio panel draws a position
    whose share of market value is above this percentage in the warning colour.
    """

    model_config = ConfigDict(frozen=True)

    theme: Literal["system", "light", "dark"] = DEFAULT_THEME  # type: ignore[assignment]
    thousands_separators: bool = True
    price_decimals: int = Field(default=0, ge=0, le=8)
    confirm: frozenset[OrderType] = frozenset(OrderType)
    enter_confirms: bool = False
    warn_notional: int = Field(default=100_000, ge=0, le=1_000_000_000)
    default_shares: int = Field(default=100, ge=1)
    default_contracts: int = Field(default=1, ge=1)
    replay_speed: int | None = None
    concentration_warning_pct: int = Field(default=25, ge=1, le=100)

    def default_quantity(self, asset_class: AssetClass | str = AssetClass.EQUITY) -> Decimal:
        """The ticket's default quantity for ``asset_class`` (contracts for options; FOREX,
        a pair traded in units: 10,000 of its base currency, not a setting)."""
        if AssetClass(asset_class) is AssetClass.FOREX:
            return PAIR_DEFAULT_QUANTITY
        return Decimal(self.default_contracts if AssetClass(asset_class) is AssetClass.OPTION else self.default_shares)


def _bool(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _int(value: object, default: int | None) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else default
    except ValueError:
        return default


def _percent(value: object, default: int) -> int:
    """A whole percentage 1..100 from a stored value ("25", "25.0" or 25.0, as an
    earlier version kept it); anything else is ``default``."""
    try:
        number = float(str(value)) if value not in (None, "") else float(default)
    except ValueError:
        return default
    return int(number) if number == number and 1 <= number <= 100 else default


CONCENTRATION_KEY = "portfolio/concentration_warning_pct"


def load_preferences(settings: QSettings) -> Preferences:
    """Read the preferences; missing or unreadable values fall back to the defaults."""
    d = Preferences()
    theme = str(settings.value("appearance/theme", d.theme))
    speed = _int(settings.value("paper/replay_speed"), None)
    values = {
        "theme": theme if theme in THEMES else d.theme,
        "thousands_separators": _bool(settings.value("format/thousands"), d.thousands_separators),
        "price_decimals": _int(settings.value("format/price_decimals"), d.price_decimals),
        "confirm": frozenset(t for t in OrderType if _bool(settings.value(f"orders/confirm_{t.value}"), True)),
        "enter_confirms": _bool(settings.value("orders/enter_confirms"), d.enter_confirms),
        "warn_notional": _int(settings.value("orders/warn_notional"), d.warn_notional),
        "default_shares": _int(settings.value("orders/default_shares"), d.default_shares),
        "default_contracts": _int(settings.value("orders/default_contracts"), d.default_contracts),
        "replay_speed": speed if speed in REPLAY_SPEEDS else None,
        "concentration_warning_pct": _percent(settings.value(CONCENTRATION_KEY), d.concentration_warning_pct),
    }
    try:
        return Preferences(**values)
    except ValueError:
        return d


def save_preferences(settings: QSettings, prefs: Preferences) -> None:
    """Write every preference (and sync the file)."""
    settings.setValue("appearance/theme", prefs.theme)
    settings.setValue("format/thousands", prefs.thousands_separators)
    settings.setValue("format/price_decimals", prefs.price_decimals)
    for t in OrderType:
        settings.setValue(f"orders/confirm_{t.value}", t in prefs.confirm)
    settings.setValue("orders/enter_confirms", prefs.enter_confirms)
    settings.setValue("orders/warn_notional", prefs.warn_notional)
    settings.setValue("orders/default_shares", prefs.default_shares)
    settings.setValue("orders/default_contracts", prefs.default_contracts)
    settings.setValue(CONCENTRATION_KEY, prefs.concentration_warning_pct)
    if prefs.replay_speed:
        settings.setValue("paper/replay_speed", prefs.replay_speed)
    else:
        settings.remove("paper/replay_speed")
    settings.sync()


def apply_preferences(prefs: Preferences, previous: Preferences | None = None, *, panels: Iterable,
                      ticket, replays: Iterable[ReplayControl] = (), sync_replay: Callable[[], None] = lambda: None,
                      theme: bool = True, portfolio=None) -> None:
    """Apply ``prefs`` now: the app's theme (when ``theme``), the number format and a
    repaint of ``panels`` (table panels: ``.view``), ``ticket``'s confirmations (which
    types, Enter, the value warning) and default quantities (a quantity still at the
    old default follows), and a changed replay speed to every one of ``replays`` (the live
    paper connections' ReplayControls; ``sync_replay()`` then shows it in the Replay
    menu), and the concentration warning to ``portfolio`` (a PortfolioPanel, optional)."""
    app = QApplication.instance()
    if theme and app is not None and (previous is None or previous.theme != prefs.theme):
        apply_theme(app, prefs.theme)
    set_number_format(thousands=prefs.thousands_separators, price_decimals=prefs.price_decimals)
    for panel in panels:
        panel.view.viewport().update()
        panel.view.horizontalHeader().viewport().update()
    ticket.set_confirm_orders(prefs.confirm)
    ticket.set_enter_confirms(prefs.enter_confirms)
    ticket.set_notional_warning(prefs.warn_notional)
    ticket.set_default_quantities(prefs.default_shares, prefs.default_contracts)
    if portfolio is not None:
        portfolio.set_threshold(prefs.concentration_warning_pct)
    if previous is not None:
        instrument = ticket.current_instrument()
        kind = quantity_kind(instrument)
        was, now = previous.default_quantity(kind), prefs.default_quantity(kind)
        if was != now and ticket.quantity_edit.text().strip() in ("", str(was)):
            ticket.prefill(amount=now)
    if prefs.replay_speed and (previous is None or previous.replay_speed != prefs.replay_speed):
        for control in replays:
            if control.replay_speed != prefs.replay_speed:
                control.set_replay_speed(prefs.replay_speed)
        sync_replay()


def paper_replays(desk) -> list[ReplayControl]:
    """The replay controls of ``desk``'s live paper connections."""
    return [control for conn in desk.live() if (control := replay_control(conn.broker)) is not None]


class SettingsDialog(QDialog):
    """Edits :class:`Preferences`; OK and Apply hand them to ``apply(prefs)`` (which saves
    and applies them). ``current()`` gives the preferences in force; ``replay_speed()``
    the speed the replay of the Replay menu runs at now (None without a live paper
    connection)."""

    def __init__(self, parent: QWidget | None, *, current: Callable[[], Preferences],
                 apply: Callable[[Preferences], None], replay_speed: Callable[[], int | None] = lambda: None) -> None:
        super().__init__(parent)
        self._current, self._apply, self._replay_speed = current, apply, replay_speed
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(440)
        layout = QVBoxLayout(self)
        layout.addWidget(self._appearance_box())
        layout.addWidget(self._numbers_box())
        layout.addWidget(self._orders_box())
        layout.addWidget(self._portfolio_box())
        layout.addWidget(self._paper_box())
        note = QLabel("Window size, dock layout and table columns are saved automatically when you quit.", self)
        note.setObjectName("layoutNote")
        note.setWordWrap(True)
        note.setEnabled(False)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.RestoreDefaults,
                                   self)
        buttons.setObjectName("settingsButtons")
        self.buttons = buttons
        buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("okButton")
        buttons.button(QDialogButtonBox.StandardButton.Apply).setObjectName("applyButton")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).setObjectName("defaultsButton")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(lambda: self.show_preferences(Preferences()))
        layout.addWidget(buttons)
        self.show_preferences(current())

    # -- sections -------------------------------------------------------------------
    def _appearance_box(self) -> QGroupBox:
        box = QGroupBox("Appearance", self)
        form = QFormLayout(box)
        self.theme_combo = QComboBox(box, objectName="themeCombo")
        for key, label in THEMES.items():
            self.theme_combo.addItem(label, key)
        form.addRow("&Theme:", self.theme_combo)
        return box

    def _numbers_box(self) -> QGroupBox:
        box = QGroupBox("Numbers in tables", self)
        form = QFormLayout(box)
        self.thousands_check = QCheckBox("Thousands separators (1,234,567.80)", box, objectName="thousandsCheck")
        self.decimals_combo = QComboBox(box, objectName="priceDecimalsCombo")
        for places in PRICE_DECIMALS:
            self.decimals_combo.addItem("Automatic (2 to 4, as the price needs)" if places == 0 else f"{places}", places)
        self.preview = QLabel(box, objectName="numberPreview")
        form.addRow(self.thousands_check)
        form.addRow("Price &decimals:", self.decimals_combo)
        form.addRow("Example:", self.preview)
        self.thousands_check.toggled.connect(self._update_preview)
        self.decimals_combo.currentIndexChanged.connect(self._update_preview)
        return box

    def _orders_box(self) -> QGroupBox:
        box = QGroupBox("Orders", self)
        form = QFormLayout(box)
        row = QWidget(box)
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        self.confirm_checks: dict[OrderType, QCheckBox] = {}
        for t, label in ORDER_TYPE_LABELS.items():
            check = QCheckBox(label, row, objectName=f"confirm{t.value.title().replace('_', '')}Check")
            check.setToolTip(f"Ask for confirmation (the order in words and its estimated cost) before sending a {label.lower()} order")
            self.confirm_checks[t] = check
            h.addWidget(check)
        h.addStretch(1)
        form.addRow("Confirm before sending:", row)
        self.enter_check = QCheckBox("Enter confirms in the confirmation dialog", box, objectName="enterConfirmsCheck")
        self.enter_check.setToolTip("Off: the confirmation takes Space on Confirm, a click or Alt+C, so the Enter that "
                                    "submitted the ticket (pressed twice or held) cannot also confirm")
        form.addRow(self.enter_check)
        self.notional_spin = QSpinBox(box, objectName="warnNotionalSpin")
        self.notional_spin.setRange(0, 1_000_000_000)
        self.notional_spin.setSingleStep(10_000)
        self.notional_spin.setGroupSeparatorShown(True)
        self.notional_spin.setSpecialValueText("never")
        self.notional_spin.setToolTip("The confirmation warns about an order worth more than this (in the order's "
                                      "currency); 0: never")
        form.addRow("Warn above an order value of:", self.notional_spin)
        self.shares_spin = QSpinBox(box, objectName="defaultSharesSpin")
        self.shares_spin.setRange(1, 10_000_000)
        self.shares_spin.setSuffix(" share")
        self.shares_spin.valueChanged.connect(lambda n: self.shares_spin.setSuffix(" share" if n == 1 else " shares"))
        self.contracts_spin = QSpinBox(box, objectName="defaultContractsSpin")
        self.contracts_spin.setRange(1, 100_000)
        self.contracts_spin.setSuffix(" contract")
        self.contracts_spin.valueChanged.connect(lambda n: self.contracts_spin.setSuffix(" contract" if n == 1 else " contracts"))
        form.addRow("Default quantity, stocks:", self.shares_spin)
        form.addRow("Default quantity, options:", self.contracts_spin)
        return box

    def _portfolio_box(self) -> QGroupBox:
        box = QGroupBox("Portfolio", self)
        form = QFormLayout(box)
        self.concentration_spin = QSpinBox(box, objectName="concentrationWarningSpin")
        self.concentration_spin.setRange(1, 100)
        self.concentration_spin.setSuffix(" % of market value")
        self.concentration_spin.setToolTip("The Portfolio panel's concentration chart draws a symbol whose share of "
                                           "the market value of all positions is above this in the warning colour")
        form.addRow("&Concentration warning above:", self.concentration_spin)
        return box

    def _paper_box(self) -> QGroupBox:
        box = QGroupBox("Paper connections", self)
        form = QFormLayout(box)
        self.speed_combo = QComboBox(box, objectName="replaySpeedCombo")
        for speed in REPLAY_SPEEDS:
            self.speed_combo.addItem(f"x{speed}  —  {speed} replayed minute{'s' if speed > 1 else ''} per second", speed)
        self.speed_combo.setToolTip("Applies to every paper connection; also set from the Replay menu and used "
                                    "whenever a paper connection connects")
        form.addRow("&Replay speed:", self.speed_combo)
        return box

    # -- values -----------------------------------------------------------------------
    def show_preferences(self, prefs: Preferences) -> None:
        """Put ``prefs`` in the widgets (nothing is applied until OK / Apply)."""
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(prefs.theme)))
        self.thousands_check.setChecked(prefs.thousands_separators)
        self.decimals_combo.setCurrentIndex(max(0, self.decimals_combo.findData(prefs.price_decimals)))
        for t, check in self.confirm_checks.items():
            check.setChecked(t in prefs.confirm)
        self.enter_check.setChecked(prefs.enter_confirms)
        self.notional_spin.setValue(prefs.warn_notional)
        self.shares_spin.setValue(prefs.default_shares)
        self.contracts_spin.setValue(prefs.default_contracts)
        self.concentration_spin.setValue(prefs.concentration_warning_pct)
        speed = prefs.replay_speed
        running = self._replay_speed()
        if running in REPLAY_SPEEDS and prefs is self._current():
            speed = running  # what the replay the Replay menu controls runs at now
        self.speed_combo.setCurrentIndex(max(0, self.speed_combo.findData(speed or 1)))
        self._update_preview()

    def preferences(self) -> Preferences:
        """The preferences the widgets show."""
        return Preferences(
            theme=self.theme_combo.currentData(),
            thousands_separators=self.thousands_check.isChecked(),
            price_decimals=int(self.decimals_combo.currentData()),
            confirm=frozenset(t for t, check in self.confirm_checks.items() if check.isChecked()),
            enter_confirms=self.enter_check.isChecked(),
            warn_notional=self.notional_spin.value(),
            default_shares=self.shares_spin.value(),
            default_contracts=self.contracts_spin.value(),
            replay_speed=int(self.speed_combo.currentData()),
            concentration_warning_pct=self.concentration_spin.value(),
        )

    def _update_preview(self) -> None:
        places = int(self.decimals_combo.currentData() or 0)
        sep = "," if self.thousands_check.isChecked() else ""
        money = f"{Decimal('1234567.8'):{sep}.2f}"
        price = f"{Decimal('187.25'):{sep}.{places or 2}f}"
        self.preview.setText(f"cash {money} · price {price}")

    def apply(self) -> None:
        """Save and apply the widgets' preferences now."""
        self._apply(self.preferences())

    def accept(self) -> None:
        self.apply()
        super().accept()


def open_settings_dialog(parent: QWidget, **kw) -> SettingsDialog:
    """Show the settings dialog over ``parent`` (window-modal, not blocking the event
    loop; one at a time); ``kw`` as for :class:`SettingsDialog`."""
    existing = parent.findChild(SettingsDialog, "settingsDialog")
    if existing is not None and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return existing
    dialog = SettingsDialog(parent, **kw)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


__all__ = [
    "Preferences",
    "SettingsDialog",
    "apply_preferences",
    "load_preferences",
    "open_settings_dialog",
    "paper_replays",
    "save_preferences",
]
