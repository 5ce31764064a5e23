"""Shared setup of the SnapTrade adapter tests: fresh payload log per test, and
helpers that build an adapter for the fake; and the browser the window tests catch."""

from __future__ import annotations

import pytest

from desktop.brokers.snaptrade.parse import PAYLOADS


@pytest.fixture(autouse=True)
def _fresh_payload_log():
    PAYLOADS.forget()
    yield


@pytest.fixture
def browser():
    """Catches the http(s) pages the app opens (the Connection Portal): their URLs in ``urls``."""
    from qt_helpers import catching_browser

    with catching_browser(("http", "https")) as catcher:
        yield catcher
