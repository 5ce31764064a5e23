"""After IBKR's daily reset the adapter re-runs NOTES.md section 10's whole pre-flight
(/iserver/accounts, /portfolio/accounts + /portfolio/subaccounts before any
/portfolio/{id}/..., allocation groups) and notices changed groups; against the fake."""

from __future__ import annotations

import asyncio

import pytest

from desktop.brokers.ibkr import IbkrBroker
from desktop.brokers.transport import Pacer
from desktop.domain import AllocationGroup, AllocationMember, ConnectionStatus

fakes = pytest.importorskip("tests.fakes.ibkr")


def test_daily_reset_runs_the_full_preflight_and_notices_new_groups(tmp_path, arun):
    async def scenario():
        async with fakes.running_gateway(tmp_path) as gw:
            gw.state.pacing = False
            broker = IbkrBroker(gw.base_url, pinned_sha256=gw.fingerprint, poll_interval=0.05, session_poll=0.05,
                                pacer=Pacer(global_rate=1000))
            await broker.connect()
            states: list = []

            async def watch():
                async for state in broker.watch_connection():
                    states.append(state)

            watcher = asyncio.ensure_future(watch())
            try:
                before = {g.name for g in await broker.fetch_allocation_groups()}
                assert broker.groups_generation == 0
                # overnight: the advisor added a group and deleted another in the portal
                gw.groups = [g for g in gw.groups if g.name != "Growth"] + [AllocationGroup(
                    name="Pair", method="E", members=(AllocationMember(account_id="DU100001"),
                                                      AllocationMember(account_id="DU100002")))]
                gw.daily_reset()
                mark = len(gw.requests)
                await broker.fetch_orders("DU100003")  # /iserver: "no bridge" -> re-prime once
                balances = await broker.fetch_balances("DU100003")
                after = {g.name for g in await broker.fetch_allocation_groups()}
                paths = [r.path for r in gw.requests[mark:]]
                return before, after, paths, balances, broker.groups_generation, list(states)
            finally:
                watcher.cancel()
                await broker.close()

    before, after, paths, balances, generation, states = arun(scenario(), timeout=30)
    assert "Growth" in before and "Pair" not in before
    assert "Pair" in after and "Growth" not in after and generation == 1
    assert balances and balances[0].account_id == "DU100003"
    first_summary = paths.index("/portfolio/DU100003/summary", paths.index("/iserver/accounts"))
    order = [paths.index(p) for p in ("/iserver/auth/ssodh/init", "/iserver/accounts", "/portfolio/accounts",
                                       "/portfolio/subaccounts", "/iserver/account/allocation/group")]
    assert order == sorted(order) and order[-1] < first_summary
    connected = [s for s in states if s.status is ConnectionStatus.CONNECTED]
    assert "allocation groups changed" in connected[-1].message
    assert ConnectionStatus.RECONNECTING in [s.status for s in states]
