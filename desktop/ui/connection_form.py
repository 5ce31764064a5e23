"""The add / edit connection dialog, generated from the broker's :class:`BrokerSpec`.

Every field gets an input (``field_<name>``) with its error label underneath
(``error_<name>``); errors name the field and the problem and appear as you type
(a blank required field only after it has been touched). Save stays disabled while
anything is invalid. Secrets go to the :class:`SecretStore` (the OS keyring), never to
the connections file. A broker whose spec declares tools (``BrokerSpec.tools``, e.g.
IBKR's fetch certificate / check session / log in) gets one row of their buttons
(:mod:`desktop.ui.connection_tools`).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.security.secrets import SecretStore
from desktop.connections import BrokerSpec, Connection, ConnectionStore, FieldKind, FieldSpec, broker_specs, new_connection_id, validate_name
from desktop.connections.spec import next_free
from desktop.connections.store import names_in_use

from .connection_tools import ConnectionTools
from .ticket.style import FORM_SHEET, error_label, set_invalid, show_error



def warning_sheet() -> str:
    """Style of the keyring warning: amber (a warning, not an error), readable on the palette."""
    dark = QGuiApplication.palette().base().color().lightness() < 128
    colour = "#d29922" if dark else "#9a6700"
    return (f"QLabel#keyringWarning {{ color: {colour}; border: 1px solid {colour}; border-radius: 3px;"
            " padding: 6px; background: rgba(210, 153, 34, 0.10); }")
SAVED_SECRET_HINT = "saved — leave blank to keep"


class ConnectionEditDialog(QDialog):
    """Add (``connection`` None) or edit a saved connection.

    ``saved(Connection)`` is emitted after Save wrote the connection (and its secrets).
    ``note``: a sentence shown at the top (e.g. why the dialog opened). ``tools``: the
    spec's tool row (:class:`ConnectionTools`), None for a broker without tools.
    """

    saved = Signal(object)

    def __init__(self, store: ConnectionStore, secrets: SecretStore, connection: Connection | None = None,
                 parent: QWidget | None = None, *, broker: str | None = None, note: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("connectionEditDialog")
        self.setStyleSheet(FORM_SHEET + warning_sheet() + "QLabel[role=\"help\"] { color: palette(placeholder-text); }")
        self.store = store
        self.secrets = secrets
        self.connection = connection
        self._touched: set[str] = set()
        self._inputs: dict[str, QWidget] = {}
        self._errors_labels: dict[str, QLabel] = {}
        self._errors: dict[str, str] = {}
        self._stored_secrets: set[str] = set()
        self.setWindowTitle(f"Edit connection — {connection.name}" if connection else "Add connection")
        self.setMinimumWidth(460)

        layout = QVBoxLayout(self)
        self.note_label = QLabel(note, self, objectName="noteLabel", wordWrap=True)
        self.note_label.setVisible(bool(note))
        layout.addWidget(self.note_label)

        head = self.form = QFormLayout()
        self.broker_combo = QComboBox(self, objectName="brokerCombo")
        for spec in broker_specs():
            self.broker_combo.addItem(spec.display_name, spec.key)
        key = connection.broker if connection else (broker or (broker_specs()[0].key if broker_specs() else ""))
        self.broker_combo.setCurrentIndex(max(0, self.broker_combo.findData(key)))
        self.broker_combo.setEnabled(connection is None)
        if connection is not None:
            self.broker_combo.setToolTip("The broker of a saved connection cannot be changed; add a new connection instead")
        head.addRow("&Broker:", self.broker_combo)
        self.description = QLabel(self, objectName="brokerDescription", wordWrap=True)
        self.description.setProperty("role", "help")
        head.addRow("", self.description)
        self.name_edit = QLineEdit(self, objectName="field_name", placeholderText="e.g. My brokerage account")
        self._inputs["name"] = self.name_edit
        self._errors_labels["name"] = error_label("error_name", self)
        head.addRow("&Name:", self._boxed(self.name_edit, self._errors_labels["name"]))
        layout.addLayout(head)
        self._fixed_rows = head.rowCount()  # the broker's own fields follow, in the same form (aligned labels)
        self.fields_host = self

        self.keyring_label = QLabel(self, objectName="keyringWarning", wordWrap=True)
        self.keyring_label.setVisible(False)
        layout.addWidget(self.keyring_label)
        layout.addStretch(1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.name_edit.textEdited.connect(lambda _t: self._touch("name"))
        self.name_edit.textChanged.connect(self._revalidate)
        self.broker_combo.currentIndexChanged.connect(self._broker_changed)
        if connection is not None:
            self.name_edit.setText(connection.name)
            self._touched.add("name")
        self._broker_changed()

    # -- building -------------------------------------------------------------------
    @staticmethod
    def _boxed(field: QWidget, error: QLabel, help_text: str = "") -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(1)
        v.addWidget(field)
        v.addWidget(error)
        if help_text:
            help_label = QLabel(help_text, box, wordWrap=True)
            help_label.setProperty("role", "help")
            v.addWidget(help_label)
        return box

    def spec(self) -> BrokerSpec:
        """The broker chosen in the dialog."""
        key = self.broker_combo.currentData()
        return next(s for s in broker_specs() if s.key == key)

    def _broker_changed(self, *_args: object) -> None:
        spec = self.spec()
        self.description.setText(spec.description)
        self.description.setVisible(bool(spec.description))
        while self.form.rowCount() > self._fixed_rows:
            self.form.removeRow(self._fixed_rows)
        for name in [n for n in self._inputs if n != "name"]:
            del self._inputs[name]
            del self._errors_labels[name]
        self._touched &= {"name"}
        conn = self.connection
        values: dict[str, Any] = dict(spec.defaults())
        if conn is not None:
            values.update({k: "" if v is None else str(v) for k, v in conn.values.items()})
            self._stored_secrets = {f.name for f in spec.secret_fields if f.name in conn.secrets and self.secrets.has(conn.id, f.name)}
        else:
            self._stored_secrets = set()
        if conn is None and (not self.name_edit.text().strip() or self.name_edit.property("autoName")):
            self.name_edit.setText(self._suggest_name(spec))
            self.name_edit.setProperty("autoName", True)
        for field in spec.fields:
            value = values.get(field.name, field.default)
            if conn is None and field.unique:
                value = next_free(str(value), set(self._taken(spec, field.name)))
            widget = self._make_input(field, value)
            error = error_label(f"error_{field.name}", self.fields_host)
            self._inputs[field.name] = widget
            self._errors_labels[field.name] = error
            if field.hidden:  # kept by the app (a learnt user secret): an input no one sees
                widget.hide()
                error.hide()
                continue
            label = f"{field.label}{'' if field.required else ' (optional)'}:"
            box = self._boxed(widget, error, field.help)
            self.form.addRow(label, box)
            box.show()  # at once, not at the next event loop pass (the dialog may already be visible)
        self.tools = None
        if spec.tools:  # e.g. IBKR's gateway: fetch/trust certificate, session state, log in
            self.tools = ConnectionTools(spec.tools, self.texts, self._set_field_text, self.fields_host,
                                         name=lambda: self.name_edit.text().strip(),
                                         texts_with_secrets=self.texts_with_secrets)
            self.form.addRow(self.tools.row_label, self.tools)
            self.tools.show()
        self._update_keyring_warning(spec)
        self._revalidate()
        if self.isVisible():
            self.adjustSize()  # another broker's rows: grow to show them (and their help) whole

    def _taken(self, spec: BrokerSpec, name: str) -> dict[str, str]:
        """Values of field ``name`` in the other connections of ``spec``'s broker -> their names."""
        own = self.connection.id if self.connection else None
        return {str(c.config().get(name)): c.name for c in self.store.all() if c.broker == spec.key and c.id != own}

    def _suggest_name(self, spec: BrokerSpec) -> str:
        taken = names_in_use(self.store.all())
        base = "Paper" if spec.key == "paper" else spec.display_name
        name, n = base, 2
        while name.casefold() in taken:
            name, n = f"{base} {n}", n + 1
        return name

    def _make_input(self, field: FieldSpec, value: str) -> QWidget:
        name = f"field_{field.name}"
        if field.kind is FieldKind.CHOICE:
            combo = QComboBox(self.fields_host, objectName=name)
            if not field.required:
                combo.addItem("—", "")
            for choice, label in field.choices:
                combo.addItem(label, choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.currentIndexChanged.connect(lambda _i, n=field.name: self._touch(n))
            return combo
        edit = QLineEdit(self.fields_host, objectName=name)
        if field.kind is FieldKind.SECRET:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(SAVED_SECRET_HINT if field.name in self._stored_secrets else field.placeholder)
        else:
            edit.setText(value or "")
            edit.setPlaceholderText(field.placeholder or ("https://…" if field.kind is FieldKind.URL else ""))
        edit.textEdited.connect(lambda _t, n=field.name: self._touch(n))
        edit.textChanged.connect(self._revalidate)
        return edit

    def _set_field_text(self, name: str, text: str) -> None:
        widget = self._inputs.get(name)
        if isinstance(widget, QLineEdit):
            widget.setText(text)
            self._touch(name)
        elif isinstance(widget, QComboBox) and widget.findData(text) >= 0:
            widget.setCurrentIndex(widget.findData(text))
            self._touch(name)

    def _update_keyring_warning(self, spec: BrokerSpec) -> None:
        show = bool(spec.secret_fields) and not self.secrets.available
        self.keyring_label.setText(self.secrets.description() if show else "")
        self.keyring_label.setVisible(show)

    # -- validation -------------------------------------------------------------------
    def texts(self) -> dict[str, str]:
        """What the inputs hold, by field name (secrets included; never log this)."""
        out: dict[str, str] = {}
        for name, widget in self._inputs.items():
            out[name] = (widget.currentData() or "") if isinstance(widget, QComboBox) else widget.text()
        return out

    def texts_with_secrets(self) -> dict[str, str]:
        """:meth:`texts` with the saved secrets (from the keyring) in place of blank
        secret fields: for tools that call the broker with the saved keys."""
        out = self.texts()
        conn = self.connection
        spec = self.spec()
        blank = [f.name for f in spec.secret_fields if not out.get(f.name) and f.name in self._stored_secrets]
        if conn is not None and blank:
            found, _missing = self.secrets.secrets_for(conn.id, blank)
            out.update(found)
        return out

    def errors(self) -> dict[str, str]:
        """Current problems by field name ("name" for the connection's name)."""
        return dict(self._errors)

    def _touch(self, name: str) -> None:
        if name == "name":
            self.name_edit.setProperty("autoName", False)
        if name not in self._touched:
            self._touched.add(name)
        self._revalidate()

    def _validate(self) -> tuple[dict[str, Any], dict[str, str]]:
        texts = self.texts()
        spec = self.spec()
        values, errors = spec.validate_values(texts, present_secrets=self._stored_secrets)
        for field in spec.fields:
            if field.unique and field.name in values and field.name not in errors:
                other = self._taken(spec, field.name).get(str(values[field.name]))
                if other is not None:
                    errors[field.name] = f"{field.label} “{values[field.name]}” is already used by {other}"
        name_error = validate_name(texts.get("name", ""))
        exclude = self.connection.id if self.connection else None
        if not name_error and texts["name"].strip().casefold() in names_in_use(self.store.all(), exclude=exclude):
            name_error = f"Name “{texts['name'].strip()}” is already used by another connection"
        if name_error:
            errors = {"name": name_error, **errors}
        return values, errors

    def _revalidate(self, *_args: object) -> None:
        _values, errors = self._validate()
        self._errors = errors
        texts = self.texts()
        for name, label in self._errors_labels.items():
            message = errors.get(name)
            blank = not str(texts.get(name, "")).strip()
            quiet = message is not None and blank and name not in self._touched
            show_error(label, None if quiet else message)
            widget = self._inputs[name]
            set_invalid(widget, bool(message) and not quiet)
        self.save_button.setEnabled(not errors)
        self.save_button.setToolTip("\n".join(errors.values()) if errors else "Save this connection")

    # -- saving -------------------------------------------------------------------------
    def save(self) -> None:
        """Write the connection and its secrets; emits ``saved`` and closes."""
        values, errors = self._validate()
        if errors:
            self._touched.update(self._inputs)
            self._revalidate()
            return
        spec = self.spec()
        texts = self.texts()
        name = texts["name"].strip()
        conn = self.connection
        conn_id = conn.id if conn else new_connection_id()
        refs = dict(conn.secrets) if conn else {}
        for field in spec.secret_fields:
            value = values.pop(field.name, None)
            if value:
                refs[field.name] = self.secrets.store(conn_id, field.name, value)
        plain = {k: v for k, v in values.items() if k in {f.name for f in spec.plain_fields}}
        if conn is None:
            saved = self.store.add(spec.key, name, plain, refs, connection_id=conn_id)
        else:
            saved = self.store.update(conn.id, name=name, values=plain, secrets=refs)
        self.connection = saved
        for widget in self._inputs.values():  # don't keep secrets in widgets longer than needed
            if isinstance(widget, QLineEdit) and widget.echoMode() == QLineEdit.EchoMode.Password:
                widget.clear()
        self.saved.emit(saved)
        self.accept()


__all__ = ["ConnectionEditDialog"]
