"""The chart's top row: symbol picker, interval buttons, which source the bars come
from (a label and the "Source ▾" menu), and a notice label."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QActionGroup, QColor, QPainter, QPolygonF
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from desktop.domain.enums import Interval

from .theme import DARK, ChartTheme

INTERVAL_LABELS = {
    Interval.M1: "1m",
    Interval.M5: "5m",
    Interval.M15: "15m",
    Interval.H1: "1h",
    Interval.D1: "1D",
}


SOURCE_KEEP_MAX = 140
"""At most this many pixels of the source label stay when the toolbar is narrow."""


class ElidedLabel(QLabel):
    """A one-line label that shrinks with an ellipsis; the full text is the tooltip.
    ``short``: what it shows instead when the text does not fit (e.g. just the chart
    source's connection name), itself shortened with an ellipsis if needed."""

    short = ""

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, _ev) -> None:  # noqa: N802
        p = QPainter(self)
        rect = self.contentsRect()
        metrics, text = self.fontMetrics(), self.text()
        if self.short and metrics.horizontalAdvance(text) > rect.width():
            text = self.short
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(rect, int(self.alignment()), text)
        p.end()


class WholeLabel(QLabel):
    """A one-line label drawn whole or not at all (never widens the toolbar): where
    it is used, a neighbour says the same in fewer words."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def fits(self) -> bool:
        """Whether the whole text is drawn at the current width."""
        return self.fontMetrics().horizontalAdvance(self.text()) <= self.contentsRect().width()

    def paintEvent(self, ev) -> None:  # noqa: N802
        if self.fits():
            super().paintEvent(ev)


class SymbolBox(QComboBox):
    """The editable symbol combo; draws its own drop-down arrow in ``arrow_color`` (the
    style sheet's flat drop-down has none)."""

    arrow_color = QColor("#787b86")

    def paintEvent(self, ev) -> None:  # noqa: N802
        super().paintEvent(ev)
        r = self.rect()
        cx, cy = r.right() - 10, r.center().y() + 1
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.arrow_color)
        p.drawPolygon(QPolygonF([QPointF(cx - 4, cy - 2), QPointF(cx + 4, cy - 2), QPointF(cx, cy + 3)]))
        p.end()


PRICE_BASIS_TEXT = {
    "adjusted": "Adjusted for splits and dividends",
    "unadjusted": "Unadjusted prices",
    "intraday": "Unadjusted prices (intraday bars are not adjusted)",
}
"""The price-basis label for each basis a chart source may draw."""
PRICE_BASIS_TIP = {
    "adjusted": ("Daily bars are scaled by Adj Close / Close, in the prices of the replay's current date: "
                 "the latest bar matches the live price, older bars show no false drops at splits. "
                 "Volume is not adjusted. Quotes, orders and fills always use the prices as traded."),
    "unadjusted": "Daily bars at the prices as traded: splits show as sudden drops.",
    "intraday": "Intraday bars are always at the prices as traded; only daily bars can be adjusted.",
}


AUTOMATIC_SOURCE = "Automatic"
"""The source menu's first entry: the app picks the connection (the ticket's, else the
first live one serving bars)."""


