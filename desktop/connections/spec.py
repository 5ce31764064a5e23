"""What a broker needs to connect: its fields, declared once per adapter. Qt-free.

A :class:`BrokerSpec` lists :class:`FieldSpec` s (text, url, secret, choice, int) and
a ``factory(config, secrets) -> Broker``. The connections dialog is generated from it;
:meth:`BrokerSpec.validate` gives one error per field, naming the field and the problem.
Adapter-specific actions of the connection form (IBKR: fetch the gateway's
certificate, check the session, open the login page) are :class:`ConnectionTool` s of
the spec (see :mod:`desktop.connections.tools`), so the UI never imports an adapter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from desktop.brokers import Broker

from .tools import ConnectionTool

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class FieldKind(str, Enum):
    """How a field is entered and checked. SECRET values go to the OS keyring only."""

    TEXT = "text"
    URL = "url"
    SECRET = "secret"
    CHOICE = "choice"
    INT = "int"


Validator = Callable[[Any], "str | None"]
"""Extra check of a field's parsed value: None when fine, else the error message
(which names the field, e.g. "Account file must end in .sqlite3")."""

Factory = Callable[[dict[str, Any], dict[str, str]], Broker]
"""``factory(config, secrets)``: a new, not yet connected Broker. ``config`` holds the
parsed non-secret values (ints as int), ``secrets`` the secret values by field name."""


class FieldSpec(BaseModel):
    """One input of a connection form.

    ``name``: key in the saved config (snake_case); ``label``: what people read;
    ``kind``: see :class:`FieldKind`; ``required``; ``default`` (as the form shows it);
    ``help``: a sentence shown under the field; ``choices``: (value, label) pairs for
    CHOICE; ``minimum`` / ``maximum`` for INT; ``validator``: an extra check;
    ``unique``: no two connections of the broker may share the value (the form
    suggests a free one, e.g. "paper-2.sqlite3"); ``hidden``: kept by the app, not
    shown in the form (a user secret the adapter learns at registration, or a tool
    fills in; a hidden SECRET still lives in the keyring only).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    default: str = ""
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    placeholder: str = ""
    validator: Validator | None = None
    unique: bool = False
    hidden: bool = False

    @field_validator("name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _NAME.match(value) or value == "name":
            raise ValueError(f"field name {value!r} must be snake_case and not 'name' (the connection's own name)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        if self.kind is FieldKind.CHOICE and not self.choices:
            raise ValueError(f"choice field {self.name!r} needs choices")
        if self.kind is FieldKind.CHOICE and self.default and self.default not in self.choice_values:
            raise ValueError(f"default {self.default!r} of {self.name!r} is not one of its choices")
        return self

    @property
    def secret(self) -> bool:
        return self.kind is FieldKind.SECRET

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _label in self.choices)

    def parse(self, text: str) -> tuple[Any, str | None]:
        """``(value, error)`` for the form's text: ``error`` names the field and the
        problem; ``value`` is None for a blank optional field or on error."""
        raw = "" if text is None else str(text)
        value = raw if self.secret else raw.strip()
        if value == "":
            return None, (f"{self.label} is required" if self.required else None)
        parsed: Any = value
        if self.kind is FieldKind.INT:
            try:
                parsed = int(value.replace(",", "").replace("_", ""))
            except ValueError:
                return None, f"{self.label} must be a whole number, not “{value}”"
            if self.minimum is not None and parsed < self.minimum:
                return None, f"{self.label} must be at least {self.minimum}"
            if self.maximum is not None and parsed > self.maximum:
                return None, f"{self.label} must be at most {self.maximum}"
        elif self.kind is FieldKind.URL:
            error = _url_error(self.label, value)
            if error:
                return None, error
        elif self.kind is FieldKind.CHOICE and value not in self.choice_values:
            labels = ", ".join(label for _v, label in self.choices)
            return None, f"{self.label} must be one of: {labels}"
        if self.validator is not None:
            error = self.validator(parsed)
            if error:
                return None, error
        return parsed, None


def _url_error(label: str, value: str) -> str | None:
    try:
        parts = urlsplit(value)
    except ValueError:
        return f"{label} is not a valid web address"
    if parts.scheme not in ("http", "https"):
        return f"{label} must start with https:// (or http://)"
    if not parts.hostname:
        return f"{label} needs a host name, e.g. https://api.example.com"
    if any(ch.isspace() for ch in value):
        return f"{label} must not contain spaces"
    return None


class Preset(BaseModel):
    """A ready-made connection of a broker that ``tradedesk --broker KEY`` opens by
    its own key (e.g. ``paper-advisor``: a paper connection in advisor mode with its
    own account file): ``key``, the ``name`` the saved connection gets, ``values``."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    values: dict[str, str] = Field(default_factory=dict)


WelcomeText = Callable[[dict[str, Any]], "tuple[str, str] | None"]
"""``welcome(config) -> (title, rich-text body)`` of the first-run banner for a
connection of this broker, or None for the generic text (see desktop.ui.welcome)."""


class BrokerSpec(BaseModel):
    """A broker the user can add as a connection.

    ``key``: the adapter's ``Broker.name`` ("paper", "ibkr", ...); ``display_name``;
    ``description``: one sentence for the add dialog; ``fields``; ``factory``;
    ``builtin``: a connection of this broker is created on first run (paper);
    ``rank``: position in lists (lower first); ``presets``: see :class:`Preset`;
    ``tools``: extra actions of the connection form; ``certificate_field``: the
    field that pins a server certificate's SHA-256 (trusting a certificate on
    connect writes it there), "" when the broker has none; ``welcome``: see
    :data:`WelcomeText`; ``combinable``: connections of this broker can be live
    beside others (False for a broker that allows one session per machine);
    ``session_secrets``: names of secrets the adapter's session learns and keeps in
    the keyring through ``Broker.save_secret`` (TradeLocker's refresh token), not
    shown in the form; the factory receives them with the secret fields when stored.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    display_name: str
    description: str = ""
    fields: tuple[FieldSpec, ...] = ()
    factory: Factory = Field(repr=False)
    builtin: bool = False
    rank: int = 100
    presets: tuple[Preset, ...] = ()
    tools: tuple[ConnectionTool, ...] = ()
    certificate_field: str = ""
    welcome: WelcomeText | None = Field(default=None, repr=False)
    combinable: bool = True
    session_secrets: tuple[str, ...] = ()

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"broker key {value!r} must be lower-case letters, digits or _")
        return value

    @model_validator(mode="after")
    def _unique(self) -> "BrokerSpec":
        names = [f.name for f in self.fields]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate field names in {self.key}: {', '.join(sorted(dupes))}")
        return self

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``. Raises KeyError."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.key} has no field {name!r}")

    @property
    def secret_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.secret)

    @property
    def plain_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if not f.secret)

    def defaults(self) -> dict[str, str]:
        """The form's initial text of every non-secret field."""
        return {f.name: f.default for f in self.plain_fields}

    def validate_values(self, texts: Mapping[str, str], *, present_secrets: frozenset[str] | set[str] = frozenset()
                        ) -> tuple[dict[str, Any], dict[str, str]]:
        """Parse the form: ``(values, errors)`` by field name.

        ``present_secrets``: secret fields already stored, so a blank entry keeps them
        (editing a connection without retyping its password).
        """
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for spec in self.fields:
            text = texts.get(spec.name, "")
            if spec.secret and not text and spec.name in present_secrets:
                continue
            value, error = spec.parse(text)
            if error:
                errors[spec.name] = error
            elif value is not None:
                values[spec.name] = value
        return values, errors

    def config_from(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """Saved non-secret values with defaults filled in and parsed (for the factory)."""
        config: dict[str, Any] = {}
        for spec in self.plain_fields:
            raw = stored.get(spec.name, spec.default)
            value, _error = spec.parse("" if raw is None else str(raw))
            if value is None and spec.default:
                value, _error = spec.parse(spec.default)
            config[spec.name] = value
        return config

    def create(self, config: Mapping[str, Any] | None = None, secrets: Mapping[str, str] | None = None) -> Broker:
        """A new Broker from saved values (defaults for the missing ones) and secrets."""
        return self.factory(self.config_from(config or {}), dict(secrets or {}))

    def preset(self, key: str) -> Preset | None:
        """The preset called ``key``, or None."""
        return next((p for p in self.presets if p.key == key), None)

    def welcome_texts(self, stored: Mapping[str, Any]) -> tuple[str, str] | None:
        """The banner of a connection with saved values ``stored`` (see ``welcome``)."""
        return self.welcome(self.config_from(stored)) if self.welcome is not None else None


def validate_name(text: str) -> str | None:
    """Error for a connection's own name ("Name is required"), None when fine."""
    name = (text or "").strip()
    if not name:
        return "Name is required"
    if len(name) > 60:
        return "Name must be at most 60 characters"
    return None


def next_free(value: str, taken: set[str] | frozenset[str]) -> str:
    """``value``, or the first of "stem-2.ext", "stem-3.ext", ... not in ``taken``."""
    if value not in taken:
        return value
    stem, dot, ext = value.partition(".")
    n = 2
    while f"{stem}-{n}{dot}{ext}" in taken:
        n += 1
    return f"{stem}-{n}{dot}{ext}"
