"""submit_once: a non-idempotent request is sent once; a maybe-sent outcome is
resolved by the reconcile hook, else reported as unknown (never as a rejection)."""

from __future__ import annotations

import pytest

from desktop.brokers.errors import AuthError, InvalidRequestError, UnavailableError
from desktop.brokers.transport import MaybeSentError, OrderStateUnknownError, RequestTimeout, submit_once


class Calls:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.count = 0

    async def __call__(self):
        self.count += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def _no_sleep(_seconds):
    return None


def test_a_success_or_a_definite_error_is_not_reconciled(arun):
    reconcile = Calls(AssertionError("must not be called"))
    assert arun(submit_once(Calls({"id": 1}), reconcile)) == {"id": 1}
    send = Calls(InvalidRequestError("quantity too large"))
    with pytest.raises(InvalidRequestError):
        arun(submit_once(send, reconcile))
    never_left = Calls(RequestTimeout("no connection", maybe_sent=False))
    with pytest.raises(RequestTimeout):
        arun(submit_once(never_left, reconcile))
    assert reconcile.count == 0 and send.count == never_left.count == 1


@pytest.mark.parametrize("error", [MaybeSentError("HTTP 502"), RequestTimeout("read timeout", maybe_sent=True)])
def test_maybe_sent_is_looked_up_and_failed_lookups_count_as_not_found(arun, error):
    send = Calls(error)
    reconcile = Calls(AuthError("session lost"), None, {"id": 7})
    found = arun(submit_once(send, reconcile, attempts=3, delay=1.0, sleep=_no_sleep))
    assert found == {"id": 7} and send.count == 1 and reconcile.count == 3


def test_not_found_is_an_unknown_state_carrying_the_cause(arun):
    cause = MaybeSentError("HTTP 500", raw={"error": "boom"})
    with pytest.raises(OrderStateUnknownError) as info:
        arun(submit_once(Calls(cause), Calls(None), attempts=2, delay=0.0, sleep=_no_sleep, what="order x"))
    assert isinstance(info.value, UnavailableError) and info.value.maybe_sent is True
    assert "state is unknown" in info.value.message and "order x" in info.value.message
    assert info.value.__cause__ is cause and info.value.raw == {"error": "boom"}
