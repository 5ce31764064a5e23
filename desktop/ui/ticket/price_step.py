"""The ticket's price fields follow the instrument's tick (issue 14): Up / Down step a
limit or stop price by one tick, written with the instrument's decimals (EURUSD
0.00001 -> 1.10235, USDJPY 0.001 -> 110.125, shares 0.01), and the placeholder and
tooltip say the step. A field with no number yet, or one that is not a number, is
left as typed (the ticket's validation says what is wrong).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLineEdit

from desktop.domain import Instrument

DEFAULT_TICK = Decimal("0.01")


def stepped(text: str, tick: Decimal, steps: int) -> str | None:
    """``text`` (a price as typed, thousands separators allowed) moved by ``steps``
    ticks and rounded to the tick's decimals; None when ``text`` is not a positive
    number or the result would not be above zero."""
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    moved = value + tick * steps
    if moved <= 0:
        return None
    exponent = tick.normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 2
    return format(moved.quantize(Decimal(1).scaleb(-places)), "f")


class PriceStepper(QObject):
    """Event filter of the price fields ``edits`` (name -> field, e.g. "limit price")."""

    def __init__(self, edits: dict[str, QLineEdit], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.edits = edits
        self.tick = DEFAULT_TICK
        for edit in edits.values():
            edit.installEventFilter(self)

    def set_instrument(self, instrument: Instrument | None) -> None:
        """Step by ``instrument``'s tick (None: 0.01) and say so in each field."""
        self.tick = instrument.tick_size if instrument is not None and not instrument.is_option else DEFAULT_TICK
        decimals = instrument.price_decimals if instrument is not None else 2
        for name, edit in self.edits.items():
            if instrument is not None and (instrument.price_decimals > 2 or instrument.tick_size != DEFAULT_TICK):
                edit.setPlaceholderText(f"{name}, step {self.tick.normalize():f}")
            else:
                edit.setPlaceholderText(name)
            edit.setToolTip(f"The {name}, in steps of {self.tick.normalize():f} ({decimals} decimals): "
                            "Up / Down move it one step")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyPress and watched in self.edits.values():
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                text = stepped(watched.text(), self.tick, 1 if key == Qt.Key.Key_Up else -1)
                if text is not None:
                    watched.setText(text)
                    return True
        return super().eventFilter(watched, event)
