"""Shared setup of the SnapTrade adapter tests: fresh payload log per test, and
helpers that build an adapter for the fake."""

from __future__ import annotations

import pytest

from desktop.brokers.snaptrade.parse import PAYLOADS


@pytest.fixture(autouse=True)
def _fresh_payload_log():
    PAYLOADS.forget()
    yield
