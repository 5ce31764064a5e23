"""A malformed payload is logged and skipped, never a crash: the rest still arrives.

Each case feeds its adapter the malformed payloads it can produce
(:meth:`tests.conformance.cases.BrokerCase.inject_malformed`): IBKR rows the gateway
emulator adds to its answers or websocket frames, the paper broker rows of its SQLite
store that no longer parse on the next connect.
"""

from __future__ import annotations

import logging

import pytest


def test_malformed_payload_is_logged_and_skipped(run, case, malformed_kind, caplog):
    if malformed_kind is None:
        pytest.skip(f"{case.id} has no payload to corrupt: {case.no_malformed}")
    caplog.set_level(logging.WARNING)

    async def scenario(s):
        malformed = await case.inject_malformed(s, malformed_kind)
        items = await malformed.read()
        for item in items:
            s.check_owned(item)
        return malformed, {malformed.key(i) for i in items}

    malformed, keys = run(scenario)
    assert malformed.survivors, "the case names nothing that must still arrive"
    assert malformed.survivors <= keys, f"{malformed.what}: missing {malformed.survivors - keys}; got {keys}"
    assert malformed.dropped not in keys, f"{malformed.what}: the malformed item arrived"
    named = [r for r in caplog.records if r.levelno >= logging.WARNING and malformed.token in r.getMessage()]
    assert named, (f"{malformed.what}: no WARNING names {malformed.token!r}; logged: "
                   f"{[r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.WARNING]}")
