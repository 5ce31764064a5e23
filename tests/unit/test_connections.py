"""Broker declarations (BrokerSpec / FieldSpec), the registry and saved connections."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from desktop.brokers.paper import PaperBroker
from desktop.connections import (
    BrokerSpec,
    Connection,
    ConnectionStore,
    FieldKind,
    FieldSpec,
    broker_spec,
    broker_specs,
    register_broker,
    unregister_broker,
    validate_name,
)
from desktop.paths import config_dir, data_dir

SECRET = "sk-live-9f8e7d6c5b4a"


class FakeBroker(PaperBroker):
    name = "demo"
    display_name = "Demo"

    def __init__(self, config, secrets):
        super().__init__(None, autostart=False)
        self.config, self.secrets = config, secrets


DEMO = BrokerSpec(
    key="demo",
    display_name="Demo Broker",
    description="A test broker",
    fields=(
        FieldSpec(name="api_url", label="API URL", kind=FieldKind.URL, default="https://api.demo.test"),
        FieldSpec(name="username", label="User name"),
        FieldSpec(name="api_key", label="API key", kind=FieldKind.SECRET),
        FieldSpec(name="region", label="Region", kind=FieldKind.CHOICE, choices=(("us", "United States"), ("eu", "Europe")),
                  default="us"),
        FieldSpec(name="timeout", label="Timeout", kind=FieldKind.INT, default="30", minimum=1, maximum=120),
        FieldSpec(name="account", label="Account", required=False,
                  validator=lambda v: None if str(v).startswith("U") else "Account must start with U"),
    ),
    factory=FakeBroker,
)


@pytest.fixture
def demo():
    register_broker(DEMO)
    yield DEMO
    unregister_broker("demo")


def texts(**overrides):
    base = {"api_url": "https://api.demo.test", "username": "bob", "api_key": SECRET, "region": "eu", "timeout": "45"}
    base.update(overrides)
    return base


# -- declarations -----------------------------------------------------------------------
def test_valid_form_parses_typed_values(demo):
    values, errors = demo.validate_values(texts())
    assert errors == {}
    assert values == {"api_url": "https://api.demo.test", "username": "bob", "api_key": SECRET, "region": "eu", "timeout": 45}


@pytest.mark.parametrize(("field", "text", "message"), [
    ("api_url", "", "API URL is required"),
    ("api_url", "ftp://x.test", "API URL must start with https:// (or http://)"),
    ("api_url", "https://", "API URL needs a host name, e.g. https://api.example.com"),
    ("username", "   ", "User name is required"),
    ("api_key", "", "API key is required"),
    ("region", "mars", "Region must be one of: United States, Europe"),
    ("timeout", "soon", "Timeout must be a whole number, not “soon”"),
    ("timeout", "0", "Timeout must be at least 1"),
    ("timeout", "500", "Timeout must be at most 120"),
    ("account", "X1", "Account must start with U"),
])
def test_each_error_names_the_field_and_the_problem(demo, field, text, message):
    _values, errors = demo.validate_values(texts(**{field: text}))
    assert errors == {field: message}


def test_blank_optional_field_is_fine_and_stored_secret_can_stay_blank(demo):
    values, errors = demo.validate_values(texts(account="", api_key=""), present_secrets={"api_key"})
    assert errors == {} and "account" not in values and "api_key" not in values


def test_next_free_value():
    from desktop.connections.spec import next_free

    assert next_free("paper.sqlite3", set()) == "paper.sqlite3"
    assert next_free("paper.sqlite3", {"paper.sqlite3", "paper-2.sqlite3"}) == "paper-3.sqlite3"
    assert next_free("acct", {"acct"}) == "acct-2"


def test_connection_name_rules():
    assert validate_name("") == "Name is required"
    assert validate_name("x" * 61) == "Name must be at most 60 characters"
    assert validate_name("My IBKR") is None


def test_bad_declarations_are_refused():
    with pytest.raises(ValueError):
        FieldSpec(name="Bad Name", label="x")
    with pytest.raises(ValueError):
        FieldSpec(name="side", label="Side", kind=FieldKind.CHOICE)  # no choices
    with pytest.raises(ValueError):
        BrokerSpec(key="dup", display_name="Dup", fields=(FieldSpec(name="a", label="A"), FieldSpec(name="a", label="A2")),
                   factory=FakeBroker)


# -- registry ---------------------------------------------------------------------------
def test_paper_is_registered_and_one_call_registers_an_adapter(demo):
    assert [s.key for s in broker_specs()][:1] == ["paper"]
    assert broker_spec("demo") is demo
    with pytest.raises(ValueError, match="already registered"):
        register_broker(DEMO.model_copy(update={"display_name": "Other"}))
    broker = broker_spec("demo").create()  # a registered spec creates its adapter with the defaults
    assert isinstance(broker, FakeBroker) and broker.config["timeout"] == 30 and broker.config["region"] == "us"
    unregister_broker("demo")
    with pytest.raises(KeyError, match="unknown broker 'demo'"):
        broker_spec("demo")


def test_paper_spec_validates_its_account_file_and_opens_it_in_the_data_dir():
    paper = broker_spec("paper")
    assert paper.validate_values({"account_file": "../x.sqlite3"})[1] == {
        "account_file": "Account file must be a plain file name (letters, digits, '.', '-', '_'), without folders"}
    assert paper.validate_values({"account_file": "other.db"})[1] == {"account_file": "Account file must end in .sqlite3"}
    broker = paper.create({"account_file": "second.sqlite3"})
    assert isinstance(broker, PaperBroker) and broker.store_path == data_dir() / "second.sqlite3"
    assert paper.create().store_path == data_dir() / "paper.sqlite3"


# -- saved connections ----------------------------------------------------------------
def test_first_run_creates_the_builtin_paper_connection():
    store = ConnectionStore.open_default()
    assert store.first_run
    paper = store.default()
    assert paper is not None and paper.builtin and paper.broker == "paper" and paper.name == "Paper"
    assert store.restore_ids() == [paper.id]  # connected on first run
    data = json.loads((config_dir() / "connections.json").read_text())
    assert [c["id"] for c in data["connections"]] == [paper.id]
    again = ConnectionStore.open_default()
    assert not again.first_run and [c.id for c in again.all()] == [paper.id]


def test_connections_round_trip_and_secrets_never_reach_the_file(demo):
    store = ConnectionStore.open_default()
    conn = store.add("demo", " Demo account ", {"api_url": "https://x.test", "username": "bob", "api_key": SECRET},
                     {"api_key": "keyring:Tradedesk/abc:api_key"})
    assert conn.name == "Demo account" and "api_key" not in conn.values
    store.update(conn.id, values={"username": "alice", "api_key": SECRET, "timeout": 10})
    store.set_connected(conn.id, True)
    text = (config_dir() / "connections.json").read_text()
    assert SECRET not in text
    reloaded = ConnectionStore.open_default()
    saved = reloaded.get(conn.id)
    assert saved.values == {"username": "alice", "timeout": 10}
    assert saved.secrets == {"api_key": "keyring:Tradedesk/abc:api_key"}
    assert reloaded.restore_ids() == [conn.id] and reloaded.last_connected == conn.id
    assert saved.config()["api_url"] == "https://api.demo.test"  # the default fills the gap
    with pytest.raises(ValueError, match="API key not entered"):
        saved.create_broker({})
    broker = saved.create_broker({"api_key": SECRET})
    assert broker.secrets == {"api_key": SECRET} and broker.config["username"] == "alice"
    assert broker.connection_id == conn.id  # bound to its connection: every object it reports carries the id
    reloaded.remove(conn.id)
    gone = ConnectionStore.open_default()
    assert conn.id not in gone and reloaded.last_connected is None and conn.id not in gone.connected


def test_adapters_are_found_by_their_spec_module():
    keys = [s.key for s in broker_specs()]
    assert keys[:2] == ["paper", "ibkr"]  # by rank: the built-in paper broker first
    assert broker_spec("ibkr").certificate_field == "certificate_sha256"
    assert [t.name for t in broker_spec("ibkr").tools] == ["fetchCertificate", "checkSession", "gatewayLogin"]
    assert broker_spec("paper").preset("paper-advisor").values["mode"] == "advisor"
    title, _body = broker_spec("paper").welcome_texts({"mode": "advisor"})
    assert "advisor demo" in title


def test_builtin_connection_cannot_be_removed():
    store = ConnectionStore.open_default()
    with pytest.raises(ValueError, match="built in"):
        store.remove(store.default().id)


def test_unreadable_file_falls_back_to_builtins(caplog):
    path = config_dir() / "connections.json"
    path.write_text("{not json")
    store = ConnectionStore(path)
    assert [c.broker for c in store.all()] == ["paper"]
    assert "could not read" in caplog.text


def test_connection_of_an_unknown_broker_is_kept_but_not_created():
    path = config_dir() / "connections.json"
    path.write_text(json.dumps({"version": 1, "connections": [
        {"id": "x1", "broker": "gone", "name": "Old adapter", "values": {}, "secrets": {}}]}))
    store = ConnectionStore(path)
    conn = store.get("x1")
    assert isinstance(conn, Connection) and store.default() is not None
    with pytest.raises(KeyError, match="unknown broker 'gone'"):
        conn.create_broker({})


def test_connections_secrets_and_redaction_load_no_qt():
    code = ("import desktop.connections, desktop.security.secrets, desktop.security.redaction, sys; "
            "assert not any(m.startswith(('PySide6', 'pyqtgraph', 'qasync')) for m in sys.modules), 'Qt loaded'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