class ChartToolbar(QWidget):
    """Symbol combo (editable, upper-cased), interval buttons, the source label
    (``source_label``, "chartSourceLabel"), notice text, and the "Source ▾" button
    (``source_button``, "chartSourceButton") with its menu (``source_menu``).

    Signals fire when the selection changes through the user or ``select_*``;
    ``sourceRequested(connection id | None)`` when the user picks a source (None:
    automatic). The ``set_*`` methods update the display silently.
    """

    symbolChanged = Signal(str)
    intervalChanged = Signal(str)  # an Interval value: "1m", "5m", "15m", "1h", "1d"
    sourceRequested = Signal(object)

    def __init__(self, theme: ChartTheme = DARK, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._symbol = ""
        self._interval: Interval | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(3)

        self.symbol_combo = SymbolBox(self)
        self.symbol_combo.setEditable(True)
        self.symbol_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.symbol_combo.setMinimumContentsLength(5)  # tickers; the box widens when there is room
        self.symbol_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.symbol_combo.lineEdit().setPlaceholderText("Symbol")
        self.symbol_combo.lineEdit().setToolTip("Type a symbol and press Enter (Escape: back to the chart's symbol)")
        self.symbol_combo.installEventFilter(self)  # the combo has the focus and passes keys on
        self.symbol_combo.lineEdit().installEventFilter(self)
        self.symbol_combo.lineEdit().returnPressed.connect(self._on_symbol_entered)
        self.symbol_combo.activated.connect(lambda _i: self._on_symbol_entered())
        lay.addWidget(self.symbol_combo)
        lay.addSpacing(4)

        self.interval_group = QButtonGroup(self)
        self.interval_group.setExclusive(True)
        self.interval_buttons: dict[Interval, QToolButton] = {}
        for i, iv in enumerate(Interval):
            btn = QToolButton(self)
            btn.setText(INTERVAL_LABELS.get(iv, iv.value))
            btn.setCheckable(True)
            btn.setAutoRaise(True)
            btn.setToolTip(f"{iv.value} bars")
            self.interval_group.addButton(btn, i)
            self.interval_buttons[iv] = btn
            lay.addWidget(btn)
        self.interval_group.idClicked.connect(self._on_interval_clicked)
        lay.addSpacing(6)

        self.source_label = ElidedLabel(self, objectName="chartSourceLabel")  # shrinks with "…" when narrow
        self.source_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.source_label.hide()
        lay.addWidget(self.source_label)
        lay.addSpacing(4)
        self.notice_label = ElidedLabel(self)
        self.notice_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notice_label.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight)
        lay.addWidget(self.notice_label, 1)
        self._build_price_basis(lay)
        self._build_source_button(lay)
        self.apply_theme(theme)

    def _build_price_basis(self, lay: QHBoxLayout) -> None:
        """The label saying which prices are drawn (``basis_label``,
        "chartPriceBasisLabel"): drawn whole or, when the toolbar is narrow, not at all
        (the chart's "Adjusted"/"Unadjusted" button says it anyway)."""
        self.basis_label = WholeLabel(self, objectName="chartPriceBasisLabel")
        self.basis_label.hide()
        lay.addWidget(self.basis_label)

    def set_price_basis(self, basis: str | None) -> None:
        """Say which prices are drawn: a PRICE_BASIS_TEXT key, or None to hide the label."""
        text = PRICE_BASIS_TEXT.get(basis or "", "")
        self.basis_label.setText(text)
        if text:
            self.basis_label.setToolTip(f"{text}\n{PRICE_BASIS_TIP[basis]}")
        self.basis_label.setVisible(bool(text))

    def _build_source_button(self, lay: QHBoxLayout) -> None:
        self.source_button = QToolButton(self, objectName="chartSourceButton")
        self.source_button.setText("Source ▾")
        self.source_button.setAutoRaise(True)
        self.source_button.setToolTip("Which connection the chart loads its bars from")
        self.source_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.source_menu = QMenu(self.source_button, objectName="chartSourceMenu")
        self.source_button.setMenu(self.source_menu)
        self._source_group = QActionGroup(self.source_menu)
        self._source_group.setExclusive(True)
        self._source_choice: str | None = None
        self.set_sources([], None)
        lay.addWidget(self.source_button)

    def apply_theme(self, t: ChartTheme) -> None:
        """Colours from theme ``t``."""
        self.symbol_combo.arrow_color = QColor(t.text_dim)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            f"""
            ChartToolbar {{ background: {t.panel}; }}
            QComboBox {{ color: {t.text}; background: {t.background}; border: 1px solid {t.grid};
                         border-radius: 3px; padding: 2px 6px; font-weight: bold; }}
            QComboBox::drop-down {{ border: none; width: 16px; }}
            QComboBox::down-arrow {{ image: none; }}
            QComboBox QAbstractItemView {{ color: {t.text}; background: {t.panel};
                         selection-background-color: {t.accent}; }}
            QToolButton {{ color: {t.text_dim}; border: none; border-radius: 3px;
                           padding: 3px 4px; font-weight: bold; }}
            QToolButton:hover {{ color: {t.text}; background: {t.grid}; }}
            QToolButton:checked {{ color: #ffffff; background: {t.accent}; }}
            QToolButton::menu-indicator {{ image: none; width: 0px; }}
            ElidedLabel {{ color: {t.notice}; font-style: italic; }}
            ElidedLabel#chartSourceLabel {{ color: {t.text_dim}; font-style: normal; }}
            WholeLabel#chartPriceBasisLabel {{ color: {t.text_dim}; }}
            """
        )

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
        """The symbol box never keeps text that was not entered: Escape, or leaving it
        without Enter, puts the selected symbol back."""
        if obj is self.symbol_combo or obj is self.symbol_combo.lineEdit():
            if ev.type() == QEvent.Type.KeyPress and ev.key() == Qt.Key.Key_Escape:
                self.revert_symbol_text()
                return True
            if ev.type() == QEvent.Type.FocusOut and ev.reason() != Qt.FocusReason.PopupFocusReason:
                self.revert_symbol_text()
        return super().eventFilter(obj, ev)

    def revert_symbol_text(self) -> None:
        """Show the selected symbol in the box again (silently)."""
        if self.symbol_combo.currentText() != self._symbol:
            self.set_symbol(self._symbol)

    # -- display (silent) -----------------------------------------------------
    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Offer these symbols in the picker; keeps the current one shown."""
        combo = self.symbol_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(list(symbols))
        combo.setEditText(self._symbol)
        combo.blockSignals(False)

    def set_symbol(self, symbol: str) -> None:
        self._symbol = symbol
        combo = self.symbol_combo
        combo.blockSignals(True)
        idx = combo.findText(symbol, Qt.MatchFlag.MatchFixedString) if symbol else -1
        combo.setCurrentIndex(idx)
        combo.setEditText(symbol)
        combo.blockSignals(False)

    def set_interval(self, interval: Interval | str | None) -> None:
        self._interval = None if interval is None else Interval(interval)
        group = self.interval_group
        group.setExclusive(False)  # allows unchecking all
        for iv, btn in self.interval_buttons.items():
            btn.setChecked(iv is self._interval)
        group.setExclusive(True)

    def set_notice(self, text: str) -> None:
        self.notice_label.setText(text)

    def set_source_text(self, text: str, tooltip: str = "", *, short: str = "", keep: str = "") -> None:
        """Show ``text`` as the source label ("" hides it); ``tooltip`` explains it.
        When it does not fit, ``short`` is shown instead (the source without the symbol
        and interval the toolbar shows anyway), shortened at its end if need be, and
        however narrow the toolbar ``keep`` (the connection's name) stays readable (up to
        SOURCE_KEEP_MAX pixels)."""
        metrics = self.source_label.fontMetrics()
        self.source_label.short = short or keep  # "AAPL · 1m · Paper (synthetic intraday)" -> "Paper (synthetic…"
        self.source_label.setMinimumWidth(min(metrics.horizontalAdvance(keep) + 2, SOURCE_KEEP_MAX) if keep else 0)
        self.source_label.setText(text)
        self.source_label.setToolTip(f"{text}\n{tooltip}" if tooltip else text)
        self.source_label.setVisible(bool(text))

    def set_sources(self, sources: Iterable[tuple[str, str]], choice: str | None) -> None:
        """Fill the source menu: "Automatic", then each ``(connection_id, name)``;
        ``choice`` (None: automatic) is checked (automatic when it is not listed)."""
        sources = list(sources)
        menu = self.source_menu
        for action in self._source_group.actions():
            self._source_group.removeAction(action)
        menu.clear()
        listed = choice if any(cid == choice for cid, _name in sources) else None
        self._source_choice = choice
        self._add_source(AUTOMATIC_SOURCE, None, listed)
        if sources:
            menu.addSeparator()
        for cid, name in sources:
            self._add_source(name, cid, listed)
        if not sources:
            none = menu.addAction("No connected broker serves price history")
            none.setEnabled(False)

    def _add_source(self, text: str, connection_id: str | None, checked: str | None) -> None:
        action = self.source_menu.addAction(text)
        action.setCheckable(True)
        action.setChecked(connection_id == checked)
        action.setData(connection_id)
        action.setObjectName(f"source:{connection_id or 'auto'}")
        self._source_group.addAction(action)
        action.triggered.connect(lambda _checked=False, cid=connection_id: self._on_source_picked(cid))

    def _on_source_picked(self, connection_id: str | None) -> None:
        if connection_id != self._source_choice:
            self._source_choice = connection_id
            self.sourceRequested.emit(connection_id)

    @property
    def symbol(self) -> str:
        return self._symbol

    @property
    def interval(self) -> Interval | None:
        return self._interval

    # -- selection (emits, like the user) -------------------------------------
    def select_symbol(self, symbol: str) -> None:
        """Select ``symbol`` as if the user had entered it: emits if it changed."""
        symbol = symbol.strip()
        if not symbol:
            self.symbol_combo.setEditText(self._symbol)
            return
        changed = symbol != self._symbol
        self.set_symbol(symbol)
        if changed:
            self.symbolChanged.emit(symbol)

    def select_interval(self, interval: Interval | str) -> None:
        """Select ``interval`` as if the user had clicked it: emits if it changed."""
        iv = Interval(interval)
        changed = iv is not self._interval
        self.revert_symbol_text()  # what was typed but not entered is not the selection
        self.set_interval(iv)
        if changed:
            self.intervalChanged.emit(iv.value)

    def _on_symbol_entered(self) -> None:
        self.select_symbol(self.symbol_combo.currentText().upper())

    def _on_interval_clicked(self, button_id: int) -> None:
        self.select_interval(list(Interval)[button_id])
