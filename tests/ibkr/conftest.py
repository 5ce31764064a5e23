"""Shared setup of the IBKR adapter tests."""

from __future__ import annotations

import pytest

from desktop.brokers.ibkr.parse import PAYLOADS


@pytest.fixture(autouse=True)
def _fresh_payload_log():
    """Each test sees the first occurrence of an unreadable payload logged at WARNING
    (the adapter logs repeats of one it has seen at DEBUG only)."""
    PAYLOADS.forget()
    yield
