"""Parametrisation of the conformance suite over :data:`tests.conformance.cases.CASES`.

A test that takes ``case`` runs once per adapter case; one that takes ``case`` and
``malformed_kind`` once per (case, kind of malformed payload the case can feed).
``run(scenario)`` runs ``async def scenario(session)`` against the case on a fresh
asyncio loop (the suite's ``arun``) with the case's timeout. A case's
``known_failures`` become strict xfails of those tests for that case only, expecting
an AssertionError (an error of another kind, e.g. an import error, still fails).
"""

from __future__ import annotations

import pytest

from .cases import CASES, BrokerCase


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" not in metafunc.fixturenames:
        return
    if "malformed_kind" in metafunc.fixturenames:
        params = [pytest.param(case, kind, id=f"{case.id}-{kind}")
                  for case in CASES for kind in (case.malformed or (None,))]
        metafunc.parametrize(("case", "malformed_kind"), params)
    else:
        metafunc.parametrize("case", CASES, ids=[case.id for case in CASES])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:  # every item of the session: only this suite's parametrisations have a BrokerCase
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec is not None else None
        if not isinstance(case, BrokerCase):
            continue
        reason = case.known_failures.get(getattr(item, "originalname", item.name))
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"{case.id}: {reason}"))


@pytest.fixture
def run(case, tmp_path, arun):
    """``run(scenario, timeout=None)``: the scenario's result, run in a session of ``case``."""
    def _run(scenario, timeout: float | None = None):
        return arun(case.run(tmp_path, scenario), timeout=timeout or case.timeout)

    return _run
