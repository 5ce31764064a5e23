"""Adapter-specific actions of the connection form, declared by the broker's spec. Qt-free.

The form (desktop.ui.connection_form) shows one button per :class:`ConnectionTool`
and runs it with the form's current texts; the tool answers a :class:`ToolResult`
that the form carries out: show ``message``, open ``open_url`` in the browser, fill
``set_values`` into fields, or first ask the user to trust a server certificate
(``trust``) and on yes write its fingerprint into ``trust.field``, or ask the user to
choose one of several items (``choice``, a :class:`ToolChoice`: e.g. which brokerage
connection to remove), then confirm, then go on with the chosen one. IBKR's gateway
tools (fetch certificate, check session, log in) are declared this way in
``desktop/connections/adapters/ibkr.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CertificateOffer:
    """A certificate to show the user: ``url`` of the server, its SHA-256
    ``fingerprint`` ("AB:CD:..."), and the form ``field`` to write it to on trust."""

    url: str
    fingerprint: str
    field: str


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """A choice the form asks for before a tool goes on: ``title`` (the dialog's),
    ``prompt``, ``options`` as ``(value, label)`` pairs; ``confirm``: a yes/no
    question asked after the choice ("{label}" is replaced by the chosen label; ""
    asks nothing); ``then(texts, value)`` goes on with the chosen value and answers
    the next :class:`ToolResult`. Cancelling the choice or answering no stops there."""

    title: str
    prompt: str
    options: tuple[tuple[str, str], ...]
    then: "Callable[[Mapping[str, str], str], Awaitable[ToolResult]]"
    confirm: str = ""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool asks the form to do (see the module docstring)."""

    message: str = ""
    open_url: str = ""
    set_values: Mapping[str, str] = field(default_factory=dict)
    trust: CertificateOffer | None = None
    choice: ToolChoice | None = None
    trusted_message: str = "Certificate trusted: save the connection to keep it"
    refused_message: str = "Certificate not trusted"


ToolRun = Callable[[Mapping[str, str]], Awaitable[ToolResult]]
"""``await run(texts)`` with the form's texts by field name. Errors it raises are
shown as "Failed: ..."; expected failures should come back as a ``message``."""


@dataclass(frozen=True, slots=True)
class ConnectionTool:
    """One button of the connection form: ``name`` (its objectName is
    ``f"{name}Button"``), ``label``, ``tip`` and ``run``. ``row_label`` names the
    form row the buttons of a spec share (e.g. "Gateway:"). ``stored_secrets``: the
    tool is run with the connection's saved secrets in place of blank secret fields
    (a tool that calls the broker's API with the saved keys, e.g. SnapTrade's "Link a
    brokerage…"); the texts never leave the tool. ``ask``: a yes/no question asked
    before the tool runs (e.g. "this may be charged"); "" runs it at once."""

    name: str
    label: str
    run: ToolRun
    tip: str = ""
    row_label: str = "Tools:"
    stored_secrets: bool = False
    ask: str = ""
