"""The IBKR Client Portal Gateway's rate limits as :class:`PaceRule` s and its 429
cool-downs (NOTES.md section 7, IBKR Campus "Pacing Limitations"), used by
:class:`desktop.brokers.ibkr.client.IbkrClient`."""

from __future__ import annotations

from desktop.brokers.transport import PaceRule

#: Per-endpoint limits of NOTES.md section 7 ([CAMPUS] "Pacing Limitations"); paths
#: relative to /v1/api, matched without the query string. The 10 req/s global limit
#: is the Pacer's ``global_rate``.
IBKR_PACE_RULES: tuple[PaceRule, ...] = (
    PaceRule(r"/iserver/marketdata/snapshot", max_calls=10, per_seconds=1.0),
    PaceRule(r"/iserver/marketdata/history", max_concurrent=5),
    PaceRule(r"/iserver/account/orders", max_calls=1, per_seconds=5.0),
    PaceRule(r"/iserver/account/trades", max_calls=1, per_seconds=5.0),
    PaceRule(r"/iserver/account/pnl/partitioned", max_calls=1, per_seconds=5.0),
    PaceRule(r"/portfolio/accounts", max_calls=1, per_seconds=5.0),
    PaceRule(r"/portfolio/subaccounts", max_calls=1, per_seconds=5.0),
    PaceRule(r"/iserver/scanner/run", max_calls=1, per_seconds=1.0),
    PaceRule(r"/iserver/scanner/params", max_calls=1, per_seconds=900.0),
    PaceRule(r"/pa/performance", max_calls=1, per_seconds=900.0),
    PaceRule(r"/pa/summary", max_calls=1, per_seconds=900.0),
    PaceRule(r"/pa/transactions", max_calls=1, per_seconds=900.0),
    PaceRule(r"/fyi/.*", max_calls=1, per_seconds=1.0),
    PaceRule(r"/tickle", max_calls=1, per_seconds=1.0),
    PaceRule(r"/sso/validate", max_calls=1, per_seconds=60.0),
)

#: Requests per second through the gateway (NOTES.md section 7).
GLOBAL_RATE = 10

#: Seconds added to every pacing window: requests must not ARRIVE closer together than
#: the gateway allows, whatever the network jitter.
PACE_MARGIN = 0.05

#: First GLOBAL cool-down (seconds) after a 429 on a path without its own limit and
#: without Retry-After; doubles on each further 429 up to COOL_DOWN_MAX (IBKR's
#: "penalty box" lasts 10 minutes). A 429 on a path with its own limit pauses only
#: that endpoint (desktop.brokers.transport.throttle).
COOL_DOWN_FIRST = 60.0
COOL_DOWN_MAX = 600.0
