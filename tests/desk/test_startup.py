"""Which connections the app connects at start (``tradedesk [--broker KEY]``)."""

from __future__ import annotations

import pytest

from desktop.connections import ConnectionStore
from desktop.desk.startup import connection_for_key, startup_connections


def test_first_run_connects_the_built_in_paper_connection(tmp_path):
    store = ConnectionStore(tmp_path / "c.json")
    assert startup_connections(store) == ["paper"]


def test_broker_key_opens_its_connection_beside_the_restored_ones(tmp_path):
    store = ConnectionStore(tmp_path / "c.json")
    store.set_connected("paper", True)
    ids = startup_connections(store, "paper-advisor")
    advisor = store.get(ids[1])
    assert ids[0] == "paper" and advisor.values["mode"] == "advisor" and advisor.name == "Paper advisor demo"
    assert advisor.values["account_file"] == "paper-advisor.sqlite3"
    assert startup_connections(store, "paper-advisor") == ids  # found again, not added twice
    ibkr = connection_for_key(store, "ibkr")
    assert ibkr.broker == "ibkr" and connection_for_key(store, "ibkr").id == ibkr.id
    assert connection_for_key(store, "paper").id == "paper"


def test_unknown_key_names_the_known_ones(tmp_path):
    with pytest.raises(KeyError) as refused:
        connection_for_key(ConnectionStore(tmp_path / "c.json"), "nosuch")
    assert "paper-advisor" in str(refused.value) and "ibkr" in str(refused.value)
