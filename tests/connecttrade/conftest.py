"""Shared setup of the Connect Trade adapter tests."""

from __future__ import annotations

import pytest

from desktop.brokers.connecttrade.wire import PAYLOADS


@pytest.fixture(autouse=True)
def _fresh_payload_log():
    """Each test sees the first occurrence of an unreadable payload logged at WARNING."""
    PAYLOADS.forget()
    yield
